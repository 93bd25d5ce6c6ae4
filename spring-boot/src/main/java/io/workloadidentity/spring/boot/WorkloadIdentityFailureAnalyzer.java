package io.workloadidentity.spring.boot;

import org.springframework.boot.diagnostics.AbstractFailureAnalyzer;
import org.springframework.boot.diagnostics.FailureAnalysis;

/**
 * Turns a {@link CloudMisconfiguredException} into Spring Boot's "APPLICATION FAILED TO START"
 * description: what is wrong with the cloud, then the detection report of every cloud; and the
 * action: the fix, or how to start without that cloud. Registered in {@code META-INF/spring.factories}.
 */
public final class WorkloadIdentityFailureAnalyzer extends AbstractFailureAnalyzer<CloudMisconfiguredException> {
  /** Instantiated by Spring Boot. */
  public WorkloadIdentityFailureAnalyzer() {}

  @Override
  protected FailureAnalysis analyze(Throwable rootFailure, CloudMisconfiguredException cause) {
    String description = "Workload identity for " + cause.cloud() + " is enabled but cannot be configured:\n\n    "
        + cause.reason() + (cause.report().isBlank() ? "" : "\n\nDetection report:\n\n" + indent(cause.report()));
    String action = "Fix the " + cause.cloud() + " configuration as the report says (the Kubernetes webhook sets the"
        + " variables when the pod is created: restart the pod after fixing the service account), or set the"
        + " workload-identity." + cause.cloud() + ".* properties, or set workload-identity." + cause.cloud()
        + ".enabled=false to start without " + cause.cloud() + " credentials.";
    return new FailureAnalysis(description, action, cause);
  }

  private static String indent(String text) {
    return text.lines().map(l -> "    " + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }
}
