package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLSocketFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** One pod, two projected tokens (one per audience), two clouds: the sample as written, configured by system properties. */
class CrossCloudSampleTest {
  @TempDir Path dir;

  @Test
  void oneDetectionServesAwsAndGoogleCloud() throws Exception {
    SSLSocketFactory previous = HttpsURLConnection.getDefaultSSLSocketFactory();
    try (KubernetesCluster cluster = KubernetesCluster.start();
        FakeAwsSts sts = FakeAwsSts.start();
        FakeGcp gcp = FakeGcp.start()) {
      TokenSpec.Builder orders = TokenSpec.builder().namespace("shop").serviceAccount("orders");
      ProjectedVolume awsToken = cluster.projectedVolume(dir.resolve("aws"), orders.audiences("sts.amazonaws.com").build());
      String audience = gcp.addProvider("pool", "cluster", cluster.issuer());
      ProjectedVolume gcpToken = cluster.projectedVolume(dir.resolve("gcp"), orders.audiences("https:" + audience).build());
      sts.trustIssuer(cluster.issuer()).role("arn:aws:iam::111122223333:role/orders", "system:serviceaccount:shop:orders");
      Path config = Files.writeString(dir.resolve("gcp.json"), "{\"type\": \"external_account\", \"audience\": \"" + audience
          + "\", \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\", \"token_url\": \"" + gcp.stsUrl()
          + "\", \"credential_source\": {\"file\": \"" + gcpToken.tokenFile() + "\"}}");
      Map<String, String> props = Map.of(
          "aws.roleArn", "arn:aws:iam::111122223333:role/orders",
          "aws.webIdentityTokenFile", awsToken.tokenFile().toString(),
          "aws.region", "us-west-2",
          "aws.endpointUrlSts", sts.endpoint().toString(),
          "workloadidentity.gcp.credentials", config.toString());
      props.forEach(System::setProperty);
      HttpsURLConnection.setDefaultSSLSocketFactory(gcp.sslSocketFactory());
      try {
        String report = CrossCloudSample.useBothClouds();
        assertThat(report).contains("aws: detected", "gcp: detected");
      } finally {
        props.keySet().forEach(System::clearProperty);
        HttpsURLConnection.setDefaultSSLSocketFactory(previous);
        awsToken.close();
        gcpToken.close();
      }
      assertThat(sts.assumeRoleRequests()).hasSize(1);
      assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);
    }
  }
}
