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

  /** Counts a failed refresh; returns the number of consecutive failures. */
  public int recordFailure() {
    return ++failures;
  }

  /** Ends a failed refresh: the next attempt may start at {@code nextAttemptAt}. */
  public void finishFailedRefresh(long nextAttemptAt) {
    this.nextAttemptAtMillis = nextAttemptAt;
    refreshing.set(false);
  }

  /** Marks the lease as replaced or invalidated: bound handles must look it up again. */
  public void retire() {
    retired = true;
  }

  public boolean isRetired() {
    return retired;
  }
}
