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
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Shared;
import io.workloadidentity.gcp.internal.Checks;
import io.workloadidentity.gcp.internal.GcpSession;
import io.workloadidentity.gcp.internal.GcpSettings;
import java.io.IOException;
import java.io.InvalidObjectException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectStreamException;
import java.io.Serializable;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicBoolean;
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
 * that below 225 s). An exchange is one attempt (one HTTP request per step, within a deadline); a
 * failure keeps the current token in use and is retried by the cache with backoff; errors are
 * {@link GcpCredentialsException}s classified from Google's response; the clock is injectable.
 *
 * <p><b>Sharing.</b> Credentials built with the same configuration in one JVM (ten {@code create()}
 * calls, say) share one session: one cache, one token file watch, one exchange per refresh cycle.
 * The session closes when the last of them is closed. Their listeners all receive the session's
 * events.
 *
 * <p><b>Thread-safety and blocking.</b> Thread-safe. {@link #getRequestMetadata(URI)} returns the
 * cached token without locking or allocating; it blocks only when no valid token exists (the first
 * call, or after an outage outlasted the token), and never past the exchange deadline.
 *
 * <p><b>Failures.</b> A configuration or permission problem throws an unchecked {@link
 * GcpCredentialsException} (or another {@link WorkloadIdentityException}, for example for an
 * unreadable token file); gRPC reports it as {@code UNAUTHENTICATED}. A transient failure when no
 * valid token is cached (network, throttling, 5xx, a refused projected token) throws an {@link
 * IOException} whose cause is the {@link GcpCredentialsException}, so client libraries treat it as
 * retryable ({@code UNAVAILABLE}).
 *
 * <p><b>Copies.</b> {@link #createScoped(Collection)} and {@link #createWithQuotaProject(String)}
 * return views of this instance: they share its session (another scope set is another key in the
 * same cache), closing a view does nothing, and closing this instance stops them all. {@link
 * #toBuilder()} returns a builder with this configuration; what it builds is an independent
 * instance (close it) sharing the same session. {@link #getAccessToken()} returns the token as of
 * the last {@code getRequestMetadata}/{@code refresh} call, as in google-auth.
 *
 * <p><b>Endpoints.</b> The projected token is sent only to Google STS and the STS token only to IAM
 * Credentials: hosts of the universe domain ({@code sts.googleapis.com}, its regional, locational and
 * Private Service Connect forms, {@code iamcredentials.googleapis.com} likewise) or loopback. A
 * configuration (a file, the builder) naming another host is refused by {@link Builder#build()},
 * before anything is sent, unless that host is allowed with {@link Builder#allowEndpoint(String)}
 * or the system property {@code workloadidentity.gcp.allowedEndpoints} / environment variable {@code
 * WORKLOAD_IDENTITY_GCP_ALLOWED_ENDPOINTS}. Plain http goes only to loopback unless {@link
 * Builder#allowHttp(boolean)}.
 *
 * <p><b>Serialization.</b> The serialized form is the configuration these credentials were built
 * from (the builder's values, the scopes and the quota project), never a token. Deserializing builds
 * credentials from it again, as {@link Builder#build()} does (the configuration file is read again,
 * every check applies again), sharing the session of equal credentials in that JVM; close them
 * like any other. Credentials built with a caller object that is not {@link java.io.Serializable}
 * (a {@link TokenSource}, an {@link Environment}, a transport factory, clock or listener) or with a
 * custom {@link RefreshPolicy} refuse to be serialized ({@link java.io.NotSerializableException}),
 * before anything of them is written.
 */
public final class GcpWorkloadIdentityCredentials extends GoogleCredentials implements AutoCloseable {
  private static final long serialVersionUID = 1L;
  private static final System.Logger LOG = System.getLogger(GcpWorkloadIdentityCredentials.class.getName());

  private final transient Owner owner;
  private final transient GcpTokenKey key;
  private final transient Supplier<AccessToken> current;
  private final transient boolean owning;
  private transient volatile Published published;
  /** The token being handed to OAuth2Credentials by {@link #metadata}, for its call of refreshAccessToken(). */
  private final transient ThreadLocal<AccessToken> publishing = new ThreadLocal<>();

  private GcpWorkloadIdentityCredentials(Owner owner, GcpTokenKey key, String quotaProject, boolean owning) {
    super(GoogleCredentials.newBuilder().setQuotaProjectId(quotaProject)
        .setUniverseDomain(owner.session().settings().universeDomain()));
    this.owner = owner;
    this.key = key;
    this.current = owner.session().cache().bind(key);
    this.owning = owning;
  }

  /**
   * Credentials from the process environment: the {@code external_account} file named by {@code
   * GOOGLE_APPLICATION_CREDENTIALS}, or else the GKE metadata server when running on GKE (or when
   * {@code GCE_METADATA_HOST} is set). Makes no network call. Every {@code create()} in a JVM shares
   * one session with the others.
   *
   * @return the credentials; close them when done
   * @throws ConfigurationException if neither is configured, or the file is invalid
   */
  public static GcpWorkloadIdentityCredentials create() {
    return builder().build();
  }

  /**
   * A builder; with nothing set, {@link Builder#build()} behaves like {@link #create()}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The cache key of this instance's token: provider, service account and scopes.
   *
   * @return the key, as its listener's events name it
   */
  public GcpTokenKey key() {
    return key;
  }

  /**
   * The cached token as request metadata ({@code Authorization: Bearer ...} and, with a quota project,
   * {@code x-goog-user-project}). The same map instance is returned until the token changes.
   *
   * @param uri the request's URI (not used: the token does not depend on it)
   * @return the request metadata
   * @throws IOException for a transient failure when no valid token is cached (cause: {@link GcpCredentialsException})
   * @throws WorkloadIdentityException for a configuration or permission problem
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public Map<String, List<String>> getRequestMetadata(URI uri) throws IOException {
    return metadata(token());
  }

  /**
   * Like {@link #getRequestMetadata(URI)}; answers on the calling thread when a valid token is
   * cached, otherwise on {@code executor} once the exchange completes.
   *
   * @param uri the request's URI (not used)
   * @param executor where the callback runs when an exchange is needed
   * @param callback receives the metadata or the failure (transient failures as an {@link IOException})
   */
  @Override
  public void getRequestMetadata(URI uri, Executor executor, RequestMetadataCallback callback) {
    CompletableFuture<AccessToken> f;
    try {
      requireOpen();
      f = owner.session().cache().getAsync(key);
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
   * Performs a new exchange now (unless one is in flight, or the cache is backing off from a failure)
   * and waits for it, at most the exchange deadline; the current token stays in service meanwhile.
   * As in google-auth, use it after Google rejected a token as revoked.
   *
   * @throws IOException for a transient failure (cause: {@link GcpCredentialsException})
   * @throws WorkloadIdentityException for a configuration or permission problem
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public void refresh() throws IOException {
    requireOpen();
    AccessToken token;
    try {
      token = owner.session().cache().refresh(key).join();
    } catch (CompletionException e) {
      throw rethrow(e);
    }
    metadata(token);
  }

  /**
   * Makes sure a valid token is cached and {@link #getAccessToken()} returns it; blocks only if there is none.
   *
   * @throws IOException for a transient failure (cause: {@link GcpCredentialsException})
   * @throws WorkloadIdentityException for a configuration or permission problem
   */
  @Override
  public void refreshIfExpired() throws IOException {
    metadata(token());
  }

  /**
   * The current access token from the cache: an exchange happens only if no valid token is cached
   * (google-auth calls this when it refreshes this object, for example when it is the source of
   * {@code ImpersonatedCredentials}). Use {@link #refresh()} to force an exchange.
   *
   * @return the token
   * @throws IOException for a transient failure (cause: {@link GcpCredentialsException})
   */
  @Override
  public AccessToken refreshAccessToken() throws IOException {
    AccessToken t = publishing.get();
    return t != null ? t : token();
  }

  /**
   * A view of these credentials with other scopes, sharing this instance's session (a token for
   * other scopes is another key in the same cache); an empty collection keeps these.
   *
   * @param scopes the OAuth scopes
   * @return this instance, or a view with {@code scopes}
   * @throws ConfigurationException if a scope is empty or has control characters or spaces
   */
  @Override
  public GoogleCredentials createScoped(Collection<String> scopes) {
    if (scopes == null || scopes.isEmpty() || List.copyOf(scopes).equals(key.scopes())) {
      return this;
    }
    scopes.forEach(Checks::scope);
    return new GcpWorkloadIdentityCredentials(owner, key.withScopes(List.copyOf(scopes)), getQuotaProjectId(), false);
  }

  /**
   * Scopes are given with {@link Builder#scopes} (default {@code cloud-platform}): client libraries
   * need not scope these credentials.
   *
   * @return false
   */
  @Override
  public boolean createScopedRequired() {
    return false;
  }

  /**
   * A view of these credentials that bills {@code quotaProject}, sharing this instance's session and
   * token.
   *
   * @param quotaProject the project billed for quota ({@code x-goog-user-project}), or {@code null} for none
   * @return the view
   * @throws ConfigurationException if {@code quotaProject} is not a project ID or number
   */
  @Override
  public GoogleCredentials createWithQuotaProject(String quotaProject) {
    if (quotaProject != null) {
      Checks.quotaProject(quotaProject, "createWithQuotaProject");
    }
    return new GcpWorkloadIdentityCredentials(owner, key, quotaProject, false);
  }

  /**
   * A builder with this instance's configuration, its scopes and its quota project. What it builds
   * is an independent {@link GcpWorkloadIdentityCredentials} (close it) that shares this instance's
   * session as long as nothing that identifies the session is changed; {@link
   * #createScoped(Collection)} and {@link #createWithQuotaProject(String)} are the cheaper way to a
   * copy with other scopes or another quota project.
   *
   * @return a new builder
   */
  @Override
  public Builder toBuilder() {
    Builder b = new Builder(owner.origin);
    b.scopes = key.scopes();
    return b.setQuotaProjectId(getQuotaProjectId());
  }

  /**
   * Releases this instance's share of the session (the last one stops background refreshes and the
   * token file watch) and removes its listener. Idempotent; a no-op on views made by {@link
   * #createScoped(Collection)} and {@link #createWithQuotaProject(String)}.
   */
  @Override
  public void close() {
    if (owning) {
      owner.close();
    }
  }

  /**
   * Where the credentials come from, their scopes and quota project; never a token.
   *
   * @return the description
   */
  @Override
  public String toString() {
    return "GcpWorkloadIdentityCredentials{" + owner.session().settings().description()
        + (key.isMetadataServer() ? "" : key.serviceAccount().map(sa -> ", as " + sa).orElse(", direct access"))
        + ", scopes=" + key.scopes()
        + (getQuotaProjectId() == null ? "" : ", quotaProject=" + getQuotaProjectId()) + "}";
  }

  /**
   * Identity: two instances are equal only if they are the same object.
   *
   * @param o the other object
   * @return whether {@code o} is this instance
   */
  @Override
  public boolean equals(Object o) {
    return this == o;
  }

  /**
   * Identity hash code, consistent with {@link #equals(Object)}.
   *
   * @return the identity hash code
   */
  @Override
  public int hashCode() {
    return System.identityHashCode(this);
  }

  /**
   * Serializes the configuration only: called before anything of this object is written, so a
   * token (cached in google-auth's fields) never reaches the stream.
   *
   * @return the serialized form
   * @throws NotSerializableException if a caller object of the configuration cannot be serialized
   */
  private Object writeReplace() throws ObjectStreamException {
    return new SerializedForm(owner.origin, key.scopes(), getQuotaProjectId());
  }

  /**
   * Instances are written as a {@link SerializedForm}; a stream holding one directly was forged.
   *
   * @param in the stream
   * @throws InvalidObjectException always
   */
  private void readObject(ObjectInputStream in) throws InvalidObjectException {
    throw new InvalidObjectException("GcpWorkloadIdentityCredentials are deserialized from their serialized form only");
  }

  /**
   * The serialized form: the builder's values, the scopes and the quota project. Caller objects
   * (transport factory, clock, listener) are included only if they are serializable themselves;
   * an environment or token source makes the credentials non-serializable.
   */
  private static final class SerializedForm implements Serializable {
    private static final long serialVersionUID = 1L;
    /** The configuration file, or {@code null}. */
    private final String credentialsFile;
    /** The workload identity provider, or {@code null}. */
    private final String audience;
    /** The service account to impersonate, or {@code null}. */
    private final String serviceAccount;
    /** The scopes. */
    private final ArrayList<String> scopes;
    /** The impersonated token lifetime, or {@code null}. */
    private final Duration tokenLifetime;
    /** The projected token file, or {@code null}. */
    private final String tokenFile;
    /** The STS endpoint, or {@code null}. */
    private final String stsEndpoint;
    /** The IAM Credentials endpoint, or {@code null}. */
    private final String iamEndpoint;
    /** Whether the metadata server was chosen. */
    private final boolean metadataServer;
    /** The metadata server host, or {@code null}. */
    private final String metadataHost;
    /** The universe domain, or {@code null}. */
    private final String universeDomain;
    /** The quota project, or {@code null}. */
    private final String quotaProject;
    /** The timeouts, or {@code null}. */
    private final Duration connectTimeout;
    /** The read timeout, or {@code null}. */
    private final Duration readTimeout;
    /** The exchange timeout, or {@code null}. */
    private final Duration exchangeTimeout;
    /** Hosts allowed explicitly. */
    private final ArrayList<String> allowedEndpoints;
    /** Whether plain http was allowed. */
    private final boolean allowHttp;
    /** The transport factory (serializable), or {@code null}. */
    private final HttpTransportFactory transportFactory;
    /** The clock (serializable), or {@code null}. */
    private final Clock clock;
    /** The listener (serializable), or {@code null}. */
    private final CredentialCache.Listener<? super GcpTokenKey> listener;

    SerializedForm(Builder b, List<String> scopes, String quotaProject) throws NotSerializableException {
      refuseUnless(b.environment == null, "it was built with environment(...): an Environment is not serializable");
      refuseUnless(b.tokenSource == null, "it was built with tokenSource(...): a TokenSource is not serializable");
      refuseUnless(b.refreshPolicy == null || b.refreshPolicy.equals(RefreshPolicy.defaults()),
          "it was built with a custom refreshPolicy(...), which is not serializable");
      refuseUnless(b.transportFactory == null || b.transportFactory instanceof Serializable,
          "its httpTransportFactory is not Serializable");
      refuseUnless(b.clock == null || b.clock instanceof Serializable, "its clock is not Serializable");
      refuseUnless(b.listener == null || b.listener instanceof Serializable, "its listener is not Serializable");
      credentialsFile = b.credentialsFile == null ? null : b.credentialsFile.toString();
      audience = b.audience;
      serviceAccount = b.serviceAccount;
      this.scopes = new ArrayList<>(scopes);
      tokenLifetime = b.tokenLifetime;
      tokenFile = b.tokenFile == null ? null : b.tokenFile.toString();
      stsEndpoint = b.stsEndpoint;
      iamEndpoint = b.iamEndpoint;
      metadataServer = b.metadataServer;
      metadataHost = b.metadataHost;
      universeDomain = b.getUniverseDomain();
      this.quotaProject = quotaProject;
      connectTimeout = b.connectTimeout;
      readTimeout = b.readTimeout;
      exchangeTimeout = b.exchangeTimeout;
      allowedEndpoints = new ArrayList<>(b.allowedEndpoints);
      allowHttp = b.allowHttp;
      transportFactory = b.transportFactory;
      clock = b.clock;
      listener = b.listener;
    }

    private static void refuseUnless(boolean ok, String why) throws NotSerializableException {
      if (!ok) {
        throw new NotSerializableException("GcpWorkloadIdentityCredentials cannot be serialized: " + why
            + ". Nothing was written.");
      }
    }

    /**
     * Builds the credentials again, with every check of {@link Builder#build()}.
     *
     * @return working credentials sharing the session of equal ones
     * @throws ConfigurationException if the configuration is no longer valid here (a file missing, say)
     */
    private Object readResolve() {
      Builder b = new Builder();
      b.credentialsFile = credentialsFile == null ? null : Path.of(credentialsFile);
      b.audience = audience;
      b.serviceAccount = serviceAccount;
      b.scopes = scopes == null ? null : List.copyOf(scopes);
      b.tokenLifetime = tokenLifetime;
      b.tokenFile = tokenFile == null ? null : Path.of(tokenFile);
      b.stsEndpoint = stsEndpoint;
      b.iamEndpoint = iamEndpoint;
      b.metadataServer = metadataServer;
      b.metadataHost = metadataHost;
      b.setUniverseDomain(universeDomain);
      b.setQuotaProjectId(quotaProject);
      b.connectTimeout = connectTimeout;
      b.readTimeout = readTimeout;
      b.exchangeTimeout = exchangeTimeout;
      if (allowedEndpoints != null) {
        allowedEndpoints.forEach(b::allowEndpoint);
      }
      b.allowHttp = allowHttp;
      b.transportFactory = transportFactory;
      b.clock = clock;
      b.listener = listener;
      return b.build();
    }
  }

  // ------------------------------------------------------------------------------------------

  private void requireOpen() {
    if (owner.closed.get()) {
      throw new IllegalStateException("GcpWorkloadIdentityCredentials is closed: "
          + owner.session().settings().description());
    }
  }

  private AccessToken token() throws IOException {
    requireOpen();
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
    Published next = new Published(token, Collections.unmodifiableMap(md));
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
   * What a built instance and its views share: its reference to the session, its listener's
   * registration, whether it is closed, and the builder values it was built from (for {@link
   * #toBuilder()}).
   */
  private static final class Owner {
    final Shared.Ref<GcpSession> ref;
    final AutoCloseable registration;
    final Builder origin;
    final AtomicBoolean closed = new AtomicBoolean();

    Owner(Shared.Ref<GcpSession> ref, AutoCloseable registration, Builder origin) {
      this.ref = ref;
      this.registration = registration;
      this.origin = origin;
    }

    GcpSession session() {
      return ref.get();
    }

    void close() {
      if (!closed.compareAndSet(false, true)) {
        return;
      }
      if (registration != null) {
        try {
          registration.close();
        } catch (Exception e) {
          LOG.log(Level.WARNING, "Removing a credential listener failed: " + Redaction.describe(e));
        }
      }
      ref.close();
    }
  }

  /**
   * Configures {@link GcpWorkloadIdentityCredentials}. Explicit settings win over the {@code
   * external_account} file, which wins over the environment, which wins over the defaults. Every
   * setter of this library's own vocabulary rejects {@code null} with a {@link NullPointerException}
   * whose message is the setter's name; the setters inherited from google-auth's {@link GoogleCredentials.Builder}
   * keep google-auth's meaning ({@code null} there means "not set"). Not thread-safe; {@link #build()}
   * may be called more than once (builders with equal settings build credentials sharing one session).
   */
  public static final class Builder extends GoogleCredentials.Builder {
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
    private Duration exchangeTimeout;
    private Clock clock;
    private RefreshPolicy refreshPolicy;
    private CredentialCache.Listener<? super GcpTokenKey> listener;
    private final Set<String> allowedEndpoints = new LinkedHashSet<>();
    private boolean allowHttp;

    private Builder() {}

    private Builder(Builder b) {
      environment = b.environment;
      credentialsFile = b.credentialsFile;
      audience = b.audience;
      serviceAccount = b.serviceAccount;
      scopes = b.scopes;
      tokenLifetime = b.tokenLifetime;
      tokenSource = b.tokenSource;
      tokenFile = b.tokenFile;
      stsEndpoint = b.stsEndpoint;
      iamEndpoint = b.iamEndpoint;
      metadataServer = b.metadataServer;
      metadataHost = b.metadataHost;
      transportFactory = b.transportFactory;
      connectTimeout = b.connectTimeout;
      readTimeout = b.readTimeout;
      exchangeTimeout = b.exchangeTimeout;
      clock = b.clock;
      refreshPolicy = b.refreshPolicy;
      listener = b.listener;
      quotaProjectId = b.quotaProjectId;
      universeDomain = b.universeDomain;
      allowedEndpoints.addAll(b.allowedEndpoints);
      allowHttp = b.allowHttp;
    }

    /**
     * Where {@code GOOGLE_APPLICATION_CREDENTIALS}, {@code GCE_METADATA_HOST} and {@code
     * GOOGLE_CLOUD_QUOTA_PROJECT} are read when not set explicitly.
     *
     * @param environment the environment; default {@link Environment#system()}
     * @return this builder
     */
    public Builder environment(Environment environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /**
     * An {@code external_account} configuration file, as written by {@code gcloud iam
     * workload-identity-pools create-cred-config} with {@code --credential-source-file}. Validated
     * by {@link #build()}.
     *
     * @param file the file; default {@code GOOGLE_APPLICATION_CREDENTIALS}
     * @return this builder
     */
    public Builder credentialsFile(Path file) {
      this.credentialsFile = Objects.requireNonNull(file, "credentialsFile");
      return this;
    }

    /**
     * The workload identity provider.
     *
     * @param audience {@code //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER};
     *     default: the file's {@code audience}
     * @return this builder
     */
    public Builder audience(String audience) {
      this.audience = requireText(audience, "audience");
      return this;
    }

    /**
     * The workload identity provider by its parts; same as {@link #audience(String)}.
     *
     * @param projectNumber the project number (not its ID)
     * @param pool the workload identity pool ID
     * @param provider the provider ID
     * @return this builder
     */
    public Builder workloadIdentityProvider(String projectNumber, String pool, String provider) {
      return audience("//iam.googleapis.com/projects/" + requireText(projectNumber, "projectNumber")
          + "/locations/global/workloadIdentityPools/" + requireText(pool, "pool") + "/providers/"
          + requireText(provider, "provider"));
    }

    /**
     * Impersonate this service account: the federated token is exchanged for the service account's
     * token at IAM Credentials.
     *
     * @param email the service account; default none (direct resource access by the federated
     *     principal), or the file's {@code service_account_impersonation_url}
     * @return this builder
     */
    public Builder serviceAccount(String email) {
      this.serviceAccount = requireText(email, "serviceAccount");
      return this;
    }

    /**
     * OAuth scopes.
     *
     * @param scopes the scopes; default {@code https://www.googleapis.com/auth/cloud-platform}
     * @return this builder
     */
    public Builder scopes(String... scopes) {
      return scopes(List.of(Objects.requireNonNull(scopes, "scopes")));
    }

    /**
     * OAuth scopes.
     *
     * @param scopes the scopes, not empty; default {@code https://www.googleapis.com/auth/cloud-platform}
     * @return this builder
     */
    public Builder scopes(Collection<String> scopes) {
      Objects.requireNonNull(scopes, "scopes");
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
     * Lifetime of the impersonated service-account token (Google allows more than 1 h only with
     * {@code constraints/iam.allowServiceAccountCredentialLifetimeExtension}). Only with {@link
     * #serviceAccount}.
     *
     * @param lifetime 1 s to 12 h; default 1 h, or the file's {@code token_lifetime_seconds}
     * @return this builder
     */
    public Builder tokenLifetime(Duration lifetime) {
      Objects.requireNonNull(lifetime, "tokenLifetime");
      if (lifetime.compareTo(Duration.ofSeconds(1)) < 0 || lifetime.compareTo(Duration.ofHours(12)) > 0) {
        throw new IllegalArgumentException("tokenLifetime must be between 1 s and 12 h: " + lifetime);
      }
      this.tokenLifetime = lifetime;
      return this;
    }

    /**
     * Where the projected token comes from. Credentials share a session only if they were given the
     * same source object.
     *
     * @param source the source; default a watched file ({@link #tokenFile})
     * @return this builder
     */
    public Builder tokenSource(TokenSource source) {
      this.tokenSource = Objects.requireNonNull(source, "tokenSource");
      return this;
    }

    /**
     * The projected token file, watched for rotation.
     *
     * @param file the file; default the configuration file's {@code credential_source.file}
     * @return this builder
     */
    public Builder tokenFile(Path file) {
      this.tokenFile = Objects.requireNonNull(file, "tokenFile");
      return this;
    }

    /**
     * The STS token endpoint.
     *
     * @param url an {@code https} URL; default {@code https://sts.googleapis.com/v1/token}
     * @return this builder
     */
    public Builder stsEndpoint(String url) {
      this.stsEndpoint = requireText(url, "stsEndpoint");
      return this;
    }

    /**
     * The IAM Credentials base URL.
     *
     * @param url an {@code https} URL; default {@code https://iamcredentials.googleapis.com}
     * @return this builder
     */
    public Builder iamEndpoint(String url) {
      this.iamEndpoint = requireText(url, "iamEndpoint");
      return this;
    }

    /**
     * Use the GKE metadata server (GKE Workload Identity) even where it is not detected. Its host is
     * {@code GCE_METADATA_HOST} or {@code metadata.google.internal}.
     *
     * @return this builder
     */
    public Builder metadataServer() {
      this.metadataServer = true;
      return this;
    }

    /**
     * Use the metadata server at {@code host[:port]} (plain HTTP, as the metadata server speaks).
     *
     * @param host the host and optional port
     * @return this builder
     */
    public Builder metadataServer(String host) {
      this.metadataHost = requireText(host, "metadataServer");
      this.metadataServer = true;
      return this;
    }

    /**
     * Allows tokens to be sent to {@code host}, beyond Google's STS and IAM Credentials hosts of the
     * universe domain and loopback: for a proxy, a private endpoint or another universe named by the
     * configuration. Without it such a configuration is refused by {@link #build()}, before anything
     * is sent. The system property {@code workloadidentity.gcp.allowedEndpoints} and the environment
     * variable {@code WORKLOAD_IDENTITY_GCP_ALLOWED_ENDPOINTS} (comma-separated host names) allow
     * hosts too. Allow only hosts you operate or trust with the pod's identity.
     *
     * @param host a host name, such as {@code sts.example.internal} (no scheme, port or path); may be
     *     called more than once
     * @return this builder
     */
    public Builder allowEndpoint(String host) {
      this.allowedEndpoints.add(requireText(host, "allowEndpoint").toLowerCase(java.util.Locale.ROOT));
      return this;
    }

    /**
     * Allows plain {@code http} to STS and IAM Credentials endpoints that are not loopback (the token
     * then travels in clear): for a test cluster behind a plain-http proxy, never production. The
     * process-wide switch is core's {@code workloadidentity.allowHttp} / {@code
     * WORKLOAD_IDENTITY_ALLOW_HTTP}. The metadata server is always plain http, as it only speaks that
     * and receives no credential.
     *
     * @param allow true to allow plain http
     * @return this builder
     */
    public Builder allowHttp(boolean allow) {
      this.allowHttp = allow;
      return this;
    }

    /**
     * The HTTP client google-auth uses for STS, IAM and the metadata server. Credentials share a
     * session only if they were given the same factory object.
     *
     * @param factory the factory; default a {@code NetHttpTransport} (the JDK's {@code
     *     HttpURLConnection}, honouring {@code https.proxyHost})
     * @return this builder
     */
    public Builder httpTransportFactory(HttpTransportFactory factory) {
      this.transportFactory = Objects.requireNonNull(factory, "httpTransportFactory");
      return this;
    }

    /**
     * Time to establish a connection to STS, IAM Credentials or the metadata server.
     *
     * @param timeout positive; default 2 s
     * @return this builder
     */
    public Builder connectTimeout(Duration timeout) {
      this.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * Longest wait for the next bytes of a response.
     *
     * @param timeout positive; default 5 s
     * @return this builder
     */
    public Builder readTimeout(Duration timeout) {
      this.readTimeout = positive(timeout, "readTimeout");
      return this;
    }

    /**
     * The deadline of one exchange (STS, then IAM Credentials when impersonating): its waiters get a
     * retryable failure then, and the cache retries with backoff.
     *
     * @param timeout positive; default 30 s
     * @return this builder
     */
    public Builder exchangeTimeout(Duration timeout) {
      this.exchangeTimeout = positive(timeout, "exchangeTimeout");
      return this;
    }

    /**
     * The wall clock for expiry decisions. Credentials share a session only if they were given the
     * same clock object.
     *
     * @param clock the clock; default {@link Clock#systemUTC()}
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Refresh timing and backoff.
     *
     * @param policy the policy; default {@link RefreshPolicy#defaults()}
     * @return this builder
     */
    public Builder refreshPolicy(RefreshPolicy policy) {
      this.refreshPolicy = Objects.requireNonNull(policy, "refreshPolicy");
      return this;
    }

    /**
     * The project billed for API quota ({@code x-goog-user-project}).
     *
     * @param project the project ID; default {@code GOOGLE_CLOUD_QUOTA_PROJECT}, or the file's {@code quota_project_id}
     * @return this builder
     */
    public Builder quotaProject(String project) {
      this.quotaProjectId = requireText(project, "quotaProject");
      return this;
    }

    /**
     * Receives exchange, refresh, refresh-failure and token-rotation events (for metrics or logs) of
     * the session these credentials share: the events of every credential in it. Called on the
     * cache's threads; must be quick and must not throw.
     *
     * @param listener the listener; default none
     * @return this builder
     */
    public Builder listener(CredentialCache.Listener<? super GcpTokenKey> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * google-auth's name for {@link #quotaProject(String)}.
     *
     * @param quotaProjectId the project, or {@code null} for none set here (the environment's or the
     *     file's then applies)
     * @return this builder
     */
    @Override
    public Builder setQuotaProjectId(String quotaProjectId) {
      this.quotaProjectId = quotaProjectId == null ? null : requireText(quotaProjectId, "quotaProjectId");
      return this;
    }

    /**
     * The universe domain: it names the default STS and IAM Credentials endpoints ({@code
     * sts.UNIVERSE}, {@code iamcredentials.UNIVERSE}) and is what {@link GoogleCredentials#getUniverseDomain()}
     * reports.
     *
     * @param universeDomain the domain, or {@code null} for none set here (the file's {@code
     *     universe_domain}, else {@code googleapis.com})
     * @return this builder
     */
    @Override
    public Builder setUniverseDomain(String universeDomain) {
      this.universeDomain = universeDomain == null ? null : requireText(universeDomain, "universeDomain");
      return this;
    }

    /**
     * Not supported: these credentials obtain their own tokens.
     *
     * @param token ignored
     * @return never
     * @throws UnsupportedOperationException always; use {@code GoogleCredentials.create(token)} for a fixed token
     */
    @Override
    public Builder setAccessToken(AccessToken token) {
      throw new UnsupportedOperationException("GcpWorkloadIdentityCredentials obtain their own access tokens; use"
          + " GoogleCredentials.create(token) for a fixed token.");
    }

    /**
     * Not supported: refresh timing comes from the {@link RefreshPolicy}, scaled to each token's lifetime.
     *
     * @param margin ignored
     * @return never
     * @throws UnsupportedOperationException always; use {@link #refreshPolicy(RefreshPolicy)}
     */
    @Override
    public Builder setRefreshMargin(Duration margin) {
      throw new UnsupportedOperationException("GcpWorkloadIdentityCredentials refresh at a point scaled to the token's"
          + " lifetime: use refreshPolicy(RefreshPolicy.builder()...build()) instead of a refresh margin.");
    }

    /**
     * Not supported: expiry handling comes from the {@link RefreshPolicy}.
     *
     * @param margin ignored
     * @return never
     * @throws UnsupportedOperationException always; use {@link #refreshPolicy(RefreshPolicy)}
     */
    @Override
    public Builder setExpirationMargin(Duration margin) {
      throw new UnsupportedOperationException("GcpWorkloadIdentityCredentials stop using a token at the RefreshPolicy's"
          + " expiry skew: use refreshPolicy(RefreshPolicy.builder().expirySkew(...).build()) instead of an expiration"
          + " margin.");
    }

    /**
     * Validates the configuration and builds the credentials, sharing the session of any open
     * credentials with the same configuration. Makes no network call: the first exchange happens on
     * first use.
     *
     * @return the credentials; close them when done
     * @throws ConfigurationException naming what is missing or invalid and how to fix it
     */
    @Override
    public GcpWorkloadIdentityCredentials build() {
      GcpSettings.Resolved resolved = GcpSettings.resolve(new GcpSettings.Inputs(environment, credentialsFile, audience,
          serviceAccount, tokenLifetime, tokenSource, tokenFile, stsEndpoint, iamEndpoint, metadataServer, metadataHost,
          universeDomain, transportFactory, connectTimeout, readTimeout, exchangeTimeout, clock, refreshPolicy,
          quotaProjectId, Set.copyOf(allowedEndpoints), allowHttp));
      List<String> keyScopes = scopes == null ? GcpSettings.DEFAULT_SCOPES : scopes;
      keyScopes.forEach(Checks::scope);
      Shared.Ref<GcpSession> ref = GcpSession.acquire(resolved.settings());
      Owner owner = new Owner(ref, listener == null ? null : ref.get().listeners().add(listener), new Builder(this));
      try {
        GcpTokenKey key = resolved.key(keyScopes);
        return new GcpWorkloadIdentityCredentials(owner, key, resolved.quotaProject(), true);
      } catch (RuntimeException e) {
        owner.close();
        throw e;
      }
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
