package io.workloadidentity.testkit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * A settable {@link Clock} for tests: share one between the cluster, the fake clouds and the code
 * under test, then {@link #advance(Duration)} it instead of sleeping.
 *
 * <p>Thread-safe; the time only moves when the test moves it.
 */
public final class TestClock extends Clock {
  private volatile Instant now;
  private final ZoneId zone;

  private TestClock(Instant now, ZoneId zone) {
    this.now = Objects.requireNonNull(now, "now");
    this.zone = zone;
  }

  /**
   * A clock stopped at the current system time, truncated to whole seconds like JWT times. Starting
   * near the real time keeps tokens plausible for code that also looks at the system clock.
   *
   * @return a new clock in UTC
   */
  public static TestClock create() {
    return at(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
  }

  /**
   * A clock stopped at a chosen instant, for tests that need exact times.
   *
   * @param instant the time the clock shows until it is moved, not {@code null}
   * @return a new clock in UTC
   */
  public static TestClock at(Instant instant) {
    return new TestClock(instant, ZoneOffset.UTC);
  }

  /**
   * Moves the clock forward, or backward with a negative duration. Only the time changes: nothing
   * scheduled on the clock runs by itself; code that polls the clock sees the new time on its next
   * read.
   *
   * @param duration how far to move
   * @return the new time
   */
  public synchronized Instant advance(Duration duration) {
    now = now.plus(duration);
    return now;
  }

  /**
   * Sets the clock, forward or backward.
   *
   * @param instant the new time, not {@code null}
   */
  public synchronized void set(Instant instant) {
    now = Objects.requireNonNull(instant, "instant");
  }

  @Override
  public Instant instant() {
    return now;
  }

  @Override
  public ZoneId getZone() {
    return zone;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    TestClock sameTime = this;
    // A zone view that keeps following this clock: Clock.withZone must not fork the time.
    return new Clock() {
      @Override
      public Instant instant() {
        return sameTime.instant();
      }

      @Override
      public ZoneId getZone() {
        return zone;
      }

      @Override
      public Clock withZone(ZoneId z) {
        return sameTime.withZone(z);
      }
    };
  }

  @Override
  public String toString() {
    return "TestClock[" + now + "]";
  }
}
