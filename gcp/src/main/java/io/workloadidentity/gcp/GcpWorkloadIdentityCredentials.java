package io.workloadidentity.gcp;

import com.google.auth.RequestMetadataCallback;
import com.google.auth.http.AuthHttpConstants;
import com.google.auth.http.HttpTransportFactory;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.gcp.internal.Engine;
import io.workloadidentity.gcp.internal.Key;
import io.workloadidentity.gcp.internal.Settings;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.Supplier;

/**
 * Google Cloud credentials for a Kubernetes workload: the pod's projected service-account token is
 * exchanged at Google STS (workload identity federation), optionally for a service account's token
 * (impersonation), or, on GKE, taken from the GKE metadata server. A {@link GoogleCredentials}, so
 * every Google Cloud client library accepts it ({@code StorageOptions.newBuilder().setCredentials(c)}).
 *
 * <pre>{@code
 * try (GcpWorkloadIdentityCredentials credentials = GcpWorkloadIdentityCredentials.create()) {
 *   Storage storage = StorageOptions.newBuilder().setCredentials(credentials).build().getService();
 * }
 * }</pre>
 *
 * <p><b>What it does better than google-auth's {@code IdentityPoolCredentials}.</b> The projected
 * token comes from the core's watched, trimmed {@link TokenSource}; every exchange performs a full
 * STS call with the current token (even with impersonation). Refresh timing comes from the core
 * {@link CredentialCache}: a background refresh at about 80% of the token's lifetime, whatever the
 * lifetime, so a short-lived token never causes a blocking refresh on every call (google-auth does
 * that below 225 s). Failures are retried with backoff while the current token stays in use;
 * requests have explicit connect and read timeouts; errors are {@link GcpCredentialsException}s
 * classified from Google's response; the clock is injectable.
 *
 * <p><b>Thread-safety and blocking.</b> Thread-safe. {@link #getRequestMetadata(URI)} returns the
 * cached token without locking or allocating; it blocks only when no valid token exists (the first
 * call, or after an outage outlasted the token).
 *
 * <p><b>Failures.</b> A configuration or permission problem throws an unchecked {@link
 * GcpCredentialsException} (or another {@link WorkloadIdentityException}, for example for an
 * unreadable token file); gRPC reports it as {@code UNAUTHENTICATED}. A transient failure that
 * outlasted the retries (network, throttling, 5xx) throws an {@link IOException} whose cause is the
 * {@link GcpCredentialsException}, so client libraries treat it as retryable ({@code UNAVAILABLE}).
 *
 * <p><b>Lifecycle.</b> Owns background threads and possibly a file watch: {@link #close()} it when
 * done. {@link #createScoped(Collection)} and {@link #createWithQuotaProject(String)} return views
 * sharing this instance's cache; closing a view does nothing, closing this instance stops them all.
 * {@link #getAccessToken()} returns the token as of the last {@code getRequestMetadata}/{@code
 * refresh} call, as in google-auth. Not serializable.
 */
public final class GcpWorkloadIdentityCredentials extends GoogleCredentials implements AutoCloseable {
  private static final long serialVersionUID = 1L;

  private final transient Engine engine;
  private final transient Key key;
  private final transient Supplier<AccessToken> current;
  private final transient boolean owner;
  private transient volatile Published published;
  /** The token being handed to OAuth2Credentials by {@link #metadata}, for its call of refreshAccessToken(). */
  private final transient ThreadLocal<AccessToken> publishing = new ThreadLocal<>();

  private GcpWorkloadIdentityCredentials(Engine engine, Key key, String quotaProject, boolean owner) {
    super(GoogleCredentials.newBuilder().setQuotaProjectId(quotaProject).setUniverseDomain(engine.universeDomain()));
    this.engine = engine;
    this.key = key;
    this.current = engine.cache().bind(key);
    this.owner = owner;
  }

  /**
   * Credentials from the process environment: the {@code external_account} file named by {@code
   * GOOGLE_APPLICATION_CREDENTIALS}, or else the GKE metadata server when running on GKE (or when
   * {@code GCE_METADATA_HOST} is set). Makes no network call.
   *
   * @throws ConfigurationException if neither is configured, or the file is invalid
   */
  public static GcpWorkloadIdentityCredentials create() {
    return builder().build();
  }

  /** A builder; with nothing set, {@link Builder#build()} behaves like {@link #create()}. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The cached token as request metadata ({@code Authorization: Bearer ...} and, with a quota project,
   * {@code x-goog-user-project}). The same map instance is returned until the token changes.
   *
   * @throws IOException for a transient failure when no valid token is cached (cause: {@link GcpCredentialsException})
   * @throws WorkloadIdentityException for a configuration or permission problem
   */
  @Override
  public Map<String, List<String>> getRequestMetadata(URI uri) throws IOException {
    return metadata(token());
  }

