package io.workloadidentity.benchmarks;

/** The three clouds the side-by-side suite measures, each with our provider and the SDK's own. */
public enum Cloud {
  /** {@code AwsWebIdentityCredentialsProvider} beside the AWS SDK's {@code StsWebIdentityTokenFileCredentialsProvider}. */
  AWS,
  /** {@code AzureWorkloadIdentityCredential} beside azure-identity's {@code WorkloadIdentityCredential}. */
  AZURE,
  /** {@code GcpWorkloadIdentityCredentials} beside google-auth's {@code IdentityPoolCredentials}. */
  GCP
}
