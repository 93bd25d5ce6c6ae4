package io.workloadidentity.azure.internal;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Detections;
import io.workloadidentity.core.internal.GuardedProvider;
import io.workloadidentity.core.internal.Redaction;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

/**
 * Auto-detection of Azure workload identity from the variables the azure-workload-identity webhook
 * injects. Registered in {@code META-INF/services}; builds an {@link AzureWorkloadIdentityCredential}.
 */
public final class AzureCredentialsProvider extends GuardedProvider {
  private static final String CLOUD = "azure";
  static final String PROBE_SCOPE = "https://management.azure.com/.default";
  private static final String AUDIENCE_FIX = "Set the projected volume's serviceAccountToken.audience to "
      + AzureSettings.AUDIENCE + " (the webhook does), or register the token's audience on the federated credential.";

  /** Required by {@link java.util.ServiceLoader}. */
  public AzureCredentialsProvider() {
    super(CLOUD, AzureSettings.AUDIENCES);
  }

  @Override
  protected Detection detectOrThrow(Environment env) {
    String client = AzureSettings.get(env, AzureSettings.CLIENT_ID).orElse(null);
    String tenant = AzureSettings.get(env, AzureSettings.TENANT_ID).orElse(null);
    String fileText = AzureSettings.get(env, AzureSettings.TOKEN_FILE).orElse(null);
    if (client == null && tenant == null && fileText == null) {
      return Detection.notConfigured(CLOUD, "None of " + AzureSettings.CLIENT_ID + ", " + AzureSettings.TENANT_ID + ", "
          + AzureSettings.TOKEN_FILE + " is set.");
    }
    if (fileText == null && (env.variable("AZURE_CLIENT_SECRET").isPresent()
        || env.variable("AZURE_CLIENT_CERTIFICATE_PATH").isPresent())) {
      return Detection.notConfigured(CLOUD, AzureSettings.CLIENT_ID + " comes with a client secret or certificate and"
          + " no " + AzureSettings.TOKEN_FILE + ": that is a service principal (azure-identity's EnvironmentCredential),"
          + " not workload identity.");
    }
    // The builder's own checks, on the same environment: both explain a problem with the same words.
    AzureSettings.Values values = new AzureSettings.Values();
    values.environment = env;
    List<String> problems = values.problems();
    Path file = problems.isEmpty() ? Path.of(fileText) : null;
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
    reasons.add(AzureSettings.CLIENT_ID + "=" + client + ", " + AzureSettings.TENANT_ID + "=" + tenant + ", "
        + authority(env) + ", token from " + AzureSettings.TOKEN_FILE + "=" + Redaction.escape(fileText) + ".");
    reasons.addAll(findings);
    return Detection.detected(CLOUD, reasons, AzureSettings.AUDIENCES, file);
  }

  /**
   * The endpoint the projected token will be sent to, and whether it overrides the default, for the
   * doctor: "authority https://login.microsoftonline.com/ (default)", or "(override from
   * AZURE_AUTHORITY_HOST)" (the webhook sets it to the cluster's cloud, so an override is normal there).
   */
  static String authority(Environment env) {
    return AzureSettings.get(env, AzureSettings.AUTHORITY_HOST)
        .map(a -> "authority " + Redaction.message(a) + " (override from " + AzureSettings.AUTHORITY_HOST
            + (AzureSettings.isMicrosoftCloud(AzureSettings.authorityHost(a, AzureSettings.AUTHORITY_HOST, true, true))
                ? ", one of Microsoft's Entra hosts)" : ", not one of Microsoft's Entra hosts: allowed explicitly)"))
        .orElse("authority " + AzureSettings.DEFAULT_AUTHORITY_HOST + " (default)");
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
