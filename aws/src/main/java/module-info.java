/**
 * AWS credentials from the pod's projected service-account token: {@link
 * io.workloadidentity.aws.AwsWebIdentityCredentialsProvider} (EKS IRSA, STS
 * AssumeRoleWithWebIdentity) and {@link io.workloadidentity.aws.EksPodIdentityCredentialsProvider}
 * (EKS Pod Identity), each an AWS SDK v2 {@code AwsCredentialsProvider}.
 *
 * <p>Only {@code io.workloadidentity.aws} is API; {@code io.workloadidentity.aws.internal} is not
 * exported.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // the AWS SDK names its jars in their manifests
module io.workloadidentity.aws {
  requires transitive io.workloadidentity.core;
  // Types of these appear in the public API: AwsCredentialsProvider, AwsSessionCredentials,
  // StsClient, SdkAutoCloseable and ToCopyableBuilder.
  requires transitive software.amazon.awssdk.auth;
  requires transitive software.amazon.awssdk.identity.spi;
  requires transitive software.amazon.awssdk.services.sts;
  requires transitive software.amazon.awssdk.utils;
  requires software.amazon.awssdk.core;
  requires software.amazon.awssdk.awscore;
  requires software.amazon.awssdk.regions;
  requires software.amazon.awssdk.profiles; // the shared config file's STS endpoint, checked like the variables
  requires software.amazon.awssdk.http; // SdkHttpClient, SdkHttpResponse
  requires software.amazon.awssdk.endpoints;
  requires software.amazon.awssdk.http.urlconnection;
  requires java.xml; // STS error bodies are read with StAX
  requires java.net.http; // the Pod Identity agent call

  exports io.workloadidentity.aws;

  provides io.workloadidentity.core.spi.CredentialsProvider with
      io.workloadidentity.aws.internal.AwsCredentialsProvider;
}
