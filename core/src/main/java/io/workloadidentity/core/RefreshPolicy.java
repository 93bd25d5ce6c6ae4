package io.workloadidentity.core;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;

/**
 * When a {@link CredentialCache} refreshes a credential and how it backs off after a failure.
 * Immutable; {@link #defaults()} suits every cloud.
 *
 * <p>For a credential obtained at {@code t0} that expires at {@code exp} ({@code ttl = exp - t0}):
 *
 * <ul>
 *   <li><b>refresh point</b>: {@code t0 + fraction*ttl}, moved by a random jitter of up to
 *       {@code ±min(jitterFraction*ttl, maxJitter)} so that many pods do not refresh in lockstep,
 *       and never later than {@code exp - lead}, where {@code lead = clamp(leadFraction*ttl, 0, maxLead)}
 *       scales with the lifetime (a 2-minute credential is refreshed about 100 s after it was
 *       obtained, not on every call as google-auth does below 225 s);
 *   <li><b>hard expiry</b>: {@code exp - min(expirySkew, ttl/20)}; after it the credential is never
 *       handed out;
 *   <li><b>backoff</b> after a failed refresh: a uniformly random delay in {@code [minBackoff,
 *       ceiling]} ("full jitter"), where the ceiling doubles from {@code initialBackoff} per
 *       consecutive failure up to {@code maxBackoff}. A non-retryable failure (for example access
 *       denied) goes straight to the {@code maxBackoff} ceiling: a fixed trust policy is picked up,
 *       but the cloud is not hammered;
 *   <li><b>maximum lifetime</b> (default 12 h, the longest STS session): a credential reported to
 *       live longer is treated as expiring then, so that a rotated trust or a revocation is picked up.
 * </ul>
 */
public final class RefreshPolicy {
  private static final RefreshPolicy DEFAULTS = builder().build();

  private final double fraction;
  private final double jitterFraction;
  private final Duration maxJitter;
  private final double leadFraction;
  private final Duration maxLead;
  private final Duration expirySkew;
  private final Duration initialBackoff;
  private final Duration maxBackoff;
  private final Duration minBackoff;
  private final Duration maximumLifetime;

  private RefreshPolicy(Builder b) {
    this.fraction = b.fraction;
    this.jitterFraction = b.jitterFraction;
    this.maxJitter = b.maxJitter;
    this.leadFraction = b.leadFraction;
    this.maxLead = b.maxLead;
    this.expirySkew = b.expirySkew;
    this.initialBackoff = b.initialBackoff;
    this.maxBackoff = b.maxBackoff;
    this.minBackoff = b.minBackoff;
    this.maximumLifetime = b.maximumLifetime;
  }

  /**
   * Refresh at 80% ±5% (at most ±90 s), lead 10% (at most 5 min), skew 10 s, backoff 1 s to 60 s,
   * maximum lifetime 12 h.
   *
   * @return the default policy
   */
  public static RefreshPolicy defaults() {
    return DEFAULTS;
  }

  /**
   * A builder starting from the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder starting from this policy's values.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.fraction = fraction;
    b.jitterFraction = jitterFraction;
    b.maxJitter = maxJitter;
    b.leadFraction = leadFraction;
    b.maxLead = maxLead;
    b.expirySkew = expirySkew;
    b.initialBackoff = initialBackoff;
    b.maxBackoff = maxBackoff;
    b.minBackoff = minBackoff;
    b.maximumLifetime = maximumLifetime;
    return b;
  }

  /**
   * The longest lifetime a credential is trusted to have.
   *
   * @return the maximum lifetime
   */
  public Duration maximumLifetime() {
    return maximumLifetime;
  }

  /**
   * The expiry a credential obtained at {@code obtainedAt} is treated as having: the reported one,
   * or {@code obtainedAt + maximumLifetime} if that is earlier. A cloud module shows this one to the
   * SDK and its callers, so that what they see agrees with when the cache stops serving it.
   *
   * @param expiresAt the expiry the server reported
   * @param obtainedAt when the credential was obtained
   * @return the expiry to trust
   */
  public Instant cappedExpiry(Instant expiresAt, Instant obtainedAt) {
    Instant latest = obtainedAt.plus(maximumLifetime);
    return expiresAt.isAfter(latest) ? latest : expiresAt;
  }

