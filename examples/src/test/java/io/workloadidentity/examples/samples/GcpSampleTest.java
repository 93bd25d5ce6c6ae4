package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.net.InetAddress;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs the samples as written: the credentials file (named by a system property) points at the testkit. */
class GcpSampleTest {
  static final String SA = "orders@demo.iam.gserviceaccount.com";

  @TempDir Path dir;
  SSLSocketFactory previous;
  KubernetesCluster cluster;
  FakeGcp gcp;
  ProjectedVolume volume;

  @BeforeEach
  void pod() throws Exception {
    previous = HttpsURLConnection.getDefaultSSLSocketFactory();
    cluster = KubernetesCluster.start();
    gcp = FakeGcp.start();
    String audience = gcp.addProvider("pool", "cluster", cluster.issuer());
    volume = cluster.projectedVolume(dir.resolve("token"),
        TokenSpec.builder().namespace("shop").serviceAccount("orders").audiences("https:" + audience).build());
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, "system:serviceaccount:shop:orders"));
    Path config = Files.writeString(dir.resolve("credential-configuration.json"), "{\"type\": \"external_account\","
        + "\"audience\": \"" + audience + "\", \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\","
        + "\"token_url\": \"" + gcp.stsUrl() + "\", \"service_account_impersonation_url\": \"" + gcp.impersonationUrl(SA) + "\","
        + "\"credential_source\": {\"file\": \"" + volume.tokenFile() + "\"}}");
    System.setProperty("workloadidentity.gcp.credentials", config.toString());
  }

  @AfterEach
  void stop() {
    System.clearProperty("workloadidentity.gcp.credentials");
    HttpsURLConnection.setDefaultSSLSocketFactory(previous);
    volume.close();
    gcp.close();
    cluster.close();
  }

  private String serviceAccountOf(String bearer) {
    return gcp.tokenInfo(bearer).orElseThrow().serviceAccount();
  }

  @Test
  void theRootReadmeSampleCallsAnApiWithAFederatedImpersonatedToken() throws Exception {
    try (MockWebServer api = new MockWebServer()) {
      api.enqueue(new MockResponse.Builder().code(200).body("{\"items\": []}").build());
      api.start(InetAddress.getLoopbackAddress(), 0);
      HttpsURLConnection.setDefaultSSLSocketFactory(gcp.sslSocketFactory()); // trust the testkit's CA
      assertThat(GcpSample.get("http://127.0.0.1:" + api.getPort() + "/storage/v1/b?project=demo")).isEqualTo("{\"items\": []}");
      RecordedRequest call = api.takeRequest();
      assertThat(serviceAccountOf(call.getHeaders().get("Authorization").substring("Bearer ".length()))).isEqualTo(SA);
    }
  }

  @Test
  void theUsageSampleReturnsABearerHeader() throws Exception {
    HttpsURLConnection.setDefaultSSLSocketFactory(gcp.sslSocketFactory());
    String authorization = GcpSample.requestHeaders().get("Authorization").get(0);
    assertThat(serviceAccountOf(authorization.substring("Bearer ".length()))).isEqualTo(SA);
  }

  @Test
  void theBuilderSampleBuildsWithoutAnyCall() {
    System.clearProperty("workloadidentity.gcp.credentials"); // the sample configures everything itself
    try (GcpWorkloadIdentityCredentials credentials = GcpSample.withoutConfigurationFile()) {
      assertThat(credentials.toString()).contains("my-pool");
    }
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isZero();
  }

  @Test
  void theTransportSampleExchangesThroughTheCallersTransport() throws Exception {
    // No default trust here: only the transport the sample builds trusts the testkit's CA.
    try (GcpWorkloadIdentityCredentials credentials = GcpSample.ownTransport(gcp.sslSocketFactory())) {
      String authorization = credentials.getRequestMetadata(URI.create("https://storage.googleapis.com")).get("Authorization").get(0);
      assertThat(serviceAccountOf(authorization.substring("Bearer ".length()))).isEqualTo(SA);
    }
  }
}
