package io.workloadidentity.aws;

import io.workloadidentity.aws.internal.AwsSession;
import io.workloadidentity.aws.internal.AwsSettings;
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
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.ResolveIdentityRequest;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.utils.SdkAutoCloseable;
import software.amazon.awssdk.utils.ToString;
import software.amazon.awssdk.utils.builder.CopyableBuilder;
import software.amazon.awssdk.utils.builder.ToCopyableBuilder;

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
 * probed. The default session name is the pod's name from the token. {@link #toBuilder()} gives a
 * builder holding every setting of this provider, to derive a modified one.
 *
 * <p><b>Checked before anything is sent.</b> Every setting is validated when the provider is built
 * (role and policy ARNs, region, session name, durations; control characters refused everywhere),
 * and an STS endpoint must be https unless it is loopback: plain http to another host needs {@link
 * Builder#allowHttp(boolean)} or the process-wide {@code WORKLOAD_IDENTITY_ALLOW_HTTP=true}. STS's
 * answer is capped ({@link Builder#maxResponseBytes(int)}) and checked (every credential member
 * present and usable, the expiry in the future) before it is used.
 *
 * <p><b>Behaviour.</b> Providers configured identically share one STS session per JVM, so ten SDK
 * clients each built with {@code create()} make one STS call per refresh, not ten. The credentials
 * are refreshed in the background at about 80% of their lifetime; while STS fails (throttling,
 * 5xx, network, the identity provider's keys unreachable), the valid credentials keep being served
 * and the call is retried with capped exponential backoff: one STS request per attempt, the SDK's
 * own retries are off. When STS says the token is expired or invalid, the token file is re-read and
 * the next attempt starts as soon as the kubelet's new token is seen. Refusals that need a fix
 * ({@code AccessDenied}, {@code IDPRejectedClaim}, {@code RegionDisabledException}, ...) are
 * reported as an {@link AwsExchangeException} naming the role, the token's claims and the trust
 * policy needed. There is never a silent fallback to other credentials.
 *
 * <p><b>Threads and blocking.</b> Thread-safe. {@link #resolveCredentials()} is lock- and
 * allocation-free while the cached credentials are fresh; it blocks only when there are none (first
 * call, or after they expired), never past the exchange timeout, and then throws the typed failure
 * if the exchange fails. {@link #resolveIdentity(ResolveIdentityRequest)} never parks a thread.
 * Building performs no network call and does not read the token file. {@link #close()} releases
 * this provider's share of the session; the last provider of a session stops its background
 * refresh, its token-file watch and its STS client.
 *
 * <p><b>Ownership.</b> An AWS SDK client closes the credentials provider it was given when the
 * client is closed. Give each client its own provider, for example {@code
 * S3Client.builder().credentialsProvider(AwsWebIdentityCredentialsProvider.create())}: identically
 * configured providers share one session, so this costs no extra STS call, and the session ends
 * with the last client.
 */
public final class AwsWebIdentityCredentialsProvider implements AwsCredentialsProvider, SdkAutoCloseable,
    ToCopyableBuilder<AwsWebIdentityCredentialsProvider.Builder, AwsWebIdentityCredentialsProvider> {
  private final Environment environment;
  private final CredentialCache.Listener<? super AwsCredentialKey> listener;
  private final AwsSession.Share share;

  private AwsWebIdentityCredentialsProvider(Builder b) {
    AwsSettings settings = b.draft.sts();
    this.environment = b.draft.environment();
    this.listener = b.listener;
    this.share = AwsSession.share(settings, listener, this);
  }

  /**
   * A provider configured from the environment and system properties.
   *
   * @return the provider; close it when done
   * @throws ConfigurationException if {@code AWS_ROLE_ARN} or {@code AWS_WEB_IDENTITY_TOKEN_FILE} is
   *     missing or a setting is invalid; the message names the variable and the fix
   */
  public static AwsWebIdentityCredentialsProvider create() {
    return builder().build();
  }

  /**
   * A builder; every setting left unset is read from the {@linkplain Builder#environment environment}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding every setting of this provider (those read from the environment included)
   * and its listener. Building it unchanged gives a provider that shares this one's session; a
   * changed setting gives a provider of its own session. This provider is not affected either way.
   *
   * @return a new builder
   */
  @Override
  public Builder toBuilder() {
    return new Builder(AwsSettings.Draft.of(share.session().settings(), environment), listener);
  }

  /**
   * The current session credentials, with their expiration time and account ID.
   *
   * @return {@link software.amazon.awssdk.auth.credentials.AwsSessionCredentials} that are not expired
   * @throws AwsExchangeException if no valid credentials exist and STS refused or failed
   * @throws io.workloadidentity.core.WorkloadIdentityException if the token file cannot be read
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public AwsCredentials resolveCredentials() {
    return share.get();
  }

  /**
   * The current credentials without parking a thread: a completed future while cached credentials
   * are valid, otherwise the running exchange's (completed exceptionally with the typed failure).
   *
   * @param request ignored: the credentials do not depend on it
   * @return the future credentials ({@link software.amazon.awssdk.auth.credentials.AwsSessionCredentials})
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  @SuppressWarnings("unchecked")
  public CompletableFuture<AwsCredentialsIdentity> resolveIdentity(ResolveIdentityRequest request) {
    // Each future is new and only read by the caller, so widening its type is safe.
    return (CompletableFuture<AwsCredentialsIdentity>) (CompletableFuture<?>) share.getAsync();
  }

  /** Releases this provider's share of the STS session (and its listener). Idempotent; never throws. */
  @Override
  public void close() {
    share.close();
  }

  /**
   * The configuration, in the AWS SDK's {@code ToString} style; never credentials, the token or the
   * session policy's text.
   */
  @Override
  public String toString() {
    AwsSettings s = share.session().settings();
    return ToString.builder("AwsWebIdentityCredentialsProvider")
        .add("roleArn", s.roleArn())
        .add("roleSessionName", s.sessionName())
        .add("tokenFile", s.tokenDescription())
        .add("region", s.region())
        .add("stsEndpoint", share.session().key().endpoint())
        .add("sessionDuration", s.durationSeconds() == null ? null : Duration.ofSeconds(s.durationSeconds()))
        .add("sessionPolicy", s.policy() == null ? null : "*** (" + s.policy().length() + " characters)")
        .add("policyArns", s.policyArns().isEmpty() ? null : s.policyArns())
        .add("closed", share.isClosed() ? true : null)
        .build();
  }

  /**
   * Configures an {@link AwsWebIdentityCredentialsProvider}. Every setter rejects {@code null} with
   * a {@link NullPointerException} naming the setting; a setting left unset is read from the
   * environment, then defaulted. Not thread-safe; {@link #build()} may be called more than once
   * (providers with equal settings share their session).
   */
  public static final class Builder implements CopyableBuilder<Builder, AwsWebIdentityCredentialsProvider> {
    private final AwsSettings.Draft draft;
    private CredentialCache.Listener<? super AwsCredentialKey> listener;

    private Builder() {
      this(new AwsSettings.Draft(), null);
    }

    private Builder(AwsSettings.Draft draft, CredentialCache.Listener<? super AwsCredentialKey> listener) {
      this.draft = draft;
      this.listener = listener;
    }

    /**
     * Where settings left unset are read from.
     *
     * @param environment the environment; default {@link Environment#system()}
     * @return this builder
     */
    public Builder environment(Environment environment) {
      draft.environment(environment);
      return this;
    }

    /**
     * The IAM role to assume.
     *
     * @param roleArn the role ARN; default {@code AWS_ROLE_ARN} / {@code aws.roleArn}
     * @return this builder
     */
    public Builder roleArn(String roleArn) {
      draft.roleArn(roleArn);
      return this;
    }

    /**
     * The role session name, {@code [\w+=,.@-]{2,64}}, shown in CloudTrail.
     *
     * @param roleSessionName the name; default {@code AWS_ROLE_SESSION_NAME} / {@code
     *     aws.roleSessionName}, else the pod name from the token
     * @return this builder
     */
    public Builder roleSessionName(String roleSessionName) {
      draft.roleSessionName(roleSessionName);
      return this;
    }

    /**
     * The projected token file, read and watched through the core's {@code FileTokenSource}.
     * Replaces a {@link #tokenSource}.
     *
     * @param tokenFile the file; default {@code AWS_WEB_IDENTITY_TOKEN_FILE} / {@code aws.webIdentityTokenFile}
     * @return this builder
     */
    public Builder tokenFile(Path tokenFile) {
      draft.tokenFile(tokenFile);
      return this;
    }

    /**
     * A token source to use instead of a file (the caller keeps ownership; it is not closed).
     * Providers share a session only when given the same source instance.
     *
     * @param tokenSource the source
     * @return this builder
     */
    public Builder tokenSource(TokenSource tokenSource) {
      draft.tokenSource(tokenSource);
      return this;
    }

    /**
     * The STS region, for the regional endpoint {@code https://sts.<region>.amazonaws.com}. Never
     * looked up from instance metadata.
     *
     * @param region the region; default {@code AWS_REGION} / {@code aws.region}, then {@code
     *     AWS_DEFAULT_REGION}; with none, the global endpoint
     * @return this builder
     */
    public Builder region(String region) {
      draft.region(region);
      return this;
    }

    /**
     * An explicit STS endpoint (a VPC interface endpoint, a FIPS endpoint, or a local test server).
     * It must be https, except to loopback; plain http to another host is refused when the provider
     * is built, unless {@link #allowHttp(boolean)} allows it.
     *
     * @param stsEndpoint an absolute https URL (or http to loopback); default {@code
     *     AWS_ENDPOINT_URL_STS} / {@code aws.endpointUrlSts}, then {@code AWS_ENDPOINT_URL} / {@code
     *     aws.endpointUrl}
     * @return this builder
     * @throws ConfigurationException if it is not an absolute http(s) URL, or hides its real host
     *     behind user information ({@code https://sts.amazonaws.com@other.host/})
     */
    public Builder stsEndpoint(URI stsEndpoint) {
      draft.stsEndpoint(stsEndpoint);
      return this;
    }

    /**
     * The session duration to request. Longer sessions mean fewer STS calls.
     *
     * @param sessionDuration whole seconds, 15 minutes to 12 hours and at most the role's maximum;
     *     default: not sent, so STS uses one hour
     * @return this builder
     * @throws ConfigurationException if it is out of range
     */
    public Builder sessionDuration(Duration sessionDuration) {
      draft.sessionDuration(sessionDuration);
      return this;
    }

    /**
     * An inline session policy that further restricts the role's permissions.
     *
     * @param sessionPolicy the policy JSON, 1 to 2048 characters (tab, line breaks, U+0020 to U+00FF)
     * @return this builder
     * @throws ConfigurationException if it is empty, too long or holds another character
     */
    public Builder sessionPolicy(String sessionPolicy) {
      draft.sessionPolicy(sessionPolicy);
      return this;
    }

    /**
     * Managed policy ARNs that further restrict the role's permissions.
     *
     * @param policyArns at most 10 IAM managed policy ARNs
     * @return this builder
     * @throws ConfigurationException if there are more than 10, or one is not a policy ARN
     */
    public Builder policyArns(String... policyArns) {
      return policyArns(Arrays.asList(Objects.requireNonNull(policyArns, "policyArns")));
    }

    /**
     * Managed policy ARNs that further restrict the role's permissions.
     *
     * @param policyArns at most 10 IAM managed policy ARNs
     * @return this builder
     * @throws ConfigurationException if there are more than 10, or one is not a policy ARN
     */
    public Builder policyArns(Collection<String> policyArns) {
      draft.policyArns(policyArns);
      return this;
    }

    /**
     * An STS client to use instead of this module's (to choose another HTTP client, proxy or TLS
     * settings). It should use anonymous credentials; the caller keeps ownership. Region, endpoint,
     * connect and read timeout settings of this builder are then not used; the SDK's retries are
     * switched off and the exchange timeout applied per request all the same.
     *
     * @param stsClient the client
     * @return this builder
     */
    public Builder stsClient(StsClient stsClient) {
      draft.stsClient(stsClient);
      return this;
    }

    /**
     * The wall clock for expiry and refresh decisions.
     *
     * @param clock the clock; default {@link Clock#systemUTC()}
     * @return this builder
     */
    public Builder clock(Clock clock) {
      draft.clock(clock);
      return this;
    }

    /**
     * When to refresh and how to back off.
     *
     * @param refreshPolicy the policy; default {@link RefreshPolicy#defaults()}
     * @return this builder
     */
    public Builder refreshPolicy(RefreshPolicy refreshPolicy) {
      draft.refreshPolicy(refreshPolicy);
      return this;
    }

    /**
     * Receives refresh, failure and rotation events (for metrics or logs), keyed by this provider's
     * {@link AwsCredentialKey}. Providers with different listeners still share one session; each
     * listener object hears each of the session's events once (however many providers of the
     * session carry it, as {@link AwsWebIdentityCredentialsProvider#toBuilder()} copies do), until
     * the last provider carrying it is closed.
     *
     * @param listener the listener; default none
     * @return this builder
     */
    public Builder listener(CredentialCache.Listener<? super AwsCredentialKey> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The deadline of one exchange (one STS request): callers waiting for it get a retryable error
     * then, and the call is abandoned. Also the STS call's {@code apiCallTimeout}.
     *
     * @param exchangeTimeout positive, at most an hour; default 30 s
     * @return this builder
     * @throws ConfigurationException if it is not positive or longer than an hour
     */
    public Builder exchangeTimeout(Duration exchangeTimeout) {
      draft.exchangeTimeout(exchangeTimeout);
      return this;
    }

    /**
     * The time to establish a connection to STS.
     *
     * @param connectTimeout positive, at most an hour; default 2 s
     * @return this builder
     * @throws ConfigurationException if it is not positive or longer than an hour
     */
    public Builder connectTimeout(Duration connectTimeout) {
      draft.connectTimeout(connectTimeout);
      return this;
    }

    /**
     * The longest wait for the next bytes of STS's response.
     *
     * @param readTimeout positive, at most an hour; default 5 s
     * @return this builder
     * @throws ConfigurationException if it is not positive or longer than an hour
     */
    public Builder readTimeout(Duration readTimeout) {
      draft.readTimeout(readTimeout);
      return this;
    }

    /**
     * Allows plain http to an STS endpoint that is not loopback (a test cluster behind a plain-http
     * proxy, say). Off by default: the projected token would travel in clear, so an {@code http://}
     * {@link #stsEndpoint} or {@code AWS_ENDPOINT_URL_STS} to another host is refused with a {@link
     * ConfigurationException}. Loopback endpoints (local emulators, the testkit) never need it.
     *
     * @param allowHttp true to allow it; default: the process-wide opt-in, system property {@code
     *     workloadidentity.allowHttp} / variable {@code WORKLOAD_IDENTITY_ALLOW_HTTP} set to {@code true}
     * @return this builder
     */
    public Builder allowHttp(boolean allowHttp) {
      draft.allowHttp(allowHttp);
      return this;
    }

    /**
     * The largest response body read from STS; a larger one fails the attempt (retryably) as soon as
     * the cap is passed, and nothing beyond it is held in memory.
     *
     * @param maxResponseBytes 1 KiB to 16 MiB; default 64 KiB (STS answers with 1 to 4 KiB)
     * @return this builder
     * @throws ConfigurationException if it is out of range
     */
    public Builder maxResponseBytes(int maxResponseBytes) {
      draft.maxResponseBytes(maxResponseBytes);
      return this;
    }

    /**
     * Builds the provider, or joins the existing session of an identically configured one. Reads no
     * file and makes no network call.
     *
     * @return the provider; close it when done
     * @throws ConfigurationException if the role ARN or token file is missing, or a setting is invalid
     */
    @Override
    public AwsWebIdentityCredentialsProvider build() {
      return new AwsWebIdentityCredentialsProvider(this);
    }

    /**
     * An independent copy of this builder (building nothing).
     *
     * @return the copy
     */
    @Override
    public Builder copy() {
      return new Builder(draft.copy(), listener);
    }

    /** The explicitly set values (never a policy's text). */
    @Override
    public String toString() {
      return "AwsWebIdentityCredentialsProvider.Builder" + draft;
    }
  }
}
