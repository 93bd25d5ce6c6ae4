package io.workloadidentity.core.internal;

import io.workloadidentity.core.CredentialCache;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * The wall clock as the credential hot path reads it. {@code System.currentTimeMillis()} costs about
 * 24 ns on a virtualised host, more than everything else a cached read does, so for the system clock
 * this keeps a copy in a volatile field that a timer refreshes every {@link #TICK_MILLIS}. The copy
 * is at most that much behind, far inside the expiry skew; after a host suspend the timer fires
 * within one tick of resuming, so expiry is still judged by wall time. Any other (injected, test)
 * clock is read directly, so tests stay deterministic and no tick runs; so is the system clock once
 * the scheduler refuses a tick (a frozen copy would keep dead credentials "valid") or after close.
 */
public final class WallClock implements AutoCloseable {
  public static final long TICK_MILLIS = 100;
  /** The value of {@link #now} that means "no copy: read the clock" (not the system clock, or no tick). */
  private static final long DIRECT = Long.MIN_VALUE;
  private static final System.Logger LOG = System.getLogger(CredentialCache.class.getName());

  private final Clock clock;
  private final CredentialCache.Scheduler scheduler;
  private volatile long now;
  private volatile Future<?> tick;
  private volatile boolean closed;

  public WallClock(Clock clock, CredentialCache.Scheduler scheduler) {
    this.clock = clock;
    this.scheduler = scheduler;
    boolean coarse = clock.equals(Clock.systemUTC()) || clock.equals(Clock.systemDefaultZone())
        || clock.equals(Clock.system(ZoneOffset.UTC));
    this.now = coarse ? clock.millis() : DIRECT;
    if (coarse) {
      schedule();
    }
  }

  /** Wall-clock milliseconds, at most {@link #TICK_MILLIS} old for the system clock while it ticks. */
  public long millis() {
    long n = now;
    return n != DIRECT ? n : clock.millis();
  }

  private void schedule() {
    try {
      tick = scheduler.schedule(() -> {
        now = clock.millis();
        if (closed) {
          now = DIRECT; // close() may have set DIRECT before the line above: never leave a frozen copy
        } else {
          schedule();
        }
      }, TICK_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RuntimeException e) {
      // A copy no tick refreshes would freeze, and the hot path would hand out credentials past
      // their hard expiry: read the clock itself from now on (slower, never wrong).
      now = DIRECT;
      if (!closed) {
        LOG.log(System.Logger.Level.WARNING, "The credential cache's scheduler refused its clock tick ("
            + Redaction.describe(e) + "); credential reads now read the clock directly.");
      }
      return;
    }
    if (closed) {
      State.cancel(tick);
    }
  }

  /** Stops the tick; reads go to the clock itself afterwards. Idempotent. */
  @Override
  public void close() {
    closed = true;
    now = DIRECT;
    Future<?> t = tick;
    if (t != null) {
      State.cancel(t);
    }
  }
}
