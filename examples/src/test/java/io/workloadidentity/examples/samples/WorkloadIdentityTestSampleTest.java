package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.WorkloadIdentityTest;
import java.time.Duration;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** The testkit README's {@code @WorkloadIdentityTest} snippet: a test class, here nested so that it keeps its README name. */
class WorkloadIdentityTestSampleTest {
  @Nested
  // tag::annotation[]
  @WorkloadIdentityTest(audiences = "sts.amazonaws.com", namespace = "payments", serviceAccount = "api")
  class MyTest {
    @Test
    void rotates(ProjectedVolume volume, KubernetesCluster cluster, TestClock clock) {
      ProjectedToken first = volume.current();
      clock.advance(Duration.ofMinutes(50));  // past 80 % of the one-hour token
      volume.rotateIfDue();                    // what the kubelet does
      assertThat(volume.current().fingerprint()).isNotEqualTo(first.fingerprint());
      assertThat(volume.current().subject()).isEqualTo("system:serviceaccount:payments:api");
      assertThat(volume.current().issuer()).isEqualTo(cluster.issuer());
    }
  }
  // end::annotation[]
}
