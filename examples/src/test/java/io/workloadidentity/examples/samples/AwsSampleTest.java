package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.util.Map;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the sample exactly as written ({@code create()}, no test hooks), configured the way the SDK
 * allows: system properties (which win over the webhook's variables) point it at the testkit's STS
 * and at a recording stand-in for S3.
 */
class AwsSampleTest {
  @TempDir Path dir;

  @Test
  void theSampleListsBucketsWithCredentialsFromTheProjectedToken() throws Exception {
    try (KubernetesCluster cluster = KubernetesCluster.start();
        FakeAwsSts sts = FakeAwsSts.start();
        ProjectedVolume volume = cluster.projectedVolume(dir, TokenSpec.builder().namespace("shop")
            .serviceAccount("orders").audiences("sts.amazonaws.com").build());
        MockWebServer s3 = new MockWebServer()) {
      sts.trustIssuer(cluster.issuer()).role("arn:aws:iam::111122223333:role/orders", "system:serviceaccount:shop:orders");
      s3.enqueue(new MockResponse.Builder().code(200).addHeader("Content-Type", "application/xml")
          .body("<ListAllMyBucketsResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\"><Buckets>"
              + "<Bucket><Name>orders-archive</Name><CreationDate>2026-01-01T00:00:00.000Z</CreationDate></Bucket>"
              + "</Buckets><Owner><ID>x</ID></Owner></ListAllMyBucketsResult>").build());
      s3.start(java.net.InetAddress.getLoopbackAddress(), 0);
      Map<String, String> props = Map.of(
          "aws.roleArn", "arn:aws:iam::111122223333:role/orders",
          "aws.webIdentityTokenFile", volume.tokenFile().toString(),
          "aws.region", "us-west-2",
          "aws.endpointUrlSts", sts.endpoint().toString(),
          "aws.endpointUrlS3", "http://127.0.0.1:" + s3.getPort());
      props.forEach(System::setProperty);
      try {
        assertThat(AwsSample.bucketNames()).containsExactly("orders-archive");
      } finally {
        props.keySet().forEach(System::clearProperty);
      }
      RecordedRequest listBuckets = s3.takeRequest();
      String accessKey = sts.issued().get(0).accessKeyId();
      assertThat(listBuckets.getHeaders().get("Authorization")).contains("Credential=" + accessKey + "/");
      assertThat(listBuckets.getHeaders().get("X-Amz-Security-Token")).isEqualTo(sts.issued().get(0).sessionToken());
    }
  }
}
