package io.workloadidentity.core.internal;

import io.workloadidentity.core.CredentialCache;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;

/**
 * The wall clock as the credential hot path reads it. {@code System.currentTimeMillis()} costs about
 * 24 ns on a virtualised host, more than everything else a cached read does, so for the system clock
 * this keeps a copy in a volatile field that a timer refreshes every {@link #TICK_MILLIS}. The copy
 * is at most that much behind, far inside the expiry skew; after a host suspend the timer fires
 * within one tick of resuming, so expiry is still judged by wall time. Any other (injected, test)
 * clock is read directly, so tests stay deterministic and no tick runs.
 */
public final class WallClock implements AutoCloseable {
  public static final long TICK_MILLIS = 100;

  private final Clock clock;
  private final boolean coarse;
  private final CredentialCache.Scheduler scheduler;
  private volatile long now;
  private volatile Future<?> tick;
  private volatile boolean closed;

  public WallClock(Clock clock, CredentialCache.Scheduler scheduler) {
    this.clock = clock;
    this.scheduler = scheduler;
    this.coarse = clock.equals(Clock.systemUTC()) || clock.equals(Clock.systemDefaultZone())
        || clock.equals(Clock.system(ZoneOffset.UTC));
    this.now = clock.millis();
    if (coarse) {
      schedule();
    }
  }

  /** Wall-clock milliseconds, at most {@link #TICK_MILLIS} old for the system clock. */
  public long millis() {
    return coarse ? now : clock.millis();
  }

  private void schedule() {
    try {
      tick = scheduler.schedule(() -> {
        now = clock.millis();
        if (!closed) {
          schedule();
        }
      }, TICK_MILLIS, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException e) {
      // closed scheduler: reads fall back to the last value, and the cache is closing anyway
    }
    if (closed) {
      tick.cancel(false);
    }
  }

  /** Stops the tick. Idempotent. */
  @Override
  public void close() {
    closed = true;
    Future<?> t = tick;
    if (t != null) {
      t.cancel(false);
    }
  }
}
