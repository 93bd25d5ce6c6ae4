package io.workloadidentity.spring.boot;

import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.aws.EksPodIdentityCredentialsProvider;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.spring.boot.internal.ConditionalOnCloud;
import io.workloadidentity.spring.boot.internal.CredentialStatuses;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.context.annotation.Bean;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * Registers an {@link AwsCredentialsProvider} when {@code workload-identity-aws} is on the class path
 * and AWS is detected or enabled: {@link AwsWebIdentityCredentialsProvider} (IRSA) when a role or web
 * identity token file is configured, else {@link EksPodIdentityCredentialsProvider} when the Pod
 * Identity agent is. Backs off when the application defines its own {@code AwsCredentialsProvider};
 * closed with the context.
 */
@AutoConfiguration(after = WorkloadIdentityAutoConfiguration.class)
@ConditionalOnClass({AwsWebIdentityCredentialsProvider.class, AwsCredentialsProvider.class})
@ConditionalOnBean(WorkloadIdentityDetection.class)
@ConditionalOnCloud("aws")
public final class AwsWorkloadIdentityAutoConfiguration {
  private static final String CLOUD = "aws";

  /** Instantiated by Spring. */
  AwsWorkloadIdentityAutoConfiguration() {}

  @Bean(destroyMethod = "close")
  @ConditionalOnMissingBean(AwsCredentialsProvider.class)
  AwsCredentialsProvider workloadIdentityAwsCredentialsProvider(WorkloadIdentityDetection detection, RefreshPolicy policy,
      CredentialStatuses statuses, ObjectProvider<CredentialListenerFactory> listeners,
      ObjectProvider<WorkloadIdentityCustomizer<AwsWebIdentityCredentialsProvider.Builder>> irsaCustomizers,
      ObjectProvider<WorkloadIdentityCustomizer<EksPodIdentityCredentialsProvider.Builder>> podIdentityCustomizers) {
    Environment env = detection.environment();
    CredentialCache.Listener<Object> listener = CloudBeans.listener(CLOUD, detection, policy, statuses, listeners);
    // The SDK's order: web identity first, then the container (Pod Identity) endpoint.
    boolean irsa = CloudBeans.present(env, "AWS_ROLE_ARN", "aws.roleArn")
        || CloudBeans.present(env, "AWS_WEB_IDENTITY_TOKEN_FILE", "aws.webIdentityTokenFile");
    boolean podIdentity = CloudBeans.present(env, "AWS_CONTAINER_CREDENTIALS_FULL_URI", "aws.containerCredentialsFullUri")
        || CloudBeans.present(env, "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", "aws.containerAuthorizationTokenFile");
    if (!irsa && podIdentity) {
      return CloudBeans.build(CLOUD, detection, EksPodIdentityCredentialsProvider.builder().environment(env)
          .refreshPolicy(policy).clock(detection.clock()).listener(listener), podIdentityCustomizers,
          EksPodIdentityCredentialsProvider.Builder::build);
    }
    return CloudBeans.build(CLOUD, detection, AwsWebIdentityCredentialsProvider.builder().environment(env)
        .refreshPolicy(policy).clock(detection.clock()).listener(listener), irsaCustomizers,
        AwsWebIdentityCredentialsProvider.Builder::build);
  }
}
