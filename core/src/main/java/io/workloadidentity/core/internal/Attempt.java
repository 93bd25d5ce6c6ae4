package io.workloadidentity.core.internal;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Future;

/**
 * One exchange for one key: the future its waiters share, the thread running it, and its deadline
 * timer. An attempt is started once and stopped at most once; a stopped attempt that has not begun
 * never calls the exchange, and one that is running is interrupted.
 *
 * <p>The {@link #future} completes when the entry's state has already moved on (the new lease is
 * served, or the backoff is recorded), so a waiter that reads again sees the outcome.
 *
 * @param <C> the credential type
 */
public final class Attempt<C> {
  /** Completed with the new lease, or with the typed failure of the attempt. */
  public final CompletableFuture<Lease<C>> future = new CompletableFuture<>();
  /** {@code System.nanoTime()} after which waiters stop waiting, even if the scheduler is late. */
  public final long deadlineNanos;
  private Thread runner; // guarded by this
  private boolean stopped; // guarded by this
  private Future<?> deadlineTimer; // guarded by this
  private long rotationsAtBegin = -1; // guarded by this
  private boolean interruptSent; // guarded by this

  public Attempt(long deadlineNanos) {
    this.deadlineNanos = deadlineNanos;
  }

  /**
   * Called on the exchange thread before the exchange; false if the attempt was stopped meanwhile.
   *
   * @param rotations the cache's count of token rotations now (see {@link #rotationsAtBegin})
   */
  public synchronized boolean begin(long rotations) {
    if (stopped) {
      return false;
    }
    runner = Thread.currentThread();
    rotationsAtBegin = rotations;
    return true;
  }

  /** The count given to {@link #begin}, or -1 if the attempt never began. */
  public synchronized long rotationsAtBegin() {
    return rotationsAtBegin;
  }

  /**
   * Called on the exchange thread when the exchange returned. Clears an interrupt this attempt sent
   * (deadline, close) so that it does not hit the pool thread's next task, and only that one: the
   * thread may be the caller's own (an inline executor), whose interrupt belongs to the caller, and
   * is given back if the exchange consumed it.
   *
   * @param exchangeInterrupted whether the exchange ended with an {@link InterruptedException}
   */
  public void end(boolean exchangeInterrupted) {
    boolean ours;
    synchronized (this) {
      runner = null;
      stopped = true;
      cancelDeadline();
      ours = interruptSent;
    }
    if (ours) {
      Thread.interrupted();
    } else if (exchangeInterrupted) {
      Thread.currentThread().interrupt();
    }
  }

  /** Stops the attempt: it will not begin, or its thread is interrupted. Idempotent. */
  public synchronized void stop() {
    if (runner != null && !stopped) {
      runner.interrupt();
      interruptSent = true;
    }
    stopped = true;
    cancelDeadline();
  }

  /** Whether {@code thread} is running this attempt's exchange now. */
  public synchronized boolean runBy(Thread thread) {
    return runner == thread;
  }

  /** Whether the exchange is running or waiting to run (neither ended nor stopped). */
  public synchronized boolean inFlight() {
    return !stopped;
  }

  /** Remembers the deadline timer so that the attempt's end cancels it. */
  public synchronized void deadlineTimer(Future<?> timer) {
    if (stopped) {
      State.cancel(timer);
    } else {
      deadlineTimer = timer;
    }
  }

  private void cancelDeadline() {
    if (deadlineTimer != null) {
      State.cancel(deadlineTimer);
      deadlineTimer = null;
    }
  }
}
