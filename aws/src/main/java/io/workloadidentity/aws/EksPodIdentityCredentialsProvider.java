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
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.ResolveIdentityRequest;
import software.amazon.awssdk.utils.SdkAutoCloseable;
import software.amazon.awssdk.utils.ToString;
import software.amazon.awssdk.utils.builder.CopyableBuilder;
import software.amazon.awssdk.utils.builder.ToCopyableBuilder;

/**
 * AWS credentials for a pod from the EKS Pod Identity agent: {@code GET
 * AWS_CONTAINER_CREDENTIALS_FULL_URI} with the projected token from {@code
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE} in the {@code Authorization} header. As in the AWS SDK, an
 * inline {@code AWS_CONTAINER_AUTHORIZATION_TOKEN} wins over the file (it must be the pod's token, a
 * JWT, and is checked like one), and {@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI} (on {@code
 * AWS_CONTAINER_SERVICE_ENDPOINT}, default {@code http://169.254.170.2}) wins over the full URI.
 *
 * <pre>{@code
 * try (var credentials = EksPodIdentityCredentialsProvider.create()) {
 *   S3Client s3 = S3Client.builder().credentialsProvider(credentials).build();
 * }
 * }</pre>
 *
 * <p>The token is read through the core's watched token source (trimmed, rotation followed) just
 * before each request; when the agent calls it expired or invalid, the file is re-read and the next
 * attempt starts as soon as a new token is seen. Plain http is only allowed to a loopback address
 * or the agent's link-local address ({@code 169.254.170.23}, {@code [fd00:ec2::23]}, or ECS's
 * {@code 169.254.170.2}); any other host needs https, unless {@link Builder#allowHttp(boolean)}
 * allows it. Proxies are never used. Each attempt is one HTTP request, ended at the exchange timeout
 * even when the agent trickles its answer; the answer is capped (64 KiB) and checked (every
 * credential member present and non-empty, the expiry in the future) before it is used.
 *
 * <p>Caching, sharing, background refresh, serving through failures, {@link #toBuilder()},
 * ownership (an SDK client closes the provider it was given: give each client its own) and
 * thread-safety are as described for {@link AwsWebIdentityCredentialsProvider}; failures are {@link
 * AwsExchangeException}s (for example {@link AwsExchangeException.Reason#NO_ASSOCIATION} when the
 * service account has no Pod Identity association).
 */
