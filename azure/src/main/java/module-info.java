/**
 * Azure credentials from the pod's projected service-account token: {@link
 * io.workloadidentity.azure.AzureWorkloadIdentityCredential}, an azure-identity {@code
 * TokenCredential} that presents the token to Entra ID as a client assertion.
 *
 * <p>Only {@code io.workloadidentity.azure} is API; {@code io.workloadidentity.azure.internal} is not
 * exported.
 */
@SuppressWarnings("requires-automatic") // msal4j names itself in its manifest
module io.workloadidentity.azure {
  requires transitive io.workloadidentity.core;
  // TokenCredential, AccessToken, TokenRequestContext and HttpClient appear in the public API.
  requires transitive com.azure.core;
  requires com.azure.identity;
  requires com.azure.core.http.jdk.httpclient;
  requires com.azure.json;
  requires com.microsoft.aad.msal4j;
  requires reactor.core; // TokenCredential.getToken returns a Mono
  requires java.net.http; // the default transport

  exports io.workloadidentity.azure;

  provides io.workloadidentity.core.spi.CredentialsProvider with
      io.workloadidentity.azure.internal.AzureCredentialsProvider;
}