  /**
   * Like {@link #getRequestMetadata(URI)}; answers on the calling thread when a valid token is
   * cached, otherwise on {@code executor} once the exchange completes.
   */
  @Override
  public void getRequestMetadata(URI uri, Executor executor, RequestMetadataCallback callback) {
    CompletableFuture<AccessToken> f;
    try {
      f = engine.cache().getAsync(key);
    } catch (RuntimeException e) {
      callback.onFailure(e);
      return;
    }
    if (f.isDone() && !f.isCompletedExceptionally()) {
      callback.onSuccess(metadata(f.join()));
      return;
    }
    f.whenCompleteAsync((token, error) -> {
      if (error == null) {
        callback.onSuccess(metadata(token));
      } else {
        callback.onFailure(forCaller(error));
      }
    }, executor);
  }

  /**
   * Performs a new exchange now (unless one is in flight) and waits for it; the current token stays
   * in service meanwhile. Use it after Google rejected a token as revoked.
   *
   * @throws IOException for a transient failure (cause: {@link GcpCredentialsException})
   * @throws WorkloadIdentityException for a configuration or permission problem
   */
  @Override
  public void refresh() throws IOException {
    AccessToken token;
    try {
      token = engine.cache().refresh(key).join();
    } catch (CompletionException e) {
      throw rethrow(e);
    }
    metadata(token);
  }

  /** Makes sure a valid token is cached and {@link #getAccessToken()} returns it; blocks only if there is none. */
  @Override
  public void refreshIfExpired() throws IOException {
    metadata(token());
  }

  /**
   * The current access token from the cache: an exchange happens only if no valid token is cached
   * (google-auth calls this when it refreshes this object, for example when it is the source of
   * {@code ImpersonatedCredentials}). Use {@link #refresh()} to force an exchange.
   */
  @Override
  public AccessToken refreshAccessToken() throws IOException {
    AccessToken t = publishing.get();
    return t != null ? t : token();
  }

  /** A view of these credentials with other scopes, sharing the cache; an empty collection keeps these. */
  @Override
  public GoogleCredentials createScoped(Collection<String> scopes) {
    if (scopes == null || scopes.isEmpty() || List.copyOf(scopes).equals(key.scopes())) {
      return this;
    }
    return new GcpWorkloadIdentityCredentials(engine, key.withScopes(List.copyOf(scopes)), getQuotaProjectId(), false);
  }

  /** Scopes given with {@link Builder#scopes}; client libraries need not scope these credentials. */
  @Override
  public boolean createScopedRequired() {
    return false;
  }

  /** A view of these credentials that bills {@code quotaProject}, sharing the cache. */
  @Override
  public GoogleCredentials createWithQuotaProject(String quotaProject) {
    return new GcpWorkloadIdentityCredentials(engine, key, quotaProject, false);
  }

  /** Stops background refreshes and the token file watch. Idempotent; a no-op on scoped views. */
  @Override
  public void close() {
    if (owner) {
      engine.close();
    }
  }

  /** Where the credentials come from; never a token. */
  @Override
  public String toString() {
    return "GcpWorkloadIdentityCredentials{" + engine.description() + ", scopes=" + key.scopes()
        + (getQuotaProjectId() == null ? "" : ", quotaProject=" + getQuotaProjectId()) + "}";
  }

  /** Identity: two instances are equal only if they are the same object. */
  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  private void writeObject(ObjectOutputStream out) throws IOException {
    throw new NotSerializableException(getClass().getName() + " owns threads and a file watch; it is not serializable");
  }

  // ------------------------------------------------------------------------------------------

  private AccessToken token() throws IOException {
    if (engine.isClosed()) {
      throw new IllegalStateException("GcpWorkloadIdentityCredentials is closed: " + engine.description());
    }
    try {
      return current.get();
    } catch (RuntimeException e) {
      throw rethrow(e);
    }
  }

  /** The metadata for {@code token}; on the first sight of a new token also updates google-auth's view. */
  private Map<String, List<String>> metadata(AccessToken token) {
    Published p = published;
    if (p != null && p.token == token) {
      return p.metadata;
    }
    Map<String, List<String>> md = new LinkedHashMap<>(getAdditionalHeaders());
    md.put(AuthHttpConstants.AUTHORIZATION, List.of(AuthHttpConstants.BEARER + " " + token.getTokenValue()));
    Published next = new Published(token, java.util.Collections.unmodifiableMap(md));
    if (p != null && token.getExpirationTime().before(p.token.getExpirationTime())) {
      // A reader that raced a refresh got the previous (still valid) token: serve it, publish nothing.
      return next.metadata;
    }
    published = next;
    publishing.set(token);
    try {
      // Lets OAuth2Credentials store the token (for getAccessToken()) and notify its change listeners.
      super.refresh();
    } catch (IOException | RuntimeException e) {
      // Not reachable: refreshAccessToken() returns the token being published.
    } finally {
      publishing.remove();
    }
    return next.metadata;
  }

