package io.workloadidentity.benchmarks.cold;

import java.net.URI;
import java.nio.file.Path;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.auth.StsWebIdentityTokenFileCredentialsProvider;

/** Cold start: the AWS SDK's StsWebIdentityTokenFileCredentialsProvider, JVM start to the first credentials. */
public final class AwsPeer {
  private AwsPeer() {}

  /**
   * Builds the provider (its StsClient with the HTTP client found on the class path) and resolves once.
   *
   * @param args unused; settings come from {@code -Dbench.*}
   * @throws Exception if it fails
   */
  public static void main(String[] args) throws Exception {
    long start = Report.start();
    StsClient sts = StsClient.builder().endpointOverride(URI.create(Report.property("bench.endpoint")))
        .region(Region.US_WEST_2).credentialsProvider(AnonymousCredentialsProvider.create()).build();
    StsWebIdentityTokenFileCredentialsProvider provider = StsWebIdentityTokenFileCredentialsProvider.builder()
        .stsClient(sts).roleArn(Report.property("bench.role")).roleSessionName("app-7d9f8c6b5-x2x4q")
        .webIdentityTokenFile(Path.of(Report.property("bench.tokenFile"))).build();
    long built = System.nanoTime();
    Report.done(start, built, provider.resolveCredentials());
  }
}
