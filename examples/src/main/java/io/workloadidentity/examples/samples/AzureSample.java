package io.workloadidentity.examples.samples;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.BearerTokenAuthenticationPolicy;
import com.azure.core.util.Context;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import java.nio.file.Path;
import java.time.Duration;
import java.time.OffsetDateTime;
import javax.net.ssl.SSLContext;

/**
 * Azure in an AKS pod with workload identity: the webhook set {@code AZURE_CLIENT_ID}, {@code
 * AZURE_TENANT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE} and {@code AZURE_AUTHORITY_HOST}. Every Azure
 * SDK client takes the credential ({@code new SecretClientBuilder().credential(credential)}); {@link
 * #get} makes a call the way those clients do underneath, through azure-core's pipeline. The READMEs
 * quote the tagged regions verbatim; {@code AzureSampleTest} runs each one.
 */
public final class AzureSample {
  private AzureSample() {}

  /**
   * An authenticated GET of a Key Vault URL (the root README's sample).
   *
   * @param vaultUrl the URL to get
   * @return the response body
   */
  // tag::get[]
  public static String get(String vaultUrl) {
    try (AzureWorkloadIdentityCredential credential = AzureWorkloadIdentityCredential.create()) {
      // Any Azure SDK client: new SecretClientBuilder().vaultUrl(vaultUrl).credential(credential).buildClient();
      // underneath, they authenticate requests like this:
      HttpPipeline pipeline = new HttpPipelineBuilder()
          .policies(new BearerTokenAuthenticationPolicy(credential, "https://vault.azure.net/.default"))
          .build();
      try (HttpResponse response = pipeline.sendSync(new HttpRequest(HttpMethod.GET, vaultUrl), Context.NONE)) {
        return response.getBodyAsBinaryData().toString();
      }
    }
  }
  // end::get[]

  /**
   * The credential's life cycle and a token for Key Vault (the Azure README's usage).
   *
   * @return when the token expires
   */
  // tag::usage[]
  public static OffsetDateTime tokenExpiry() {
    // Reads AZURE_CLIENT_ID, AZURE_TENANT_ID, AZURE_FEDERATED_TOKEN_FILE, AZURE_AUTHORITY_HOST (the AKS webhook's variables).
    try (AzureWorkloadIdentityCredential credential = AzureWorkloadIdentityCredential.create()) {
      // Every Azure SDK client takes it:
      //   new SecretClientBuilder().vaultUrl(url).credential(credential).buildClient()
      //   new BlobServiceClientBuilder().endpoint(url).credential(credential).buildClient()
      // and asks it for tokens like this (cached, refreshed in the background):
      AccessToken token = credential.getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net/.default"));
      return token.getExpiresAt();
    } // closing it (at shutdown) stops the background refresh and the token-file watch
  }
  // end::usage[]

  /**
   * Every setting explicit; each unset one falls back to the environment.
   *
   * @return the credential, not yet used (close it)
   */
  // tag::builder[]
  public static AzureWorkloadIdentityCredential explicitSettings() {
    return AzureWorkloadIdentityCredential.builder()
        .tenantId("72f988bf-86f1-41af-91ab-2d7cd011db47")
        .clientId("5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11")
        .tokenFile(Path.of("/var/run/secrets/azure/tokens/azure-identity-token"))
        .authorityHost("https://login.microsoftonline.us/")   // Azure US Government; Azure China: https://login.chinacloudapi.cn/
        .build();
  }
  // end::builder[]

  /**
   * A credential on an azure-core HTTP client of your own.
   *
   * @param trust the TLS trust for the authority host
   * @return the credential, not yet used (close it)
   */
  // tag::http-client[]
  public static AzureWorkloadIdentityCredential ownHttpClient(SSLContext trust) {
    // com.azure.core.http.HttpClient (not java.net.http's), here built on a JDK client with your own TLS trust.
    HttpClient http = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(trust))
        .connectionTimeout(Duration.ofSeconds(5))
        .build();
    return AzureWorkloadIdentityCredential.builder().httpClient(http).build();
  }
  // end::http-client[]
}
