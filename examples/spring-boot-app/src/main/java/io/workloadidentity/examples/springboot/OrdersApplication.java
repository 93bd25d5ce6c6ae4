package io.workloadidentity.examples.springboot;

import java.net.URI;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.context.annotation.Bean;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;

/**
 * A pod's Spring Boot service. The starter detects IRSA from the variables the EKS webhook injects
 * (or the {@code workload-identity.aws.*} properties) and registers the {@link AwsCredentialsProvider}
 * bean; the application only builds its S3 client with it ({@link BucketsController} uses it). {@code /actuator/health} shows the
 * credentials' health, {@code /actuator/metrics/workload.identity.exchanges} their exchanges.
 */
@SpringBootApplication
public class OrdersApplication {

  /**
   * Starts the application.
   *
   * @param args Spring Boot's arguments
   */
  public static void main(String[] args) {
    SpringApplication.run(OrdersApplication.class, args);
  }

  /**
   * An ordinary S3 client whose credentials come from the pod's projected token.
   *
   * @param credentials the starter's bean
   * @param region the bucket region
   * @param endpoint an S3 endpoint override, empty for AWS's
   * @return the client, closed with the context
   */
  // tag::s3-bean[]
  @Bean(destroyMethod = "close")
  S3Client s3(AwsCredentialsProvider credentials, @Value("${orders.s3.region:us-west-2}") String region,
      @Value("${orders.s3.endpoint:}") String endpoint) {
    S3ClientBuilder builder = S3Client.builder()
        .credentialsProvider(credentials)
        .region(Region.of(region))
        .httpClientBuilder(UrlConnectionHttpClient.builder());
    if (!endpoint.isBlank()) {
      builder.endpointOverride(URI.create(endpoint)).forcePathStyle(true);
    }
    return builder.build();
  }
  // end::s3-bean[]
}
