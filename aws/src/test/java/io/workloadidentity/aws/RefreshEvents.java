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

/** Records the cache's refresh events so tests wait for background refreshes instead of sleeping. */
final class RefreshEvents implements CredentialCache.Listener<Object> {
  private final Semaphore refreshed = new Semaphore(0);
  private final Semaphore failed = new Semaphore(0);
  final List<WorkloadIdentityException> failures = new CopyOnWriteArrayList<>();

  @Override
  public void onRefreshed(Object key, Instant expiresAt) {
    refreshed.release();
  }

  @Override
  public void onRefreshFailed(Object key, WorkloadIdentityException error, Duration retryIn) {
    failures.add(error);
    failed.release();
  }

  /** Waits (at most 10 s) for the next successful exchange. */
  void awaitRefresh() throws InterruptedException {
    assertThat(refreshed.tryAcquire(10, TimeUnit.SECONDS)).as("a credential refresh within 10 s").isTrue();
  }

  /**
   * Waits (at most 10 s) until {@code read} returns something other than {@code old}. The cache
   * reports a refresh just before the new credential is installed, so a read right after {@link
   * #awaitRefresh()} may still see the old one for a moment; this spins on that hand-over, bounded.
   */
  static <T> T awaitChange(java.util.function.Supplier<T> read, T old) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    T now;
    while ((now = read.get()).equals(old)) {
      assertThat(System.nanoTime()).as("the new credential becomes visible within 10 s").isLessThan(deadline);
      Thread.onSpinWait();
    }
    return now;
  }

  /** Whether a successful exchange happened within {@code millis}. */
  boolean refreshedWithin(long millis) throws InterruptedException {
    return refreshed.tryAcquire(millis, TimeUnit.MILLISECONDS);
  }

  /** Waits (at most 10 s) for the next failed exchange. */
  void awaitFailure() throws InterruptedException {
    assertThat(failed.tryAcquire(10, TimeUnit.SECONDS)).as("a failed exchange within 10 s").isTrue();
  }
}
