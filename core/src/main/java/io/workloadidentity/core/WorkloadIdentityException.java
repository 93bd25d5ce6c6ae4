package io.workloadidentity.core;

/**
 * Base type of every failure this library reports. Unchecked: a credential that cannot be obtained is
 * a configuration or infrastructure problem the caller rarely handles locally.
 *
 * <p>Messages say what is wrong and what to do about it. They never contain a token, secret or
 * session key; they may contain token <em>claims</em> (issuer, subject, audience), which are not secret
 * and which are exactly what a user needs to fix a trust policy.
 */
public class WorkloadIdentityException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /**
   * An error whose message says what is wrong and what to do.
   *
   * @param message what is wrong and what to do about it; never a token or secret
   */
  public WorkloadIdentityException(String message) {
    super(message);
  }

  /**
   * Like the one-argument constructor, with the underlying cause.
   *
   * @param message what is wrong and what to do about it; never a token or secret
   * @param cause the failure that led to this one, kept for diagnosis, or {@code null}
   */
  public WorkloadIdentityException(String message, Throwable cause) {
    super(message, cause);
  }
}
