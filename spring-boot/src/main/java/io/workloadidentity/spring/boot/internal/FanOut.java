package io.workloadidentity.spring.boot.internal;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Consumer;

/**
 * One listener for a credentials builder that passes each event to several (the health status,
 * the metrics, the application's), each isolated from the others' failures.
 */
public final class FanOut implements CredentialCache.Listener<Object> {
  private static final System.Logger LOG = System.getLogger(FanOut.class.getName());
  private final List<CredentialCache.Listener<Object>> listeners;

  /**
   * A listener passing events to {@code listeners}, in order.
   *
   * @param listeners the listeners
   */
  public FanOut(List<CredentialCache.Listener<Object>> listeners) {
    this.listeners = List.copyOf(listeners);
  }

  private void each(Consumer<CredentialCache.Listener<Object>> event) {
    for (CredentialCache.Listener<Object> l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        // The type only: a listener's message is not ours to vouch for.
        LOG.log(Level.WARNING, "A workload identity listener (" + l.getClass().getName() + ") failed: "
            + e.getClass().getName());
      }
    }
  }

  @Override
  public void onExchangeStarted(Object key) {
    each(l -> l.onExchangeStarted(key));
  }

  @Override
  public void onRefreshed(Object key, Instant expiresAt) {
    each(l -> l.onRefreshed(key, expiresAt));
  }

  @Override
  public void onRefreshFailed(Object key, WorkloadIdentityException error, Duration retryIn) {
    each(l -> l.onRefreshFailed(key, error, retryIn));
  }

  @Override
  public void onTokenRotated(ProjectedToken token) {
    each(l -> l.onTokenRotated(token));
  }

  @Override
  public String toString() {
    return "FanOut" + listeners;
  }
}
