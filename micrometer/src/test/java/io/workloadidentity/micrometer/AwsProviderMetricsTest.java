package io.workloadidentity.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The binder behind a real SDK provider, against the testkit's STS: what an application would see. */
class AwsProviderMetricsTest {
  private static final String ROLE = "arn:aws:iam::111122223333:role/orders";

  @TempDir Path dir;

  @Test
  void metersTheProvidersExchangesAndTheirFailures() {
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    WorkloadIdentityMetrics metrics = new WorkloadIdentityMetrics();
    metrics.bindTo(registry);
    try (KubernetesCluster cluster = KubernetesCluster.start();
        FakeAwsSts sts = FakeAwsSts.start();
        ProjectedVolume volume = cluster.projectedVolume(dir, TokenSpec.builder().namespace("shop")
            .serviceAccount("orders").audiences(FakeAwsSts.STS_AUDIENCE).build())) {
      sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:shop:orders");
      Environment env = Environment.of(Map.of("AWS_REGION", "us-west-2", "AWS_ENDPOINT_URL_STS", sts.endpoint().toString()));
      try (AwsWebIdentityCredentialsProvider orders = AwsWebIdentityCredentialsProvider.builder().environment(env)
              .roleArn(ROLE).tokenFile(volume.tokenFile()).listener(metrics.listener("aws")).build();
          AwsWebIdentityCredentialsProvider billing = AwsWebIdentityCredentialsProvider.builder().environment(env)
              .roleArn("arn:aws:iam::111122223333:role/billing").tokenFile(volume.tokenFile())
              .listener(metrics.listener("aws")).build()) {
        orders.resolveCredentials();
        orders.resolveCredentials();
        assertThatThrownBy(billing::resolveCredentials).isInstanceOf(CredentialExchangeException.class);
      }

      assertThat(registry.get(WorkloadIdentityMetrics.EXCHANGES).tags("cloud", "aws", "outcome", "success")
          .functionCounter().count()).isEqualTo(1);
      assertThat(registry.get(WorkloadIdentityMetrics.EXCHANGES).tags("cloud", "aws", "outcome", "failure")
          .functionCounter().count()).isEqualTo(1);
      Meter failure = registry.get(WorkloadIdentityMetrics.FAILURES).tags("cloud", "aws").meter();
      assertThat(failure.getId().getTag("code")).as("STS's own error code").isNotEqualTo("none").matches("[A-Za-z.]+");
      assertThat(failure.getId().getTag("retryable")).isEqualTo("false");
      assertThat(registry.find(WorkloadIdentityMetrics.EXPIRY).gauges()).extracting(g -> g.getId().getTag("credential"))
          .as("one gauge per role session, labelled by its description").anySatisfy(l -> assertThat(l).contains("role/orders"));
      double seconds = registry.find(WorkloadIdentityMetrics.EXPIRY).gauges().stream()
          .filter(g -> g.getId().getTag("credential").contains("role/orders")).findFirst().orElseThrow().value();
      assertThat(seconds).as("STS's default session lasts an hour").isBetween(3500.0, 3600.0);
      assertThat(sts.assumeRoleRequests()).hasSize(2);
    }
  }
}
