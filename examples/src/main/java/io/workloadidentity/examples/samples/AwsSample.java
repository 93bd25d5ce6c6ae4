package io.workloadidentity.examples.samples;

import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import java.util.List;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;

/**
 * AWS in a pod with IRSA: the EKS webhook set {@code AWS_ROLE_ARN} and {@code
 * AWS_WEB_IDENTITY_TOKEN_FILE}; {@code create()} reads them. Give every SDK client its own provider
 * from {@code create()} (closing a client closes its provider; they share one STS session anyway).
 */
public final class AwsSample {
  private AwsSample() {}

  /** The ten lines the README quotes. */
  public static List<String> bucketNames() {
    try (AwsWebIdentityCredentialsProvider credentials = AwsWebIdentityCredentialsProvider.create();
        S3Client s3 = S3Client.builder()
            .credentialsProvider(credentials)
            .region(Region.US_WEST_2)
            .build()) {
      return s3.listBuckets().buckets().stream().map(Bucket::name).toList();
    }
  }

}
