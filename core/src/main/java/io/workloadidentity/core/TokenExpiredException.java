package io.workloadidentity.core;

import java.time.Instant;

/**
 * The only token available has expired. The kubelet rotates projected tokens at 80% of their
 * lifetime, so an expired token on disk means the kubelet stopped rotating it (or the node's clock is
 * wrong). The message says when it expired and what to check.
 */
public class TokenExpiredException extends WorkloadIdentityException {
  private static final long serialVersionUID = 1L;

  /** The expired token's {@code exp} claim. */
  private final Instant expiredAt;

  /**
   * An expired token.
   *
   * @param message when the token expired and what to check (the kubelet, the node's clock); never
   *     the token
   * @param expiredAt the token's {@code exp} claim
   */
  public TokenExpiredException(String message, Instant expiredAt) {
    super(message);
    this.expiredAt = expiredAt;
  }

  /**
   * When the token expired.
   *
   * @return the token's {@code exp} claim
   */
  public Instant expiredAt() {
    return expiredAt;
  }
}
