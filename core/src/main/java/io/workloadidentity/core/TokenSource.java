package io.workloadidentity.core;

import java.util.function.Consumer;

/**
 * Where a cloud exchange gets the projected token from.
 *
 * <p>{@link #token()} returns the current token and never an expired one. Implementations are
 * thread-safe; {@code token()} is cheap when the cached token is fresh (no I/O) and reads the source
 * only when the token is due for rotation, expired, or after {@link #refresh()}.
 */
public interface TokenSource {

  /**
   * The current, unexpired token.
   *
   * @return the token to send now: not expired, and its {@code nbf} (if any) no further ahead than the
   *     allowed clock skew
   * @throws TokenFileException if the token cannot be read
   * @throws MalformedTokenException if what was read is not a usable token
   * @throws TokenExpiredException if the only token available has expired
   * @throws TokenNotYetValidException if the only token available is not valid yet
   */
  ProjectedToken token();

  /**
   * Reads the source again now, bypassing any cache, and returns the token read. Call it when a cloud
   * rejected the token as expired or invalid: the kubelet may have rotated it a moment ago.
   *
   * @return the token just read, checked as by {@link #token()}; it may be the same token as before
   * @throws WorkloadIdentityException as {@link #token()}
   */
  ProjectedToken refresh();

  /**
   * Registers a listener called with the new token each time the source sees a different token.
   * Listeners run on the thread that noticed the change (one of the shared watcher's check threads,
   * or a caller of {@link #token()}); they must be quick and must not throw. A {@link FileTokenSource} calls them
   * without holding its lock, so a listener may use the source; when rotations follow each other
   * quickly, only the newest token is announced.
   *
   * @param listener called with each new token; not {@code null}
   * @return a handle whose {@link Subscription#close()} removes the listener
   */
  Subscription onRotation(Consumer<ProjectedToken> listener);

  /**
   * Where tokens come from, for messages and reports.
   *
   * @return a human-readable description such as the file path; never token content. The default is
   *     the class's simple name
   */
  default String description() {
    return getClass().getSimpleName();
  }

  /**
   * A source that always returns the given token, for tests and for tokens obtained elsewhere. It
   * still refuses to return the token once it has expired, or while its {@code nbf} is further ahead
   * than the allowed clock skew (both by the system clock). It never rotates, so {@link #onRotation}
   * listeners are never called.
   *
   * @param token the token to return, not {@code null}
   * @return a thread-safe source over that one token
   */
  static TokenSource of(ProjectedToken token) {
    return new io.workloadidentity.core.internal.FixedTokenSource(token, "a fixed token", java.time.Clock.systemUTC());
  }

  /** A registration that can be cancelled. Closing twice is harmless. */
  interface Subscription extends AutoCloseable {
    /** Cancels the registration. */
    @Override
    void close();
  }
}
