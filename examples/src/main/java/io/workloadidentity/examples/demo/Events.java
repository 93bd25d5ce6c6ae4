package io.workloadidentity.examples.demo;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Counts a credential cache's events so the demo can wait for background work without sleeping blindly. */
public final class Events implements CredentialCache.Listener<Object> {
  final AtomicInteger refreshed = new AtomicInteger();
  final AtomicInteger failed = new AtomicInteger();
  final AtomicInteger rotated = new AtomicInteger();

  @Override
  public void onRefreshed(Object key, Instant expiresAt) {
    refreshed.incrementAndGet();
  }

  @Override
  public void onRefreshFailed(Object key, WorkloadIdentityException error, Duration retryIn) {
    failed.incrementAndGet();
  }

  @Override
  public void onTokenRotated(ProjectedToken token) {
    rotated.incrementAndGet();
  }

  int outcomes() {
    return refreshed.get() + failed.get();
  }

  /** Whether {@code condition} becomes true within {@code wait}. */
  static boolean eventually(BooleanSupplier condition, Duration wait) {
    long deadline = System.nanoTime() + wait.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
    return true;
  }

  /** Waits up to 10 s for {@code condition}; background refreshes take milliseconds on loopback. */
  static void await(BooleanSupplier condition, String what) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new Stage.StepFailed("timed out waiting for " + what, null);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(2));
    }
  }
}
