package io.workloadidentity.azure;

import io.workloadidentity.core.CredentialExchangeException;
import java.util.Optional;

/**
 * Microsoft Entra ID refused, or could not be asked, to exchange the projected service-account token
 * for an access token. This is the base type; the failures a user can fix have subtypes:
 * {@link FederatedCredentialMismatchException} (AADSTS70021 and its issuer/subject/audience
 * variants), {@link AssertionTimeRangeException} (AADSTS700024), {@link ApplicationNotFoundException}
 * (AADSTS700016) and {@link TenantNotFoundException} (AADSTS90002). Throttling, Entra outages and
 * network failures arrive as this base type with {@link #retryable()} {@code true}.
 *
 * <p>The {@linkplain #getMessage() message} says what happened, what it means and what to do;
 * {@link #explanation()} is the "what it means and what to do" part alone, for tools that print
 * their own headline. {@link #code()} is the {@code AADSTS} code (for example {@code
 * AADSTS70021}) when Entra sent one, else the OAuth {@code error}. Neither ever contains the
 * projected token or an access token. Immutable.
 */
public class AzureTokenException extends CredentialExchangeException {
  private static final long serialVersionUID = 1L;

  private final String oauthError;
  private final String correlationId;
  private final String explanation;

  /**
   * Creates the exception. Used by this library; public so that tests and tools can build one.
   *
   * @param message the full message: headline, explanation, correlation ID
   * @param errorCode the {@code AADSTS} code such as {@code AADSTS70021}, else the OAuth error, or {@code null}
   * @param oauthError the OAuth {@code error} field such as {@code invalid_request}, or {@code null}
   * @param httpStatus the HTTP status, or {@code -1} when no response was received
   * @param correlationId Entra's correlation ID, or {@code null}
   * @param explanation what the failure means and how to fix it
   * @param retryable whether the same request may succeed later without a configuration change
   * @param cause the underlying MSAL or I/O exception, or {@code null}
   */
  public AzureTokenException(String message, String errorCode, String oauthError, int httpStatus, String correlationId,
      String explanation, boolean retryable, Throwable cause) {
    super(message, "azure", errorCode, httpStatus, retryable, cause);
    this.oauthError = oauthError;
    this.correlationId = correlationId;
    this.explanation = explanation;
  }

  /** The OAuth {@code error} field of Entra's response ({@code invalid_request}, {@code invalid_client}, ...). */
  public Optional<String> oauthError() {
    return Optional.ofNullable(oauthError);
  }

  /** Entra's correlation ID: quote it in a support request to Microsoft. */
  public Optional<String> correlationId() {
    return Optional.ofNullable(correlationId);
  }

  /** What the failure means and what to do about it, without the headline. */
  public String explanation() {
    return explanation;
  }
}
