package io.workloadidentity.core;

import java.util.Optional;
import java.util.OptionalInt;

/**
 * A cloud refused or failed to exchange the projected token for a credential: the one error model of
 * every cloud module. Carries the cloud's error {@linkplain #code() code} (for example {@code
 * AccessDenied}, {@code AADSTS70021}, {@code invalid_grant}), the HTTP status, whether retrying can
 * help, and the {@linkplain #advice() fix} in a sentence or two. Each cloud module has one subclass
 * that adds a {@code Reason} its callers can switch on.
 *
 * <p>The {@linkplain #getMessage() message} already contains the advice; neither ever contains a
 * token, secret or session key.
 */
public class CredentialExchangeException extends WorkloadIdentityException {
  private static final long serialVersionUID = 2L;

  /** Short cloud name: {@code aws}, {@code azure}, {@code gcp}, or a cache's name. */
  private final String cloud;
  /** The cloud's error code, or {@code null} when it sent none. */
  private final String code;
  /** The HTTP status, or {@code -1} when no response was received. */
  private final int httpStatus;
  /** Whether the same exchange may succeed later without a configuration change. */
  private final boolean retryable;
  /** What to do about the failure; empty, never {@code null}, when the message says it all. */
  private final String advice;
  /** Whether the cloud refused the projected token itself. */
  private final boolean tokenRejected;

  /**
   * A failure without advice of its own (the message says it all).
   *
   * @param message what happened and what to do
   * @param cloud short cloud name: {@code aws}, {@code azure}, {@code gcp}
   * @param code the cloud's error code, or {@code null} when there is none (I/O failure)
   * @param httpStatus the HTTP status, or {@code -1} when no response was received
   * @param retryable whether the same request may succeed later without a configuration change
   * @param cause the underlying exception, or {@code null}
   */
  public CredentialExchangeException(
      String message, String cloud, String code, int httpStatus, boolean retryable, Throwable cause) {
    this(message, cloud, code, httpStatus, retryable, "", false, cause);
  }

  /**
   * A failure with its advice.
   *
   * @param message what happened, including {@code advice}
   * @param cloud short cloud name: {@code aws}, {@code azure}, {@code gcp}
   * @param code the cloud's error code, or {@code null} when there is none (I/O failure)
   * @param httpStatus the HTTP status, or {@code -1} when no response was received
   * @param retryable whether the same request may succeed later without a configuration change
   * @param advice what to do about it, in a sentence or two; empty if the message says it
   * @param tokenRejected whether the cloud refused the projected token itself (expired, not yet
   *     valid, unknown signing key): a token rotation seen during the backoff then retries at once
   * @param cause the underlying exception, or {@code null}
   */
  public CredentialExchangeException(String message, String cloud, String code, int httpStatus, boolean retryable,
      String advice, boolean tokenRejected, Throwable cause) {
    super(message, cause);
    this.cloud = cloud;
    this.code = code;
    this.httpStatus = httpStatus;
    this.retryable = retryable;
    this.advice = advice == null ? "" : advice;
    this.tokenRejected = tokenRejected;
  }

  /**
   * Short cloud name.
   *
   * @return {@code aws}, {@code azure} or {@code gcp} (or a cache's name for its own failures)
   */
  public String cloud() {
    return cloud;
  }

  /**
   * The cloud's error code.
   *
   * @return the code, empty when the cloud sent none (for example an I/O failure)
   */
  public Optional<String> code() {
    return Optional.ofNullable(code);
  }

  /**
   * The HTTP status of the failed response.
   *
   * @return the status, empty when no response was received
   */
  public OptionalInt httpStatus() {
    return httpStatus < 0 ? OptionalInt.empty() : OptionalInt.of(httpStatus);
  }

  /**
   * Whether the same exchange may succeed later without a configuration change.
   *
   * @return true for throttling, outages, timeouts and other passing failures
   */
  public boolean retryable() {
    return retryable;
  }

  /**
   * What to do about this failure, for tools that explain errors.
   *
   * @return one or two sentences; empty when the message is all there is to say
   */
  public String advice() {
    return advice;
  }

  /**
   * Whether the cloud refused the projected token itself, so that a newer token may succeed.
   *
   * @return true if a token rotation should end the backoff at once
   */
  public boolean tokenRejected() {
    return tokenRejected;
  }
}
