package io.workloadidentity.examples.samples;

import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.aws.EksPodIdentityCredentialsProvider;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.model.Bucket;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * AWS in a pod with IRSA: the EKS webhook set {@code AWS_ROLE_ARN} and {@code
 * AWS_WEB_IDENTITY_TOKEN_FILE}; {@code create()} reads them. The READMEs quote the tagged regions of
 * this file verbatim ({@code ReadmeSnippetsTest} checks it); {@code AwsSampleTest} runs each one.
 */
public final class AwsSample {
  private AwsSample() {}

  /**
   * Lists the buckets the pod's role can see (the root README's sample).
   *
   * @return the bucket names
   */
  // tag::bucket-names[]
  public static List<String> bucketNames() {
    try (AwsWebIdentityCredentialsProvider credentials = AwsWebIdentityCredentialsProvider.create();
        S3Client s3 = S3Client.builder()
            .credentialsProvider(credentials)
            .region(Region.US_WEST_2)
            .build()) {
      return s3.listBuckets().buckets().stream().map(Bucket::name).toList();
    }
  }
  // end::bucket-names[]

  /**
   * The provider's life cycle with one S3 client (the AWS README's usage).
   *
   * @return the number of buckets
   */
  // tag::usage[]
  public static int countBuckets() {
    // One provider per process, or one per SDK client: identically configured providers share one STS session.
    AwsWebIdentityCredentialsProvider credentials = AwsWebIdentityCredentialsProvider.create();
    S3Client s3 = S3Client.builder().credentialsProvider(credentials).region(Region.US_WEST_2).build();
    // Async clients take it too (S3AsyncClient.builder().credentialsProvider(credentials)): it never blocks them on STS.
    int buckets = s3.listBuckets().buckets().size();
    // At shutdown (or with try-with-resources): stops the background refresh and the token-file watch.
    s3.close();
    credentials.close();
    return buckets;
  }
  // end::usage[]

  /**
   * EKS Pod Identity instead of IRSA.
   *
   * @return the access key ID of the credentials the agent handed out
   */
  // tag::pod-identity[]
  public static String podIdentityAccessKey() {
    // EKS Pod Identity instead of IRSA: reads AWS_CONTAINER_CREDENTIALS_FULL_URI and AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE.
    try (EksPodIdentityCredentialsProvider podIdentity = EksPodIdentityCredentialsProvider.create()) {
      return podIdentity.resolveCredentials().accessKeyId();
    }
  }
  // end::pod-identity[]

  /**
   * Every setting explicit; each unset one falls back to the environment.
   *
   * @param policyJson an inline session policy
   * @return the provider, not yet used (close it)
   */
  // tag::builder[]
  public static AwsWebIdentityCredentialsProvider explicitSettings(String policyJson) {
    return AwsWebIdentityCredentialsProvider.builder()
        .roleArn("arn:aws:iam::111122223333:role/orders")
        .tokenFile(Path.of("/var/run/secrets/eks.amazonaws.com/serviceaccount/token"))
        .region("eu-west-1")
        .stsEndpoint(URI.create("https://vpce-0abc.sts.eu-west-1.vpce.amazonaws.com")) // VPC endpoint
        .roleSessionName("orders-api")
        .sessionDuration(Duration.ofHours(4))   // fewer STS calls; must be <= the role's maximum
        .sessionPolicy(policyJson).policyArns("arn:aws:iam::aws:policy/ReadOnlyAccess")
        .build();
  }
  // end::builder[]

  /**
   * A provider on an STS client of your own (HTTP client, proxy, TLS, metrics).
   *
   * @return the provider, not yet used (close it)
   */
  // tag::sts-client[]
  public static AwsWebIdentityCredentialsProvider ownStsClient() {
    StsClient sts = StsClient.builder()
        .region(Region.EU_WEST_1)
        .credentialsProvider(AnonymousCredentialsProvider.create())   // the call is unsigned
        .httpClient(UrlConnectionHttpClient.builder()                 // or ApacheHttpClient.create(), with
            .connectionTimeout(Duration.ofSeconds(2))                 // software.amazon.awssdk:apache-client added
            .build())
        .build();
    return AwsWebIdentityCredentialsProvider.builder().stsClient(sts).build();
  }
  // end::sts-client[]
}
