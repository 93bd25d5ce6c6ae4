/**
 * Spring Boot auto-configuration for workload identity: the SDK-native credential beans ({@code
 * AwsCredentialsProvider}, {@code TokenCredential}, {@code GoogleCredentials}) for the clouds detected
 * at startup, the {@link io.workloadidentity.spring.boot.WorkloadIdentityProperties workload-identity.*}
 * properties, a failure analyzer, per-cloud health and Micrometer metrics. Applications use the beans,
 * the properties and, to adjust a builder, {@link io.workloadidentity.spring.boot.WorkloadIdentityCustomizer}.
 */
package io.workloadidentity.spring.boot;
