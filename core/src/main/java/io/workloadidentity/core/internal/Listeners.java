package io.workloadidentity.core.internal;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Consumer;

/**
 * The listener of a shared session's cache: passes every event to the listeners of the credentials
 * objects that share the session, each isolated from the others' failures. A listener registered by
 * several sharers (the same object given to two builders, or carried over by {@code toBuilder()})
 * hears each event once, until its last registration is closed.
 *
 * @param <K> the key type
 */
public final class Listeners<K> implements CredentialCache.Listener<K> {
  private static final System.Logger LOG = System.getLogger(CredentialCache.class.getName());
  private final CopyOnWriteArrayList<CredentialCache.Listener<? super K>> listeners = new CopyOnWriteArrayList<>();
  private final IdentityHashMap<CredentialCache.Listener<? super K>, Integer> registrations = new IdentityHashMap<>();

  /**
   * Adds a listener until the returned handle is closed.
   *
   * @param listener the listener
   * @return closes this registration; idempotent
   */
  public AutoCloseable add(CredentialCache.Listener<? super K> listener) {
    synchronized (registrations) {
      if (registrations.merge(listener, 1, Integer::sum) == 1) {
        listeners.add(listener);
      }
    }
    AtomicBoolean closed = new AtomicBoolean();
    return () -> {
      if (closed.compareAndSet(false, true)) {
        synchronized (registrations) {
          if (registrations.merge(listener, -1, Integer::sum) == 0) {
            registrations.remove(listener);
            listeners.removeIf(l -> l == listener);
          }
        }
      }
    };
  }

  private void each(Consumer<CredentialCache.Listener<? super K>> event) {
    for (CredentialCache.Listener<? super K> l : listeners) {
      try {
        event.accept(l);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "A credential cache listener failed: " + Redaction.describe(e));
      }
    }
  }

  @Override
  public void onExchangeStarted(K key) {
    each(l -> l.onExchangeStarted(key));
  }

  @Override
  public void onRefreshed(K key, Instant expiresAt) {
    each(l -> l.onRefreshed(key, expiresAt));
  }

  @Override
  public void onRefreshFailed(K key, WorkloadIdentityException error, Duration retryIn) {
    each(l -> l.onRefreshFailed(key, error, retryIn));
  }

  @Override
  public void onTokenRotated(ProjectedToken token) {
    each(l -> l.onTokenRotated(token));
  }
}
