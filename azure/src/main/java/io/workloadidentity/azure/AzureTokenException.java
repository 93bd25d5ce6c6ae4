package io.workloadidentity.azure;

import io.workloadidentity.core.CredentialExchangeException;
import java.util.Objects;
import java.util.Optional;

/**
 * Microsoft Entra ID refused, or could not be asked, to exchange the projected service-account token
 * for an access token. {@link #reason()} says what kind of failure it is, for callers that handle
 * some differently; {@link #code()} is the {@code AADSTS} code (for example {@code AADSTS70021}) when
 * Entra sent one, else the OAuth {@code error}; {@link #advice()} says what to do.
 *
 * <p>The {@linkplain #getMessage() message} says what happened, what it means and what to do. Neither
 * ever contains the projected token or an access token, and Entra's own text in it is redacted and
 * its control characters escaped. The {@linkplain #getCause() cause}, when there is one, is a copy
 * of the MSAL or I/O exception with the same class name and stack trace and its message redacted
 * the same way, so logging this exception with its causes prints nothing uncleaned. Immutable.
 */
public class AzureTokenException extends CredentialExchangeException {
  private static final long serialVersionUID = 2L;

  /** What kind of failure this is. */
  public enum Reason {
    /**
     * No federated identity credential of the application matches the token's issuer, subject and
     * audience (AADSTS70021, or its variants AADSTS700211 issuer, AADSTS700212 audience,
     * AADSTS700213 subject). The message quotes the exact values to register.
     */
    FEDERATED_CREDENTIAL_MISMATCH,
    /**
     * Entra found the token outside its validity window (AADSTS700024): a rotation not yet seen, an
     * expired token file (the kubelet stopped rotating it) or a skewed clock. Retried as soon as a
     * new token is seen.
     */
    ASSERTION_TIME_RANGE,
    /** Entra could not verify the token's signature with the issuer's published keys (AADSTS700027). */
    INVALID_SIGNATURE,
    /** Entra could not fetch the issuer's discovery document or keys (AADSTS50166): the issuer is not public. */
    ISSUER_UNREACHABLE,
    /** No application with the client ID in the tenant (AADSTS700016). */
    APPLICATION_NOT_FOUND,
    /** Entra does not know the tenant (AADSTS90002), or the authority host is another cloud's. */
    TENANT_NOT_FOUND,
    /**
     * The request named a tenant this credential is not allowed to ask for; it was not sent. Allow the
     * tenant with {@link AzureWorkloadIdentityCredential.Builder#additionallyAllowedTenants}.
     */
    TENANT_NOT_ALLOWED,
    /** The requested scope is invalid or names no resource of the tenant (AADSTS70011, AADSTS500011). */
    INVALID_SCOPE,
    /** The request could not be made as asked and was not sent (for example a proof-of-possession request). */
    INVALID_REQUEST,
    /** Entra is throttling (HTTP 429, AADSTS90055). Retryable. */
    THROTTLED,
    /** Entra is temporarily unavailable (HTTP 5xx, {@code temporarily_unavailable}). Retryable. */
    UNAVAILABLE,
    /** No answer from Entra: DNS, connection, TLS or timeout failure. Retryable. */
    NETWORK,
    /** Entra's answer could not be processed. Retryable. */
    INVALID_RESPONSE,
    /** Any other refusal; {@link #code()} and the message say which. */
    OTHER
  }

  /** What went wrong, for callers that handle causes differently. */
  private final Reason reason;
  /** Entra's OAuth {@code error} value ({@code invalid_client}, ...), or null. */
  private final String oauthError;
  /** Entra's correlation ID for a support request, or null. */
  private final String correlationId;

  /**
   * Creates the exception. Used by this library; public so that tests and tools can build one.
   *
   * @param message the full message: headline, advice, Entra's own words, correlation ID
   * @param reason the kind of failure
   * @param code the {@code AADSTS} code such as {@code AADSTS70021}, else the OAuth error, or {@code null}
   * @param oauthError the OAuth {@code error} field such as {@code invalid_request}, or {@code null}
   * @param httpStatus the HTTP status, or {@code -1} when no response was received
   * @param correlationId Entra's correlation ID, or {@code null}
   * @param advice what the failure means and how to fix it
   * @param retryable whether the same request may succeed later without a configuration change
   * @param tokenRejected whether Entra refused the projected token itself (a newer token may succeed)
   * @param cause the underlying MSAL or I/O exception, or {@code null}
   * @throws NullPointerException if {@code reason} is null
   */
  public AzureTokenException(String message, Reason reason, String code, String oauthError, int httpStatus,
      String correlationId, String advice, boolean retryable, boolean tokenRejected, Throwable cause) {
    super(message, "azure", code, httpStatus, retryable, advice, tokenRejected, cause);
    this.reason = Objects.requireNonNull(reason, "reason");
    this.oauthError = oauthError;
    this.correlationId = correlationId;
  }

  /**
   * The kind of failure.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }

  /**
   * The OAuth {@code error} field of Entra's response.
   *
   * @return {@code invalid_request}, {@code invalid_client}, ...; empty when Entra sent none
   */
  public Optional<String> oauthError() {
    return Optional.ofNullable(oauthError);
  }

  /**
   * Entra's correlation ID: quote it in a support request to Microsoft.
   *
   * @return the correlation ID, empty when Entra sent none
   */
  public Optional<String> correlationId() {
    return Optional.ofNullable(correlationId);
  }
}
