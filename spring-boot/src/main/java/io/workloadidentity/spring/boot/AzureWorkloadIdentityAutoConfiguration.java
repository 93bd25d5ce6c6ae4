package io.workloadidentity.spring.boot;

import com.azure.core.credential.TokenCredential;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.spring.boot.internal.ConditionalOnCloud;
import io.workloadidentity.spring.boot.internal.CredentialStatuses;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;

/**
 * Registers a {@link TokenCredential} ({@link AzureWorkloadIdentityCredential}) when {@code
 * workload-identity-azure} is on the class path and Azure is detected or enabled. Backs off when the
 * application defines its own {@code TokenCredential}; closed with the context.
 */
@AutoConfiguration(after = WorkloadIdentityAutoConfiguration.class)
@ConditionalOnClass({AzureWorkloadIdentityCredential.class, TokenCredential.class})
@ConditionalOnBean(WorkloadIdentityDetection.class)
@ConditionalOnCloud("azure")
public final class AzureWorkloadIdentityAutoConfiguration {
  private static final String CLOUD = "azure";

  /** Instantiated by Spring. */
  AzureWorkloadIdentityAutoConfiguration() {}

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(TokenCredential.class)
  TokenCredential workloadIdentityAzureCredential(WorkloadIdentityDetection detection, RefreshPolicy policy,
      CredentialStatuses statuses, ObjectProvider<CredentialListenerFactory> listeners,
      ObjectProvider<WorkloadIdentityCustomizer<AzureWorkloadIdentityCredential.Builder>> customizers) {
    // Client ID, tenant ID, token file and authority host reach the builder as variables
    // (workload-identity.azure.* overrides them): detection and the credential read the same values.
    return CloudBeans.build(CLOUD, detection, AzureWorkloadIdentityCredential.builder()
        .environment(detection.environment()).refreshPolicy(policy).clock(detection.clock())
        .listener(CloudBeans.listener(CLOUD, detection, policy, statuses, listeners)), customizers,
        AzureWorkloadIdentityCredential.Builder::build);
  }
}
