package io.workloadidentity.core;

/**
 * The token is not a usable JWT: not three parts, bad encoding, not JSON, unsigned ({@code alg:
 * none}), missing a required claim, a legacy secret-based service-account token, or too large.
 */
public class MalformedTokenException extends WorkloadIdentityException {
  private static final long serialVersionUID = 1L;

  public MalformedTokenException(String message) {
    super(message);
  }

  public MalformedTokenException(String message, Throwable cause) {
    super(message, cause);
  }
}
