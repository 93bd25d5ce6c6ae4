package io.workloadidentity.aws;

import io.workloadidentity.core.CredentialExchangeException;
import java.util.Optional;

/**
 * AWS refused or failed to turn the projected token into credentials: STS {@code
 * AssumeRoleWithWebIdentity} or the EKS Pod Identity agent returned an error, or could not be
 * reached.
 *
 * <p>{@link #code()} is AWS's code ({@code AccessDenied}, {@code InvalidIdentityToken}, {@code
 * ExpiredTokenException}, {@code Throttling}, ...; empty for I/O failures), {@link #httpStatus()}
 * the HTTP status, {@link #retryable()} whether waiting can help (throttling, 5xx, an unreachable
 * identity provider) or a configuration change is needed. {@link #advice()} is the fix in one or two
 * sentences, for tools that explain errors; {@link #getMessage()} already contains it, together
 * with the role and the token's {@code iss}/{@code sub}/{@code aud} (never the token itself).
 *
 * <p>The credential providers in this package retry retryable failures with backoff in the
 * background and keep serving valid credentials meanwhile; callers see this exception only when no
 * valid credential exists.
 */
public final class AwsExchangeException extends CredentialExchangeException {
  private static final long serialVersionUID = 1L;

  private final String roleArn;
  private final String requestId;
  private final String advice;

  /**
   * Creates the exception; used by this module and by tests that simulate AWS failures.
   *
   * @param message what happened, including {@code advice}
   * @param errorCode AWS's error code, or {@code null} when no response was received
   * @param httpStatus the HTTP status, or {@code -1}
   * @param retryable whether the same request may succeed later without a configuration change
   * @param roleArn the role that was to be assumed, or {@code null} (EKS Pod Identity)
   * @param requestId AWS's request ID for support cases, or {@code null}
   * @param advice what to do about it
   * @param cause the underlying SDK or I/O exception, or {@code null}
   */
  public AwsExchangeException(String message, String errorCode, int httpStatus, boolean retryable, String roleArn,
      String requestId, String advice, Throwable cause) {
    super(message, "aws", errorCode, httpStatus, retryable, cause);
    this.roleArn = roleArn;
    this.requestId = requestId;
    this.advice = advice;
  }

  /** The IAM role that was to be assumed; empty for EKS Pod Identity, where the agent picks the role. */
  public Optional<String> roleArn() {
    return Optional.ofNullable(roleArn);
  }

  /** AWS's request ID, to quote in a support case, when a response was received. */
  public Optional<String> requestId() {
    return Optional.ofNullable(requestId);
  }

  /** What to do about this failure, in one or two sentences. */
  public String advice() {
    return advice;
  }
}
