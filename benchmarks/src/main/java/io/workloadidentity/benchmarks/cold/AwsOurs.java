package io.workloadidentity.benchmarks.cold;

import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** Cold start: our AWS provider, JVM start to the first credentials. */
public final class AwsOurs {
  private AwsOurs() {}

  /**
   * Builds the provider as a user would and resolves once.
   *
   * @param args unused; settings come from {@code -Dbench.*}
   * @throws Exception if it fails
   */
  public static void main(String[] args) throws Exception {
    long start = Report.start();
    AwsWebIdentityCredentialsProvider.Builder b = AwsWebIdentityCredentialsProvider.builder()
        .roleArn(Report.property("bench.role")).region("us-west-2")
        .stsEndpoint(URI.create(Report.property("bench.endpoint")));
    Path file = Path.of(Report.property("bench.tokenFile"));
    if (Boolean.getBoolean("bench.noWatch")) {
      b.tokenSource(TokenSource.of(ProjectedToken.parse(Files.readString(file))));
    } else {
      b.tokenFile(file);
    }
    AwsWebIdentityCredentialsProvider provider = b.build();
    long built = System.nanoTime();
    Report.done(start, built, provider.resolveCredentials());
  }
}
