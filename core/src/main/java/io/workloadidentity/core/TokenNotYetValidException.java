package io.workloadidentity.core;

import java.time.Instant;

/**
 * The token's {@code nbf} ("not before") claim is in the future, beyond the allowed clock skew: the
 * cloud would refuse it, so it is not sent. It usually means this machine's clock is behind (or the
 * issuer's is ahead); waiting until {@link #notBefore()} or fixing the clock helps, re-reading the
 * file does not. The message says when the token becomes valid.
 */
public class TokenNotYetValidException extends WorkloadIdentityException {
  private static final long serialVersionUID = 1L;

  /** The token's {@code nbf} claim. */
  private final Instant notBefore;

  /**
   * A token that is not valid yet.
   *
   * @param message what is wrong and what to do; never a token or secret
   * @param notBefore the token's {@code nbf} claim
   */
  public TokenNotYetValidException(String message, Instant notBefore) {
    super(message);
    this.notBefore = notBefore;
  }

  /**
   * When the token becomes valid.
   *
   * @return the token's {@code nbf} claim
   */
  public Instant notBefore() {
    return notBefore;
  }
}
