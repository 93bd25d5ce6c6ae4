package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.WorkloadIdentityException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/** Records the cache's refresh events so tests wait for background refreshes instead of sleeping. */
final class RefreshEvents implements CredentialCache.Listener<Object> {
  private final Semaphore refreshed = new Semaphore(0);
  private final Object lock = new Object();
  private int completed; // guarded by lock
  final List<WorkloadIdentityException> failures = new CopyOnWriteArrayList<>();

  @Override
  public void onRefreshed(Object key, Instant expiresAt) {
    refreshed.release();
    count();
  }

  @Override
  public void onRefreshFailed(Object key, WorkloadIdentityException error, Duration retryIn) {
    failures.add(error);
    count();
  }

  private void count() {
    synchronized (lock) {
      completed++;
      lock.notifyAll();
    }
  }

  /** Waits (at most 10 s) for the next successful exchange. */
  void awaitRefresh() throws InterruptedException {
    assertThat(refreshed.tryAcquire(10, TimeUnit.SECONDS)).as("a credential refresh within 10 s").isTrue();
  }

  /** Whether a successful exchange happened within {@code millis}. */
  boolean refreshedWithin(long millis) throws InterruptedException {
    return refreshed.tryAcquire(millis, TimeUnit.MILLISECONDS);
  }

  /** Waits (at most 10 s) until {@code n} exchanges have finished, successfully or not. */
  void awaitCompleted(int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    synchronized (lock) {
      while (completed < n) {
        long left = deadline - System.nanoTime();
        assertThat(left).as("%d exchanges finished within 10 s (%d did)", n, completed).isPositive();
        TimeUnit.NANOSECONDS.timedWait(lock, left);
      }
    }
  }

  /**
   * Waits (at most 10 s) until {@code read} returns something other than {@code old}. The cache
   * reports a refresh just before the new credential is installed, so a read right after {@link
   * #awaitRefresh()} may still see the old one for a moment; this spins on that hand-over, bounded.
   */
  static <T> T awaitChange(Supplier<T> read, T old) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    T now;
    while ((now = read.get()).equals(old)) {
      assertThat(System.nanoTime()).as("the new credential becomes visible within 10 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
    return now;
  }
}
