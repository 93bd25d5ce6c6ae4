package io.workloadidentity.gcp.internal;

import com.google.auth.http.HttpTransportFactory;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.HttpDefaults;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Values;
import io.workloadidentity.gcp.GcpTokenKey;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The resolved, validated configuration of a Google session: builder values first, then the {@code
 * external_account} file, then the environment, then the defaults. Immutable.
 *
 * <p>{@link #equals} is the sharing key of {@link GcpSession}: values compare by value (paths, URLs,
 * durations, the {@link RefreshPolicy}), caller-supplied objects (token source, HTTP transport
 * factory, clock) by identity. The listener, the quota project and the scopes are not part of it:
 * they belong to each credentials object. So does the impersonated service account: like the scopes,
 * it is part of each token's {@link GcpTokenKey}, so credentials for two service accounts share one
 * session (one token watch, one cache) when nothing else differs.
 *
 * @param audience the workload identity provider, or {@code null} for the GKE metadata server
 * @param tokenLifetime the lifetime of impersonated tokens
 * @param tokenUrl the STS endpoint ({@code null} for the metadata server)
 * @param iamEndpoint the IAM Credentials base URL ({@code null} for the metadata server)
 * @param universeDomain the universe domain, {@code googleapis.com} unless configured
 * @param tokenFile the projected token file, or {@code null} (a caller's token source, the metadata server)
 * @param tokenFileVariable where the token file path came from, for messages, or {@code null}
 * @param jsonField the JSON field holding the token for a {@code json}-format source, or {@code null}
 * @param tokenSource the caller's token source, or {@code null}
 * @param metadataUrl {@code http://host[:port]} of the metadata server, or {@code null} for federation
 * @param transportFactory the caller's HTTP transport factory, or {@code null} for {@code NetHttpTransport}
 * @param connectTimeout the connect timeout of every request
 * @param readTimeout the read timeout of every request
 * @param exchangeTimeout the deadline of one exchange (all its steps)
 * @param clock the wall clock
 * @param refreshPolicy refresh timing and backoff
 */
public record GcpSettings(
    String audience,
    Duration tokenLifetime,
    String tokenUrl,
    String iamEndpoint,
    String universeDomain,
    Path tokenFile,
    String tokenFileVariable,
    String jsonField,
    TokenSource tokenSource,
    String metadataUrl,
    HttpTransportFactory transportFactory,
    Duration connectTimeout,
    Duration readTimeout,
    Duration exchangeTimeout,
    Clock clock,
    RefreshPolicy refreshPolicy) {

  /** The variable naming the {@code external_account} file. */
  public static final String CREDENTIALS_VARIABLE = "GOOGLE_APPLICATION_CREDENTIALS";
  /** The system property naming the {@code external_account} file; wins over the variable. */
  public static final String CREDENTIALS_PROPERTY = "workloadidentity.gcp.credentials";
  /** The variable naming the quota project. */
  public static final String QUOTA_VARIABLE = "GOOGLE_CLOUD_QUOTA_PROJECT";
  /** The system property naming the quota project; wins over the variable. */
  public static final String QUOTA_PROPERTY = "workloadidentity.gcp.quotaProject";
  /** The scope of every Google Cloud API. */
  public static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";
  /** The scopes of a credentials object that sets none. */
  public static final List<String> DEFAULT_SCOPES = List.of(CLOUD_PLATFORM);
  /** The lifetime of impersonated tokens unless configured (Google's default too). */
  public static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);
  /** The deadline of one exchange unless configured (the cache's default). */
  public static final Duration DEFAULT_EXCHANGE_TIMEOUT = Duration.ofSeconds(30);

  /**
   * What the public builder collected; {@code null} (or {@code false}) means "not set".
   *
   * @param environment where variables and system properties are read
   * @param credentialsFile an explicit {@code external_account} file
   * @param audience the workload identity provider
   * @param serviceAccount the service account to impersonate
   * @param tokenLifetime the impersonated token lifetime
   * @param tokenSource the caller's token source
   * @param tokenFile the projected token file
   * @param stsEndpoint the STS endpoint
   * @param iamEndpoint the IAM Credentials base URL
   * @param metadataServer whether to use the GKE metadata server
   * @param metadataHost the metadata server's {@code host[:port]}
   * @param universeDomain the universe domain
   * @param transportFactory the HTTP transport factory
   * @param connectTimeout the connect timeout
   * @param readTimeout the read timeout
   * @param exchangeTimeout the exchange deadline
   * @param clock the wall clock
   * @param refreshPolicy the refresh policy
   * @param quotaProject the quota project
   * @param allowedEndpoints endpoint hosts allowed in code beyond Google's and loopback
   * @param allowHttp whether plain http to non-loopback endpoints was allowed in code
   */
  public record Inputs(
      Environment environment,
      Path credentialsFile,
      String audience,
      String serviceAccount,
      Duration tokenLifetime,
      TokenSource tokenSource,
      Path tokenFile,
      String stsEndpoint,
      String iamEndpoint,
      boolean metadataServer,
      String metadataHost,
      String universeDomain,
      HttpTransportFactory transportFactory,
      Duration connectTimeout,
      Duration readTimeout,
      Duration exchangeTimeout,
      Clock clock,
      RefreshPolicy refreshPolicy,
      String quotaProject,
      Set<String> allowedEndpoints,
      boolean allowHttp) {}

  /**
   * The settings and what belongs to each credentials object rather than to the session.
   *
   * @param settings the session's settings
   * @param serviceAccount the service account to impersonate, or {@code null}
   * @param quotaProject the quota project, or {@code null} (only a request header)
   */
  public record Resolved(GcpSettings settings, String serviceAccount, String quotaProject) {
    /**
     * The cache key of a token for {@code scopes}.
     *
     * @param scopes the OAuth scopes
     * @return the key
     */
    public GcpTokenKey key(List<String> scopes) {
      return settings.isMetadataServer() ? GcpTokenKey.metadataServer(scopes)
          : GcpTokenKey.federated(settings.audience(), serviceAccount, scopes);
    }
  }

  /**
   * Resolves builder values against the {@code external_account} file (explicit, or from {@code
   * GOOGLE_APPLICATION_CREDENTIALS}) and the environment. Reads the file; makes no network call.
   *
   * @param in the builder values
   * @return the settings
   * @throws ConfigurationException when nothing usable is configured or a value is invalid
   */
  public static Resolved resolve(Inputs in) {
    Environment env = in.environment() == null ? Environment.system() : in.environment();
    Clock clock = in.clock() == null ? Clock.systemUTC() : in.clock();
    RefreshPolicy policy = in.refreshPolicy() == null ? RefreshPolicy.defaults() : in.refreshPolicy();
    Duration connect = in.connectTimeout() == null ? HttpDefaults.CONNECT_TIMEOUT : in.connectTimeout();
    Duration read = in.readTimeout() == null ? HttpDefaults.READ_TIMEOUT : in.readTimeout();
    Duration deadline = in.exchangeTimeout() == null ? DEFAULT_EXCHANGE_TIMEOUT : in.exchangeTimeout();
    String quota = in.quotaProject() != null ? Checks.quotaProject(in.quotaProject(), "quotaProject")
        : env.get(QUOTA_VARIABLE, QUOTA_PROPERTY).map(q -> Checks.quotaProject(q, QUOTA_VARIABLE + " / " + QUOTA_PROPERTY))
            .orElse(null);
    // Before anything is read: every endpoint below is judged by this policy.
    EndpointPolicy endpoints = EndpointPolicy.of(env, in.universeDomain(),
        in.allowedEndpoints() == null ? Set.of() : in.allowedEndpoints(), in.allowHttp());
    String serviceAccount = in.serviceAccount() == null ? null : Checks.serviceAccount(in.serviceAccount(), "serviceAccount");

    ExternalAccountConfig config = null;
    if (in.credentialsFile() != null) {
      config = ExternalAccountConfig.read(in.credentialsFile(), null);
    } else if (in.audience() == null && !in.metadataServer()) {
      Optional<String> file = env.get(CREDENTIALS_VARIABLE, CREDENTIALS_PROPERTY);
      if (file.isPresent()) {
        Values.requireClean(file.get(), CREDENTIALS_VARIABLE + " / " + CREDENTIALS_PROPERTY, 4096);
        config = ExternalAccountConfig.read(path(file.get(), CREDENTIALS_VARIABLE), CREDENTIALS_VARIABLE);
      } else if (GkeSignals.system().evidence(env).isEmpty()) {
        throw new ConfigurationException("No Google Cloud workload identity is configured: set "
            + CREDENTIALS_VARIABLE + " to an external_account configuration (gcloud iam workload-identity-pools"
            + " create-cred-config ... --credential-source-file=TOKEN_PATH), or configure"
            + " GcpWorkloadIdentityCredentials.builder().audience(...).tokenFile(...), or run on GKE with Workload"
            + " Identity (or set " + GkeSignals.METADATA_HOST + ").");
      }
    }

    if (in.metadataServer() || (config == null && in.audience() == null)) {
      if (serviceAccount != null || in.tokenLifetime() != null || in.tokenSource() != null || in.tokenFile() != null) {
        throw new ConfigurationException("serviceAccount, tokenLifetime, tokenSource and tokenFile do not apply to the"
            + " GKE metadata server, which performs the federation itself (bind the service account with the"
            + " iam.gke.io/gcp-service-account annotation instead).");
      }
      String host = in.metadataHost() != null
          ? endpoints.requireMetadataHost(Checks.metadataHost(in.metadataHost(), "metadataServer(host)"),
              "metadataServer(host)")
          : GkeSignals.configuredHost(env)
              .map(h -> endpoints.requireMetadataHost(
                  Checks.metadataHost(h, GkeSignals.METADATA_HOST + " / " + GkeSignals.METADATA_HOST_PROPERTY),
                  GkeSignals.METADATA_HOST + " / " + GkeSignals.METADATA_HOST_PROPERTY))
              .orElse(GkeSignals.DEFAULT_HOST);
      // Plain http by design: the metadata server speaks nothing else, and no credential is sent to it.
      return new Resolved(new GcpSettings(null, DEFAULT_LIFETIME, null, null, endpoints.trustedUniverse(), null, null,
          null, null, "http://" + host, in.transportFactory(), connect, read, deadline, clock, policy), null, quota);
    }

    String audience = in.audience() != null ? in.audience() : config.audience();
    ExternalAccountConfig.validateAudience(audience, null);
    String where = config == null ? null : config.where();
    String universe = in.universeDomain() != null ? endpoints.trustedUniverse()
        : config == null ? ExternalAccountConfig.DEFAULT_UNIVERSE : config.universeDomain();
    if (serviceAccount == null && config != null) {
      serviceAccount = config.serviceAccount().orElse(null);
    }
    Duration lifetime = in.tokenLifetime() != null ? in.tokenLifetime()
        : config == null ? null : config.lifetime().orElse(null);
    if (in.tokenLifetime() != null && serviceAccount == null) {
      throw new ConfigurationException("tokenLifetime applies only with serviceAccount (impersonation): Google STS"
          + " decides the lifetime of federated tokens.");
    }
    if (lifetime == null) {
      lifetime = DEFAULT_LIFETIME; // also without impersonation, so that both kinds can share a session
    }
    String tokenUrl;
    String tokenWhat;
    if (in.stsEndpoint() != null) {
      tokenUrl = in.stsEndpoint();
      tokenWhat = "The STS endpoint (stsEndpoint)";
    } else if (config != null && config.tokenUrlFromFile()) {
      tokenUrl = config.tokenUrl();
      tokenWhat = "token_url in " + where;
    } else {
      tokenUrl = "https://sts." + universe + "/v1/token";
      tokenWhat = "The STS endpoint of universe_domain " + universe + (where == null ? "" : " in " + where);
    }
    endpoints.require(tokenUrl, EndpointPolicy.STS, tokenWhat);
    String iam;
    String iamWhat;
    if (in.iamEndpoint() != null) {
      iam = stripSlash(in.iamEndpoint());
      iamWhat = "The IAM Credentials endpoint (iamEndpoint)";
    } else if (config != null && config.serviceAccount().isPresent()) {
      iam = config.iamEndpoint();
      iamWhat = "service_account_impersonation_url in " + where;
    } else {
      iam = "https://iamcredentials." + universe;
      iamWhat = "The IAM Credentials endpoint of universe_domain " + universe + (where == null ? "" : " in " + where);
    }
    if (serviceAccount != null) {
      endpoints.require(iam, EndpointPolicy.IAM, iamWhat); // only an impersonating credential sends anything there
    }
    if (quota == null && config != null) {
      quota = config.quotaProject().orElse(null);
    }

    Path file = null;
    String variable = null;
    String jsonField = null;
    if (in.tokenSource() == null) {
      if (in.tokenFile() != null) {
        file = in.tokenFile();
      } else if (config != null) {
        file = config.tokenFile();
        variable = "credential_source.file";
        jsonField = config.jsonField().orElse(null);
      } else {
        throw new ConfigurationException("No subject token configured for workload identity provider " + audience
            + ": call tokenFile(path) with the projected service-account token (for example"
            + " /var/run/service-account/token) or tokenSource(source).");
      }
      Values.requireClean(file.toString(), variable == null ? "tokenFile" : variable, 4096);
    }
    return new Resolved(new GcpSettings(audience, lifetime, tokenUrl, iam, universe, file, variable, jsonField,
        in.tokenSource(), null, in.transportFactory(), connect, read, deadline, clock, policy), serviceAccount, quota);
  }

  private static Path path(String value, String variable) {
    try {
      return Path.of(value);
    } catch (InvalidPathException e) {
      throw new ConfigurationException(variable + " is \"" + Redaction.escape(value) + "\", which is not a path.");
    }
  }

  private static String stripSlash(String url) {
    return url.endsWith("/") ? url.substring(0, url.length() - 1) : url;
  }

  /**
   * Whether tokens come from the GKE metadata server rather than workload identity federation.
   *
   * @return true for the metadata server
   */
  public boolean isMetadataServer() {
    return metadataUrl != null;
  }

  /**
   * Where tokens come from, for {@code toString()} and log lines; never a secret.
   *
   * @return a short description
   */
  public String description() {
    if (isMetadataServer()) {
      return "metadata server " + metadataUrl;
    }
    String token = tokenSource != null ? tokenSource.description()
        : tokenFile + (jsonField == null ? "" : " (json field " + jsonField + ")");
    return "provider " + audience + ", token " + token;
  }

  /** Values by value; the token source, the transport factory and the clock by identity. */
  @Override
  public boolean equals(Object o) {
    return o instanceof GcpSettings s
        && Objects.equals(audience, s.audience) && tokenLifetime.equals(s.tokenLifetime) && Objects.equals(tokenUrl, s.tokenUrl)
        && Objects.equals(iamEndpoint, s.iamEndpoint) && Objects.equals(universeDomain, s.universeDomain)
        && Objects.equals(tokenFile, s.tokenFile) && Objects.equals(tokenFileVariable, s.tokenFileVariable)
        && Objects.equals(jsonField, s.jsonField) && tokenSource == s.tokenSource
        && Objects.equals(metadataUrl, s.metadataUrl) && transportFactory == s.transportFactory
        && connectTimeout.equals(s.connectTimeout) && readTimeout.equals(s.readTimeout)
        && exchangeTimeout.equals(s.exchangeTimeout) && clock == s.clock && refreshPolicy.equals(s.refreshPolicy);
  }

  @Override
  public int hashCode() {
    return Objects.hash(audience, tokenLifetime, tokenUrl, iamEndpoint, universeDomain, tokenFile,
        tokenFileVariable, jsonField, System.identityHashCode(tokenSource), metadataUrl,
        System.identityHashCode(transportFactory), connectTimeout, readTimeout, exchangeTimeout,
        System.identityHashCode(clock), refreshPolicy);
  }

  /** The configuration without the caller's objects' contents; never a secret. */
  @Override
  public String toString() {
    return "GcpSettings{" + description() + ", connect=" + connectTimeout + ", read=" + readTimeout + ", deadline="
        + exchangeTimeout + "}";
  }
}
