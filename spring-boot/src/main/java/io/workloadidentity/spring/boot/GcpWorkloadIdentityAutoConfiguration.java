package io.workloadidentity.spring.boot;

import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import io.workloadidentity.spring.boot.internal.ConditionalOnCloud;
import io.workloadidentity.spring.boot.internal.CredentialStatuses;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Registers {@link GoogleCredentials} ({@link GcpWorkloadIdentityCredentials}) when {@code
 * workload-identity-gcp} is on the class path and Google Cloud is detected (an {@code
 * external_account} file, or GKE's metadata server) or configured by the {@code workload-identity.gcp.*}
 * properties. Backs off when the application defines its own {@code GoogleCredentials}; closed with
 * the context.
 */
@AutoConfiguration(after = WorkloadIdentityAutoConfiguration.class)
@ConditionalOnClass({GcpWorkloadIdentityCredentials.class, GoogleCredentials.class})
@ConditionalOnBean(WorkloadIdentityDetection.class)
@ConditionalOnCloud("gcp")
public final class GcpWorkloadIdentityAutoConfiguration {
  private static final String CLOUD = "gcp";

  /** Instantiated by Spring. */
  GcpWorkloadIdentityAutoConfiguration() {}

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(GoogleCredentials.class)
  GoogleCredentials workloadIdentityGoogleCredentials(WorkloadIdentityDetection detection, RefreshPolicy policy,
      CredentialStatuses statuses, WorkloadIdentityProperties properties, ObjectProvider<CredentialListenerFactory> listeners,
      ObjectProvider<WorkloadIdentityCustomizer<GcpWorkloadIdentityCredentials.Builder>> customizers) {
    WorkloadIdentityProperties.Gcp gcp = properties.getGcp();
    GcpWorkloadIdentityCredentials.Builder builder = GcpWorkloadIdentityCredentials.builder()
        .environment(detection.environment()).refreshPolicy(policy).clock(detection.clock())
        .listener(CloudBeans.listener(CLOUD, detection, policy, statuses, listeners));
    // The credentials file reaches the builder as GOOGLE_APPLICATION_CREDENTIALS; these have no variable.
    if (gcp.getAudience() != null) {
      builder.audience(gcp.getAudience());
    }
    if (gcp.getServiceAccount() != null) {
      builder.serviceAccount(gcp.getServiceAccount());
    }
    if (gcp.getTokenFile() != null) {
      builder.tokenFile(gcp.getTokenFile());
    }
    return CloudBeans.build(CLOUD, detection, builder, customizers, GcpWorkloadIdentityCredentials.Builder::build);
  }
}
