package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the sample as written: the credentials file (named by a system property) points at the testkit. */
class GcpSampleTest {
  @TempDir Path dir;

  @Test
  void theSampleCallsAnApiWithAFederatedImpersonatedToken() throws Exception {
    String sa = "orders@demo.iam.gserviceaccount.com";
    SSLSocketFactory previous = HttpsURLConnection.getDefaultSSLSocketFactory();
    try (KubernetesCluster cluster = KubernetesCluster.start();
        FakeGcp gcp = FakeGcp.start();
        MockWebServer api = new MockWebServer()) {
      String audience = gcp.addProvider("pool", "cluster", cluster.issuer());
      ProjectedVolume volume = cluster.projectedVolume(dir.resolve("token"),
          TokenSpec.builder().namespace("shop").serviceAccount("orders").audiences("https:" + audience).build());
      gcp.grantWorkloadIdentityUser(sa, gcp.principal(audience, "system:serviceaccount:shop:orders"));
      Path config = Files.writeString(dir.resolve("credential-configuration.json"), "{\"type\": \"external_account\","
          + "\"audience\": \"" + audience + "\", \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\","
          + "\"token_url\": \"" + gcp.stsUrl() + "\", \"service_account_impersonation_url\": \"" + gcp.impersonationUrl(sa) + "\","
          + "\"credential_source\": {\"file\": \"" + volume.tokenFile() + "\"}}");
      api.enqueue(new MockResponse.Builder().code(200).body("{\"items\": []}").build());
      api.start(java.net.InetAddress.getLoopbackAddress(), 0);
      HttpsURLConnection.setDefaultSSLSocketFactory(gcp.sslSocketFactory()); // trust the testkit's CA
      System.setProperty("workloadidentity.gcp.credentials", config.toString());
      try {
        assertThat(GcpSample.get("http://127.0.0.1:" + api.getPort() + "/storage/v1/b?project=demo")).isEqualTo("{\"items\": []}");
      } finally {
        System.clearProperty("workloadidentity.gcp.credentials");
        HttpsURLConnection.setDefaultSSLSocketFactory(previous);
        volume.close();
      }
      RecordedRequest call = api.takeRequest();
      String bearer = call.getHeaders().get("Authorization").substring("Bearer ".length());
      assertThat(gcp.tokenInfo(bearer)).hasValueSatisfying(t -> assertThat(t.serviceAccount()).isEqualTo(sa));
    }
  }
}
