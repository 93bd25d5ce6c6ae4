package io.workloadidentity.azure;

/**
 * Entra ID rejected the projected token as outside its valid time range (AADSTS700024). The credential
 * has already re-read the token file and retried once when this surfaces. The message says whether the
 * token file itself has expired (the kubelet stopped rotating it) or whether this machine's clock
 * disagrees with Entra's.
 */
public class AssertionTimeRangeException extends AzureTokenException {
  private static final long serialVersionUID = 1L;

  /** Creates the exception; see {@link AzureTokenException#AzureTokenException} for the parameters. */
  public AssertionTimeRangeException(String message, String errorCode, String oauthError, int httpStatus,
      String correlationId, String explanation, boolean retryable, Throwable cause) {
    super(message, errorCode, oauthError, httpStatus, correlationId, explanation, retryable, cause);
  }
}
