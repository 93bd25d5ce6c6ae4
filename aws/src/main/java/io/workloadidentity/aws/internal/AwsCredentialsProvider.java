package io.workloadidentity.aws.internal;

import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.aws.EksPodIdentityCredentialsProvider;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Detections;
import io.workloadidentity.core.internal.GuardedProvider;
import io.workloadidentity.core.internal.Redaction;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentials;

/**
 * Auto-detection of AWS web identity (IRSA) and EKS Pod Identity. IRSA wins when both are
 * configured, as in the AWS SDK's default chain. Half-configured environments are reported as
 * misconfigured with the fix; nothing ever falls back silently to other credentials.
 */
public final class AwsCredentialsProvider extends GuardedProvider {
  static final String CLOUD = "aws";

  /** Used by {@link java.util.ServiceLoader}. */
  public AwsCredentialsProvider() {
    super(CLOUD, Set.of());
  }

  @Override
  protected Detection detectOrThrow(Environment env) {
    if (present(env, AwsSettings.ROLE_ARN) || present(env, AwsSettings.TOKEN_FILE)) {
      return detectIrsa(env);
    }
    if (podIdentityConfigured(env)) {
      return detectPodIdentity(env);
    }
    return Detection.notConfigured(CLOUD, "None of AWS_ROLE_ARN, AWS_WEB_IDENTITY_TOKEN_FILE (IRSA),"
        + " AWS_CONTAINER_CREDENTIALS_FULL_URI, AWS_CONTAINER_AUTHORIZATION_TOKEN(_FILE) (EKS Pod Identity) is set.");
  }

  @Override
  public AutoCloseable create(Environment env) {
    if (present(env, AwsSettings.ROLE_ARN) || present(env, AwsSettings.TOKEN_FILE)) {
      return AwsWebIdentityCredentialsProvider.builder().environment(env).build();
    }
    if (podIdentityConfigured(env)) {
      return EksPodIdentityCredentialsProvider.builder().environment(env).build();
    }
    throw new ConfigurationException("AWS web identity is not configured: " + detect(env).reasons());
  }

  /**
   * Resolves credentials once and describes them without secrets: the provider's session, account,
   * access key ID (not secret; it identifies the session in CloudTrail) and expiry.
   */
  @Override
  public String probe(AutoCloseable credentials) {
    if (!(credentials instanceof software.amazon.awssdk.auth.credentials.AwsCredentialsProvider provider)) {
      throw new UnsupportedOperationException("Not an AWS credentials provider: " + credentials.getClass().getName());
    }
    AwsCredentials c = provider.resolveCredentials();
    StringBuilder sb = new StringBuilder("AWS session credentials from ").append(provider)
        .append(": access key ").append(c.accessKeyId());
    c.accountId().ifPresent(a -> sb.append(", account ").append(a));
    c.expirationTime().ifPresent(t -> sb.append(", expire at ").append(t));
    return sb.toString();
  }

  private static Detection detectIrsa(Environment env) {
    List<String> reasons = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Set<String> audiences = Set.of(AwsSettings.IRSA_AUDIENCE);
    Optional<String> role = AwsSettings.ROLE_ARN.in(env);
    Optional<String> file = AwsSettings.TOKEN_FILE.in(env);
    if (role.isEmpty()) {
      problems.add(AwsSettings.TOKEN_FILE.names() + " is set but " + AwsSettings.ROLE_ARN.names() + " is "
          + (env.isSet(AwsSettings.ROLE_ARN.variable()) ? "empty" : "not") + ": annotate the service account with"
          + " eks.amazonaws.com/role-arn (or set AWS_ROLE_ARN) and restart the pod.");
    } else {
      check(problems, () -> AwsSettings.roleArn(role.get(), AwsSettings.ROLE_ARN.names()));
      reasons.add("IRSA: role " + AwsValues.quote(role.get()) + " (" + AwsSettings.ROLE_ARN.names() + ").");
    }
    Path tokenFile = null;
    if (file.isEmpty()) {
      problems.add(AwsSettings.ROLE_ARN.names() + " is set but " + AwsSettings.TOKEN_FILE.names() + " is "
          + (env.isSet(AwsSettings.TOKEN_FILE.variable()) ? "empty" : "not") + ": the projected token volume is"
          + " missing. The EKS webhook adds both when the pod is created; restart the pod, or set it to the"
          + " projected token's path.");
    } else {
      tokenFile = tokenFile(file.get(), AwsSettings.TOKEN_FILE, audiences, reasons, problems);
    }
    AwsSettings.SESSION_NAME.in(env).ifPresent(n -> check(problems,
        () -> SessionNames.validate(n, AwsSettings.SESSION_NAME.names())));
    describeEndpoint(env, reasons, problems);
    if (present(env, AwsSettings.CONTAINER_FULL_URI)) {
      reasons.add("EKS Pod Identity is configured too (" + AwsSettings.CONTAINER_FULL_URI.variable()
          + "); IRSA takes precedence, as in the AWS SDK.");
    }
    if (!problems.isEmpty()) {
      reasons.addAll(problems);
      return Detection.misconfigured(CLOUD, reasons, audiences, tokenFile);
    }
    return Detection.detected(CLOUD, reasons, audiences, tokenFile);
  }

