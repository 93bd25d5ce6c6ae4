package io.workloadidentity.core;

/**
 * The token is not a usable JWT: not three parts, bad encoding, not JSON, unsigned ({@code alg:
 * none}), missing a required claim, a legacy secret-based service-account token, or too large.
 */
public class MalformedTokenException extends WorkloadIdentityException {
  private static final long serialVersionUID = 1L;

  /**
   * An error whose message says what is wrong and what to do.
   *
   * @param message which check failed and where in the token; never the token or any part of it
   */
  public MalformedTokenException(String message) {
    super(message);
  }

  /**
   * Like the one-argument constructor, with the underlying cause.
   *
   * @param message which check failed and where in the token; never the token or any part of it
   * @param cause the parser failure, or {@code null} (the parsers in this library pass {@code null}: their
   *     messages can quote the input)
   */
  public MalformedTokenException(String message, Throwable cause) {
    super(message, cause);
  }
}
