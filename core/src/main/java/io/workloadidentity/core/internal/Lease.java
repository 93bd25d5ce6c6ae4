package io.workloadidentity.core.internal;

import java.util.concurrent.atomic.AtomicBoolean;

/**
 * One cached credential and its timing, all in wall-clock milliseconds. The timing fields are final;
 * the refresh bookkeeping is the only mutable state, and it guarantees at most one refresh attempt
 * per lease at a time (the cache replaces the lease when a refresh succeeds).
 */
public final class Lease<C> {
  private final C value;
  private final long expiresAtMillis;
  private final long refreshAtMillis;
  private final long hardExpiryMillis;
  private final AtomicBoolean refreshing = new AtomicBoolean();
  private volatile long nextAttemptAtMillis;
  private volatile boolean retired;
  private volatile RuntimeException failure;
  private final java.util.concurrent.atomic.AtomicInteger exchangesStarted = new java.util.concurrent.atomic.AtomicInteger();
  private int failures; // guarded by 'refreshing'

  public Lease(C value, long expiresAtMillis, long refreshAtMillis, long hardExpiryMillis) {
    this.value = value;
    this.expiresAtMillis = expiresAtMillis;
    this.refreshAtMillis = refreshAtMillis;
    this.hardExpiryMillis = hardExpiryMillis;
    this.nextAttemptAtMillis = refreshAtMillis;
  }

  public C value() {
    return value;
  }

  public long expiresAtMillis() {
    return expiresAtMillis;
  }

  public long refreshAtMillis() {
    return refreshAtMillis;
  }

  public long hardExpiryMillis() {
    return hardExpiryMillis;
  }

  /** When the next refresh attempt may start: the refresh point, or later after failures. */
  public long nextAttemptAtMillis() {
    return nextAttemptAtMillis;
  }

  /** Claims the right to start a refresh; false if one is already running for this lease. */
  public boolean tryStartRefresh() {
    return !retired && refreshing.compareAndSet(false, true);
  }

  /** Records that an exchange started to replace this lease. */
  public void exchangeStarted() {
    exchangesStarted.incrementAndGet();
  }

  /** How many exchanges started to replace this lease. */
  public int exchangesStarted() {
    return exchangesStarted.get();
  }

  /** Gives up a refresh claim for which no exchange ran. */
  public void releaseRefresh() {
    refreshing.set(false);
  }

  /** Counts a failed refresh; returns the number of consecutive failures. */
  public int recordFailure() {
    return ++failures;
  }

  /** Ends a failed refresh: the next attempt may start at {@code nextAttemptAt}. */
  public void finishFailedRefresh(long nextAttemptAt) {
    this.nextAttemptAtMillis = nextAttemptAt;
    refreshing.set(false);
  }

  /** Records that an exchange to replace this lease failed with {@code error}. */
  public void failed(RuntimeException error) {
    this.failure = error;
  }

  /**
   * The error of the last exchange that tried to replace this lease, or null. A lease that comes
   * back from a refresh with a failure was kept because that refresh failed (success makes a new
   * lease).
   */
  public RuntimeException failure() {
    return failure;
  }

  /** Marks the lease as replaced or invalidated: bound handles must look it up again. */
  public void retire() {
    retired = true;
  }

  public boolean isRetired() {
    return retired;
  }
}
