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
 * identity was involved (token issuer, subject, audience; never the token) and how to fix it. {@link
 * #code()} is Google's own code ({@code invalid_grant}, {@code invalid_target}, {@code
 * PERMISSION_DENIED}, ...), {@link #httpStatus()} the HTTP status.
 *
 * <p>It implements google-auth's {@link Retryable}, so Google client libraries see the same
 * retryability as {@link #retryable()}.
 */
public final class GcpCredentialsException extends CredentialExchangeException implements Retryable {
  private static final long serialVersionUID = 1L;

  private final Reason reason;

  /**
   * Creates the exception; used by this library (and by tests that simulate it).
   *
   * @param reason the classification
   * @param message what happened and how to fix it; must not contain a token
   * @param errorCode Google's error code, or {@code null} when no error body was received
   * @param httpStatus the HTTP status, or {@code -1} when no response was received
   * @param cause the underlying failure, or {@code null}
   */
  public GcpCredentialsException(Reason reason, String message, String errorCode, int httpStatus, Throwable cause) {
    super(message, "gcp", errorCode, httpStatus, Objects.requireNonNull(reason, "reason").retryable, cause);
    this.reason = reason;
  }

  /** What went wrong, as a stable classification for programs (and the {@code doctor}). */
  public Reason reason() {
    return reason;
  }

  /** Same as {@link #retryable()}; google-auth's name for it. */
  @Override
  public boolean isRetryable() {
    return retryable();
  }

  /** Always 0: retries already happened inside this library before the exception was thrown. */
  @Override
  public int getRetryCount() {
    return 0;
  }

  /**
   * The classification of a {@link GcpCredentialsException}: each constant names the cause and the
   * usual fix. Retryable reasons are retried with backoff by the credential cache; the others are
   * configuration problems that need a change on the Google Cloud or Kubernetes side.
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
     * STS {@code invalid_grant} for another reason: wrong issuer, signature not verifiable with the
     * provider's JWKS, token expired or issued too long ago, attribute condition not met.
     */
    SUBJECT_TOKEN_REJECTED(false),
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
    /** No HTTP response: connection refused or reset, DNS failure, timeout. Retried with backoff. */
    UNREACHABLE(true),
    /** A response this library cannot interpret (not JSON, required fields missing). Retried. */
    UNEXPECTED_RESPONSE(true);

    private final boolean retryable;

    Reason(boolean retryable) {
      this.retryable = retryable;
    }

    /** Whether the same request may succeed later without a configuration change. */
    public boolean retryable() {
      return retryable;
    }
  }
}
