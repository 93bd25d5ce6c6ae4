package io.workloadidentity.core.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/** Daemon thread pools with recognisable names. */
public final class Threads {
  private Threads() {}

  /** A daemon thread factory; threads are named {@code prefix-N}. */
  public static ThreadFactory daemon(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  /** An unbounded pool of daemon threads that are kept 30 s after use. */
  public static ExecutorService cachedPool(String prefix) {
    return new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), daemon(prefix));
  }

  /** A single daemon timer thread that drops cancelled tasks at once. */
  public static ScheduledExecutorService scheduler(String prefix) {
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, daemon(prefix));
    s.setRemoveOnCancelPolicy(true);
    s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return s;
  }
}
