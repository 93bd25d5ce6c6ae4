package io.workloadidentity.spring.boot;

import io.workloadidentity.spring.boot.internal.HealthView;
import java.util.List;
import org.springframework.boot.health.contributor.CompositeHealthContributor;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthContributor;
import org.springframework.boot.health.contributor.HealthContributors;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.ApplicationContext;

/** Reads the workload identity health contributor through the Spring Boot 4 health API. */
final class HealthProbe {
  /** A class of the health API, to hide it from a context. */
  static final Class<?> HEALTH_API = HealthContributor.class;

  private HealthProbe() {}

  static HealthView read(ApplicationContext context, String cloud) {
    CompositeHealthContributor composite = context.getBean("workloadIdentityHealthContributor", CompositeHealthContributor.class);
    Health health = ((HealthIndicator) composite.getContributor(cloud)).health();
    return new HealthView(health.getStatus().getCode(), health.getDetails());
  }

  static List<String> clouds(ApplicationContext context) {
    CompositeHealthContributor composite = context.getBean("workloadIdentityHealthContributor", CompositeHealthContributor.class);
    return composite.stream().map(HealthContributors.Entry::name).toList();
  }
}
