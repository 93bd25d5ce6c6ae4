package io.workloadidentity.gcp.internal;

import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.gcp.GcpCredentialsException;
import java.lang.System.Logger.Level;
import java.time.Duration;

/**
 * Retries one exchange step on retryable failures (throttling, 5xx, I/O, unusable response), with the
 * cache's full-jitter backoff capped at {@link #MAX_DELAY}. This covers the first exchange, when no
 * credential exists yet to hide a blip behind (including the GKE metadata server's slow start);
 * later failures are additionally backed off by the credential cache.
 */
final class Retry {
  private static final System.Logger LOG = System.getLogger(Retry.class.getName());
  static final Duration MAX_DELAY = Duration.ofSeconds(2);

  private final int maxAttempts;
  private final RefreshPolicy policy;

  Retry(int maxAttempts, RefreshPolicy policy) {
    this.maxAttempts = maxAttempts;
    this.policy = policy;
  }

  /** One attempt of a step; {@code attempt} starts at 1. */
  @FunctionalInterface
  interface Step<T> {
    T run(int attempt) throws GcpCredentialsException;
  }

  <T> T run(String what, Step<T> step) {
    for (int attempt = 1; ; attempt++) {
      try {
        return step.run(attempt);
      } catch (GcpCredentialsException e) {
        if (!e.retryable() || attempt >= maxAttempts) {
          throw e;
        }
        long delay = Math.min(policy.backoff(attempt, true).toMillis(), MAX_DELAY.toMillis());
        int n = attempt;
        LOG.log(Level.DEBUG, () -> "gcp " + what + " attempt " + n + " failed (" + e.reason() + "), retrying in " + delay + " ms");
        try {
          Thread.sleep(delay);
        } catch (InterruptedException ie) {
          Thread.currentThread().interrupt(); // the cache is closing
          throw new WorkloadIdentityException("Interrupted while retrying the Google " + what + " request.", e);
        }
      }
    }
  }
}
