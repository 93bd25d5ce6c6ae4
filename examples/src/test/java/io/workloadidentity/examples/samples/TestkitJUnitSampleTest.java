package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.WorkloadIdentityExtension;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Sample: testing your own workload-identity code with the testkit in JUnit 5. The extension starts a
 * cluster, writes a projected volume and (here) a fake STS trusting the cluster, all on one clock,
 * and injects them as parameters; each test gets fresh ones. The root README quotes the tagged region.
 */
class TestkitJUnitSampleTest {
  // tag::extension[]
  static final String ROLE = "arn:aws:iam::111122223333:role/orders";

  @RegisterExtension
  static final WorkloadIdentityExtension TESTKIT = WorkloadIdentityExtension.builder()
      .audiences("sts.amazonaws.com")
      .provide(FakeAwsSts.class, r -> FakeAwsSts.builder().clock(r.clock()).build()
          .trustIssuer(r.cluster().issuer()).role(ROLE, "system:serviceaccount:default:default"))
      .build();

  @Test
  void myCodeSurvivesAnStsOutage(ProjectedVolume volume, FakeAwsSts sts, TestClock clock) {
    try (AwsWebIdentityCredentialsProvider provider = AwsWebIdentityCredentialsProvider.builder()
        .environment(Environment.of(Map.of()))   // ignore the real process environment
        .roleArn(ROLE).tokenFile(volume.tokenFile()).region("us-east-1").stsEndpoint(sts.endpoint())
        .clock(clock)
        .build()) {
      String before = provider.resolveCredentials().accessKeyId();
      sts.faults().failAlways(Fault.throttled());
      clock.advance(Duration.ofMinutes(50)); // refresh due; STS throttles every call
      assertThat(provider.resolveCredentials().accessKeyId()).isEqualTo(before);
    }
  }
  // end::extension[]

  @Test
  void myCodeGetsCredentialsFromTheProjectedToken(ProjectedVolume volume, FakeAwsSts sts, TestClock clock) {
    try (var provider = AwsWebIdentityCredentialsProvider.builder()
        .environment(Environment.of(Map.of()))
        .roleArn(ROLE).tokenFile(volume.tokenFile()).region("us-east-1").stsEndpoint(sts.endpoint())
        .clock(clock)
        .build()) {
      assertThat(provider.resolveCredentials().accessKeyId()).isEqualTo(sts.issued().get(0).accessKeyId());
      assertThat(sts.assumeRoleRequests().get(0).form()).containsEntry("WebIdentityToken", volume.current().value());
    }
  }
}
