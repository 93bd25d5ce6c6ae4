package io.workloadidentity.spring.boot;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.spring.boot.internal.CoreEnvironment;
import io.workloadidentity.spring.boot.internal.CredentialStatuses;
import java.time.Clock;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.beans.factory.annotation.Qualifier;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.context.annotation.Bean;
import org.springframework.core.env.Environment;

/**
 * The shared part of the workload identity auto-configuration: the {@code workload-identity.*}
 * properties, detection at startup ({@link WorkloadIdentityDetection}), the {@link RefreshPolicy}
 * every cloud uses, and the credential statuses health reads. The per-cloud auto-configurations
 * ({@link AwsWorkloadIdentityAutoConfiguration}, {@link AzureWorkloadIdentityAutoConfiguration},
 * {@link GcpWorkloadIdentityAutoConfiguration}) build the SDK-native beans.
 *
 * <p>A {@link Clock} bean named {@code workloadIdentityClock}, if present, replaces the system clock
 * for every credential, its health and the report (tests).
 */
@AutoConfiguration
@ConditionalOnProperty(prefix = "workload-identity", name = "enabled", havingValue = "true", matchIfMissing = true)
@EnableConfigurationProperties(WorkloadIdentityProperties.class)
public final class WorkloadIdentityAutoConfiguration {
  /** Instantiated by Spring. */
  WorkloadIdentityAutoConfiguration() {}

  @Bean
  WorkloadIdentityDetection workloadIdentityDetection(Environment environment, WorkloadIdentityProperties properties,
      @Qualifier("workloadIdentityClock") ObjectProvider<Clock> clock) {
    return WorkloadIdentityDetection.run(CoreEnvironment.of(environment, properties), clock.getIfAvailable(Clock::systemUTC));
  }

  @Bean
  @ConditionalOnMissingBean
  RefreshPolicy workloadIdentityRefreshPolicy(WorkloadIdentityProperties properties) {
    try {
      return properties.getRefresh().toPolicy();
    } catch (IllegalArgumentException e) {
      throw new ConfigurationException("A workload-identity.refresh.* property is out of range: " + e.getMessage(), e);
    }
  }

  @Bean
  CredentialStatuses workloadIdentityCredentialStatuses() {
    return new CredentialStatuses();
  }
}
