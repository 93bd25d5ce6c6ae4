package io.workloadidentity.core.internal;

import java.time.Duration;

/**
 * The defaults every cloud module's HTTP calls share, in one place so that they cannot drift apart.
 * An exchange's overall deadline is the cache's {@code exchangeTimeout}; these bound its parts.
 */
public final class HttpDefaults {
  /** Time to establish a connection to an identity endpoint. */
  public static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(2);
  /** Longest wait for the next bytes of a response. */
  public static final Duration READ_TIMEOUT = Duration.ofSeconds(5);
  /** Largest response body read from an identity endpoint; a token response is a few KiB. */
  public static final int MAX_RESPONSE_BYTES = 64 * 1024;

  private HttpDefaults() {}
}