  private static Detection detectPodIdentity(Environment env) {
    List<String> reasons = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    Set<String> audiences = Set.of(AwsSettings.POD_IDENTITY_AUDIENCE);
    Optional<AwsSettings.Sourced<URI>> agent = Optional.empty();
    try {
      agent = AwsSettings.containerEndpoint(env);
      agent.ifPresent(a -> reasons.add("EKS Pod Identity: agent endpoint " + a.value() + " (from " + a.source()
          + (present(env, AwsSettings.CONTAINER_RELATIVE_URI) && present(env, AwsSettings.CONTAINER_FULL_URI)
              ? "; it takes precedence over " + AwsSettings.CONTAINER_FULL_URI.variable() + ", as in the AWS SDK"
              : "") + ")."));
    } catch (ConfigurationException e) {
      problems.add(e.getMessage());
    }
    boolean endpointSet = present(env, AwsSettings.CONTAINER_FULL_URI) || present(env, AwsSettings.CONTAINER_RELATIVE_URI);
    if (!endpointSet) {
      problems.add("A Pod Identity token is set but " + AwsSettings.CONTAINER_FULL_URI.names() + " is not: the EKS"
          + " Pod Identity webhook sets both; restart the pod, or set it to http://169.254.170.23/v1/credentials.");
    }
    Optional<String> inline = AwsSettings.CONTAINER_TOKEN.in(env);
    Optional<String> file = AwsSettings.CONTAINER_TOKEN_FILE.in(env);
    Path tokenFile = null;
    if (inline.isEmpty() && file.isEmpty()) {
      if (agent.isPresent() && !AwsSettings.isEksAgent(agent.get().value())) {
        // A container credentials server without a token (ECS, local tools) is the SDK's job, not ours.
        return Detection.notConfigured(CLOUD, "A container credentials URL is set without "
            + AwsSettings.CONTAINER_TOKEN_FILE.variable() + " or " + AwsSettings.CONTAINER_TOKEN.variable()
            + ": not EKS Pod Identity; the AWS SDK's ContainerCredentialsProvider serves such endpoints.");
      }
      problems.add(AwsSettings.CONTAINER_FULL_URI.names() + " points at the EKS Pod Identity agent but neither "
          + AwsSettings.CONTAINER_TOKEN_FILE.names() + " nor " + AwsSettings.CONTAINER_TOKEN.names() + " is set: the"
          + " agent needs the projected token. Restart the pod so the webhook injects both.");
    } else if (inline.isPresent()) {
      inlineToken(inline.get(), file.isPresent(), reasons, problems);
    } else {
      tokenFile = tokenFile(file.get(), AwsSettings.CONTAINER_TOKEN_FILE, audiences, reasons, problems);
    }
    if (!problems.isEmpty()) {
      reasons.addAll(problems);
      return Detection.misconfigured(CLOUD, reasons, audiences, tokenFile);
    }
    return Detection.detected(CLOUD, reasons, audiences, tokenFile);
  }

