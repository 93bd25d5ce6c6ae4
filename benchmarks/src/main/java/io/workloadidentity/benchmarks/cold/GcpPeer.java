package io.workloadidentity.benchmarks.cold;

import com.google.auth.oauth2.GoogleCredentials;
import java.io.InputStream;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;

/** Cold start: google-auth's IdentityPoolCredentials from an external_account file, JVM start to the first request metadata. */
public final class GcpPeer {
  private GcpPeer() {}

  /**
   * Loads the credentials from the configuration file and gets the request metadata once.
   *
   * @param args unused; settings come from {@code -Dbench.*}
   * @throws Exception if it fails
   */
  public static void main(String[] args) throws Exception {
    long start = Report.start();
    GoogleCredentials credentials;
    try (InputStream in = Files.newInputStream(Path.of(Report.property("bench.config")))) {
      credentials = GoogleCredentials.fromStream(in);
    }
    long built = System.nanoTime();
    Report.done(start, built, credentials.getRequestMetadata(URI.create("https://storage.googleapis.com/")));
  }
}
