package io.workloadidentity.benchmarks.cold;

import com.azure.core.credential.TokenRequestContext;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import java.nio.file.Files;
import java.nio.file.Path;

/** Cold start: our Azure credential, JVM start to the first access token. */
public final class AzureOurs {
  private AzureOurs() {}

  /**
   * Builds the credential as a user would (its default HTTP client) and gets one token.
   *
   * @param args unused; settings come from {@code -Dbench.*}
   * @throws Exception if it fails
   */
  public static void main(String[] args) throws Exception {
    long start = Report.start();
    AzureWorkloadIdentityCredential.Builder b = AzureWorkloadIdentityCredential.builder()
        .tenantId(Report.property("bench.tenant")).clientId(Report.property("bench.client"))
        .authorityHost(Report.property("bench.endpoint")).instanceDiscovery(false);
    Path file = Path.of(Report.property("bench.tokenFile"));
    if (Boolean.getBoolean("bench.noWatch")) {
      b.tokenSource(TokenSource.of(ProjectedToken.parse(Files.readString(file))));
    } else {
      b.tokenFile(file);
    }
    AzureWorkloadIdentityCredential credential = b.build();
    long built = System.nanoTime();
    Report.done(start, built, credential.getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net/.default")));
  }
}
