package io.workloadidentity.core.internal;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The wall clock as the credential hot path reads it. {@code System.currentTimeMillis()} costs about
 * 24 ns on a virtualised host, more than everything else a cached read does, so for the system clock
 * this keeps a copy in a volatile field that the owner's timer refreshes every {@link #TICK_MILLIS}.
 * The copy is at most that much behind, far inside the expiry skew; after a host suspend the timer
 * fires within one tick of resuming, so expiry is still judged by wall time. Any other (injected,
 * test) clock is read directly, so tests stay deterministic.
 */
public final class WallClock {
  public static final long TICK_MILLIS = 100;

  private final Clock clock;
  private final boolean coarse;
  private volatile long now;

  public WallClock(Clock clock, ScheduledExecutorService timer) {
    this.clock = clock;
    this.coarse = clock.equals(Clock.systemUTC()) || clock.equals(Clock.systemDefaultZone())
        || clock.equals(Clock.system(ZoneOffset.UTC));
    this.now = clock.millis();
    if (coarse) {
      timer.scheduleAtFixedRate(() -> now = clock.millis(), TICK_MILLIS, TICK_MILLIS, TimeUnit.MILLISECONDS);
    }
  }

  /** Wall-clock milliseconds, at most {@link #TICK_MILLIS} old for the system clock. */
  public long millis() {
    return coarse ? now : clock.millis();
  }
}
