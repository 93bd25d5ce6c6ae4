package io.workloadidentity.core.internal;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
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

  /**
   * A pool of at most {@code threads} daemon threads, each ending 30 s after its last task; further
   * tasks queue. Bounded, so that a storm of keys cannot make a storm of threads.
   */
  public static ExecutorService boundedPool(String prefix, int threads) {
    ThreadPoolExecutor pool = new ThreadPoolExecutor(threads, threads, 30, TimeUnit.SECONDS,
        new LinkedBlockingQueue<>(), daemon(prefix));
    pool.allowCoreThreadTimeOut(true);
    return pool;
  }

  /** A single daemon timer thread that drops cancelled tasks at once. */
  public static ScheduledExecutorService scheduler(String prefix) {
    ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, daemon(prefix));
    s.setRemoveOnCancelPolicy(true);
    s.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
    return s;
  }
}
