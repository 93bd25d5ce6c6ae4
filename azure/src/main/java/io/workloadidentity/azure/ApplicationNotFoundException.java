package io.workloadidentity.azure;

/**
 * Entra ID has no application with the configured client ID in the tenant (AADSTS700016): {@code
 * AZURE_CLIENT_ID} (the service account's {@code azure.workload.identity/client-id} annotation) is
 * wrong, or belongs to another tenant. Not retryable.
 */
public class ApplicationNotFoundException extends AzureTokenException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; see {@link AzureTokenException#AzureTokenException} for the parameters. */
  public ApplicationNotFoundException(String message, String errorCode, String oauthError, int httpStatus,
      String correlationId, String explanation, boolean retryable, Throwable cause) {
    super(message, errorCode, oauthError, httpStatus, correlationId, explanation, retryable, cause);
  }
}
