package io.workloadidentity.aws;

import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;

/**
 * A cluster, its projected token volume and a fake STS trusting it, sharing one test clock. Each
 * testbed has its own clock, so providers of different tests never share an STS session.
 */
final class Testbed implements AutoCloseable {
  static final String ROLE = "arn:aws:iam::111122223333:role/orders";
  static final String SUBJECT = "system:serviceaccount:shop:orders";
  static final String POD = "orders-7d9f8c6b5-x2x4q";

  final TestClock clock = TestClock.create();
  final KubernetesCluster cluster = KubernetesCluster.builder().clock(clock).build();
  final FakeAwsSts sts;
  final TokenSpec spec;
  final ProjectedVolume volume;

  Testbed(Path dir) {
    this(dir, Duration.ofHours(24));
  }

  /** A volume whose tokens live {@code tokenLifetime} (EKS's default is 24 h). */
  Testbed(Path dir, Duration tokenLifetime) {
    sts = FakeAwsSts.builder().clock(clock).build();
    sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:shop:*");
    spec = TokenSpec.builder().namespace("shop").serviceAccount("orders").podName(POD)
        .audiences("sts.amazonaws.com").lifetime(tokenLifetime).build();
    volume = cluster.projectedVolume(dir, spec);
  }

  /** A builder pointed at this testbed, isolated from the process environment. */
  AwsWebIdentityCredentialsProvider.Builder provider() {
    return AwsWebIdentityCredentialsProvider.builder()
        .environment(Environment.of(Map.of()))
        .roleArn(ROLE)
        .tokenFile(volume.tokenFile())
        .region("us-west-2")
        .stsEndpoint(sts.endpoint())
        .clock(clock);
  }

  @Override
  public void close() {
    volume.close();
    sts.close();
    cluster.close();
  }
}
