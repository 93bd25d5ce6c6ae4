package io.workloadidentity.azure;

/**
 * Entra ID does not know the configured tenant (AADSTS90002): {@code AZURE_TENANT_ID} is wrong, or the
 * authority host is another cloud's (public, Azure China, Azure US Government). Not retryable.
 */
public class TenantNotFoundException extends AzureTokenException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; see {@link AzureTokenException#AzureTokenException} for the parameters. */
  public TenantNotFoundException(String message, String errorCode, String oauthError, int httpStatus,
      String correlationId, String explanation, boolean retryable, Throwable cause) {
    super(message, errorCode, oauthError, httpStatus, correlationId, explanation, retryable, cause);
  }
}
