package io.workloadidentity.spring.boot;

import io.workloadidentity.core.CredentialCache;

/**
 * Gives the credentials the auto-configuration builds one more listener per cloud (for logs,
 * metrics of your own, tests). Every bean of this type is asked once per cloud; the events reach its
 * listener beside the health and Micrometer listeners.
 */
@FunctionalInterface
public interface CredentialListenerFactory {
  /**
   * The listener for one cloud's credentials.
   *
   * @param cloud {@code aws}, {@code azure} or {@code gcp}
   * @return the listener; its methods must be quick and must not throw
   */
  CredentialCache.Listener<Object> listener(String cloud);
}
