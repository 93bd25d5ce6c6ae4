package io.workloadidentity.spring.boot;

/**
 * Adjusts a cloud builder before the auto-configuration builds its credentials: declare a bean of
 * this type with the builder's type, for example to pass an HTTP client or a proxy:
 *
 * <pre>{@code
 * @Bean
 * WorkloadIdentityCustomizer<AzureWorkloadIdentityCredential.Builder> azureHttp(HttpClient client) {
 *   return builder -> builder.httpClient(client);
 * }
 * }</pre>
 *
 * <p>Customizers run in {@link org.springframework.core.Ordered} order after the properties are
 * applied. Do not call {@code listener(...)} on the builder: it would replace the listener that feeds
 * health and metrics; declare a {@link CredentialListenerFactory} bean instead.
 *
 * @param <B> the builder type: {@code AwsWebIdentityCredentialsProvider.Builder}, {@code
 *     EksPodIdentityCredentialsProvider.Builder}, {@code AzureWorkloadIdentityCredential.Builder} or
 *     {@code GcpWorkloadIdentityCredentials.Builder}
 */
@FunctionalInterface
public interface WorkloadIdentityCustomizer<B> {
  /**
   * Adjusts the builder.
   *
   * @param builder the builder, with the properties applied
   */
  void customize(B builder);
}
