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
  final AtomicInteger started = new AtomicInteger();
  final AtomicInteger refreshed = new AtomicInteger();
  final AtomicInteger failed = new AtomicInteger();
  final AtomicInteger rotated = new AtomicInteger();

  @Override
  public void onExchangeStarted(Object key) {
    started.incrementAndGet();
  }

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

  /**
   * Waits until every exchange that started has ended. The demo moves its clock in large steps;
   * moving it while an exchange is still running would misstate when that exchange happened.
   */
  void settle() {
    await(() -> outcomes() >= started.get(), "the running exchange to end");
  }

  /**
   * Reads once per simulated second for {@code seconds}, letting any exchange a read started end
   * before time moves on; {@code read} checks what it reads. Returns the number of reads.
   */
  int readEverySecond(Stage stage, int seconds, Runnable read) {
    for (int s = 0; s < seconds; s++) {
      read.run();
      settle();
      stage.clock().advance(Duration.ofSeconds(1));
    }
    return seconds;
  }

  /** Moves time a second at a time (at most {@code maxSeconds}) until {@code changed} holds. */
  boolean advanceUntil(Stage stage, int maxSeconds, BooleanSupplier changed) {
    for (int s = 0; s < maxSeconds; s++) {
      if (changed.getAsBoolean()) {
        return true;
      }
      settle();
      if (changed.getAsBoolean()) {
        return true;
      }
      stage.clock().advance(Duration.ofSeconds(1));
    }
    return changed.getAsBoolean();
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
