package io.workloadidentity.spring.boot;

import io.micrometer.core.instrument.binder.MeterBinder;
import io.workloadidentity.micrometer.WorkloadIdentityMetrics;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Registers {@link WorkloadIdentityMetrics} when Micrometer and {@code workload-identity-micrometer}
 * are on the class path: Spring Boot binds every {@link MeterBinder} bean to its registries, and the
 * credentials built by the auto-configuration report to it. Switch the meters off with {@code
 * management.metrics.enable.workload.identity=false}.
 */
@AutoConfiguration(after = WorkloadIdentityAutoConfiguration.class)
@ConditionalOnClass({MeterBinder.class, WorkloadIdentityMetrics.class})
@ConditionalOnBean(WorkloadIdentityDetection.class)
public final class WorkloadIdentityMetricsAutoConfiguration {
  /** Instantiated by Spring. */
  WorkloadIdentityMetricsAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean
  WorkloadIdentityMetrics workloadIdentityMetrics() {
    return new WorkloadIdentityMetrics();
  }

  @Bean
  CredentialListenerFactory workloadIdentityMetricsListeners(WorkloadIdentityMetrics metrics) {
    return metrics::listener;
  }
}
