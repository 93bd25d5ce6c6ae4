package io.workloadidentity.spring.boot;

import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The context runner every starter test starts from: all of the starter's auto-configurations. */
final class Contexts {
  private Contexts() {}

  static ApplicationContextRunner runner() {
    return new ApplicationContextRunner()
        .withConfiguration(AutoConfigurations.of(WorkloadIdentityAutoConfiguration.class,
            AwsWorkloadIdentityAutoConfiguration.class, AzureWorkloadIdentityAutoConfiguration.class,
            GcpWorkloadIdentityAutoConfiguration.class, WorkloadIdentityMetricsAutoConfiguration.class,
            WorkloadIdentityHealthAutoConfiguration.class))
        // An upper-case property is a variable to the cloud modules: this one keeps Google detection
        // from looking at this machine's DMI and DNS files, so results do not depend on the host.
        .withPropertyValues("NO_GCE_CHECK=true");
  }
}
