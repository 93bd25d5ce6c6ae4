package io.workloadidentity.examples.samples;

import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.BearerTokenAuthenticationPolicy;
import com.azure.core.util.Context;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;

/**
 * Azure in an AKS pod with workload identity: the webhook set {@code AZURE_CLIENT_ID}, {@code
 * AZURE_TENANT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE} and {@code AZURE_AUTHORITY_HOST}. Every Azure
 * SDK client takes the credential ({@code new SecretClientBuilder().credential(credential)}); this
 * sample makes a call the way those clients do underneath, through azure-core's pipeline.
 */
public final class AzureSample {
  private AzureSample() {}

  /** The lines the README quotes: an authenticated GET of a Key Vault URL. */
  public static String get(String vaultUrl) {
    try (AzureWorkloadIdentityCredential credential = AzureWorkloadIdentityCredential.create()) {
      HttpPipeline pipeline = new HttpPipelineBuilder()
          .policies(new BearerTokenAuthenticationPolicy(credential, "https://vault.azure.net/.default"))
          .build();
      try (HttpResponse response = pipeline.sendSync(new HttpRequest(HttpMethod.GET, vaultUrl), Context.NONE)) {
        return response.getBodyAsBinaryData().toString();
      }
    }
  }
}
