package io.workloadidentity.aws;

import io.workloadidentity.aws.internal.AwsSettings;
import io.workloadidentity.aws.internal.PodIdentityKey;
import io.workloadidentity.aws.internal.Sessions;
import io.workloadidentity.aws.internal.SharedSession;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsCredentials;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.identity.spi.ResolveIdentityRequest;

/**
 * AWS credentials for a pod from the EKS Pod Identity agent: {@code GET
 * AWS_CONTAINER_CREDENTIALS_FULL_URI} with the projected token from {@code
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE} in the {@code Authorization} header.
 *
 * <pre>{@code
 * try (var credentials = EksPodIdentityCredentialsProvider.create()) {
 *   S3Client s3 = S3Client.builder().credentialsProvider(credentials).build();
 * }
 * }</pre>
 *
 * <p>The token is read through the core's watched token source (trimmed, rotation followed) and
 * re-read once when the agent calls it expired or invalid. Plain http is only allowed to a loopback
 * address or the agent's link-local address ({@code 169.254.170.23}, {@code [fd00:ec2::23]}, or
 * ECS's {@code 169.254.170.2}); any other host needs https. Proxies are never used.
 *
 * <p>Caching, sharing, background refresh, serving through failures and thread-safety are as
 * described for {@link AwsWebIdentityCredentialsProvider}; failures are {@link AwsExchangeException}s
 * (for example {@code ResourceNotFoundException} when the service account has no Pod Identity
 * association).
 */
public final class EksPodIdentityCredentialsProvider implements AwsCredentialsProvider, AutoCloseable {
  private final SharedSession session;
  private final Supplier<AwsSessionCredentials> credentials;
  private volatile boolean closed;

  private EksPodIdentityCredentialsProvider(SharedSession session) {
    this.session = session;
    this.credentials = session.bind();
  }

  /**
   * A provider configured from the environment and system properties.
   *
   * @throws ConfigurationException if {@code AWS_CONTAINER_CREDENTIALS_FULL_URI} or {@code
   *     AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE} is missing or invalid
   */
  public static EksPodIdentityCredentialsProvider create() {
    return builder().build();
  }

  /** A builder; every setting left unset is read from the {@linkplain Builder#environment environment}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The current session credentials, with their expiration time and account ID.
   *
   * @throws AwsExchangeException if no valid credentials exist and the agent refused or failed
   * @throws io.workloadidentity.core.WorkloadIdentityException if the token file cannot be read
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public AwsCredentials resolveCredentials() {
    checkOpen();
    return credentials.get();
  }

  /** The current credentials without blocking: a completed future while cached credentials are valid. */
  @Override
  @SuppressWarnings("unchecked")
  public CompletableFuture<AwsCredentialsIdentity> resolveIdentity(ResolveIdentityRequest request) {
    checkOpen();
    // Each future is new and only read by the caller, so widening its type is safe.
    return (CompletableFuture<AwsCredentialsIdentity>) (CompletableFuture<?>) session.getAsync();
  }

  /** Releases this provider's share of the session. Idempotent. */
  @Override
  public void close() {
    if (!closed) {
      closed = true;
      session.release();
    }
  }

  /** The agent endpoint and token file; never credentials or the token. */
  @Override
  public String toString() {
    return "EksPodIdentityCredentialsProvider[" + session + "]";
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException(this + " is closed");
    }
  }

  /** Configures an {@link EksPodIdentityCredentialsProvider}. Not thread-safe. */
  public static final class Builder {
    private static final CredentialCache.Listener<Object> NO_LISTENER = new CredentialCache.Listener<>() {};

    private Environment environment = Environment.system();
    private URI endpoint;
    private Path tokenFile;
    private TokenSource tokenSource;
    private Clock clock = Clock.systemUTC();
    private RefreshPolicy refreshPolicy = RefreshPolicy.defaults();
    private CredentialCache.Listener<Object> listener = NO_LISTENER;

    private Builder() {}

    /** Where settings left unset are read from. Default {@link Environment#system()}. */
    public Builder environment(Environment environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /**
     * The agent's credentials URL. Default {@code AWS_CONTAINER_CREDENTIALS_FULL_URI} / {@code
     * aws.containerCredentialsFullUri} ({@code http://169.254.170.23/v1/credentials} on EKS).
     */
    public Builder endpoint(URI endpoint) {
      this.endpoint = AwsSettings.containerEndpoint(Objects.requireNonNull(endpoint, "endpoint").toString(), "endpoint()");
      return this;
    }

    /** The projected token file. Default {@code AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE}. */
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

    /** Receives refresh and refresh-failure events; providers with different listeners do not share. */
    public Builder listener(CredentialCache.Listener<Object> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Builds the provider, or joins the session of an identically configured one. No network call.
     *
     * @throws ConfigurationException if the endpoint or token file is missing or invalid
     */
    public EksPodIdentityCredentialsProvider build() {
      URI uri = endpoint != null ? endpoint : AwsSettings.CONTAINER_FULL_URI.in(environment)
          .map(v -> AwsSettings.containerEndpoint(v, AwsSettings.CONTAINER_FULL_URI.names()))
          .orElseThrow(() -> new ConfigurationException("No Pod Identity agent URL: set "
              + AwsSettings.CONTAINER_FULL_URI.names() + " (the EKS Pod Identity webhook sets it when the service"
              + " account has a Pod Identity association; restart the pod after creating one) or call endpoint()."));
      Object tokenOrigin = tokenSource;
      String tokenVariable = null;
      if (tokenOrigin == null) {
        Path file = tokenFile;
        if (file == null) {
          file = AwsSettings.CONTAINER_TOKEN_FILE.in(environment).map(Path::of).orElseThrow(() ->
              new ConfigurationException("No Pod Identity token file: set " + AwsSettings.CONTAINER_TOKEN_FILE.names()
                  + " (on EKS /var/run/secrets/pods.eks.amazonaws.com/serviceaccount/eks-pod-identity-token) or call"
                  + " tokenFile()."));
          tokenVariable = AwsSettings.CONTAINER_TOKEN_FILE.variable();
        }
        tokenOrigin = file.toAbsolutePath().normalize();
      }
      PodIdentityKey key = new PodIdentityKey(uri, tokenOrigin, clock, refreshPolicy, listener);
      return new EksPodIdentityCredentialsProvider(Sessions.podIdentity(key, tokenVariable));
    }
  }
}
