package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import io.workloadidentity.testkit.internal.TestCertificates;
import java.nio.file.Path;
import java.util.Map;
import javax.net.ssl.SSLContext;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the sample as written ({@code create()}): system properties (named like the variables) point it at the testkit's Entra
 * endpoint, and a stand-in "Key Vault" on HTTPS records the bearer token it receives.
 */
class AzureSampleTest {
  private static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  private static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";

  @TempDir Path dir;

  @Test
  void theSampleCallsKeyVaultWithAnEntraTokenFromTheProjectedToken() throws Exception {
    SSLContext previous = SSLContext.getDefault();
    try (KubernetesCluster cluster = KubernetesCluster.start();
        FakeEntraId entra = FakeEntraId.start();
        MockWebServer vault = new MockWebServer()) {
      entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), "system:serviceaccount:shop:orders");
      ProjectedVolume volume = cluster.projectedVolume(dir, TokenSpec.builder().namespace("shop").serviceAccount("orders")
          .audiences(FakeEntraId.DEFAULT_AUDIENCE).build());
      vault.useHttps(TestCertificates.serverCertificates().sslSocketFactory());
      vault.enqueue(new MockResponse.Builder().code(200).body("{\"value\": []}").build());
      vault.start(java.net.InetAddress.getLoopbackAddress(), 0);
      Map<String, String> props = Map.of(
          "AZURE_CLIENT_ID", CLIENT, "AZURE_TENANT_ID", TENANT,
          "AZURE_FEDERATED_TOKEN_FILE", volume.tokenFile().toString(), "AZURE_AUTHORITY_HOST", entra.authorityHost());
      props.forEach(System::setProperty);
      SSLContext.setDefault(entra.sslContext()); // the JVM trusts the testkit's CA for this test
      try {
        assertThat(AzureSample.get("https://127.0.0.1:" + vault.getPort() + "/secrets?api-version=7.4")).isEqualTo("{\"value\": []}");
      } finally {
        props.keySet().forEach(System::clearProperty);
        SSLContext.setDefault(previous);
        volume.close();
      }
      RecordedRequest call = vault.takeRequest();
      String bearer = call.getHeaders().get("Authorization").substring("Bearer ".length());
      assertThat(entra.verifyAccessToken(bearer).getAudience()).containsExactly("https://vault.azure.net");
    }
  }
}
