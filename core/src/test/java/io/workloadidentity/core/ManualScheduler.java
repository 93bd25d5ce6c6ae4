package io.workloadidentity.core;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * A deterministic {@link CredentialCache.Scheduler}: tasks run only when the test advances time, in
 * due order, each with the wall clock set to its due time. Time has two parts, as on a real host: the
 * monotonic time timers use, and the wall clock the cache judges expiry by; {@link #advance} moves
 * both, {@link #jumpWall} only the wall clock (a suspended host, an NTP step).
 */
final class ManualScheduler implements CredentialCache.Scheduler {
  private final MutableClock wall;
  private final PriorityQueue<Task> queue = new PriorityQueue<>(
      Comparator.comparingLong((Task t) -> t.dueNanos).thenComparingLong(t -> t.sequence));
  private long nowNanos;
  private long sequence;

  ManualScheduler(MutableClock wall) {
    this.wall = wall;
  }

  @Override
  public synchronized Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
    Task t = new Task(task, nowNanos + Math.max(0, unit.toNanos(delay)), sequence++);
    queue.add(t);
    return t;
  }

  /** Moves monotonic and wall time forward by {@code d}, running every task that falls due. */
  void advance(Duration d) {
    long target;
    synchronized (this) {
      target = nowNanos + d.toNanos();
    }
    while (true) {
      Task next;
      synchronized (this) {
        next = queue.peek();
        if (next == null || next.dueNanos > target) {
          wall.advance(Duration.ofNanos(target - nowNanos));
          nowNanos = target;
          return;
        }
        queue.poll();
        wall.advance(Duration.ofNanos(next.dueNanos - nowNanos));
        nowNanos = next.dueNanos;
      }
      next.run(); // outside the lock: a task may schedule another
    }
  }

  /** Runs the tasks due now (delay 0), without moving time. */
  void runDue() {
    advance(Duration.ZERO);
  }

  /** Moves only the wall clock: timers keep their monotonic due times. */
  void jumpWall(Duration d) {
    wall.advance(d);
  }

  /** Tasks scheduled and neither run nor cancelled. */
  synchronized int pending() {
    return (int) queue.stream().filter(t -> !t.isCancelled()).count();
  }

  /** Monotonic time until the next pending task, or null. */
  synchronized Duration untilNext() {
    return queue.stream().filter(t -> !t.isCancelled()).map(t -> Duration.ofNanos(t.dueNanos - nowNanos))
        .min(Comparator.naturalOrder()).orElse(null);
  }

  synchronized List<Task> snapshot() {
    return new ArrayList<>(queue);
  }

  final class Task implements Future<Object> {
    final Runnable body;
    final long dueNanos;
    final long sequence;
    private volatile int state; // 0 pending, 1 done, 2 cancelled

    Task(Runnable body, long dueNanos, long sequence) {
      this.body = body;
      this.dueNanos = dueNanos;
      this.sequence = sequence;
    }

    void run() {
      if (state == 0) {
        state = 1;
        body.run();
      }
    }

    @Override
    public boolean cancel(boolean mayInterrupt) {
      synchronized (ManualScheduler.this) {
        if (state != 0) {
          return false;
        }
        state = 2;
        queue.remove(this);
        return true;
      }
    }

    @Override
    public boolean isCancelled() {
      return state == 2;
    }

    @Override
    public boolean isDone() {
      return state != 0;
    }

    @Override
    public Object get() throws ExecutionException {
      if (state == 2) {
        throw new CancellationException();
      }
      return null;
    }

    @Override
    public Object get(long timeout, TimeUnit unit) throws ExecutionException {
      return get();
    }
  }
}
