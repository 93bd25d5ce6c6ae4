package io.workloadidentity.benchmarks.cold;

import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import java.net.URI;
import java.nio.file.Path;

/** Cold start: our Google credentials from an external_account file, JVM start to the first request metadata. */
public final class GcpOurs {
  private GcpOurs() {}

  /**
   * Builds the credentials from the configuration file and gets the request metadata once.
   *
   * @param args unused; settings come from {@code -Dbench.*}
   * @throws Exception if it fails
   */
  public static void main(String[] args) throws Exception {
    long start = Report.start();
    GcpWorkloadIdentityCredentials credentials = GcpWorkloadIdentityCredentials.builder()
        .credentialsFile(Path.of(Report.property("bench.config"))).build();
    long built = System.nanoTime();
    Report.done(start, built, credentials.getRequestMetadata(URI.create("https://storage.googleapis.com/")));
  }
}
