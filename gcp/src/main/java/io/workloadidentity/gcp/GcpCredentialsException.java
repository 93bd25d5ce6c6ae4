package io.workloadidentity.gcp;

import com.google.auth.Retryable;
import io.workloadidentity.core.CredentialExchangeException;
import java.util.Objects;

/**
 * Google refused or failed to issue an access token: the STS token exchange, the IAM Credentials
 * {@code generateAccessToken} call (service-account impersonation) or the GKE metadata server.
 *
 * <p>{@link #reason()} classifies the failure from the HTTP response Google actually sent (status and
 * error body), never from google-auth's message text. The message says what Google answered, which
 * identity was involved (token issuer, subject, audience; never the token) and how to fix it; {@link
 * #advice()} is the fix on its own. {@link #code()} is Google's own code ({@code invalid_grant},
 * {@code invalid_target}, {@code PERMISSION_DENIED}, ...), {@link #httpStatus()} the HTTP status.
 * {@link #tokenRejected()} is true when Google refused the projected token itself: the credential
 * cache then retries as soon as the kubelet rotates it.
 *
 * <p>It implements google-auth's {@link Retryable}, so Google client libraries see the same
 * retryability as {@link #retryable()}.
 */
public final class GcpCredentialsException extends CredentialExchangeException implements Retryable {
  private static final long serialVersionUID = 1L;

  /** What went wrong, for callers that handle causes differently. */
  private final Reason reason;

  /**
   * Creates the exception without separate advice (the message says it all); for tests that
   * simulate a failure.
   *
   * @param reason the classification; it decides {@link #retryable()}
   * @param message what happened and how to fix it; must not contain a token
   * @param errorCode Google's error code, or {@code null} when no error body was received
   * @param httpStatus the HTTP status, or {@code -1} when no response was received
   * @param cause the underlying failure, or {@code null}
   */
  public GcpCredentialsException(Reason reason, String message, String errorCode, int httpStatus, Throwable cause) {
    this(reason, message, errorCode, httpStatus, "", false, cause);
  }

  /**
   * Creates the exception; used by this library.
   *
   * @param reason the classification; it decides {@link #retryable()}
   * @param message what happened, including {@code advice}; must not contain a token
   * @param errorCode Google's error code, or {@code null} when no error body was received
   * @param httpStatus the HTTP status, or {@code -1} when no response was received
   * @param advice what to do about it, in a sentence or two; empty if the message says it
   * @param tokenRejected whether Google refused the projected token itself (a newer token may succeed)
   * @param cause the underlying failure, or {@code null}
   */
  public GcpCredentialsException(Reason reason, String message, String errorCode, int httpStatus, String advice,
      boolean tokenRejected, Throwable cause) {
    super(message, "gcp", errorCode, httpStatus, Objects.requireNonNull(reason, "reason").retryable, advice,
        tokenRejected, cause);
    this.reason = reason;
  }

  /**
   * What went wrong, as a stable classification for programs (and the {@code doctor}).
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }

  /**
   * Same as {@link #retryable()}; google-auth's name for it.
   *
   * @return whether the same request may succeed later
   */
  @Override
  public boolean isRetryable() {
    return retryable();
  }

  /**
   * Always 0: an exchange is one attempt (one HTTP request per protocol step); the credential cache,
   * not the exchange, retries with backoff.
   *
   * @return 0
   */
  @Override
  public int getRetryCount() {
    return 0;
  }

  /**
   * The classification of a {@link GcpCredentialsException}: each constant names the cause and the
   * usual fix. Every failure is retried by the credential cache with backoff (capped exponential,
   * full jitter); retryable reasons are the passing ones, the others are configuration problems that
   * need a change on the Google Cloud or Kubernetes side.
   */
  public enum Reason {
    /**
     * STS {@code invalid_grant}: the projected token's {@code aud} is not one of the workload identity
     * provider's allowed audiences. Fix the projected volume's {@code serviceAccountToken.audience} or
     * the provider's {@code --allowed-audiences}.
     */
    AUDIENCE_MISMATCH(false),
    /**
     * STS {@code invalid_target}: the workload identity pool or provider named by the audience does not
     * exist, is disabled or deleted. Check the project number, pool and provider IDs.
     */
    PROVIDER_NOT_FOUND(false),
    /**
     * STS {@code invalid_grant} for another reason: token expired or issued too long ago, signature
     * not verifiable with the provider's JWKS, wrong issuer, attribute condition not met. Retryable:
     * the file is re-read at once and the cache retries as soon as the kubelet rotates the token (a
     * newer token is often accepted); a persistent rejection is a provider configuration problem.
     */
    SUBJECT_TOKEN_REJECTED(true),
    /**
     * The request was malformed in Google's view ({@code invalid_request}, IAM {@code
     * INVALID_ARGUMENT}), for example an audience that is not a full provider resource name or a
     * token lifetime above the allowed maximum.
     */
    INVALID_REQUEST(false),
    /**
     * IAM Credentials answered {@code PERMISSION_DENIED} (or {@code NOT_FOUND}) for {@code
     * iam.serviceAccounts.getAccessToken}: the federated principal lacks {@code
     * roles/iam.workloadIdentityUser} on the service account, or the service account does not exist.
     */
    IMPERSONATION_DENIED(false),
    /** The GKE metadata server refused to issue a token (for example Workload Identity not enabled). */
    METADATA_SERVER_REFUSED(false),
    /** Google throttled the request (HTTP 429, rate limit): retried with backoff. */
    THROTTLED(true),
    /** Google answered with a server error (HTTP 5xx): retried with backoff. */
    SERVER_ERROR(true),
    /**
     * No HTTP response: connection refused or reset, DNS failure, timeout (also the GKE metadata
     * server while it starts with the pod). Retried with backoff.
     */
    UNREACHABLE(true),
    /** A response this library cannot interpret (not JSON, required fields missing). Retried. */
    UNEXPECTED_RESPONSE(true);

    private final boolean retryable;

    Reason(boolean retryable) {
      this.retryable = retryable;
    }

    /**
     * Whether the same request may succeed later without a configuration change.
     *
     * @return true for passing failures
     */
    public boolean retryable() {
      return retryable;
    }
  }
}
