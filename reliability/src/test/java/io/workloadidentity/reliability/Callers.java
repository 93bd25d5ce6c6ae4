package io.workloadidentity.reliability;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A pool of caller threads that read a credential together (released at once by a latch): counts reads, errors
 * (exceptions, and credentials handed out already expired by the injected clock) and the longest read.
 */
final class Callers implements AutoCloseable {
  private final int threads;
  private final ExecutorService pool;
  private final Clock clock;
  final AtomicInteger reads = new AtomicInteger();
  final AtomicLong maxNanos = new AtomicLong();
  final Queue<Throwable> errors = new ConcurrentLinkedQueue<>();
  /** Credentials handed out already expired by the injected clock (also counted in {@link #errors}). */
  final AtomicInteger expired = new AtomicInteger();

  Callers(int threads, Clock clock) {
    this.threads = threads;
    this.clock = clock;
    AtomicInteger n = new AtomicInteger();
    this.pool = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "reliability-caller-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** Every thread reads {@code each} times; returns when all are done (at most 60 s). */
  void read(Rig.Client client, int each) throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Callable<Void>> tasks = new ArrayList<>();
    for (int i = 0; i < threads; i++) {
      tasks.add(() -> {
        go.await(10, TimeUnit.SECONDS);
        for (int j = 0; j < each; j++) {
          long t0 = System.nanoTime();
          try {
            Rig.Cred c = client.read();
            if (c.expiresAt != null && !c.expiresAt.isAfter(clock.instant())) {
              expired.incrementAndGet();
              errors.add(new AssertionError("an expired credential was handed out"));
            }
          } catch (Exception | Error e) {
            Leaks.scan(e);
            errors.add(e);
          } finally {
            maxNanos.accumulateAndGet(System.nanoTime() - t0, Math::max);
            reads.incrementAndGet();
          }
        }
        return null;
      });
    }
    List<Future<Void>> futures = new ArrayList<>();
    for (Callable<Void> t : tasks) {
      futures.add(pool.submit(t));
    }
    go.countDown();
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    for (Future<Void> f : futures) {
      f.get(Math.max(1, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
    }
  }

  long maxMillis() {
    return TimeUnit.NANOSECONDS.toMillis(maxNanos.get());
  }

  /** Forgets the figures (the pool stays). */
  void reset() {
    reads.set(0);
    maxNanos.set(0);
    errors.clear();
    expired.set(0);
  }

  @Override
  public void close() {
    pool.shutdownNow();
    try {
      pool.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
