package io.workloadidentity.testkit;

import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Objects;

/**
 * Fault injection for one fake server: added latency, the next N requests failing, failing until
 * cleared, and a requests-per-second limit. Every fake endpoint of the testkit owns one, reachable
 * through its {@code faults()} method; the request counters are on the server itself.
 *
 * <pre>{@code
 * sts.faults().failNext(2, Fault.throttled());          // two throttled answers, then normal
 * cluster.faults().failAlways(Fault.serverError(503));  // JWKS outage until clear()
 * sts.faults().rateLimit(5);                            // the 6th request within a second is throttled
 * }</pre>
 *
 * <p>Faults can be scoped to a path prefix ({@link #failNext(String, int, Fault)}) when one server
 * hosts several endpoints. Queued faults apply in the order they were added; they take precedence
 * over the rate limit. The rate limit counts requests in fixed one-second windows of the server's
 * clock, so a test can drive it with a {@link TestClock}.
 *
 * <p>Thread-safe: tests configure it while the server's threads consume it.
 */
public final class Faults {
  private final Clock clock;
  private final List<Entry> queue = new ArrayList<>();
  private Duration latency = Duration.ZERO;
  private int rateLimit;
  private long windowSecond = Long.MIN_VALUE;
  private int windowCount;

  private Faults(Clock clock) {
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Faults whose rate limit follows the system clock.
   *
   * @return faults with nothing configured: every request is answered normally
   */
  public static Faults create() {
    return create(Clock.systemUTC());
  }

  /**
   * Faults whose rate-limit windows follow the given clock.
   *
   * @param clock the clock that decides which one-second window a request falls in; a {@link
   *     TestClock} makes the limit deterministic
   * @return faults with nothing configured: every request is answered normally
   */
  public static Faults create(Clock clock) {
    return new Faults(clock);
  }

  /**
   * Delays every response, faults included, to test client timeouts. This is real time, not the
   * clock's: keep it short, or just over the client's timeout.
   *
   * @param latency the delay, zero for none; not negative
   * @return this, for chaining
   * @throws IllegalArgumentException if {@code latency} is negative
   */
  public synchronized Faults latency(Duration latency) {
    if (latency.isNegative()) {
      throw new IllegalArgumentException("latency must not be negative: " + latency);
    }
    this.latency = latency;
    return this;
  }

  /**
   * Fails the next requests, whatever their path, then answers normally again.
   *
   * @param n how many requests fail, at least 1
   * @param fault the failure each of them gets
   * @return this, for chaining
   * @throws IllegalArgumentException if {@code n} is less than 1
   */
  public Faults failNext(int n, Fault fault) {
    return failNext(null, n, fault);
  }

  /**
   * Fails the next requests to some paths only; requests to other paths are answered normally and
   * do not use up the count.
   *
   * @param pathPrefix the start of the paths that fail (for example {@code /oauth2/}), or {@code
   *     null} for every path
   * @param n how many matching requests fail, at least 1
   * @param fault the failure each of them gets
   * @return this, for chaining
   * @throws IllegalArgumentException if {@code n} is less than 1
   */
  public synchronized Faults failNext(String pathPrefix, int n, Fault fault) {
    if (n < 1) {
      throw new IllegalArgumentException("n must be at least 1, got " + n);
    }
    queue.add(new Entry(pathPrefix, n, Objects.requireNonNull(fault, "fault")));
    return this;
  }

  /**
   * Fails every request until {@link #clear()}: an outage. Faults queued after it never apply to
   * the requests it matches.
   *
   * @param fault the failure every request gets
   * @return this, for chaining
   */
  public Faults failAlways(Fault fault) {
    return failAlways(null, fault);
  }

  /**
   * Fails every request to some paths until {@link #clear()}: an outage of one endpoint of a server
   * that hosts several.
   *
   * @param pathPrefix the start of the paths that fail, or {@code null} for every path
   * @param fault the failure every matching request gets
   * @return this, for chaining
   */
  public synchronized Faults failAlways(String pathPrefix, Fault fault) {
    queue.add(new Entry(pathPrefix, Integer.MAX_VALUE, Objects.requireNonNull(fault, "fault")));
    return this;
  }

  /**
   * Allows {@code requestsPerSecond} requests per one-second window of the clock; the ones beyond
   * get {@link Fault#throttled()}. Setting a limit starts counting afresh.
   *
   * @param requestsPerSecond how many requests a window answers normally, at least 1
   * @return this, for chaining
   * @throws IllegalArgumentException if {@code requestsPerSecond} is less than 1; use {@link #clear()}
   *     to remove the limit
   */
  public synchronized Faults rateLimit(int requestsPerSecond) {
    if (requestsPerSecond < 1) {
      throw new IllegalArgumentException("requestsPerSecond must be at least 1 (use clear() to remove the limit)");
    }
    this.rateLimit = requestsPerSecond;
    this.windowSecond = Long.MIN_VALUE;
    return this;
  }

  /**
   * Removes every fault, the latency and the rate limit: the server answers normally again.
   *
   * @return this, for chaining
   */
  public synchronized Faults clear() {
    queue.clear();
    latency = Duration.ZERO;
    rateLimit = 0;
    windowSecond = Long.MIN_VALUE;
    return this;
  }

  /**
   * For servers: the latency to add to each response.
   *
   * @return the configured latency, {@link Duration#ZERO} if none
   */
  public synchronized Duration latency() {
    return latency;
  }

  /**
   * How many queued failures are left, to check that a test used them all.
   *
   * @return the requests still to fail, counting an outage ({@link #failAlways}) as one; the rate
   *     limit is not counted
   */
  public synchronized int pending() {
    int n = 0;
    for (Entry e : queue) {
      n += e.remaining == Integer.MAX_VALUE ? 1 : e.remaining;
    }
    return n;
  }

  /**
   * For servers: consumes and returns the fault for the next request, or {@code null} for none.
   * Only faults that are not scoped to a path apply.
   *
   * @return the fault to inject, or {@code null}
   */
  public Fault next() {
    return next(null);
  }

  /**
   * For servers: consumes and returns the fault for the next request to {@code path}, or {@code
   * null} to answer normally.
   *
   * @param path the request path, or {@code null} when it is unknown (then only faults that name
   *     no path apply)
   * @return the fault to inject, or {@code null}
   */
  public Fault next(String path) {
    return next(path, true);
  }

  /**
   * Consumes and returns the fault for the next request to {@code path}. When {@code pathless} is
   * false the request is one that faults naming no path leave alone (an endpoint's discovery
   * documents, say): only faults scoped to a matching path prefix apply to it, and it does not
   * count towards the rate limit.
   */
  synchronized Fault next(String path, boolean pathless) {
    for (Iterator<Entry> it = queue.iterator(); it.hasNext(); ) {
      Entry e = it.next();
      boolean applies = e.pathPrefix == null ? pathless : path != null && path.startsWith(e.pathPrefix);
      if (applies) {
        if (e.remaining != Integer.MAX_VALUE && --e.remaining == 0) {
          it.remove();
        }
        if (pathless) {
          countForRateLimit();
        }
        return e.fault;
      }
    }
    return pathless && countForRateLimit() ? Fault.throttled() : null;
  }

  /** Counts a request in the current window; returns whether it is beyond the limit. */
  private boolean countForRateLimit() {
    if (rateLimit == 0) {
      return false;
    }
    long second = Math.floorDiv(clock.millis(), 1000L);
    if (second != windowSecond) {
      windowSecond = second;
      windowCount = 0;
    }
    return ++windowCount > rateLimit;
  }

  @Override
  public synchronized String toString() {
    return "Faults{queued=" + queue + ", latency=" + latency + ", rateLimit=" + (rateLimit == 0 ? "none" : rateLimit + "/s") + "}";
  }

  private static final class Entry {
    final String pathPrefix;
    int remaining;
    final Fault fault;

    Entry(String pathPrefix, int remaining, Fault fault) {
      this.pathPrefix = pathPrefix;
      this.remaining = remaining;
      this.fault = fault;
    }

    @Override
    public String toString() {
      return (remaining == Integer.MAX_VALUE ? "always " : remaining + "x ") + fault
          + (pathPrefix == null ? "" : " on " + pathPrefix + "*");
    }
  }
}
