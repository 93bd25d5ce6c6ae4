package io.workloadidentity.spring.boot;

import io.workloadidentity.spring.boot.internal.HealthView;
import java.util.List;
import java.util.stream.StreamSupport;
import org.springframework.boot.actuate.health.CompositeHealthContributor;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthContributor;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.boot.actuate.health.NamedContributor;
import org.springframework.context.ApplicationContext;

/** Reads the workload identity health contributor through the Spring Boot 3 health API. */
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
    return StreamSupport.stream(composite.spliterator(), false).map(NamedContributor::getName).toList();
  }
}