public final class EksPodIdentityCredentialsProvider implements AwsCredentialsProvider, SdkAutoCloseable,
    ToCopyableBuilder<EksPodIdentityCredentialsProvider.Builder, EksPodIdentityCredentialsProvider> {
  private final Environment environment;
  private final CredentialCache.Listener<? super AwsCredentialKey> listener;
  private final AwsSession.Share share;

  private EksPodIdentityCredentialsProvider(Builder b) {
    AwsSettings settings = b.draft.podIdentity();
    this.environment = b.draft.environment();
    this.listener = b.listener;
    this.share = AwsSession.share(settings, listener, this);
  }

  /**
   * A provider configured from the environment and system properties.
   *
   * @return the provider; close it when done
   * @throws ConfigurationException if {@code AWS_CONTAINER_CREDENTIALS_FULL_URI} or the token ({@code
   *     AWS_CONTAINER_AUTHORIZATION_TOKEN} or {@code AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE}) is missing
   *     or invalid
   */
  public static EksPodIdentityCredentialsProvider create() {
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
   * and its listener; building it unchanged gives a provider sharing this one's session.
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
   * @throws AwsExchangeException if no valid credentials exist and the agent refused or failed
   * @throws io.workloadidentity.core.WorkloadIdentityException if the token file cannot be read
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public AwsCredentials resolveCredentials() {
    return share.get();
  }

  /**
   * The current credentials without parking a thread: a completed future while cached credentials
   * are valid, otherwise the running exchange's.
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

  /** Releases this provider's share of the session (and its listener). Idempotent; never throws. */
  @Override
  public void close() {
    share.close();
  }

  /** The agent endpoint and token file, in the AWS SDK's {@code ToString} style; never a secret. */
  @Override
  public String toString() {
    AwsSettings s = share.session().settings();
    return ToString.builder("EksPodIdentityCredentialsProvider")
        .add("endpoint", s.endpoint())
        .add("tokenFile", s.tokenDescription())
        .add("closed", share.isClosed() ? true : null)
        .build();
  }

  /**
   * Configures an {@link EksPodIdentityCredentialsProvider}. Every setter rejects {@code null} with
   * a {@link NullPointerException} naming the setting; a setting left unset is read from the
   * environment, then defaulted. Not thread-safe.
   */
  public static final class Builder implements CopyableBuilder<Builder, EksPodIdentityCredentialsProvider> {
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
     * The agent's credentials URL.
     *
     * @param endpoint the URL; default {@code AWS_CONTAINER_CREDENTIALS_RELATIVE_URI} (on {@code
     *     AWS_CONTAINER_SERVICE_ENDPOINT}) if set, else {@code AWS_CONTAINER_CREDENTIALS_FULL_URI} /
     *     {@code aws.containerCredentialsFullUri} ({@code http://169.254.170.23/v1/credentials} on EKS)
     * @return this builder
     * @throws ConfigurationException if it is not an absolute http(s) URL or hides its host; plain
     *     http to a host other than loopback or the agents' is refused when the provider is built
     */
    public Builder endpoint(URI endpoint) {
      draft.agentEndpoint(endpoint);
      return this;
    }

    /**
     * The projected token file. Replaces a {@link #tokenSource}.
     *
     * @param tokenFile the file; default the inline {@code AWS_CONTAINER_AUTHORIZATION_TOKEN} if set,
     *     else {@code AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE}
     * @return this builder
     */
    public Builder tokenFile(Path tokenFile) {
      draft.tokenFile(tokenFile);
      return this;
    }

    /**
     * A token source to use instead of a file (the caller keeps ownership; it is not closed).
     *
     * @param tokenSource the source
     * @return this builder
     */
    public Builder tokenSource(TokenSource tokenSource) {
      draft.tokenSource(tokenSource);
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
     * Receives refresh, failure and rotation events keyed by this provider's {@link
     * AwsCredentialKey}; providers with different listeners still share one session, and a
     * listener object carried by several of them hears each event once.
     *
     * @param listener the listener; default none
     * @return this builder
     */
    public Builder listener(CredentialCache.Listener<? super AwsCredentialKey> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * The deadline of one exchange (one request to the agent); the connection is closed then.
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
     * The time to establish a connection to the agent.
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
     * The longest wait for the next bytes of the agent's response.
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
     * Allows plain http to an agent URL on a host other than loopback and the agents' link-local
     * addresses ({@code 169.254.170.23}, {@code [fd00:ec2::23]}, {@code 169.254.170.2}), which the AWS
     * SDK's rule, kept here, allows without it. Off by default: the token would travel in clear.
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
     * The largest response body read from the agent; a larger one fails the attempt (retryably) as soon as
     * the cap is passed, and nothing beyond it is held in memory.
     *
     * @param maxResponseBytes 1 KiB to 16 MiB; default 64 KiB (the agent answers with 1 to 4 KiB)
     * @return this builder
     * @throws ConfigurationException if it is out of range
     */
    public Builder maxResponseBytes(int maxResponseBytes) {
      draft.maxResponseBytes(maxResponseBytes);
      return this;
    }

    /**
     * Builds the provider, or joins the session of an identically configured one. No network call.
     *
     * @return the provider; close it when done
     * @throws ConfigurationException if the endpoint or token file is missing or invalid
     */
    @Override
    public EksPodIdentityCredentialsProvider build() {
      return new EksPodIdentityCredentialsProvider(this);
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

    /** The explicitly set values. */
    @Override
    public String toString() {
      return "EksPodIdentityCredentialsProvider.Builder" + draft;
    }
  }
}
