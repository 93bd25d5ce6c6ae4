package io.workloadidentity.gcp.internal;

import com.google.auth.oauth2.AccessToken;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Everything behind one {@code GcpWorkloadIdentityCredentials} and its scoped copies: the resolved
 * configuration, the credential cache and the resources it owns (the watched token file).
 */
public final class Engine implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(Engine.class.getName());
  public static final String CREDENTIALS_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS";
  public static final String CREDENTIALS_PROPERTY = "workloadidentity.gcp.credentials";
  public static final String QUOTA_VARIABLE = "GOOGLE_CLOUD_QUOTA_PROJECT";
  public static final String QUOTA_PROPERTY = "workloadidentity.gcp.quotaProject";
  public static final List<String> DEFAULT_SCOPES = List.of(FederationExchange.CLOUD_PLATFORM);
  static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);
  static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(3);
  static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(10);
  static final int DEFAULT_ATTEMPTS = 4;
  /** At pod start the GKE metadata server may refuse connections for a few seconds: try longer. */
  static final int DEFAULT_METADATA_ATTEMPTS = 10;

  private final CredentialCache<Key, AccessToken> cache;
  private final Key key;
  private final String quotaProject;
  private final String universeDomain;
  private final String description;
  private final List<AutoCloseable> owned;
  private volatile boolean closed;

  private Engine(CredentialCache<Key, AccessToken> cache, Key key, String quotaProject, String universeDomain,
      String description, List<AutoCloseable> owned) {
    this.cache = cache;
    this.key = key;
    this.quotaProject = quotaProject;
    this.universeDomain = universeDomain;
    this.description = description;
    this.owned = owned;
  }

  /**
   * Resolves the settings: explicit builder values first, then the {@code external_account} file
   * (explicit or from {@code GOOGLE_APPLICATION_CREDENTIALS}), then the metadata server. No network.
   *
   * @throws ConfigurationException when nothing usable is configured or a value is invalid
   */
  public static Engine create(Settings s) {
    Environment env = s.environment() == null ? Environment.system() : s.environment();
    Clock clock = s.clock() == null ? Clock.systemUTC() : s.clock();
    RefreshPolicy policy = s.refreshPolicy() == null ? RefreshPolicy.defaults() : s.refreshPolicy();
    Http http = new Http(s.transportFactory(),
        s.connectTimeout() == null ? DEFAULT_CONNECT_TIMEOUT : s.connectTimeout(),
        s.readTimeout() == null ? DEFAULT_READ_TIMEOUT : s.readTimeout());
    List<String> scopes = s.scopes() == null ? DEFAULT_SCOPES : s.scopes();
    String quota = s.quotaProject() != null ? s.quotaProject() : env.get(QUOTA_VARIABLE, QUOTA_PROPERTY).orElse(null);

    ExternalAccountConfig config = null;
    if (s.credentialsFile() != null) {
      config = ExternalAccountConfig.read(s.credentialsFile(), null);
    } else if (s.audience() == null && !s.metadataServer()) {
      Optional<String> file = env.get(CREDENTIALS_VARIABLE, CREDENTIALS_PROPERTY);
      if (file.isPresent()) {
        config = ExternalAccountConfig.read(Path.of(file.get()), CREDENTIALS_VARIABLE);
      } else if (GkeSignals.system().evidence(env).isEmpty()) {
        throw new ConfigurationException("No Google Cloud workload identity is configured: set "
            + CREDENTIALS_VARIABLE + " to an external_account configuration (gcloud iam workload-identity-pools"
            + " create-cred-config ... --credential-source-file=TOKEN_PATH), or configure"
            + " GcpWorkloadIdentityCredentials.builder().audience(...).tokenFile(...), or run on GKE with Workload"
            + " Identity (or set " + GkeSignals.METADATA_HOST + ").");
      }
    }
    boolean useMetadata = s.metadataServer() || (config == null && s.audience() == null);
    if (useMetadata) {
      if (s.serviceAccount() != null || s.tokenLifetime() != null || s.tokenSource() != null || s.tokenFile() != null) {
        throw new ConfigurationException("serviceAccount, tokenLifetime, tokenSource and tokenFile do not apply to the"
            + " GKE metadata server, which performs the federation itself (bind the service account with the"
            + " iam.gke.io/gcp-service-account annotation instead).");
      }
      String host = s.metadataHost() != null ? s.metadataHost()
          : GkeSignals.configuredHost(env).orElse(GkeSignals.DEFAULT_HOST);
      int attempts = s.maxAttempts() == null ? DEFAULT_METADATA_ATTEMPTS : s.maxAttempts();
      MetadataServerExchange exchange = new MetadataServerExchange(host, s.scopes() == null, http,
          new Retry(attempts, policy), clock);
      Key key = new Key(Key.METADATA_SERVER, null, scopes);
      return new Engine(cache(exchange, clock, policy, s), key, quota, ExternalAccountConfig.DEFAULT_UNIVERSE,
          "metadata server " + exchange.baseUrl(), List.of());
    }

    String audience = s.audience() != null ? s.audience() : config.audience();
    ExternalAccountConfig.validateAudience(audience, null);
    String universe = config == null ? ExternalAccountConfig.DEFAULT_UNIVERSE : config.universeDomain();
    String serviceAccount = s.serviceAccount() != null ? s.serviceAccount()
        : config == null ? null : config.serviceAccount().orElse(null);
    Duration lifetime = s.tokenLifetime() != null ? s.tokenLifetime()
        : config == null ? null : config.lifetime().orElse(null);
    if (lifetime != null && serviceAccount == null) {
      throw new ConfigurationException("tokenLifetime applies only with serviceAccount (impersonation): Google STS"
          + " decides the lifetime of federated tokens.");
    }
    String tokenUrl = s.stsEndpoint() != null ? s.stsEndpoint()
        : config != null ? config.tokenUrl() : "https://sts." + universe + "/v1/token";
    ExternalAccountConfig.requireHttps(tokenUrl, "The STS endpoint", null);
    String iam = s.iamEndpoint() != null ? stripSlash(s.iamEndpoint())
        : config != null ? config.iamEndpoint() : "https://iamcredentials." + universe;
    ExternalAccountConfig.requireHttps(iam, "The IAM Credentials endpoint", null);
    if (quota == null && config != null) {
      quota = config.quotaProject().orElse(null);
    }

    List<AutoCloseable> owned = new ArrayList<>();
    TokenSource tokens = s.tokenSource();
    if (tokens == null) {
      Path file = s.tokenFile() != null ? s.tokenFile() : config == null ? null : config.tokenFile();
      if (file == null) {
        throw new ConfigurationException("No subject token configured for workload identity provider " + audience
            + ": call tokenFile(path) with the projected service-account token (for example"
            + " /var/run/service-account/token) or tokenSource(source).");
      }
      if (s.tokenFile() == null && config.jsonField().isPresent()) {
        tokens = new JsonFieldTokenSource(file, config.jsonField().get(), clock);
      } else {
        FileTokenSource watched = FileTokenSource.builder(file)
            .variable(s.tokenFile() != null ? null : "credential_source.file").clock(clock).build();
        owned.add(watched);
        tokens = watched;
      }
    }
    int attempts = s.maxAttempts() == null ? DEFAULT_ATTEMPTS : s.maxAttempts();
    FederationExchange exchange = new FederationExchange(tokenUrl, iam, universe,
        lifetime == null ? DEFAULT_LIFETIME : lifetime, tokens, http, new Retry(attempts, policy), clock);
    Key key = new Key(audience, serviceAccount, scopes);
    String description = "provider " + audience + (serviceAccount == null ? " (direct access)" : " as " + serviceAccount)
        + ", token " + tokens.description();
    LOG.log(Level.DEBUG, () -> "gcp workload identity: " + description + ", STS " + tokenUrl);
    return new Engine(cache(exchange, clock, policy, s), key, quota, universe, description, owned);
  }

  private static CredentialCache<Key, AccessToken> cache(CredentialCache.Exchange<Key, AccessToken> exchange, Clock clock,
      RefreshPolicy policy, Settings s) {
    CredentialCache.Builder<Key, AccessToken> b = CredentialCache.builder(exchange).name("gcp").clock(clock).refreshPolicy(policy);
    if (s.listener() != null) {
      b.listener(s.listener());
    }
    return b.build();
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /** The shared credential cache. */
  public CredentialCache<Key, AccessToken> cache() {
    return cache;
  }

  /** The key of the credentials as configured (scoped copies derive theirs from it). */
  public Key key() {
    return key;
  }

  /** The quota project, or {@code null}. */
  public String quotaProject() {
    return quotaProject;
  }

  /** The universe domain, {@code googleapis.com} unless the configuration says otherwise. */
  public String universeDomain() {
    return universeDomain;
  }

  /** Where tokens come from, for {@code toString()}; never a secret. */
  public String description() {
    return description;
  }

  /** Whether {@link #close()} was called. */
  public boolean isClosed() {
    return closed;
  }

  @Override
  public void close() {
    closed = true;
    cache.close();
    for (AutoCloseable c : owned) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.log(Level.WARNING, "Closing " + c + " failed", e);
      }
    }
  }
}
