package io.workloadidentity.core;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicLong;

/** A clock tests move by hand; thread-safe. */
final class MutableClock extends Clock {
  private final AtomicLong millis;
  private final boolean posingAsSystemClock;

  MutableClock(Instant start) {
    this(start, false);
  }

  private MutableClock(Instant start, boolean posingAsSystemClock) {
    this.millis = new AtomicLong(start.toEpochMilli());
    this.posingAsSystemClock = posingAsSystemClock;
  }

  /**
   * A hand-moved clock that says it equals {@link Clock#systemUTC()}, so that the cache treats it as
   * the system clock and reads it through its coarse, timer-ticked copy (as in production).
   */
  static MutableClock posingAsSystemClock(Instant start) {
    return new MutableClock(start, true);
  }

  void advance(Duration d) {
    millis.addAndGet(d.toMillis());
  }

  void set(Instant instant) {
    millis.set(instant.toEpochMilli());
  }

  @Override
  public long millis() {
    return millis.get();
  }

  @Override
  public Instant instant() {
    return Instant.ofEpochMilli(millis.get());
  }

  @Override
  public ZoneId getZone() {
    return ZoneOffset.UTC;
  }

  @Override
  public Clock withZone(ZoneId zone) {
    return this;
  }

  @Override
  public boolean equals(Object o) {
    return o == this || posingAsSystemClock && Clock.systemUTC().equals(o);
  }

  @Override
  public int hashCode() {
    return posingAsSystemClock ? Clock.systemUTC().hashCode() : System.identityHashCode(this);
  }
}
