package io.workloadidentity.spring.boot.internal;

import io.workloadidentity.core.Detection;
import io.workloadidentity.core.WorkloadIdentity;
import io.workloadidentity.core.spi.CredentialsProvider;
import io.workloadidentity.spring.boot.WorkloadIdentityProperties;
import java.util.Iterator;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.springframework.boot.autoconfigure.condition.ConditionMessage;
import org.springframework.boot.autoconfigure.condition.ConditionOutcome;
import org.springframework.boot.autoconfigure.condition.SpringBootCondition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.core.type.AnnotatedTypeMetadata;

/**
 * The condition of {@link ConditionalOnCloud}. Asks only the named cloud's provider to detect (local
 * checks, no network, no credentials built); the full detection report is made once, by the
 * {@code WorkloadIdentityDetection} bean.
 */
final class OnCloudCondition extends SpringBootCondition {
  @Override
  public ConditionOutcome getMatchOutcome(ConditionContext context, AnnotatedTypeMetadata metadata) {
    String cloud = (String) metadata.getAnnotationAttributes(ConditionalOnCloud.class.getName()).get("value");
    ConditionMessage.Builder message = ConditionMessage.forCondition(ConditionalOnCloud.class, cloud);
    WorkloadIdentityProperties properties = Bindings.properties(context.getEnvironment());
    if (!properties.isEnabled()) {
      return ConditionOutcome.noMatch(message.because("workload-identity.enabled is false"));
    }
    Boolean enabled = Clouds.settings(properties, cloud).getEnabled();
    if (Boolean.FALSE.equals(enabled)) {
      return ConditionOutcome.noMatch(message.because("workload-identity." + cloud + ".enabled is false"));
    }
    if (Boolean.TRUE.equals(enabled)) {
      return ConditionOutcome.match(message.because("workload-identity." + cloud + ".enabled is true"));
    }
    if (Clouds.configuredByProperties(properties, cloud)) {
      return ConditionOutcome.match(message.because("workload-identity." + cloud + ".* properties configure it"));
    }
    CredentialsProvider provider = provider(cloud);
    if (provider == null) {
      return ConditionOutcome.noMatch(message.because("no " + cloud + " provider on the class path"));
    }
    Detection detection = provider.detect(CoreEnvironment.of(context.getEnvironment(), properties));
    if (detection.status() == Detection.Status.NOT_CONFIGURED) {
      return ConditionOutcome.noMatch(message.because("not configured: " + String.join(" ", detection.reasons())));
    }
    return ConditionOutcome.match(message.because(detection.status() == Detection.Status.DETECTED ? "detected"
        : "half configured (startup fails with the detection report)"));
  }

  /** The cloud's provider, skipping any other whose classes cannot load (that is its own cloud's problem). */
  private static CredentialsProvider provider(String cloud) {
    Iterator<CredentialsProvider> it =
        ServiceLoader.load(CredentialsProvider.class, WorkloadIdentity.class.getClassLoader()).iterator();
    for (int seen = 0; seen < 64; seen++) { // bounded: a broken entry must not make this loop forever
      try {
        if (!it.hasNext()) {
          return null;
        }
        CredentialsProvider p = it.next();
        if (p.name().equals(cloud)) {
          return p;
        }
      } catch (ServiceConfigurationError | LinkageError e) {
        // next provider; WorkloadIdentityDetection reports the broken one
      }
    }
    return null;
  }
}
