package io.workloadidentity.aws;

import io.workloadidentity.core.CredentialExchangeException;
import java.util.Objects;
import java.util.Optional;

/**
 * AWS refused or failed to turn the projected token into credentials: STS {@code
 * AssumeRoleWithWebIdentity} or the EKS Pod Identity agent returned an error, or could not be
 * reached.
 *
 * <p>{@link #reason()} says what went wrong in a form callers can switch on; {@link #code()} is
 * AWS's own code ({@code AccessDenied}, {@code InvalidIdentityToken}, {@code ExpiredTokenException},
 * {@code Throttling}, ...; empty for I/O failures), {@link #httpStatus()} the HTTP status, {@link
 * #retryable()} whether waiting can help, {@link #tokenRejected()} whether AWS refused the token
 * itself (then the next attempt starts as soon as the kubelet rotates it). {@link #advice()} is the
 * fix in one or two sentences; {@link #getMessage()} already contains it, together with the role and
 * the token's {@code iss}/{@code sub}/{@code aud} (never the token itself).
 *
 * <p>The credential providers in this package retry retryable failures with backoff in the
 * background and keep serving valid credentials meanwhile; callers see this exception only when no
 * valid credential exists.
 */
public final class AwsExchangeException extends CredentialExchangeException {
  private static final long serialVersionUID = 2L;

  /** What went wrong, coarser than AWS's codes and the same for STS and EKS Pod Identity. */
  public enum Reason {
    /** AWS is throttling the account ({@code Throttling}, HTTP 429). Retryable. */
    THROTTLED(true, false),
    /** A server-side failure of STS or the agent (HTTP 5xx, {@code InternalFailure}). Retryable. */
    SERVICE_ERROR(true, false),
    /** No usable answer: connection refused or reset, timeout, an interrupted call. Retryable. */
    UNREACHABLE(true, false),
    /**
     * The answer was not the expected credentials document: unparseable, larger than the response
     * cap, a required member missing, empty or unusable, or an expiry already past (the message says
     * which, and whether this machine's clock is the likely cause). Retryable.
     */
    MALFORMED_RESPONSE(true, false),
    /**
     * STS could not fetch the identity provider's signing keys ({@code IDPCommunicationError}, {@code
     * InvalidIdentityToken} "Couldn't retrieve verification key"). Retryable: usually transient.
     */
    IDENTITY_PROVIDER_UNREACHABLE(true, false),
    /**
     * AWS says the token expired ({@code ExpiredTokenException}): the token file was re-read, and a
     * rotated token is sent as soon as it appears. Retryable, token rejected.
     */
    TOKEN_EXPIRED(true, true),
    /**
     * AWS refused the token for another reason (bad signature, unparseable, {@code
     * InvalidTokenException}): a newer token may be accepted. Not retryable, token rejected.
     */
    TOKEN_INVALID(false, true),
    /** The token's issuer is not an IAM OIDC identity provider of the role's account. Needs a fix. */
    NO_OIDC_PROVIDER(false, false),
    /** The token's audience is not a client ID of the IAM OIDC provider. Needs a fix. */
    AUDIENCE_MISMATCH(false, false),
    /** The role's trust policy does not allow this token, or the role does not exist. Needs a fix. */
    ACCESS_DENIED(false, false),
    /** The identity provider registration rejected a claim ({@code IDPRejectedClaim}). Needs a fix. */
    CLAIM_REJECTED(false, false),
    /** STS is not activated in the region ({@code RegionDisabledException}). Needs a fix. */
    REGION_DISABLED(false, false),
    /** A request parameter from the builder is invalid: session duration, session policy, policy ARNs. */
    INVALID_REQUEST(false, false),
    /** EKS Pod Identity: the service account has no Pod Identity association. Needs a fix. */
    NO_ASSOCIATION(false, false),
    /** Anything else AWS refused; see {@link AwsExchangeException#code()}. */
    OTHER(false, false);

    private final boolean retryable;
    private final boolean tokenRejected;

    Reason(boolean retryable, boolean tokenRejected) {
      this.retryable = retryable;
      this.tokenRejected = tokenRejected;
    }

    /**
     * Whether a failure for this reason may go away without a configuration change.
     *
     * @return the value {@link AwsExchangeException#retryable()} has for this reason
     */
    public boolean retryable() {
      return retryable;
    }

    /**
     * Whether a failure for this reason means AWS refused the projected token itself.
     *
     * @return the value {@link AwsExchangeException#tokenRejected()} has for this reason
     */
    public boolean tokenRejected() {
      return tokenRejected;
    }
  }

  /** @serial what went wrong */
  private final Reason reason;
  /** @serial the role to assume, or null */
  private final String roleArn;
  /** @serial AWS's request ID, or null */
  private final String requestId;

  /**
   * Creates the exception; used by this module and by tests that simulate AWS failures. Whether it
   * is {@linkplain #retryable() retryable} and {@linkplain #tokenRejected() rejects the token}
   * follows from {@code reason}.
   *
   * @param message what happened, including {@code advice}; never a token or a key
   * @param reason what went wrong
   * @param code AWS's error code, or {@code null} when no response was received
   * @param httpStatus the HTTP status, or {@code -1}
   * @param roleArn the role that was to be assumed, or {@code null} (EKS Pod Identity)
   * @param requestId AWS's request ID for support cases, or {@code null}
   * @param advice what to do about it
   * @param cause the underlying SDK or I/O exception, or {@code null}
   */
  public AwsExchangeException(String message, Reason reason, String code, int httpStatus, String roleArn,
      String requestId, String advice, Throwable cause) {
    super(message, "aws", code, httpStatus, Objects.requireNonNull(reason, "reason").retryable(), advice,
        reason.tokenRejected(), cause);
    this.reason = reason;
    this.roleArn = roleArn;
    this.requestId = requestId;
  }

  /**
   * What went wrong.
   *
   * @return the reason, never null
   */
  public Reason reason() {
    return reason;
  }

  /**
   * The IAM role that was to be assumed.
   *
   * @return the role ARN; empty for EKS Pod Identity, where the agent picks the role
   */
  public Optional<String> roleArn() {
    return Optional.ofNullable(roleArn);
  }

  /**
   * AWS's request ID, to quote in a support case.
   *
   * @return the request ID, empty when no response (or none with an ID) was received
   */
  public Optional<String> requestId() {
    return Optional.ofNullable(requestId);
  }
}
