package io.workloadidentity.gcp.internal;

import com.google.api.client.json.GenericJson;
import com.google.api.client.json.gson.GsonFactory;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Detections;
import io.workloadidentity.core.internal.GuardedProvider;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * The {@code gcp} provider for {@code WorkloadIdentity.detect()}: workload identity federation from an
 * {@code external_account} file named by {@code GOOGLE_APPLICATION_CREDENTIALS}, or GKE Workload
 * Identity through the metadata server. Detection reads only local files, never the network.
 */
public final class GcpCredentialsProvider extends GuardedProvider {
  private static final String CLOUD = "gcp";
  private final GkeSignals signals;

  /** The provider {@link java.util.ServiceLoader} instantiates. */
  public GcpCredentialsProvider() {
    this(GkeSignals.system());
  }

  /** A provider that looks for GKE evidence in the given files (tests). */
  public GcpCredentialsProvider(GkeSignals signals) {
    super(CLOUD, Set.of());
    this.signals = signals;
  }

  @Override
  protected Detection detectOrThrow(Environment env) {
    Optional<String> file = env.get(GcpSettings.CREDENTIALS_VARIABLE, GcpSettings.CREDENTIALS_PROPERTY);
    if (file.isPresent()) {
      return detectFile(Path.of(file.get()), env);
    }
    Optional<String> evidence = signals.evidence(env);
    if (evidence.isPresent()) {
      Optional<String> configured = GkeSignals.configuredHost(env);
      String host = configured.map(h -> Redaction.escape(h) + " (override from " + GkeSignals.METADATA_HOST + ")")
          .orElse(GkeSignals.DEFAULT_HOST + " (default)");
      return Detection.detected(CLOUD, List.of(evidence.get() + ": access tokens come from the metadata server at"
          + " http://" + host + ", GKE Workload Identity; while it starts with the pod, failed requests are"
          + " retried with backoff."), Set.of(), null);
    }
    return Detection.notConfigured(CLOUD, GcpSettings.CREDENTIALS_VARIABLE + " is not set and no Google metadata"
        + " server is expected here (not GKE, " + GkeSignals.METADATA_HOST + " not set).");
  }

  @Override
  public AutoCloseable create(Environment env) {
    GcpWorkloadIdentityCredentials.Builder b = GcpWorkloadIdentityCredentials.builder().environment(env);
    if (env.get(GcpSettings.CREDENTIALS_VARIABLE, GcpSettings.CREDENTIALS_PROPERTY).isEmpty() && signals.evidence(env).isPresent()) {
      b.metadataServer();
    }
    return b.build();
  }

  private Detection detectFile(Path file, Environment env) {
    String named = GcpSettings.CREDENTIALS_VARIABLE + "=" + Redaction.escape(file.toString());
    if (!Files.isRegularFile(file)) {
      return Detection.misconfigured(CLOUD, List.of(named + " does not exist or is not a file: mount the external_account"
          + " configuration (usually a ConfigMap) at that path, or unset the variable."), Set.of(), null);
    }
    String type = typeOf(file);
    if (type != null && !type.equals("external_account")) {
      return Detection.notConfigured(CLOUD, named + " is a \"" + Redaction.escape(type) + "\" credential, not workload identity"
          + " federation; Google's default credentials handle it.");
    }
    ExternalAccountConfig config;
    try {
      config = ExternalAccountConfig.read(file, GcpSettings.CREDENTIALS_VARIABLE);
      // Everything build() checks, the endpoint policy first: detection must not report DETECTED for
      // a configuration that would be refused.
      GcpSettings.resolve(new GcpSettings.Inputs(env, file, null, null, null, null, null, null, null, false, null, null,
          null, null, null, null, null, null, null, Set.of(), false));
    } catch (ConfigurationException e) {
      return Detection.misconfigured(CLOUD, List.of(e.getMessage()), Set.of(), null);
    }
    // The provider accepts its default audiences unless configured otherwise; Google's Kubernetes guide
    // projects the https: form.
    Set<String> audiences = Set.of(Failures.defaultAudience(config.audience()), config.audience());
    List<String> reasons = new ArrayList<>();
    reasons.add(named + ": workload identity federation through provider " + config.audience()
        + config.serviceAccount().map(sa -> ", impersonating " + sa).orElse(", direct resource access (no impersonation)") + ".");
    // The doctor prints reasons: say where the tokens go, and flag what the file overrides.
    reasons.add("Endpoints: STS " + Redaction.escape(config.tokenUrl())
        + (config.tokenUrl().equals("https://sts." + config.universeDomain() + "/v1/token")
            ? " (the default for universe " + config.universeDomain() + ")" : " (override from the file's token_url)")
        + config.serviceAccount().map(sa -> ", IAM Credentials " + Redaction.escape(config.iamEndpoint())).orElse("")
        + ".");
    reasons.add("Subject token: " + config.tokenFile() + config.jsonField().map(f -> " (json field " + f + ")").orElse("")
        + "; expected audience " + Failures.defaultAudience(config.audience())
        + " unless the provider lists other allowed audiences.");
    if (!Files.exists(config.tokenFile())) {
      reasons.add("credential_source.file " + config.tokenFile() + " does not exist: mount a projected service-account"
          + " token volume there (serviceAccountToken.audience: " + Failures.defaultAudience(config.audience()) + ").");
      return Detection.misconfigured(CLOUD, reasons, audiences, config.tokenFile());
    }
    if (config.jsonField().isEmpty()) {
      // Any audience may be allowed by the provider (the report warns about an unusual one); an
      // unreadable or expired token is wrong whatever the provider says.
      List<String> findings = new ArrayList<>();
      try {
        findings.addAll(Detections.tokenFindings(config.tokenFile(), "credential_source.file", Set.of(), "", Instant.now()));
        ApiServerTokens.problem(FileTokenSource.readOnce(config.tokenFile(), "credential_source.file"),
            config.tokenFile().toString(), config.audience()).ifPresent(findings::add);
      } catch (WorkloadIdentityException e) {
        findings = List.of(Redaction.message(e.getMessage()));
      }
      if (!findings.isEmpty()) {
        reasons.addAll(findings);
        return Detection.misconfigured(CLOUD, reasons, audiences, config.tokenFile());
      }
    }
    return Detection.detected(CLOUD, reasons, audiences, config.jsonField().isPresent() ? null : config.tokenFile());
  }

  private static String typeOf(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      String text = new String(in.readNBytes(64 * 1024), StandardCharsets.UTF_8);
      if (!TokenResponses.depthWithin(text, TokenResponses.MAX_DEPTH)) {
        return null; // ExternalAccountConfig.read reports it
      }
      GenericJson json = GsonFactory.getDefaultInstance().fromString(text, GenericJson.class);
      return json != null && json.get("type") instanceof String s ? s : null;
    } catch (IOException | RuntimeException e) {
      return null; // ExternalAccountConfig.read reports it precisely
    }
  }
}
