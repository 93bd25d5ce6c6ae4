package io.workloadidentity.aws;

import io.workloadidentity.aws.internal.AwsSettings;
import io.workloadidentity.aws.internal.SessionNames;
import io.workloadidentity.aws.internal.Sessions;
import io.workloadidentity.aws.internal.SharedSession;
import io.workloadidentity.aws.internal.StsKey;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.ResolveIdentityRequest;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * AWS credentials for a Kubernetes pod from its projected service-account token, through STS {@code
 * AssumeRoleWithWebIdentity} (IRSA). A drop-in for any AWS SDK v2 client:
 *
 * <pre>{@code
 * try (var credentials = AwsWebIdentityCredentialsProvider.create()) {
 *   S3Client s3 = S3Client.builder().credentialsProvider(credentials).build();
 * }
 * }</pre>
 *
 * <p><b>Configuration.</b> {@link #create()} reads the same settings as the SDK (a system property
 * wins over the environment variable; values are trimmed): {@code AWS_ROLE_ARN}, {@code
 * AWS_WEB_IDENTITY_TOKEN_FILE}, {@code AWS_ROLE_SESSION_NAME}, {@code AWS_REGION} then {@code
 * AWS_DEFAULT_REGION}, {@code AWS_STS_REGIONAL_ENDPOINTS}, {@code AWS_ENDPOINT_URL_STS} then {@code
 * AWS_ENDPOINT_URL}. The regional STS endpoint is used by default; instance metadata is never
 * probed. The default session name is the pod's name from the token.
 *
 * <p><b>Behaviour.</b> Providers configured identically share one STS session per JVM, so ten SDK
 * clients each built with {@code create()} make one STS call per refresh, not ten. The credentials
 * are refreshed in the background at about 80% of their lifetime; while STS fails (throttling,
 * 5xx, network, the identity provider's keys unreachable), the valid credentials keep being served
 * and the call is retried with capped exponential backoff. When STS says the token is expired or
 * invalid, the token file is re-read and the call retried once. Refusals that need a fix ({@code
 * AccessDenied}, {@code IDPRejectedClaim}, {@code RegionDisabledException}, ...) are reported as an
 * {@link AwsExchangeException} naming the role, the token's claims and the trust policy needed.
 * There is never a silent fallback to other credentials.
 *
 * <p><b>Threads and blocking.</b> Thread-safe. {@link #resolveCredentials()} is lock- and
 * allocation-free while the cached credentials are fresh; it blocks only when there are none (first
 * call, or after they expired) and then throws the typed failure if the exchange fails. {@link
 * #resolveIdentity(ResolveIdentityRequest)} never blocks. Building performs no network call and does
 * not read the token file. {@link #close()} releases this provider's share of the session; the last
 * provider of a session stops its background refresh and file watch.
 */
public final class AwsWebIdentityCredentialsProvider implements AwsCredentialsProvider, AutoCloseable {
  private final SharedSession session;
  private final Supplier<AwsSessionCredentials> credentials;
  private volatile boolean closed;

  private AwsWebIdentityCredentialsProvider(SharedSession session) {
    this.session = session;
    this.credentials = session.bind();
  }

  /**
   * A provider configured from the environment and system properties.
   *
   * @throws ConfigurationException if {@code AWS_ROLE_ARN} or {@code AWS_WEB_IDENTITY_TOKEN_FILE} is
   *     missing or a setting is invalid; the message names the variable and the fix
   */
  public static AwsWebIdentityCredentialsProvider create() {
    return builder().build();
  }

  /** A builder; every setting left unset is read from the {@linkplain Builder#environment environment}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The current session credentials, with their expiration time and account ID.
   *
   * @throws AwsExchangeException if no valid credentials exist and STS refused or failed
   * @throws io.workloadidentity.core.WorkloadIdentityException if the token file cannot be read
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public AwsCredentials resolveCredentials() {
    checkOpen();
    return credentials.get();
  }

  /**
   * The current credentials without blocking: a completed future while cached credentials are
   * valid, otherwise one completed by the exchange (exceptionally with the typed failure).
   */
  @Override
  @SuppressWarnings("unchecked")
  public CompletableFuture<AwsCredentialsIdentity> resolveIdentity(ResolveIdentityRequest request) {
    checkOpen();
    // Each future is new and only read by the caller, so widening its type is safe.
    return (CompletableFuture<AwsCredentialsIdentity>) (CompletableFuture<?>) session.getAsync();
  }

  /** Releases this provider's share of the STS session. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      session.release();
    }
  }

  /** The role session this provider uses; never shows credentials or the token. */
  @Override
  public String toString() {
    return "AwsWebIdentityCredentialsProvider[" + session + "]";
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  /**
   * Configures an {@link AwsWebIdentityCredentialsProvider}. Not thread-safe; {@link #build()} may
   * be called more than once (providers with equal settings share their session).
   */
  public static final class Builder {
    private static final CredentialCache.Listener<Object> NO_LISTENER = new CredentialCache.Listener<>() {};

    private Environment environment = Environment.system();
    private String roleArn;
    private String roleSessionName;
    private Path tokenFile;
    private TokenSource tokenSource;
    private String region;
    private URI stsEndpoint;
    private Integer durationSeconds;
    private String sessionPolicy;
    private List<String> policyArns = List.of();
    private StsClient stsClient;
    private Clock clock = Clock.systemUTC();
    private RefreshPolicy refreshPolicy = RefreshPolicy.defaults();
    private CredentialCache.Listener<Object> listener = NO_LISTENER;

    private Builder() {}

    /** Where settings left unset are read from. Default {@link Environment#system()}. */
    public Builder environment(Environment environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /** The IAM role to assume. Default {@code AWS_ROLE_ARN} / {@code aws.roleArn}. */
    public Builder roleArn(String roleArn) {
      this.roleArn = Objects.requireNonNull(roleArn, "roleArn").strip();
      return this;
    }

    /**
     * The role session name, {@code [\w+=,.@-]{2,64}}, shown in CloudTrail. Default {@code
     * AWS_ROLE_SESSION_NAME} / {@code aws.roleSessionName}, else the pod name from the token.
     */
    public Builder roleSessionName(String roleSessionName) {
      this.roleSessionName = Objects.requireNonNull(roleSessionName, "roleSessionName").strip();
      return this;
    }

    /**
     * The projected token file, read and watched through the core's {@code FileTokenSource}.
     * Default {@code AWS_WEB_IDENTITY_TOKEN_FILE} / {@code aws.webIdentityTokenFile}.
     */
    public Builder tokenFile(Path tokenFile) {
      this.tokenFile = Objects.requireNonNull(tokenFile, "tokenFile");
      this.tokenSource = null;
      return this;
    }

    /** A token source to use instead of a file (the caller keeps ownership; it is not closed). */
    public Builder tokenSource(TokenSource tokenSource) {
      this.tokenSource = Objects.requireNonNull(tokenSource, "tokenSource");
      this.tokenFile = null;
      return this;
    }

    /**
     * The STS region, for the regional endpoint {@code https://sts.<region>.amazonaws.com}. Default
     * {@code AWS_REGION} / {@code aws.region}, then {@code AWS_DEFAULT_REGION}; with none, the global
     * endpoint. Never looked up from instance metadata.
     */
    public Builder region(String region) {
      this.region = Objects.requireNonNull(region, "region").strip();
      return this;
    }

    /**
     * An explicit STS endpoint (a VPC interface endpoint, a FIPS endpoint, or a local test server).
     * Default {@code AWS_ENDPOINT_URL_STS} / {@code aws.endpointUrlSts}, then {@code AWS_ENDPOINT_URL}
     * / {@code aws.endpointUrl}.
     */
    public Builder stsEndpoint(URI endpoint) {
      this.stsEndpoint = AwsSettings.endpoint(Objects.requireNonNull(endpoint, "endpoint").toString(), "stsEndpoint()");
      return this;
    }

    /**
     * The session duration to request, 15 minutes to 12 hours and at most the role's maximum.
     * Default: not sent, so STS uses one hour. Longer sessions mean fewer STS calls.
     */
    public Builder sessionDuration(Duration duration) {
      long s = Objects.requireNonNull(duration, "duration").getSeconds();
      if (s < 900 || s > 43_200 || duration.getNano() != 0) {
        throw new ConfigurationException("sessionDuration must be whole seconds between 15 minutes and 12 hours: "
            + duration);
      }
      this.durationSeconds = (int) s;
      return this;
    }

    /** An inline session policy (JSON) that further restricts the role's permissions. */
    public Builder sessionPolicy(String policyJson) {
      String p = Objects.requireNonNull(policyJson, "policyJson");
      if (p.isEmpty() || p.length() > 2048) {
        throw new ConfigurationException("sessionPolicy must be 1 to 2048 characters, not " + p.length());
      }
      this.sessionPolicy = p;
      return this;
    }

    /** Managed policy ARNs (at most 10) that further restrict the role's permissions. */
    public Builder policyArns(String... arns) {
      return policyArns(Arrays.asList(arns));
    }

    /** Managed policy ARNs (at most 10) that further restrict the role's permissions. */
    public Builder policyArns(Collection<String> arns) {
      List<String> copy = List.copyOf(arns);
      if (copy.size() > 10) {
        throw new ConfigurationException("At most 10 policy ARNs can be passed to STS, not " + copy.size());
      }
      this.policyArns = copy;
      return this;
    }

    /**
     * An STS client to use instead of this module's (to choose another HTTP client, proxy or retry
     * settings). It should use anonymous credentials; the caller keeps ownership. Region and endpoint
     * settings of this builder are then not used.
     */
    public Builder stsClient(StsClient stsClient) {
      this.stsClient = Objects.requireNonNull(stsClient, "stsClient");
      return this;
    }

    /** The wall clock for expiry and refresh decisions. Default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** When to refresh and how to back off. Default {@link RefreshPolicy#defaults()}. */
    public Builder refreshPolicy(RefreshPolicy refreshPolicy) {
      this.refreshPolicy = Objects.requireNonNull(refreshPolicy, "refreshPolicy");
      return this;
    }

    /**
     * Receives refresh and refresh-failure events (for metrics or logs). The key passed to it
     * describes the session. Providers with different listeners do not share a session.
     */
    public Builder listener(CredentialCache.Listener<Object> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Builds the provider, or joins the existing session of an identically configured one. Reads no
     * file and makes no network call.
     *
     * @throws ConfigurationException if the role ARN or token file is missing, or a setting is invalid
     */
    public AwsWebIdentityCredentialsProvider build() {
      String role = roleArn != null ? AwsSettings.roleArn(roleArn, "roleArn()")
          : AwsSettings.ROLE_ARN.in(environment).map(v -> AwsSettings.roleArn(v, AwsSettings.ROLE_ARN.names()))
              .orElseThrow(() -> new ConfigurationException("No IAM role to assume: set " + AwsSettings.ROLE_ARN.names()
                  + " (the EKS webhook sets it from the service account's eks.amazonaws.com/role-arn annotation;"
                  + " restart the pod after annotating) or call roleArn()."));
      Object tokenOrigin = tokenSource;
      String tokenVariable = null;
      if (tokenOrigin == null) {
        Path file = tokenFile;
        if (file == null) {
          file = AwsSettings.TOKEN_FILE.in(environment).map(Path::of).orElseThrow(() -> new ConfigurationException(
              "No web identity token file: set " + AwsSettings.TOKEN_FILE.names() + " (the EKS webhook sets it to"
                  + " /var/run/secrets/eks.amazonaws.com/serviceaccount/token) or call tokenFile()."));
          tokenVariable = AwsSettings.TOKEN_FILE.variable();
        }
        tokenOrigin = file.toAbsolutePath().normalize();
      }
      String session = roleSessionName != null ? SessionNames.validate(roleSessionName, "roleSessionName()")
          : AwsSettings.SESSION_NAME.in(environment)
              .map(v -> SessionNames.validate(v, AwsSettings.SESSION_NAME.names())).orElse(null);
      String reg = region != null ? AwsSettings.region(region, "region()")
          : AwsSettings.region(environment).map(AwsSettings.Sourced::value).orElse(null);
      URI endpoint = stsEndpoint != null ? stsEndpoint
          : AwsSettings.endpointOverride(environment).map(AwsSettings.Sourced::value).orElse(null);
      boolean global = AwsSettings.useGlobalEndpoint(environment, reg);
      StsKey key = new StsKey(role, session, tokenOrigin, reg, global, endpoint, durationSeconds, sessionPolicy,
          policyArns, stsClient, clock, refreshPolicy, listener);
      return new AwsWebIdentityCredentialsProvider(Sessions.sts(key, tokenVariable));
    }

    /** Lists the explicitly set values (never a policy's text). */
    @Override
    public String toString() {
      return "AwsWebIdentityCredentialsProvider.Builder{roleArn=" + roleArn + ", tokenFile="
          + Optional.ofNullable(tokenFile).map(Path::toString).orElse(tokenSource == null ? null : tokenSource.description())
          + ", region=" + region + ", stsEndpoint=" + stsEndpoint + "}";
    }
  }
}
