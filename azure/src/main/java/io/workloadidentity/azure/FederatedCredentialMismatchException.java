package io.workloadidentity.azure;

/**
 * Entra ID found no federated identity credential on the application that matches the presented token:
 * AADSTS70021, or its specific variants AADSTS700211 (issuer), AADSTS700212 (audience) and
 * AADSTS700213 (subject). The message quotes the token's exact {@code iss}, {@code sub} and {@code
 * aud}, which is what the federated credential must contain. Not retryable, except that a credential
 * created minutes ago may still be propagating; the cache keeps retrying at its slowest backoff.
 */
public class FederatedCredentialMismatchException extends AzureTokenException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; see {@link AzureTokenException#AzureTokenException} for the parameters. */
  public FederatedCredentialMismatchException(String message, String errorCode, String oauthError, int httpStatus,
      String correlationId, String explanation, boolean retryable, Throwable cause) {
    super(message, errorCode, oauthError, httpStatus, correlationId, explanation, retryable, cause);
  }
}
