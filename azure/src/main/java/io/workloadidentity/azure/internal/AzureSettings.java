package io.workloadidentity.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpPipeline;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.HttpDefaults;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Everything one Azure credential is configured with, resolved from the builder and the environment
 * and validated: the key under which identically configured credentials share one session.
 * Values compare by value; caller-supplied objects (token source, HTTP client or pipeline, clock)
 * by their own {@code equals}, which for those types is identity (system clocks of one zone are
 * equal, as they should be). The listener is deliberately not part of it.
 *
 * <p>The variables are the ones the azure-workload-identity webhook injects; a system property of the
 * same name wins over the variable, as in azure-core's {@code Configuration}. Detection uses the same
 * checks, so that both explain a problem with the same words.
 *
 * @param clientId the application (client) ID
 * @param tenantId the directory (tenant) ID
 * @param authorityHost the Entra endpoint, {@code https://host[:port]/}
 * @param instanceDiscovery whether MSAL may validate the authority with login.microsoftonline.com
 * @param tokenFile the projected token file, or null when {@code tokenSource} is given
 * @param tokenFileVariable the variable that named the file, or null
 * @param tokenSource the caller's token source, or null
 * @param httpClient the caller's HTTP client, or null
 * @param pipeline the caller's pipeline, or null
 * @param clock the wall clock
 * @param refreshPolicy the refresh policy
 * @param exchangeTimeout the deadline of one exchange
 * @param connectTimeout the connect timeout of the default HTTP client
 * @param readTimeout the response timeout of the default HTTP client
 * @param additionallyAllowedTenants lower-case tenants a request may name besides {@code tenantId};
 *     {@code *} allows any
 */
public record AzureSettings(String clientId, String tenantId, String authorityHost, boolean instanceDiscovery,
    Path tokenFile, String tokenFileVariable, TokenSource tokenSource, HttpClient httpClient, HttpPipeline pipeline,
    Clock clock, RefreshPolicy refreshPolicy, Duration exchangeTimeout, Duration connectTimeout, Duration readTimeout,
    Set<String> additionallyAllowedTenants) {

  /** The client ID variable (and system property). */
  public static final String CLIENT_ID = "AZURE_CLIENT_ID";
  /** The tenant ID variable (and system property). */
  public static final String TENANT_ID = "AZURE_TENANT_ID";
  /** The projected token file variable (and system property). */
  public static final String TOKEN_FILE = "AZURE_FEDERATED_TOKEN_FILE";
  /** The authority host variable (and system property). */
  public static final String AUTHORITY_HOST = "AZURE_AUTHORITY_HOST";
  /** azure-identity's variable for the same setting ({@code ;}-separated). */
  public static final String ADDITIONALLY_ALLOWED_TENANTS = "AZURE_ADDITIONALLY_ALLOWED_TENANTS";
  /** The public cloud's Entra endpoint. */
  public static final String DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com/";
  /** The default deadline of one exchange, the cache's. */
  public static final Duration DEFAULT_EXCHANGE_TIMEOUT = Duration.ofSeconds(30);
  /** The audience the webhook requests; Entra's recommended federated-credential audience. */
  public static final String AUDIENCE = "api://AzureADTokenExchange";
  /** The recommended audiences of the public cloud, Azure US Government and Azure China. */
  public static final Set<String> AUDIENCES =
      Set.of(AUDIENCE, "api://AzureADTokenExchangeUSGov", "api://AzureADTokenExchangeChina");
  /** Any tenant, in {@link #additionallyAllowedTenants}. */
  public static final String ANY_TENANT = "*";

  static final String POD_NOT_MUTATED = "Pod not mutated by the azure-workload-identity webhook: is it labelled"
      + " azure.workload.identity/use: \"true\" and is the service account annotated with"
      + " azure.workload.identity/client-id? The webhook mutates pods only when they are created: restart the pod after"
      + " fixing the label or annotation.";
  /** Entra's own check (ValidationUtil in azure-identity): anything else cannot be a tenant. */
  static final Pattern TENANT = Pattern.compile("[A-Za-z0-9.-]+");
  private static final Set<String> MICROSOFT_CLOUDS = Set.of("login.microsoftonline.com", "login.microsoft.com",
      "login.windows.net", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn", "login.microsoftonline.us");

  /** Validates the invariants the builder guarantees. */
  public AzureSettings {
    Objects.requireNonNull(clientId, "clientId");
    Objects.requireNonNull(tenantId, "tenantId");
    Objects.requireNonNull(authorityHost, "authorityHost");
    if ((tokenFile == null) == (tokenSource == null)) {
      throw new IllegalArgumentException("exactly one of tokenFile and tokenSource");
    }
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(refreshPolicy, "refreshPolicy");
    Objects.requireNonNull(exchangeTimeout, "exchangeTimeout");
    Objects.requireNonNull(connectTimeout, "connectTimeout");
    Objects.requireNonNull(readTimeout, "readTimeout");
    additionallyAllowedTenants = Set.copyOf(additionallyAllowedTenants);
  }

  /**
   * Whether a request may name {@code tenant}.
   *
   * @param tenant a tenant other than the configured one
   * @return true if it is additionally allowed, or any tenant is
   */
  public boolean allowsTenant(String tenant) {
    return additionallyAllowedTenants.contains(ANY_TENANT)
        || additionallyAllowedTenants.contains(tenant.toLowerCase(Locale.ROOT));
  }

  /**
   * Whether {@code tenant} is the configured tenant (tenant IDs and domains are case-insensitive).
   *
   * @param tenant a tenant a request named
   * @return true if it is this credential's own
   */
  public boolean isConfiguredTenant(String tenant) {
    return tenantId.equalsIgnoreCase(tenant);
  }

  /** For messages and toString: the configuration, never a token. */
  public String describe() {
    return "client ID " + clientId + ", tenant " + tenantId + ", authority " + authorityHost + ", token from "
        + (tokenSource != null ? tokenSource.description() : tokenFile)
        + (additionallyAllowedTenants.isEmpty() ? "" : ", additionally allowed tenants " + new TreeSet<>(additionallyAllowedTenants));
  }

  /** A setting from a system property of the same name or the environment variable. */
  public static Optional<String> get(Environment env, String name) {
    return env.get(name, name);
  }

  /**
   * What is wrong with these values, one sentence with its fix per problem; empty when usable.
   *
   * @param hasTokenFile whether a token file (or token source) is configured
   */
  public static List<String> problems(String clientId, String tenantId, boolean hasTokenFile, String authorityHost) {
    List<String> problems = new ArrayList<>();
    boolean client = clientId != null;
    boolean tenant = tenantId != null;
    if (!client && !tenant && !hasTokenFile) {
      problems.add(CLIENT_ID + ", " + TENANT_ID + " and " + TOKEN_FILE + " are not set. " + POD_NOT_MUTATED
          + " Outside Kubernetes, set the three variables or configure the builder.");
    } else if (!hasTokenFile) {
      problems.add(TOKEN_FILE + " is not set" + (client || tenant ? " although " + (client ? CLIENT_ID : TENANT_ID) + " is"
          : "") + ". " + POD_NOT_MUTATED);
    } else if (!client) {
      problems.add(CLIENT_ID + " is not set although " + TOKEN_FILE + " is: the webhook mutated the pod but the service"
          + " account has no azure.workload.identity/client-id annotation. Annotate it with the application (client) ID"
          + " of the app registration or user-assigned managed identity and restart the pod, or set " + CLIENT_ID + ".");
    }
    if (hasTokenFile && !tenant) {
      problems.add(TENANT_ID + " is not set: annotate the service account with azure.workload.identity/tenant-id (or"
          + " set the webhook's default tenant), then restart the pod; or set " + TENANT_ID + ".");
    }
    if (tenant && !TENANT.matcher(tenantId).matches()) {
      problems.add(TENANT_ID + " \"" + tenantId + "\" is not a tenant ID: use the directory (tenant) ID, a GUID, or a"
          + " verified domain such as contoso.onmicrosoft.com.");
    }
    if (authorityHost != null) {
      try {
        authorityHost(authorityHost);
      } catch (ConfigurationException e) {
        problems.add(e.getMessage());
      }
    }
    return problems;
  }

  /**
   * Validates an authority host and returns it with one trailing slash.
   *
   * @throws ConfigurationException if it is not {@code https://host[:port]/}
   */
  public static String authorityHost(String value) {
    String fix = " Use the Entra endpoint of your cloud, for example " + DEFAULT_AUTHORITY_HOST
        + " (public), https://login.chinacloudapi.cn/ (Azure China) or https://login.microsoftonline.us/ (Azure US"
        + " Government); the tenant is configured separately.";
    URI uri;
    try {
      uri = new URI(value.strip());
    } catch (URISyntaxException e) {
      throw new ConfigurationException(AUTHORITY_HOST + " \"" + value + "\" is not a URL." + fix);
    }
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw new ConfigurationException(AUTHORITY_HOST + " \"" + value + "\" must be an https:// URL with a host"
          + " (Entra and azure-identity refuse anything else)." + fix);
    }
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!path.isEmpty() && !path.equals("/") || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new ConfigurationException(AUTHORITY_HOST + " \"" + value + "\" must have no path: MSAL would take the"
          + " path as the tenant." + fix);
    }
    return "https://" + uri.getRawAuthority() + "/";
  }

  /** Whether {@code authorityHost} (normalised, {@code https://host/}) is one of Microsoft's own clouds. */
  public static boolean isMicrosoftCloud(String authorityHost) {
    String host = URI.create(authorityHost).getHost();
    return host != null && MICROSOFT_CLOUDS.contains(host.toLowerCase(Locale.ROOT));
  }

  /**
   * The builder's values before resolution: what the public builder stores. Not thread-safe.
   * {@code null} means "not set" everywhere; the public setters reject {@code null} themselves.
   */
  public static final class Values {
    /** Where unset values are read from. */
    public Environment environment = Environment.system();
    /** The client ID, or null. */
    public String clientId;
    /** The tenant, or null. */
    public String tenantId;
    /** The authority host, or null. */
    public String authorityHost;
    /** Whether MSAL instance discovery is on, or null for the default. */
    public Boolean instanceDiscovery;
    /** The token file, or null. */
    public Path tokenFile;
    /** The caller's token source, or null. */
    public TokenSource tokenSource;
    /** The caller's HTTP client, or null. */
    public HttpClient httpClient;
    /** The caller's pipeline, or null. */
    public HttpPipeline pipeline;
    /** The clock, or null. */
    public Clock clock;
    /** The refresh policy, or null. */
    public RefreshPolicy refreshPolicy;
    /** The exchange deadline, or null. */
    public Duration exchangeTimeout;
    /** The connect timeout, or null. */
    public Duration connectTimeout;
    /** The read timeout, or null. */
    public Duration readTimeout;
    /** The additionally allowed tenants, or null for the environment's. */
    public List<String> additionallyAllowedTenants;

    /**
     * Resolves unset values from the environment, then the defaults, and validates them.
     *
     * @throws ConfigurationException naming each missing or malformed setting and its fix
     */
    public AzureSettings resolve() {
      String client = given(clientId) != null ? given(clientId) : get(environment, CLIENT_ID).orElse(null);
      String tenant = given(tenantId) != null ? given(tenantId) : get(environment, TENANT_ID).orElse(null);
      String authority = given(authorityHost) != null ? authorityHost
          : get(environment, AUTHORITY_HOST).orElse(DEFAULT_AUTHORITY_HOST);
      Path file = tokenFile;
      String fileVariable = null;
      if (file == null && tokenSource == null) {
        file = get(environment, TOKEN_FILE).map(Path::of).orElse(null);
        fileVariable = TOKEN_FILE;
      }
      List<String> problems = problems(client, tenant, file != null || tokenSource != null, authority);
      List<String> tenants = additionallyAllowedTenants != null ? additionallyAllowedTenants
          : get(environment, ADDITIONALLY_ALLOWED_TENANTS).map(v -> List.of(v.split("[;,]"))).orElse(List.of());
      Set<String> allowed = new TreeSet<>();
      for (String t : tenants) {
        String s = t.strip();
        if (s.isEmpty()) {
          continue;
        }
        if (!s.equals(ANY_TENANT) && !TENANT.matcher(s).matches()) {
          problems.add("Additionally allowed tenant \"" + s + "\" is not a tenant ID: use directory (tenant) IDs,"
              + " verified domains, or \"*\" for any tenant" + (additionallyAllowedTenants != null ? "."
              : " (in " + ADDITIONALLY_ALLOWED_TENANTS + ", separated by \";\")."));
        }
        allowed.add(s.toLowerCase(Locale.ROOT));
      }
      if (!problems.isEmpty()) {
        throw new ConfigurationException("Azure workload identity is not configured: " + String.join(" ", problems));
      }
      String host = authorityHost(authority);
      boolean discovery = instanceDiscovery != null ? instanceDiscovery : isMicrosoftCloud(host);
      if (tenant != null) {
        allowed.remove(tenant.toLowerCase(Locale.ROOT));
      }
      return new AzureSettings(client, tenant, host, discovery, tokenSource == null ? file : null,
          tokenSource == null ? fileVariable : null, tokenSource, httpClient, pipeline,
          clock != null ? clock : Clock.systemUTC(), refreshPolicy != null ? refreshPolicy : RefreshPolicy.defaults(),
          exchangeTimeout != null ? exchangeTimeout : DEFAULT_EXCHANGE_TIMEOUT,
          connectTimeout != null ? connectTimeout : HttpDefaults.CONNECT_TIMEOUT,
          readTimeout != null ? readTimeout : HttpDefaults.READ_TIMEOUT, allowed);
    }

    private static String given(String value) {
      return value == null || value.isBlank() ? null : value.strip();
    }
  }
}