  /**
   * The wall-clock millisecond at which to refresh a credential obtained at {@code obtainedAt} that
   * expires at {@code expiresAt}, with a uniformly random {@code jitter} in {@code [-1, 1]}.
   *
   * @param obtainedAt when the credential was obtained, epoch milliseconds
   * @param expiresAt when it expires, epoch milliseconds
   * @param jitter a uniformly random number in {@code [-1, 1]}
   * @return the refresh point, epoch milliseconds
   */
  public long refreshAtMillis(long obtainedAt, long expiresAt, double jitter) {
    long ttl = Math.max(1, expiresAt - obtainedAt);
    long j = (long) (Math.min(jitterFraction * ttl, maxJitter.toMillis()) * jitter);
    long lead = (long) Math.min(leadFraction * ttl, maxLead.toMillis());
    long point = obtainedAt + (long) (fraction * ttl) + j;
    return Math.max(obtainedAt, Math.min(point, expiresAt - lead));
  }

  /**
   * The wall-clock millisecond after which a credential expiring at {@code expiresAt} is not used.
   *
   * @param obtainedAt when the credential was obtained, epoch milliseconds
   * @param expiresAt when it expires, epoch milliseconds
   * @return the hard expiry, epoch milliseconds
   */
  public long hardExpiryMillis(long obtainedAt, long expiresAt) {
    long ttl = Math.max(1, expiresAt - obtainedAt);
    return expiresAt - Math.min(expirySkew.toMillis(), ttl / 20);
  }

  /**
   * The upper bound of the delay before retry number {@code failures}.
   *
   * @param failures consecutive failures so far (1 = after the first failure)
   * @param retryable whether the last failure may go away by itself
   * @return the ceiling of the backoff delay
   */
  public Duration backoffCeiling(int failures, boolean retryable) {
    if (!retryable) {
      return maxBackoff;
    }
    int shift = Math.min(Math.max(failures - 1, 0), 30);
    long ceiling = initialBackoff.toMillis() << shift;
    return Duration.ofMillis(Math.min(ceiling <= 0 ? Long.MAX_VALUE : ceiling, maxBackoff.toMillis()));
  }

  /**
   * A random delay before retry number {@code failures}: full jitter under {@link #backoffCeiling}.
   *
   * @param failures consecutive failures so far (1 = after the first failure)
   * @param retryable whether the last failure may go away by itself
   * @return the delay
   */
  public Duration backoff(int failures, boolean retryable) {
    long ceiling = backoffCeiling(failures, retryable).toMillis();
    long floor = Math.min(minBackoff.toMillis(), ceiling);
    return Duration.ofMillis(floor + (long) (ThreadLocalRandom.current().nextDouble() * (ceiling - floor)));
  }

  /** Policies with equal values are equal (identically configured credentials share a session). */
  @Override
  public boolean equals(Object o) {
    return o instanceof RefreshPolicy p && fraction == p.fraction && jitterFraction == p.jitterFraction
        && maxJitter.equals(p.maxJitter) && leadFraction == p.leadFraction && maxLead.equals(p.maxLead)
        && expirySkew.equals(p.expirySkew) && initialBackoff.equals(p.initialBackoff)
        && maxBackoff.equals(p.maxBackoff) && minBackoff.equals(p.minBackoff)
        && maximumLifetime.equals(p.maximumLifetime);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(fraction, jitterFraction, maxJitter, leadFraction, maxLead, expirySkew,
        initialBackoff, maxBackoff, minBackoff, maximumLifetime);
  }

  @Override
  public String toString() {
    return "RefreshPolicy{fraction=" + fraction + ", jitterFraction=" + jitterFraction + ", maxJitter=" + maxJitter
        + ", leadFraction=" + leadFraction + ", maxLead=" + maxLead + ", expirySkew=" + expirySkew
        + ", backoff=" + initialBackoff + ".." + maxBackoff + ", maximumLifetime=" + maximumLifetime + "}";
  }

