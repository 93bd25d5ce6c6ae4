package io.workloadidentity.core;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A credential together with the instant it expires, as returned by a {@link
 * CredentialCache.Exchange}. Immutable.
 *
 * @param <C> the credential type, for example the SDK's session credentials
 * @param value the credential
 * @param expiresAt when the cloud stops accepting it
 * @param refreshHint when the cloud suggests refreshing (Entra's {@code refresh_in}), if it said;
 *     the cache refreshes at the earlier of this hint (if sane) and its own lifetime-based point
 */
public record Expiring<C>(C value, Instant expiresAt, Optional<Instant> refreshHint) {

  /**
   * Checks the components. {@link #of} is the shorter way to build one without a hint.
   *
   * @param value the credential
   * @param expiresAt when the cloud stops accepting it
   * @param refreshHint when the cloud suggests refreshing, or empty
   * @throws NullPointerException if any component is {@code null}; use {@link Optional#empty()} for
   *     no refresh hint
   */
  public Expiring {
    Objects.requireNonNull(value, "value");
    Objects.requireNonNull(expiresAt, "expiresAt");
    Objects.requireNonNull(refreshHint, "refreshHint");
  }

  /**
   * A credential with no refresh hint: the cache refreshes it at its own lifetime-based point.
   *
   * @param <C> the credential type
   * @param value the credential, not {@code null}
   * @param expiresAt when the cloud stops accepting it, as the cloud reported it (not the time of the
   *     exchange plus a guessed lifetime)
   * @return the credential and its expiry
   */
  public static <C> Expiring<C> of(C value, Instant expiresAt) {
    return new Expiring<>(value, expiresAt, Optional.empty());
  }

  /**
   * This credential with a refresh hint from the cloud.
   *
   * @param hint when the cloud suggests refreshing, or {@code null} for none
   * @return a new instance with the same credential and expiry; this one is unchanged
   */
  public Expiring<C> withRefreshHint(Instant hint) {
    return new Expiring<>(value, expiresAt, Optional.ofNullable(hint));
  }

  /** Shows the expiry only: credential types are not trusted to redact themselves. */
  @Override
  public String toString() {
    return "Expiring{value=" + value.getClass().getSimpleName() + ", expiresAt=" + expiresAt + "}";
  }
}
