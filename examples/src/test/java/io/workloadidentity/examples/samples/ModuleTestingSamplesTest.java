package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The "Testing your code" snippets of the AWS and Google Cloud READMEs, as the tests they are. */
class ModuleTestingSamplesTest {
  // tag::aws[]
  @Test
  void servesCredentialsThroughAThrottledRefresh(@TempDir Path tempDir) {
    TestClock clock = TestClock.create();
    try (KubernetesCluster cluster = KubernetesCluster.builder().clock(clock).build();
        FakeAwsSts sts = FakeAwsSts.builder().clock(clock).build()) {
      sts.trustIssuer(cluster.issuer()).role("arn:aws:iam::111122223333:role/app", "system:serviceaccount:default:app");
      ProjectedVolume volume = cluster.projectedVolume(tempDir, TokenSpec.builder()
          .serviceAccount("app").audiences("sts.amazonaws.com").build());

      try (var credentials = AwsWebIdentityCredentialsProvider.builder()
          .roleArn("arn:aws:iam::111122223333:role/app").tokenFile(volume.tokenFile())
          .region("us-west-2").stsEndpoint(sts.endpoint()).clock(clock).build()) {
        String accessKey = credentials.resolveCredentials().accessKeyId();
        sts.faults().failAlways(Fault.throttled());
        clock.advance(Duration.ofMinutes(50));  // refresh due; STS throttles every call
        assertThat(credentials.resolveCredentials().accessKeyId()).isEqualTo(accessKey);
      }
    }
  }
  // end::aws[]

  // tag::gcp[]
  @Test
  void exchangesTheProjectedTokenWithGoogle(@TempDir Path tempDir) throws Exception {
    TestClock clock = TestClock.create();
    try (KubernetesCluster cluster = KubernetesCluster.builder().clock(clock).build();
        FakeGcp gcp = FakeGcp.builder().clock(clock).build()) {
      String audience = gcp.addProvider("pool", "cluster", cluster.issuer());
      ProjectedVolume volume = cluster.projectedVolume(tempDir, TokenSpec.of("https:" + audience));
      HttpTransport transport = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory()).build();

      try (GcpWorkloadIdentityCredentials credentials = GcpWorkloadIdentityCredentials.builder()
          .audience(audience).tokenFile(volume.tokenFile())
          .stsEndpoint(gcp.stsUrl()).iamEndpoint(gcp.iamUrl())
          .httpTransportFactory(() -> transport).clock(clock).build()) {
        String authorization = credentials.getRequestMetadata(URI.create("https://storage.googleapis.com"))
            .get("Authorization").get(0);
        assertThat(gcp.tokenInfo(authorization.substring("Bearer ".length()))).isPresent();
      }
    }
  }
  // end::gcp[]
}
