package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.testkit.FakeAwsPodIdentityAgent;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.net.InetAddress;
import java.nio.file.Path;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the samples exactly as written ({@code create()}, no test hooks), configured the way the SDK
 * allows: system properties (which win over the webhook's variables) point them at the testkit's STS
 * and at a recording stand-in for S3.
 */
class AwsSampleTest {
  static final String ROLE = "arn:aws:iam::111122223333:role/orders";
  static final String LIST_BUCKETS = "<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets>"
      + "<Bucket><Name>orders-archive</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>"
      + "</Buckets><Owner><ID>x</ID></Owner></ListAllMyBucketsResult>";

  @TempDir Path dir;
  KubernetesCluster cluster;
  FakeAwsSts sts;
  ProjectedVolume volume;
  MockWebServer s3;
  Map<String, String> props;

  @BeforeEach
  void pod() throws Exception {
    cluster = KubernetesCluster.start();
    sts = FakeAwsSts.start();
    volume = cluster.projectedVolume(dir.resolve("irsa"), TokenSpec.builder().namespace("shop")
        .serviceAccount("orders").audiences("sts.amazonaws.com").build());
    sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:shop:orders");
    s3 = new MockWebServer();
    s3.start(InetAddress.getLoopbackAddress(), 0);
    props = Map.of(
        "aws.roleArn", ROLE,
        "aws.webIdentityTokenFile", volume.tokenFile().toString(),
        "aws.region", "us-west-2",
        "aws.endpointUrlSts", sts.endpoint().toString(),
        "aws.endpointUrlS3", "http://127.0.0.1:" + s3.getPort());
    props.forEach(System::setProperty);
  }

  @AfterEach
  void stop() throws Exception {
    props.keySet().forEach(System::clearProperty);
    s3.close();
    volume.close();
    sts.close();
    cluster.close();
  }

  private void assertSignedWithStsCredentials(RecordedRequest request) {
    String accessKey = sts.issued().get(sts.issued().size() - 1).accessKeyId();
    assertThat(request.getHeaders().get("Authorization")).contains("Credential=" + accessKey + "/");
    assertThat(request.getHeaders().get("X-Amz-Security-Token")).isEqualTo(sts.issued().get(sts.issued().size() - 1).sessionToken());
  }

  @Test
  void theRootReadmeSampleListsBucketsWithCredentialsFromTheProjectedToken() throws Exception {
    s3.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/xml").body(LIST_BUCKETS).build());
    assertThat(AwsSample.bucketNames()).containsExactly("orders-archive");
    assertSignedWithStsCredentials(s3.takeRequest());
  }

  @Test
  void theUsageSampleCountsBucketsAndClosesItsProvider() throws Exception {
    s3.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/xml").body(LIST_BUCKETS).build());
    assertThat(AwsSample.countBuckets()).isEqualTo(1);
    assertSignedWithStsCredentials(s3.takeRequest());
  }

  @Test
  void thePodIdentitySampleGetsCredentialsFromTheAgent() {
    try (FakeAwsPodIdentityAgent agent = FakeAwsPodIdentityAgent.start();
        ProjectedVolume podIdentityToken = cluster.projectedVolume(dir.resolve("pod-identity"), TokenSpec.builder()
            .namespace("shop").serviceAccount("orders").audiences(FakeAwsPodIdentityAgent.AUDIENCE).build())) {
      agent.trustIssuer(cluster.issuer()).associate("shop", "orders", ROLE);
      Map<String, String> podIdentity = Map.of(
          "aws.containerCredentialsFullUri", agent.credentialsUrl().toString(),
          "aws.containerAuthorizationTokenFile", podIdentityToken.tokenFile().toString());
      podIdentity.forEach(System::setProperty);
      try {
        assertThat(AwsSample.podIdentityAccessKey()).isEqualTo(agent.issued().get(0).accessKeyId());
      } finally {
        podIdentity.keySet().forEach(System::clearProperty);
      }
    }
  }

  @Test
  void theBuilderSampleBuildsWithoutAnyCall() {
    try (AwsWebIdentityCredentialsProvider provider = AwsSample.explicitSettings(
        "{\"Version\":\"2012-10-17\",\"Statement\":[{\"Effect\":\"Allow\",\"Action\":\"s3:GetObject\",\"Resource\":\"*\"}]}")) {
      assertThat(provider.toString()).contains("arn:aws:iam::111122223333:role/orders");
    }
    assertThat(sts.assumeRoleRequests()).isEmpty();
  }

  @Test
  void theStsClientSampleExchangesThroughTheCallersClient() {
    // The sample's StsClient has no endpoint override: the AWS SDK reads aws.endpointUrlSts itself.
    try (AwsWebIdentityCredentialsProvider provider = AwsSample.ownStsClient()) {
      assertThat(provider.resolveCredentials().accessKeyId()).isEqualTo(sts.issued().get(0).accessKeyId());
    }
  }
}
