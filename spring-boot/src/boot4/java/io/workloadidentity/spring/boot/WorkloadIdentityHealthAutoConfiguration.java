package io.workloadidentity.spring.boot;

import io.workloadidentity.spring.boot.internal.CredentialStatus;
import io.workloadidentity.spring.boot.internal.CredentialStatuses;
import io.workloadidentity.spring.boot.internal.HealthView;
import java.util.stream.Stream;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.health.autoconfigure.contributor.ConditionalOnEnabledHealthIndicator;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;
import org.springframework.context.annotation.Bean;

/**
 * The {@code workloadIdentity} health contributor (Spring Boot 4): one indicator per cloud whose
 * credentials the auto-configuration built, fed by the credentials' own events, so a health check
 * never makes an exchange. UP while a valid credential is served (details: seconds to expiry, last
 * refresh, last failure's code); DOWN once past the hard expiry, or when none could be obtained (with
 * the error's advice); UNKNOWN before first use. Off with {@code management.health.workload-identity.enabled=false}.
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
    public Stream<HealthContributors.Entry> stream() {
      return statuses.all().entrySet().stream()
          .map(e -> new HealthContributors.Entry(e.getKey(), indicator(e.getValue())));
    }

    private static HealthIndicator indicator(CredentialStatus status) {
      return () -> {
        HealthView view = status.view();
        return Health.status(new Status(view.status())).withDetails(view.details()).build();
      };
    }
  }
}