  private static RuntimeException rethrowUnchecked(Throwable t) {
    return t instanceof RuntimeException r ? r : new WorkloadIdentityException("Google credential failure", t);
  }

  private static IOException rethrow(Throwable e) throws IOException {
    Throwable t = unwrap(e);
    if (t instanceof CredentialExchangeException c && c.retryable()) {
      throw new IOException(t.getMessage(), t);
    }
    throw rethrowUnchecked(t);
  }

  private static Throwable forCaller(Throwable e) {
    Throwable t = unwrap(e);
    return t instanceof CredentialExchangeException c && c.retryable() ? new IOException(t.getMessage(), t) : t;
  }

  private static Throwable unwrap(Throwable e) {
    Throwable t = e;
    while (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    return t;
  }

  private record Published(AccessToken token, Map<String, List<String>> metadata) {}

  /**
   * Configures {@link GcpWorkloadIdentityCredentials}. Explicit settings win over the {@code
   * external_account} file, which wins over the environment. Not thread-safe; {@link #build()} may be
   * called more than once.
   */
  public static final class Builder {
    private Environment environment;
    private Path credentialsFile;
    private String audience;
    private String serviceAccount;
    private List<String> scopes;
    private Duration tokenLifetime;
    private TokenSource tokenSource;
    private Path tokenFile;
    private String stsEndpoint;
    private String iamEndpoint;
    private boolean metadataServer;
    private String metadataHost;
    private HttpTransportFactory transportFactory;
    private Duration connectTimeout;
    private Duration readTimeout;
    private Integer maxAttempts;
    private Clock clock;
    private RefreshPolicy refreshPolicy;
    private String quotaProject;
    private CredentialCache.Listener<Object> listener;

    private Builder() {}

    /**
     * Where {@code GOOGLE_APPLICATION_CREDENTIALS}, {@code GCE_METADATA_HOST} and {@code
     * GOOGLE_CLOUD_QUOTA_PROJECT} are read when not set explicitly. Default {@link Environment#system()}.
     */
    public Builder environment(Environment environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /**
     * An {@code external_account} configuration file, as written by {@code gcloud iam
     * workload-identity-pools create-cred-config} with {@code --credential-source-file}. Validated
     * by {@link #build()}. Default: {@code GOOGLE_APPLICATION_CREDENTIALS}.
     */
    public Builder credentialsFile(Path file) {
      this.credentialsFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /**
     * The workload identity provider:
     * {@code //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER}.
     */
    public Builder audience(String audience) {
      this.audience = requireText(audience, "audience");
      return this;
    }

    /** The workload identity provider by its parts; same as {@link #audience(String)}. */
    public Builder workloadIdentityProvider(String projectNumber, String pool, String provider) {
      return audience("//iam.googleapis.com/projects/" + requireText(projectNumber, "projectNumber")
          + "/locations/global/workloadIdentityPools/" + requireText(pool, "pool") + "/providers/"
          + requireText(provider, "provider"));
    }

    /**
     * Impersonate this service account (email): the federated token is exchanged for the service
     * account's token at IAM Credentials. Default: none (direct resource access by the federated
     * principal), or the file's {@code service_account_impersonation_url}.
     */
    public Builder serviceAccount(String email) {
      this.serviceAccount = requireText(email, "email");
      return this;
    }

    /** OAuth scopes. Default {@code https://www.googleapis.com/auth/cloud-platform}. */
    public Builder scopes(String... scopes) {
      return scopes(List.of(scopes));
    }

    /** OAuth scopes. Default {@code https://www.googleapis.com/auth/cloud-platform}. */
    public Builder scopes(Collection<String> scopes) {
      List<String> copy = new ArrayList<>();
      for (String s : scopes) {
        copy.add(requireText(s, "scope"));
      }
      if (copy.isEmpty()) {
        throw new IllegalArgumentException("scopes must not be empty");
      }
      this.scopes = List.copyOf(copy);
      return this;
    }

    /**
     * Lifetime of the impersonated service-account token, 1 s to 12 h (Google allows more than 1 h
     * only with {@code constraints/iam.allowServiceAccountCredentialLifetimeExtension}). Only with
     * {@link #serviceAccount}. Default 1 h, or the file's {@code token_lifetime_seconds}.
     */
    public Builder tokenLifetime(Duration lifetime) {
      Objects.requireNonNull(lifetime, "lifetime");
      if (lifetime.compareTo(Duration.ofSeconds(1)) < 0 || lifetime.compareTo(Duration.ofHours(12)) > 0) {
        throw new IllegalArgumentException("tokenLifetime must be between 1 s and 12 h: " + lifetime);
      }
      this.tokenLifetime = lifetime;
      return this;
    }

    /** Where the projected token comes from. Default: a watched file ({@link #tokenFile}). */
    public Builder tokenSource(TokenSource source) {
      this.tokenSource = Objects.requireNonNull(source, "source");
      return this;
    }

    /** The projected token file, watched for rotation. Default: the file's {@code credential_source.file}. */
    public Builder tokenFile(Path file) {
      this.tokenFile = Objects.requireNonNull(file, "file");
      return this;
    }

    /** The STS token endpoint, an {@code https} URL. Default {@code https://sts.googleapis.com/v1/token}. */
    public Builder stsEndpoint(String url) {
      this.stsEndpoint = requireText(url, "url");
      return this;
    }

    /** The IAM Credentials base URL, {@code https}. Default {@code https://iamcredentials.googleapis.com}. */
    public Builder iamEndpoint(String url) {
      this.iamEndpoint = requireText(url, "url");
      return this;
    }

    /**
     * Use the GKE metadata server (GKE Workload Identity) even where it is not detected. Its host is
     * {@code GCE_METADATA_HOST} or {@code metadata.google.internal}.
     */
    public Builder metadataServer() {
      this.metadataServer = true;
      return this;
    }

    /** Use the metadata server at {@code host[:port]} (plain HTTP, as the metadata server speaks). */
    public Builder metadataServer(String host) {
      this.metadataHost = requireText(host, "host");
      this.metadataServer = true;
      return this;
    }

    /**
     * The HTTP client google-auth uses for STS, IAM and the metadata server. Default: a {@code
     * NetHttpTransport} (the JDK's {@code HttpURLConnection}, honouring {@code https.proxyHost}).
     */
    public Builder httpTransportFactory(HttpTransportFactory factory) {
      this.transportFactory = Objects.requireNonNull(factory, "factory");
      return this;
    }

    /** Connect and read timeouts of every token request. Default 3 s and 10 s. */
    public Builder timeouts(Duration connect, Duration read) {
      this.connectTimeout = positive(connect, "connect timeout");
      this.readTimeout = positive(read, "read timeout");
      return this;
    }

    /**
     * Attempts per exchange step for retryable failures (throttling, 5xx, I/O), with backoff. Default
     * 4, and 10 for the metadata server, which can take a few seconds to start with the pod.
     */
    public Builder maxAttempts(int attempts) {
      if (attempts < 1) {
        throw new IllegalArgumentException("maxAttempts must be at least 1: " + attempts);
      }
      this.maxAttempts = attempts;
      return this;
    }

    /** The wall clock for expiry decisions. Default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Refresh timing and backoff. Default {@link RefreshPolicy#defaults()}. */
    public Builder refreshPolicy(RefreshPolicy policy) {
      this.refreshPolicy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** The project billed for API quota ({@code x-goog-user-project}). Default {@code GOOGLE_CLOUD_QUOTA_PROJECT}. */
    public Builder quotaProject(String project) {
      this.quotaProject = requireText(project, "project");
      return this;
    }

    /**
     * Receives refresh, refresh-failure and token-rotation events (for metrics or logs). Called on
     * the cache's threads; must be quick and must not throw.
     */
    public Builder listener(CredentialCache.Listener<Object> listener) {
      this.listener = listener;
      return this;
    }

    /**
     * Validates the configuration and builds the credentials. Makes no network call: the first
     * exchange happens on first use.
     *
     * @throws ConfigurationException naming what is missing or invalid and how to fix it
     */
    public GcpWorkloadIdentityCredentials build() {
      Engine engine = Engine.create(new Settings(environment, credentialsFile, audience, serviceAccount, scopes,
          tokenLifetime, tokenSource, tokenFile, stsEndpoint, iamEndpoint, metadataServer, metadataHost,
          transportFactory, connectTimeout, readTimeout, maxAttempts, clock, refreshPolicy, quotaProject, listener));
      return new GcpWorkloadIdentityCredentials(engine, engine.key(), engine.quotaProject(), true);
    }

    private static String requireText(String value, String what) {
      Objects.requireNonNull(value, what);
      if (value.isBlank()) {
        throw new IllegalArgumentException(what + " must not be blank");
      }
      return value.strip();
    }

    private static Duration positive(Duration d, String what) {
      Objects.requireNonNull(d, what);
      if (d.isNegative() || d.isZero()) {
        throw new IllegalArgumentException(what + " must be positive: " + d);
      }
      return d;
    }
  }
}
