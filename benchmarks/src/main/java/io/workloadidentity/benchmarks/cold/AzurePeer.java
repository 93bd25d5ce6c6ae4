package io.workloadidentity.benchmarks.cold;

import com.azure.core.credential.TokenRequestContext;
import com.azure.identity.WorkloadIdentityCredential;
import com.azure.identity.WorkloadIdentityCredentialBuilder;

/** Cold start: azure-identity's WorkloadIdentityCredential, JVM start to the first access token. */
public final class AzurePeer {
  private AzurePeer() {}

  /**
   * Builds the credential as a user would (the HTTP client found on the class path) and gets one token.
   *
   * @param args unused; settings come from {@code -Dbench.*}
   * @throws Exception if it fails
   */
  public static void main(String[] args) throws Exception {
    long start = Report.start();
    WorkloadIdentityCredential credential = new WorkloadIdentityCredentialBuilder()
        .authorityHost(Report.property("bench.endpoint")).disableInstanceDiscovery()
        .tenantId(Report.property("bench.tenant")).clientId(Report.property("bench.client"))
        .tokenFilePath(Report.property("bench.tokenFile")).build();
    long built = System.nanoTime();
    Report.done(start, built, credential.getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net/.default")));
  }
}
