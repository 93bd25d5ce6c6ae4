package io.workloadidentity.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.spring.boot.internal.HealthView;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.diagnostics.FailureAnalysis;

/** The Azure part of the starter against the testkit's cluster and Entra ID. */
@ExtendWith(SecretLeakGuard.class)
class AzureAutoConfigurationTest {
  static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";

  @TempDir Path dir;

  @Test
  void registersATokenCredentialFromPropertiesThatGetsEntraTokens() throws Exception {
    CacheEvents events = CacheEvents.withTimeout(Duration.ofSeconds(10));
    try (KubernetesCluster cluster = KubernetesCluster.start();
        FakeEntraId entra = FakeEntraId.start();
        ProjectedVolume volume = cluster.projectedVolume(dir, TokenSpec.builder().namespace("shop").serviceAccount("orders")
            .audiences(FakeEntraId.DEFAULT_AUDIENCE).build())) {
      entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), "system:serviceaccount:shop:orders");
      // What an application behind a TLS-inspecting proxy would do too: its own HTTP client.
      WorkloadIdentityCustomizer<AzureWorkloadIdentityCredential.Builder> trustTheFake = b -> b.httpClient(
          new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(entra.sslContext())).build());
      Contexts.customizer(Contexts.runner(), "trustTheFake", AzureWorkloadIdentityCredential.Builder.class, trustTheFake)
          .withBean("testEvents", CredentialListenerFactory.class, () -> cloud -> events)
          .withPropertyValues("workload-identity.azure.client-id=" + CLIENT, "workload-identity.azure.tenant-id=" + TENANT,
              "workload-identity.azure.token-file=" + volume.tokenFile(),
              "workload-identity.azure.authority-host=" + entra.authorityHost())
          .run(context -> {
            assertThat(context).hasNotFailed().hasSingleBean(TokenCredential.class);
            TokenCredential credential = context.getBean(TokenCredential.class);
            assertThat(credential).isInstanceOf(AzureWorkloadIdentityCredential.class);
            assertThat(HealthProbe.read(context, "azure").status()).isEqualTo(HealthView.UNKNOWN);

            AccessToken token = credential.getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net/.default"));
            assertThat(entra.verifyAccessToken(token.getToken()).getAudience()).containsExactly("https://vault.azure.net");
            events.awaitRefreshed();
            HealthView up = SecretLeakGuard.inspect(HealthProbe.read(context, "azure"));
            assertThat(up.status()).isEqualTo(HealthView.UP);
            assertThat((Long) up.details().get("secondsToExpiry")).isPositive();
          });
    }
  }

  @Test
  void aClientIdWithoutTheWebhooksOtherVariablesFailsStartupWithTheReport() {
    Contexts.runner().withPropertyValues("AZURE_CLIENT_ID=" + CLIENT).run(context -> {
      assertThat(context).hasFailed();
      FailureAnalysis analysis = new WorkloadIdentityFailureAnalyzer().analyze(context.getStartupFailure());
      assertThat(analysis.getDescription()).contains("Workload identity for azure", "AZURE_FEDERATED_TOKEN_FILE");
      assertThat(analysis.getAction()).contains("workload-identity.azure.enabled=false");
    });
  }

  @Test
  void aClientSecretIsAnotherCredentialsBusiness() {
    Contexts.runner().withPropertyValues("AZURE_CLIENT_ID=" + CLIENT, "AZURE_TENANT_ID=" + TENANT, "AZURE_CLIENT_SECRET=s3cr3t")
        .run(context -> assertThat(context).hasNotFailed().doesNotHaveBean(TokenCredential.class));
  }
}
