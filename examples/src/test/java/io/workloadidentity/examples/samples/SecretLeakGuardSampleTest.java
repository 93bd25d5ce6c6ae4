package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The testkit README's {@code SecretLeakGuard} snippets: the plain extension and a configured one. */
class SecretLeakGuardSampleTest {
  static final String ROLE = "arn:aws:iam::111122223333:role/app";

  /** Credentials from the fake STS, logged the way an application might log them: without the secrets. */
  static String useAndLog(Path dir) {
    try (KubernetesCluster cluster = KubernetesCluster.start();
        FakeAwsSts sts = FakeAwsSts.start();
        ProjectedVolume volume = cluster.projectedVolume(dir, TokenSpec.of("sts.amazonaws.com"))) {
      sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:default:default");
      try (AwsWebIdentityCredentialsProvider credentials = AwsWebIdentityCredentialsProvider.builder()
          .environment(Environment.of(Map.of())).roleArn(ROLE).tokenFile(volume.tokenFile())
          .region("us-east-1").stsEndpoint(sts.endpoint()).build()) {
        String accessKey = credentials.resolveCredentials().accessKeyId();
        System.getLogger("my.app").log(System.Logger.Level.INFO, "got credentials " + accessKey + " via " + credentials);
        return accessKey;
      }
    }
  }

  @Nested
  // tag::extend-with[]
  @ExtendWith(SecretLeakGuard.class)
  class MyProviderTest {
    @Test
    void logsNoSecret(@TempDir Path dir) {
      assertThat(useAndLog(dir)).startsWith("ASIA");
    }
  }
  // end::extend-with[]
}