  /** Checks the inline token as a token file's content is checked; never prints any of it. */
  private static void inlineToken(String value, boolean fileToo, List<String> reasons, List<String> problems) {
    reasons.add("Token from " + AwsSettings.CONTAINER_TOKEN.names() + " (inline"
        + (fileToo ? "; it takes precedence over " + AwsSettings.CONTAINER_TOKEN_FILE.variable() + ", as in the AWS SDK"
            : "") + ").");
    try {
      ProjectedToken token = AwsSettings.inlineToken(value);
      if (!token.hasAudience(AwsSettings.POD_IDENTITY_AUDIENCE)) {
        problems.add("The token in " + AwsSettings.CONTAINER_TOKEN.variable() + " has audience "
            + Redaction.escape(String.valueOf(token.audiences())) + " (not verified), not "
            + AwsSettings.POD_IDENTITY_AUDIENCE + ": the agent will refuse it. Use the eks-pod-identity-token.");
      }
      if (token.isExpiredAt(Instant.now())) {
        problems.add("The token in " + AwsSettings.CONTAINER_TOKEN.variable() + " expired at " + token.expiresAt()
            + ": an inline token is never rotated; point " + AwsSettings.CONTAINER_TOKEN_FILE.variable()
            + " at the projected token file instead.");
      }
    } catch (ConfigurationException e) {
      problems.add(e.getMessage());
    }
  }

  private static void describeEndpoint(Environment env, List<String> reasons, List<String> problems) {
    try {
      Optional<AwsSettings.Sourced<String>> region = AwsSettings.region(env);
      Optional<AwsSettings.Sourced<java.net.URI>> override = AwsSettings.endpointOverride(env);
      String r = region.map(AwsSettings.Sourced::value).orElse(null);
      boolean global = AwsSettings.useGlobalEndpoint(env, r);
      String endpoint = AwsSettings.describeEndpoint(AwsSettings.stsRegion(r, global),
          override.map(AwsSettings.Sourced::value).orElse(null));
      StringBuilder sb = new StringBuilder("STS endpoint ").append(endpoint);
      override.ifPresent(o -> sb.append(" (override from ").append(o.source()).append(')'));
      if (override.isEmpty()) {
        sb.append(region.map(s -> " (region " + s.value() + " from " + s.source()
            + (global ? ", global because AWS_STS_REGIONAL_ENDPOINTS=legacy" : "") + ")")
            .orElse(" (no AWS_REGION set: using the global endpoint; set AWS_REGION for the regional one)"));
      }
      reasons.add(sb.append('.').toString());
    } catch (ConfigurationException e) {
      problems.add(e.getMessage());
    }
  }

  /**
   * Checks the token file: it exists, is readable, and holds a token this path of AWS accepts (its
   * audience, not expired). Reads the file once; no watch.
   */
  private static Path tokenFile(String value, AwsSettings.Setting setting, Set<String> audiences, List<String> reasons,
      List<String> problems) {
    Path path;
    try {
      path = AwsSettings.path(value, setting);
    } catch (ConfigurationException e) {
      problems.add(e.getMessage());
      return null;
    }
    if (!Files.exists(path)) {
      problems.add("Token file " + path + " (" + setting.variable() + ") does not exist: is the projected"
          + " service-account token volume mounted in this container?");
    } else if (!Files.isReadable(path)) {
      problems.add("Token file " + path + " (" + setting.variable() + ") is not readable by this process: set"
          + " securityContext.fsGroup in the pod spec.");
    } else {
      reasons.add("Token file " + path + " (" + setting.variable() + ").");
      try {
        problems.addAll(Detections.tokenFindings(path, setting.variable(), audiences, audiences.contains(
            AwsSettings.IRSA_AUDIENCE) ? "Set the projected token's audience to sts.amazonaws.com (the EKS webhook's"
                + " eks.amazonaws.com/audience annotation)." : "Mount the eks-pod-identity-token volume (audience"
                + " pods.eks.amazonaws.com), as the EKS Pod Identity webhook does.", Instant.now()));
      } catch (WorkloadIdentityException e) {
        problems.add(e.getMessage());
      }
    }
    return path;
  }

  /**
   * Whether EKS Pod Identity is configured: a token (file or inline) or the full URI. The relative
   * URI alone is ECS's task role, which the AWS SDK serves.
   */
  private static boolean podIdentityConfigured(Environment env) {
    return present(env, AwsSettings.CONTAINER_FULL_URI) || present(env, AwsSettings.CONTAINER_TOKEN_FILE)
        || present(env, AwsSettings.CONTAINER_TOKEN);
  }

  private static boolean present(Environment env, AwsSettings.Setting s) {
    return s.in(env).isPresent() || env.isSet(s.variable());
  }

  private static void check(List<String> problems, Supplier<?> validation) {
    try {
      validation.get();
    } catch (ConfigurationException e) {
      problems.add(e.getMessage());
    }
  }
}
