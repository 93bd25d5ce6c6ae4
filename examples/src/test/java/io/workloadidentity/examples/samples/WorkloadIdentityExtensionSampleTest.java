package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.TokenSpec;
import io.workloadidentity.testkit.WorkloadIdentityExtension;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The testkit README's {@code WorkloadIdentityExtension.builder()} snippet, with a type of your own injected. */
class WorkloadIdentityExtensionSampleTest {
  // tag::builder[]
  /** A type of your own, injected like the testkit's. */
  record MyService(String issuer) {}

  @RegisterExtension
  static WorkloadIdentityExtension wi = WorkloadIdentityExtension.builder()
      .tokenSpec(TokenSpec.builder().audiences("api://AzureADTokenExchange").build())
      .https(true)
      .provide(MyService.class, r -> new MyService(r.cluster().issuer()))
      .build();

  @Test
  void myServiceTrustsTheCluster(MyService service, KubernetesCluster cluster) {
    assertThat(service.issuer()).isEqualTo(cluster.issuer()).startsWith("https://");
  }
  // end::builder[]
}
