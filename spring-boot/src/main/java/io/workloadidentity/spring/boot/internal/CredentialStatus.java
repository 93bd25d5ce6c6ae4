package io.workloadidentity.spring.boot.internal;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.WorkloadIdentityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * What one cloud's credentials are doing, learnt from their cache's events alone (a health check
 * never causes an exchange). Thread-safe: events arrive on cache threads, {@link #view()} on the
 * health endpoint's.
 */
public final class CredentialStatus implements CredentialCache.Listener<Object> {
  /** Most credentials (cache keys) followed per cloud; an Azure app with many scope sets stays bounded. */
  static final int MAX_KEYS = 64;

  private final String cloud;
  private final Clock clock;
  private final RefreshPolicy policy;
  private final Map<Object, KeyState> keys = new ConcurrentHashMap<>();

  /**
   * A status for one cloud.
   *
   * @param cloud the cloud
   * @param clock the clock the credentials use
   * @param policy the policy the credentials use (its hard expiry decides UP or DOWN)
   */
  public CredentialStatus(String cloud, Clock clock, RefreshPolicy policy) {
    this.cloud = Objects.requireNonNull(cloud, "cloud");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  /**
   * The cloud.
   *
   * @return its name
   */
  public String cloud() {
    return cloud;
  }

  @Override
  public void onRefreshed(Object key, Instant expiresAt) {
    long now = clock.millis();
    long exp = expiresAt.toEpochMilli();
    update(key, old -> new KeyState(now, exp, policy.hardExpiryMillis(now, exp), old == null ? null : old.failure));
  }

  @Override
  public void onRefreshFailed(Object key, WorkloadIdentityException error, Duration retryIn) {
    Failure f = new Failure(code(error), advice(error), !(error instanceof CredentialExchangeException c) || c.retryable(),
        clock.millis());
    update(key, old -> old == null ? new KeyState(0, 0, 0, f) : new KeyState(old.obtainedAt, old.expiresAt, old.hardExpiry, f));
  }

  private void update(Object key, UnaryOperator<KeyState> change) {
    if (key == null || (keys.size() >= MAX_KEYS && !keys.containsKey(key))) {
      return;
    }
    keys.compute(key, (k, old) -> change.apply(old));
  }

  /**
   * The health of these credentials now: {@code UNKNOWN} before the first exchange ended; {@code
   * DOWN} while a credential is past its hard expiry (or none could be obtained), with the last
   * failure's advice; otherwise {@code UP}, with the seconds to the earliest expiry, the last refresh
   * and the last failure's code.
   *
   * @return the status and its details (no secrets: codes, times and advice)
   */
  public HealthView view() {
    if (keys.isEmpty()) {
      return new HealthView(HealthView.UNKNOWN, Map.of("credentials", "not requested yet"));
    }
    long now = clock.millis();
    KeyState down = null;
    long earliestExpiry = Long.MAX_VALUE;
    long lastRefresh = 0;
    Failure lastFailure = null;
    int valid = 0;
    for (KeyState s : keys.values()) {
      if (s.expiresAt > 0 && now < s.hardExpiry) {
        valid++;
        earliestExpiry = Math.min(earliestExpiry, s.expiresAt);
      } else if (down == null || (s.failure != null && (down.failure == null || s.failure.at > down.failure.at))) {
        down = s;
      }
      lastRefresh = Math.max(lastRefresh, s.obtainedAt);
      if (s.failure != null && (lastFailure == null || s.failure.at > lastFailure.at)) {
        lastFailure = s.failure;
      }
    }
    Map<String, Object> details = new LinkedHashMap<>();
    details.put("credentials", keys.size());
    if (lastRefresh > 0) {
      details.put("lastRefresh", Instant.ofEpochMilli(lastRefresh).toString());
    }
    if (down != null) {
      if (down.expiresAt > 0) {
        details.put("expiredAt", Instant.ofEpochMilli(down.expiresAt).toString());
      }
      if (down.failure != null) {
        details.put("error", down.failure.code);
        details.put("retryable", down.failure.retryable);
        details.put("advice", down.failure.advice);
      } else {
        details.put("advice", "The " + cloud + " credential expired and no refresh has been attempted since; the next"
            + " use obtains a new one.");
      }
      return new HealthView(HealthView.DOWN, details);
    }
    details.put("secondsToExpiry", Math.max(0, (earliestExpiry - now) / 1000));
    details.put("expiresAt", Instant.ofEpochMilli(earliestExpiry).toString());
    if (lastFailure != null) {
      Map<String, Object> failure = new LinkedHashMap<>();
      failure.put("code", lastFailure.code);
      failure.put("at", Instant.ofEpochMilli(lastFailure.at).toString());
      failure.put("retryable", lastFailure.retryable);
      details.put("lastFailure", failure);
    }
    return new HealthView(HealthView.UP, details);
  }

  /** The cloud's error code, {@code none} without one, or the local failure's type. */
  static String code(WorkloadIdentityException error) {
    if (error instanceof CredentialExchangeException c) {
      return c.code().orElse("none");
    }
    return error.getClass().getSimpleName();
  }

  /** What to do: the exchange failure's advice, else its message (the library keeps secrets out of both). */
  static String advice(WorkloadIdentityException error) {
    if (error instanceof CredentialExchangeException c && !c.advice().isBlank()) {
      return c.advice();
    }
    return String.valueOf(error.getMessage());
  }

  @Override
  public String toString() {
    return "CredentialStatus{" + cloud + ", credentials=" + keys.size() + "}";
  }

  private record KeyState(long obtainedAt, long expiresAt, long hardExpiry, Failure failure) {}

  private record Failure(String code, String advice, boolean retryable, long at) {}
}
