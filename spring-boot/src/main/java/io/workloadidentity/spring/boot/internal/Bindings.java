package io.workloadidentity.spring.boot.internal;

import io.workloadidentity.spring.boot.WorkloadIdentityProperties;
import org.springframework.boot.context.properties.bind.Bindable;
import org.springframework.boot.context.properties.bind.Binder;
import org.springframework.core.env.Environment;

/** Binds the properties where no bean exists yet (conditions). */
final class Bindings {
  private Bindings() {}

  static WorkloadIdentityProperties properties(Environment environment) {
    return Binder.get(environment).bind("workload-identity", Bindable.of(WorkloadIdentityProperties.class))
        .orElseGet(WorkloadIdentityProperties::new);
  }
}
