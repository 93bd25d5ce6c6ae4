package io.workloadidentity.azure.internal;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.spi.CredentialsProvider;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
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

  /** Required by {@link java.util.ServiceLoader}. */
  public AzureCredentialsProvider() {}

  @Override
  public String name() {
    return CLOUD;
  }

  @Override
  public Detection detect(Environment env) {
    try {
      return detectOrThrow(env);
    } catch (RuntimeException e) { // the contract: never throw
      return Detection.misconfigured(CLOUD, List.of("Detection failed: " + e), Settings.AUDIENCES, null);
    }
  }

  private Detection detectOrThrow(Environment env) {
    String client = Settings.get(env, Settings.CLIENT_ID).orElse(null);
    String tenant = Settings.get(env, Settings.TENANT_ID).orElse(null);
    String authority = Settings.get(env, Settings.AUTHORITY_HOST).orElse(null);
    Path file = Settings.get(env, Settings.TOKEN_FILE).map(Path::of).orElse(null);
    if (client == null && tenant == null && file == null) {
      return Detection.notConfigured(CLOUD, "None of " + Settings.CLIENT_ID + ", " + Settings.TENANT_ID + ", "
          + Settings.TOKEN_FILE + " is set.");
    }
    if (file == null && (env.variable("AZURE_CLIENT_SECRET").isPresent()
        || env.variable("AZURE_CLIENT_CERTIFICATE_PATH").isPresent())) {
      return Detection.notConfigured(CLOUD, Settings.CLIENT_ID + " comes with a client secret or certificate and no "
          + Settings.TOKEN_FILE + ": that is a service principal (azure-identity's EnvironmentCredential), not"
          + " workload identity.");
    }
    List<String> problems = Settings.problems(client, tenant, file != null, authority);
    if (!problems.isEmpty()) {
      return Detection.misconfigured(CLOUD, problems, Settings.AUDIENCES, file);
    }
    ProjectedToken token;
    try {
      token = read(file);
    } catch (WorkloadIdentityException e) {
      return Detection.misconfigured(CLOUD, List.of(e.getMessage()), Settings.AUDIENCES, file);
    }
    List<String> reasons = new ArrayList<>();
    reasons.add(Settings.CLIENT_ID + "=" + client + ", " + Settings.TENANT_ID + "=" + tenant + ", authority "
        + (authority == null ? Settings.DEFAULT_AUTHORITY_HOST + " (default)" : authority) + ", token from "
        + Settings.TOKEN_FILE + "=" + file + ".");
    if (token.audiences().stream().noneMatch(Settings.AUDIENCES::contains)) {
      reasons.add("The token's audience " + token.audiences() + " is not " + Settings.AUDIENCE + ": Entra will refuse"
          + " it (AADSTS700212/70021) unless the federated credential names this audience. Set the projected volume's"
          + " serviceAccountToken.audience to " + Settings.AUDIENCE + " (the webhook does).");
    }
    if (token.isExpiredAt(Instant.now())) {
      reasons.add("The token in " + file + " expired at " + token.expiresAt() + ": the kubelet is not rotating it.");
    }
    return Detection.detected(CLOUD, reasons, Settings.AUDIENCES, file);
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

  /** One bounded read to check the file and the audience; the credential itself watches the file. */
  private static ProjectedToken read(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      byte[] bytes = in.readNBytes(ProjectedToken.MAX_SIZE_BYTES + 1);
      return ProjectedToken.parse(new String(bytes, StandardCharsets.UTF_8));
    } catch (NoSuchFileException e) {
      throw new WorkloadIdentityException(Settings.TOKEN_FILE + " names " + file + ", which does not exist: the"
          + " projected token volume is not mounted in this container. " + Settings.POD_NOT_MUTATED);
    } catch (IOException e) {
      throw new WorkloadIdentityException(Settings.TOKEN_FILE + " names " + file + ", which cannot be read ("
          + e.getClass().getSimpleName() + "): projected tokens are mode 0600 unless the pod sets"
          + " securityContext.fsGroup.");
    }
  }
}
