package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.TokenRequestContext;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import io.workloadidentity.testkit.internal.TestCertificates;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.OffsetDateTime;
import java.util.Map;
import javax.net.ssl.SSLContext;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the samples as written ({@code create()}): system properties (named like the variables) point them at the
 * testkit's Entra endpoint, and a stand-in "Key Vault" on HTTPS records the bearer token it receives.
 */
class AzureSampleTest {
  private static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  private static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";

  @TempDir Path dir;
  SSLContext previous;
  KubernetesCluster cluster;
  FakeEntraId entra;
  ProjectedVolume volume;
  Map<String, String> props;

  @BeforeEach
  void pod() throws Exception {
    previous = SSLContext.getDefault();
    cluster = KubernetesCluster.start();
    entra = FakeEntraId.start();
    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), "system:serviceaccount:shop:orders");
    volume = cluster.projectedVolume(dir, TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .audiences(FakeEntraId.DEFAULT_AUDIENCE).build());
    props = Map.of(
        "AZURE_CLIENT_ID", CLIENT, "AZURE_TENANT_ID", TENANT,
        "AZURE_FEDERATED_TOKEN_FILE", volume.tokenFile().toString(), "AZURE_AUTHORITY_HOST", entra.authorityHost());
    props.forEach(System::setProperty);
  }

  @AfterEach
  void stop() {
    props.keySet().forEach(System::clearProperty);
    SSLContext.setDefault(previous);
    volume.close();
    entra.close();
    cluster.close();
  }

  @Test
  void theRootReadmeSampleCallsKeyVaultWithAnEntraTokenFromTheProjectedToken() throws Exception {
    try (MockWebServer vault = new MockWebServer()) {
      vault.useHttps(TestCertificates.serverCertificates().sslSocketFactory());
      vault.enqueue(new MockResponse.Builder().code(200).body("{\"value\": []}").build());
      vault.start(InetAddress.getLoopbackAddress(), 0);
      SSLContext.setDefault(entra.sslContext()); // the JVM trusts the testkit's CA for this test
      assertThat(AzureSample.get("https://127.0.0.1:" + vault.getPort() + "/secrets?api-version=7.4")).isEqualTo("{\"value\": []}");
      RecordedRequest call = vault.takeRequest();
      String bearer = call.getHeaders().get("Authorization").substring("Bearer ".length());
      assertThat(entra.verifyAccessToken(bearer).getAudience()).containsExactly("https://vault.azure.net");
    }
  }

  @Test
  void theUsageSampleGetsAToken() {
    SSLContext.setDefault(entra.sslContext());
    assertThat(AzureSample.tokenExpiry()).isAfter(OffsetDateTime.now());
    assertThat(entra.requestCount(FakeEntraId.tokenPath(TENANT))).isEqualTo(1);
  }

  @Test
  void theBuilderSampleBuildsWithoutAnyCall() {
    try (AzureWorkloadIdentityCredential credential = AzureSample.explicitSettings()) {
      assertThat(credential.toString()).contains("5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11");
    }
  }

  @Test
  void theHttpClientSampleGetsATokenThroughTheCallersClient() {
    // No default trust here: only the client the sample builds trusts the testkit's CA.
    try (AzureWorkloadIdentityCredential credential = AzureSample.ownHttpClient(entra.sslContext())) {
      String token = credential.getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net/.default")).getToken();
      assertThat(entra.verifyAccessToken(token).getAudience()).containsExactly("https://vault.azure.net");
    }
  }
}
