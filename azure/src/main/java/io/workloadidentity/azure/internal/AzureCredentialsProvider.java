package io.workloadidentity.azure.internal;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Detections;
import io.workloadidentity.core.spi.CredentialsProvider;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Auto-detection of Azure workload identity from the variables the azure-workload-identity webhook
 * injects. Registered in {@code META-INF/services}; builds an {@link AzureWorkloadIdentityCredential}.
 */
public final class AzureCredentialsProvider implements CredentialsProvider {
  private static final String CLOUD = "azure";
  static final String PROBE_SCOPE = "https://management.azure.com/.default";
  private static final String AUDIENCE_FIX = "Set the projected volume's serviceAccountToken.audience to "
      + AzureSettings.AUDIENCE + " (the webhook does), or register the token's audience on the federated credential.";

  /** Required by {@link java.util.ServiceLoader}. */
  public AzureCredentialsProvider() {}

  @Override
  public String name() {
    return CLOUD;
  }

  @Override
  public Detection detect(Environment env) {
    return Detections.guarded(CLOUD, AzureSettings.AUDIENCES, () -> detectOrThrow(env));
  }

  private Detection detectOrThrow(Environment env) {
    String client = AzureSettings.get(env, AzureSettings.CLIENT_ID).orElse(null);
    String tenant = AzureSettings.get(env, AzureSettings.TENANT_ID).orElse(null);
    String authority = AzureSettings.get(env, AzureSettings.AUTHORITY_HOST).orElse(null);
    Path file = AzureSettings.get(env, AzureSettings.TOKEN_FILE).map(Path::of).orElse(null);
    if (client == null && tenant == null && file == null) {
      return Detection.notConfigured(CLOUD, "None of " + AzureSettings.CLIENT_ID + ", " + AzureSettings.TENANT_ID + ", "
          + AzureSettings.TOKEN_FILE + " is set.");
    }
    if (file == null && (env.variable("AZURE_CLIENT_SECRET").isPresent()
        || env.variable("AZURE_CLIENT_CERTIFICATE_PATH").isPresent())) {
      return Detection.notConfigured(CLOUD, AzureSettings.CLIENT_ID + " comes with a client secret or certificate and"
          + " no " + AzureSettings.TOKEN_FILE + ": that is a service principal (azure-identity's EnvironmentCredential),"
          + " not workload identity.");
    }
    List<String> problems = AzureSettings.problems(client, tenant, file != null, authority);
    if (!problems.isEmpty()) {
      return Detection.misconfigured(CLOUD, problems, AzureSettings.AUDIENCES, file);
    }
    List<String> findings;
    try {
      findings = Detections.tokenFindings(file, AzureSettings.TOKEN_FILE, AzureSettings.AUDIENCES, AUDIENCE_FIX,
          Instant.now());
    } catch (WorkloadIdentityException e) {
      return Detection.misconfigured(CLOUD, List.of(e.getMessage()), AzureSettings.AUDIENCES, file);
    }
    List<String> reasons = new ArrayList<>();
    reasons.add(AzureSettings.CLIENT_ID + "=" + client + ", " + AzureSettings.TENANT_ID + "=" + tenant + ", authority "
        + (authority == null ? AzureSettings.DEFAULT_AUTHORITY_HOST + " (default)" : authority) + ", token from "
        + AzureSettings.TOKEN_FILE + "=" + file + ".");
    reasons.addAll(findings);
    return Detection.detected(CLOUD, reasons, AzureSettings.AUDIENCES, file);
  }

  @Override
  public AutoCloseable create(Environment env) {
    return AzureWorkloadIdentityCredential.builder().environment(env).build();
  }

  /**
   * Gets an access token for Azure Resource Manager ({@value #PROBE_SCOPE}), a resource every
   * tenant has, and describes it without the token.
   */
  @Override
  public String probe(AutoCloseable credentials) {
    AccessToken token = ((AzureWorkloadIdentityCredential) credentials)
        .getTokenSync(new TokenRequestContext().addScopes(PROBE_SCOPE));
    return "Entra ID access token for " + PROBE_SCOPE + " (" + credentials + "), expires at " + token.getExpiresAt();
  }
}
