package io.workloadidentity.core;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A cloud refused or failed to exchange the projected token for a credential. Carries the cloud's
 * error code (for example {@code AccessDenied}, {@code AADSTS70021}, {@code invalid_grant}), the HTTP
 * status and whether retrying can help. Cloud modules subclass it with more specific types.
 */
public class CredentialExchangeException extends WorkloadIdentityException {
  private static final long serialVersionUID = 1L;

  private final String cloud;
  private final String errorCode;
  private final int httpStatus;
  private final boolean retryable;

  /**
   * @param cloud short cloud name: {@code aws}, {@code azure}, {@code gcp}
   * @param errorCode the cloud's error code, or {@code null} when there is none (I/O failure)
   * @param httpStatus the HTTP status, or {@code -1} when no response was received
   * @param retryable whether the same request may succeed later without a configuration change
   */
  public CredentialExchangeException(
      String message, String cloud, String errorCode, int httpStatus, boolean retryable, Throwable cause) {
    super(message, cause);
    this.cloud = cloud;
    this.errorCode = errorCode;
    this.httpStatus = httpStatus;
    this.retryable = retryable;
  }

  /** Short cloud name: {@code aws}, {@code azure} or {@code gcp}. */
  public String cloud() {
    return cloud;
  }

  /** The cloud's error code, if the cloud sent one. */
  public Optional<String> errorCode() {
    return Optional.ofNullable(errorCode);
  }

  /** The HTTP status of the failed response, if a response was received. */
  public OptionalInt httpStatus() {
    return httpStatus < 0 ? OptionalInt.empty() : OptionalInt.of(httpStatus);
  }

  /** Whether the same exchange may succeed later without a configuration change. */
  public boolean retryable() {
    return retryable;
  }
}
