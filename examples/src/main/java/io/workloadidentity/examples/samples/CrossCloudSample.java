package io.workloadidentity.examples.samples;

import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.core.WorkloadIdentity;
import java.io.IOException;
import java.net.URI;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

/**
 * One pod federating to AWS and Google Cloud at once: auto-detection reads what the webhooks (or
 * the pod spec) configured and builds both clouds' SDK-native credentials. The README quotes the
 * tagged region verbatim; {@code CrossCloudSampleTest} runs it.
 */
public final class CrossCloudSample {
  private CrossCloudSample() {}

  /**
   * Detects both clouds, uses both, and returns the detection report.
   *
   * @return the report
   * @throws IOException if Google's credentials cannot be obtained
   */
  // tag::detect[]
  public static String useBothClouds() throws IOException {
    try (WorkloadIdentity identity = WorkloadIdentity.detect()) {
      AwsCredentialsProvider aws = identity.get(AwsCredentialsProvider.class);
      GoogleCredentials google = identity.get(GoogleCredentials.class);
      aws.resolveCredentials();                                        // e.g. S3Client.builder().credentialsProvider(aws)
      google.getRequestMetadata(URI.create("https://storage.googleapis.com")); // e.g. StorageOptions...setCredentials(google)
      return identity.report();   // per cloud: detected or why not, token claims, time to expiry, audience check
    }
  }
  // end::detect[]
}