  /** Builder for {@link RefreshPolicy}; every setter validates its argument. */
  public static final class Builder {
    private double fraction = 0.8;
    private double jitterFraction = 0.05;
    // 90 s, so that a fleet started together (a rollout) spreads its refreshes: with a 60 s cap its
    // peak was 0.10x the unjittered one (benchmarks' fleet simulation), with 90 s 0.07x.
    private Duration maxJitter = Duration.ofSeconds(90);
    private double leadFraction = 0.1;
    private Duration maxLead = Duration.ofMinutes(5);
    private Duration expirySkew = Duration.ofSeconds(10);
    private Duration initialBackoff = Duration.ofSeconds(1);
    private Duration maxBackoff = Duration.ofSeconds(60);
    private Duration minBackoff = Duration.ofMillis(100);
    private Duration maximumLifetime = Duration.ofHours(12);

    private Builder() {}

    /**
     * Fraction of the lifetime after which to refresh.
     *
     * @param fraction in (0, 1); default 0.8
     * @return this builder
     */
    public Builder refreshFraction(double fraction) {
      if (!(fraction > 0 && fraction < 1)) {
        throw new IllegalArgumentException("refreshFraction must be in (0, 1): " + fraction);
      }
      this.fraction = fraction;
      return this;
    }

    /**
     * Jitter as a fraction of the lifetime, capped by {@code max}.
     *
     * @param fractionOfLifetime in [0, 0.2]; default 0.05
     * @param max the largest jitter; default 90 s
     * @return this builder
     */
    public Builder jitter(double fractionOfLifetime, Duration max) {
      if (!(fractionOfLifetime >= 0 && fractionOfLifetime <= 0.2)) {
        throw new IllegalArgumentException("jitter fraction must be in [0, 0.2]: " + fractionOfLifetime);
      }
      this.jitterFraction = fractionOfLifetime;
      this.maxJitter = nonNegative(max, "max jitter");
      return this;
    }

    /**
     * Minimum time before expiry to refresh, as a fraction of the lifetime capped by {@code max}.
     *
     * @param fractionOfLifetime in [0, 1); default 0.1
     * @param max the largest lead; default 5 min
     * @return this builder
     */
    public Builder lead(double fractionOfLifetime, Duration max) {
      if (!(fractionOfLifetime >= 0 && fractionOfLifetime < 1)) {
        throw new IllegalArgumentException("lead fraction must be in [0, 1): " + fractionOfLifetime);
      }
      this.leadFraction = fractionOfLifetime;
      this.maxLead = nonNegative(max, "max lead");
      return this;
    }

    /**
     * Safety margin before expiry after which a credential is no longer handed out (at most a
     * twentieth of the lifetime).
     *
     * @param skew not negative; default 10 s
     * @return this builder
     */
    public Builder expirySkew(Duration skew) {
      this.expirySkew = nonNegative(skew, "expirySkew");
      return this;
    }

    /**
     * Backoff ceiling after the first failure and its cap.
     *
     * @param initial the first ceiling; default 1 s
     * @param max the cap, at least {@code initial}; default 60 s
     * @return this builder
     */
    public Builder backoff(Duration initial, Duration max) {
      this.initialBackoff = nonNegative(initial, "initial backoff");
      this.maxBackoff = nonNegative(max, "max backoff");
      if (max.compareTo(initial) < 0) {
        throw new IllegalArgumentException("max backoff " + max + " is below initial backoff " + initial);
      }
      this.minBackoff = Duration.ofMillis(Math.min(minBackoff.toMillis(), initial.toMillis()));
      return this;
    }

    /**
     * The longest lifetime a credential is trusted to have; a longer reported lifetime is treated
     * as this long (and logged once at INFO), so that rotation and revocation are picked up.
     *
     * @param max positive; default 12 h, the longest STS role session
     * @return this builder
     */
    public Builder maximumLifetime(Duration max) {
      Objects.requireNonNull(max, "maximumLifetime");
      if (max.isNegative() || max.isZero()) {
        throw new IllegalArgumentException("maximumLifetime must be positive: " + max);
      }
      this.maximumLifetime = max;
      return this;
    }

    /**
     * The immutable policy.
     *
     * @return the policy
     */
    public RefreshPolicy build() {
      return new RefreshPolicy(this);
    }

    private static Duration nonNegative(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative()) {
        throw new IllegalArgumentException(what + " must not be negative: " + d);
      }
      return d;
    }
  }
}
