package io.workloadidentity.core;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executor;

/** An executor whose tasks run only when the test says: what is queued is "in flight". */
final class ManualExecutor implements Executor {
  private final List<Runnable> queue = new ArrayList<>();

  @Override
  public synchronized void execute(Runnable task) {
    queue.add(task);
  }

  /** The queued tasks, oldest first (a copy). */
  synchronized List<Runnable> tasks() {
    return new ArrayList<>(queue);
  }

  synchronized int queued() {
    return queue.size();
  }

  /** Runs the task at {@code index} of the queue (in submission order). */
  void run(int index) {
    Runnable task;
    synchronized (this) {
      task = queue.remove(index);
    }
    task.run();
  }

  /** Runs the oldest task; false if none. */
  boolean runNext() {
    synchronized (this) {
      if (queue.isEmpty()) {
        return false;
      }
    }
    run(0);
    return true;
  }

  /** Runs tasks until none is queued (including those the tasks queue). */
  void runAll() {
    while (runNext()) {
      // each task may queue more
    }
  }
}
