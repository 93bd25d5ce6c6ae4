package io.workloadidentity.spring.boot;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Listeners;
import io.workloadidentity.spring.boot.internal.CredentialStatus;
import io.workloadidentity.spring.boot.internal.CredentialStatuses;
import java.util.function.Function;
import org.springframework.beans.factory.ObjectProvider;

/** What the three cloud auto-configurations do alike: the listener and the guarded build. */
final class CloudBeans {
  private CloudBeans() {}

  /** The builder's listener: this cloud's health status, then every {@link CredentialListenerFactory}'s. */
  static CredentialCache.Listener<Object> listener(String cloud, WorkloadIdentityDetection detection, RefreshPolicy policy,
      CredentialStatuses statuses, ObjectProvider<CredentialListenerFactory> factories) {
    // Core's fan-out: each listener isolated from the others' failures, each heard once. The
    // registrations live as long as the context's credentials, so their handles are not kept.
    Listeners<Object> listeners = new Listeners<>();
    listeners.add(statuses.add(new CredentialStatus(cloud, detection.clock(), policy)));
    factories.orderedStream().forEach(f -> listeners.add(f.listener(cloud)));
    return listeners;
  }

  /**
   * Applies the customizers and builds; a configuration problem becomes a {@link
   * CloudMisconfiguredException} carrying the report.
   */
  static <B, C> C build(String cloud, WorkloadIdentityDetection detection, B builder,
      ObjectProvider<WorkloadIdentityCustomizer<B>> customizers, Function<B, C> build) {
    detection.requireUsable(cloud);
    customizers.orderedStream().forEach(c -> c.customize(builder));
    try {
      return build.apply(builder);
    } catch (WorkloadIdentityException | IllegalArgumentException e) {
      throw new CloudMisconfiguredException(cloud, e.getMessage(), detection.report(), e);
    }
  }

  /** Whether a setting is given, by its system property or its variable (even blank: half configured). */
  static boolean present(Environment env, String variable, String property) {
    return env.get(variable, property).isPresent() || env.isSet(variable);
  }
}
