package io.workloadidentity.spring.boot;

import io.workloadidentity.spring.boot.internal.CredentialStatus;
import io.workloadidentity.spring.boot.internal.CredentialStatuses;
import io.workloadidentity.spring.boot.internal.HealthView;
import java.util.Iterator;
import org.springframework.boot.actuate.autoconfigure.health.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.actuate.health.CompositeHealthContributor;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthContributor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.NamedContributor;
import org.springframework.boot.actuate.health.Status;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * The {@code workloadIdentity} health contributor (Spring Boot 3.5, built with {@code -Pboot3}): one
 * indicator per cloud whose credentials the auto-configuration built, fed by the credentials' own
 * events. Same statuses and details as the Boot 4 build.
 */
@AutoConfiguration(after = WorkloadIdentityAutoConfiguration.class)
@ConditionalOnClass({HealthContributor.class, ConditionalOnEnabledHealthIndicator.class})
@ConditionalOnBean(CredentialStatuses.class)
@ConditionalOnEnabledHealthIndicator("workload-identity")
public final class WorkloadIdentityHealthAutoConfiguration {
  /** Instantiated by Spring. */
  WorkloadIdentityHealthAutoConfiguration() {}

  @Bean
  @ConditionalOnMissingBean(name = "workloadIdentityHealthContributor")
  HealthContributor workloadIdentityHealthContributor(CredentialStatuses statuses) {
    return new Contributor(statuses);
  }

  /** Reads the statuses at each request: credential beans may be created after this one. */
  private record Contributor(CredentialStatuses statuses) implements CompositeHealthContributor {
    @Override
    public HealthContributor getContributor(String name) {
      return statuses.get(name).map(Contributor::indicator).orElse(null);
    }

    @Override
    public Iterator<NamedContributor<HealthContributor>> iterator() {
      return statuses.all().entrySet().stream()
          .map(e -> NamedContributor.<HealthContributor>of(e.getKey(), indicator(e.getValue()))).iterator();
    }

    private static HealthIndicator indicator(CredentialStatus status) {
      return () -> {
        HealthView view = status.view();
        return Health.status(new Status(view.status())).withDetails(view.details()).build();
      };
    }
  }
}
