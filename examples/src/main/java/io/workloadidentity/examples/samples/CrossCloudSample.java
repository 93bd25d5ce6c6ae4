package io.workloadidentity.examples.samples;

import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.core.WorkloadIdentity;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * One pod federating to AWS and Google Cloud at once: auto-detection reads what the webhooks (or
 * the pod spec) configured and builds both clouds' SDK-native credentials.
 */
public final class CrossCloudSample {
  private CrossCloudSample() {}

  /** The lines the README quotes; returns the detection report. */
  public static String useBothClouds() {
    try (WorkloadIdentity identity = WorkloadIdentity.detect()) {
      AwsCredentialsProvider aws = identity.get(AwsCredentialsProvider.class);
      GoogleCredentials google = identity.get(GoogleCredentials.class);
      aws.resolveCredentials();                                        // e.g. S3Client.builder().credentialsProvider(aws)
      google.getRequestMetadata(URI.create("https://storage.googleapis.com")); // e.g. StorageOptions...setCredentials(google)
      return identity.report();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
