package io.workloadidentity.examples.demo;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.CredentialExchangeException;
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
  /** Where to narrate each exchange's outcome, and from when (simulated); null until {@link #narrate}. */
  private volatile Stage narrator;
  private volatile Instant since;

  /**
   * From now on, prints one progress line per exchange outcome as the listener is told of it (the
   * outage steps: each failed attempt, its backoff, and the recovery).
   */
  void narrate(Stage stage) {
    this.since = stage.clock().instant();
    this.narrator = stage;
  }

  private String at() {
    Duration d = Duration.between(since, narrator.clock().instant());
    return String.format("outage %d:%02d (simulated)", d.toMinutes(), d.toSecondsPart());
  }

  @Override
  public void onExchangeStarted(Object key) {
    started.incrementAndGet();
  }

  @Override
  public void onRefreshed(Object key, Instant expiresAt) {
    refreshed.incrementAndGet();
    Stage stage = narrator;
    int failures = failed.get();
    if (stage != null && failures > 0) {
      stage.progress(at() + ": recovered: an exchange succeeded after " + failures + " failed attempt(s); the new credential"
          + " expires " + expiresAt);
    }
  }

  @Override
  public void onRefreshFailed(Object key, WorkloadIdentityException error, Duration retryIn) {
    int n = failed.incrementAndGet();
    Stage stage = narrator;
    if (stage != null) {
      String what = error.getClass().getSimpleName();
      if (error instanceof CredentialExchangeException) {
        CredentialExchangeException e = (CredentialExchangeException) error;
        what = e.code().orElse("no error code") + (e.httpStatus().isPresent() ? ", HTTP " + e.httpStatus().getAsInt() : "");
      }
      stage.progress(at() + ": attempt " + n + " failed (" + what + "); callers still get the valid credential,"
          + " the cache backs off before the next attempt");
    }
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
