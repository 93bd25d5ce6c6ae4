package io.workloadidentity.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpPipeline;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Endpoints;
import io.workloadidentity.core.internal.HttpDefaults;
import io.workloadidentity.core.internal.Redaction;
import java.net.URI;
import java.nio.file.InvalidPathException;
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
 * @param authorityHost the Entra endpoint, {@code https://host[:port]/} (or {@code http://} to
 *     loopback, or where plain http was allowed)
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
  /** System property that allows an authority host that is not one of Microsoft's. */
  public static final String ALLOW_CUSTOM_AUTHORITY_PROPERTY = "workloadidentity.azure.allowCustomAuthorityHost";
  /** Environment variable that allows an authority host that is not one of Microsoft's. */
  public static final String ALLOW_CUSTOM_AUTHORITY_VARIABLE = "WORKLOAD_IDENTITY_AZURE_ALLOW_CUSTOM_AUTHORITY_HOST";
  /**
   * Microsoft's Entra ID authority hosts: the public cloud (and its aliases), Azure China (21Vianet),
   * Azure US Government, and the retired Azure Germany; the hosts MSAL4J itself trusts without
   * instance discovery, plus the China partner alias. Exact host names, compared ignoring case.
   */
  public static final Set<String> MICROSOFT_AUTHORITY_HOSTS = Set.of("login.microsoftonline.com", "login.microsoft.com",
      "login.windows.net", "sts.windows.net", "login.chinacloudapi.cn", "login.partner.microsoftonline.cn",
      "login.microsoftonline.us", "login-us.microsoftonline.com", "login.microsoftonline.de");
  /** The builder method that allows plain http, for messages. */
  static final String ALLOW_HTTP_OPT_IN = "AzureWorkloadIdentityCredential.builder().allowHttp(true)";
  /** Longest client ID, tenant or token-file path looked at; real ones are far shorter. */
  private static final int MAX_VALUE_LENGTH = 256;
  private static final int MAX_PATH_LENGTH = 4_096;

  static final String POD_NOT_MUTATED = "Pod not mutated by the azure-workload-identity webhook: is it labelled"
      + " azure.workload.identity/use: \"true\" and is the service account annotated with"
      + " azure.workload.identity/client-id? The webhook mutates pods only when they are created: restart the pod after"
      + " fixing the label or annotation.";

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
        + Redaction.escape(tokenSource != null ? tokenSource.description() : String.valueOf(tokenFile))
        + (additionallyAllowedTenants.isEmpty() ? "" : ", additionally allowed tenants " + new TreeSet<>(additionallyAllowedTenants));
  }

  /** A setting from a system property of the same name or the environment variable. */
  public static Optional<String> get(Environment env, String name) {
    return env.get(name, name);
  }

  /**
   * Whether {@code authorityHost} is plain http (loopback, or explicitly allowed): azure-identity is
   * then given the https form ({@link #msalAuthorityHost()}) and the pipeline turns it back.
   *
   * @return true for an {@code http://} authority
   */
  public boolean plainHttp() {
    return authorityHost.startsWith("http://");
  }

  /**
   * The authority as azure-identity and MSAL are given it: always {@code https://host[:port]/}, the
   * only scheme they accept.
   *
   * @return the https form of {@link #authorityHost}
   */
  public String msalAuthorityHost() {
    return plainHttp() ? "https://" + authorityHost.substring("http://".length()) : authorityHost;
  }

  /**
   * Whether {@code value} can name a tenant: a GUID, or a DNS name with at least one dot (a verified
   * domain such as {@code contoso.onmicrosoft.com}). Entra's own rule (azure-identity's {@code
   * ValidationUtil}) is the characters {@code [A-Za-z0-9.-]}; this is stricter in shape and, like it,
   * a linear scan.
   *
   * @param value the value, possibly from a token request or a server's challenge
   * @return true for a tenant ID or domain
   */
  public static boolean isTenant(String value) {
    return io.workloadidentity.core.internal.Values.isGuid(value) || value != null && value.indexOf('.') > 0 && io.workloadidentity.core.internal.Values.isDnsName(value);
  }

  /** Whether {@code authorityHost} (normalised, {@code https://host/}) is one of Microsoft's own clouds. */
  public static boolean isMicrosoftCloud(String authorityHost) {
    String host = URI.create(authorityHost).getHost();
    return host != null && MICROSOFT_AUTHORITY_HOSTS.contains(host.toLowerCase(Locale.ROOT));
  }

  /**
   * Validates an authority host and returns it as {@code scheme://host[:port]/}: https (plain http only
   * to loopback or with {@code allowHttp}), no user info, path, query or control characters, and one
   * of {@link #MICROSOFT_AUTHORITY_HOSTS} or loopback unless {@code allowCustom}.
   *
   * @param value the configured value
   * @param source where it came from, for the message ({@code AZURE_AUTHORITY_HOST}, the builder)
   * @param allowHttp whether plain http to a host that is not loopback was explicitly allowed
   * @param allowCustom whether a host that is not Microsoft's was explicitly allowed
   * @return the normalised authority
   * @throws ConfigurationException naming the host, what is wrong and the opt-in
   */
  public static String authorityHost(String value, String source, boolean allowHttp, boolean allowCustom) {
    String what = "The Entra authority host (" + source + ")";
    URI uri = Endpoints.requireSecure(value, what, allowHttp, ALLOW_HTTP_OPT_IN);
    String fix = " Use the Entra endpoint of your cloud, for example " + DEFAULT_AUTHORITY_HOST
        + " (public), https://login.chinacloudapi.cn/ (Azure China) or https://login.microsoftonline.us/ (Azure US"
        + " Government); the tenant is configured separately.";
    String path = uri.getRawPath() == null ? "" : uri.getRawPath();
    if (!path.isEmpty() && !path.equals("/") || uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new ConfigurationException(what + " " + Redaction.message(value) + " must have no path, query or fragment:"
          + " MSAL would take a path as the tenant." + fix);
    }
    String host = uri.getHost().toLowerCase(Locale.ROOT);
    if (!allowCustom && !MICROSOFT_AUTHORITY_HOSTS.contains(host) && !Endpoints.isLoopback(host)) {
      throw new ConfigurationException(what + " " + uri.getScheme() + "://" + uri.getRawAuthority() + "/ is not one"
          + " of Microsoft's Entra ID endpoints (" + String.join(", ", new TreeSet<>(MICROSOFT_AUTHORITY_HOSTS))
          + "): the projected service-account token would be sent to " + host + ", which could exchange it for this"
          + " application's access tokens. Nothing was sent." + fix + " For a private cloud or an authority you run,"
          + " allow it explicitly: AzureWorkloadIdentityCredential.builder().allowCustomAuthorityHost(true), or "
          + ALLOW_CUSTOM_AUTHORITY_PROPERTY + "=true / " + ALLOW_CUSTOM_AUTHORITY_VARIABLE + "=true.");
    }
    return uri.getScheme().toLowerCase(Locale.ROOT) + "://" + uri.getRawAuthority() + "/";
  }

  /**
   * The client ID's problem, or null: a GUID (the application (client) ID of an app registration or
   * user-assigned managed identity is always one), no control characters.
   */
  static String clientIdProblem(String value, String source) {
    String unclean = unclean(value, source, MAX_VALUE_LENGTH);
    if (unclean != null) {
      return unclean;
    }
    if (!io.workloadidentity.core.internal.Values.isGuid(value)) {
      return source + " \"" + Redaction.escape(value) + "\" is not a client ID: use the application (client) ID of"
          + " the app registration or user-assigned managed identity, a GUID such as"
          + " 5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11 (Overview page in the Azure portal).";
    }
    return null;
  }

  /** The tenant's problem, or null. */
  static String tenantProblem(String value, String source) {
    String unclean = unclean(value, source, MAX_VALUE_LENGTH);
    if (unclean != null) {
      return unclean;
    }
    if (isTenant(value)) {
      return null;
    }
    String lower = value.toLowerCase(Locale.ROOT);
    boolean multi = lower.equals("common") || lower.equals("organizations") || lower.equals("consumers");
    return source + " \"" + Redaction.escape(value) + "\" is not a tenant ID: use the directory (tenant) ID, a GUID, or"
        + " a verified domain such as contoso.onmicrosoft.com" + (multi ? " (\"" + lower + "\" names no tenant: the"
        + " federated client-credentials flow needs the application's own tenant)." : ".");
  }

  /** Control characters or absurd length, as {@link io.workloadidentity.core.internal.Values#requireClean} words it; null when clean. */
  private static String unclean(String value, String source, int maxLength) {
    try {
      io.workloadidentity.core.internal.Values.requireClean(value, source, maxLength);
      return null;
    } catch (ConfigurationException e) {
      return e.getMessage();
    }
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
    /** Whether plain http to a host that is not loopback is allowed, or null for the environment's. */
    public Boolean allowHttp;
    /** Whether an authority host that is not Microsoft's is allowed, or null for the environment's. */
    public Boolean allowCustomAuthorityHost;

    /**
     * Resolves unset values from the environment, then the defaults, and validates them. Nothing is
     * sent anywhere before this succeeds.
     *
     * @return the settings
     * @throws ConfigurationException naming each missing or malformed setting and its fix
     */
    public AzureSettings resolve() {
      Checked c = check();
      if (!c.problems.isEmpty()) {
        throw new ConfigurationException("Azure workload identity is not configured: " + String.join(" ", c.problems));
      }
      boolean discovery = instanceDiscovery != null ? instanceDiscovery : isMicrosoftCloud(c.authority);
      return new AzureSettings(c.client, c.tenant, c.authority, discovery, tokenSource == null ? c.file : null,
          tokenSource == null ? c.fileVariable : null, tokenSource, httpClient, pipeline,
          clock != null ? clock : Clock.systemUTC(), refreshPolicy != null ? refreshPolicy : RefreshPolicy.defaults(),
          exchangeTimeout != null ? exchangeTimeout : DEFAULT_EXCHANGE_TIMEOUT,
          connectTimeout != null ? connectTimeout : HttpDefaults.CONNECT_TIMEOUT,
          readTimeout != null ? readTimeout : HttpDefaults.READ_TIMEOUT, c.allowed);
    }

    /**
     * What is wrong with these values, one sentence with its fix per problem; empty when {@link
     * #resolve} would succeed. Auto-detection uses it, so that both explain a problem in the same words.
     *
     * @return the problems
     */
    public List<String> problems() {
      return check().problems;
    }

    /**
     * The authority host these values resolve to, as configured (not validated), and whether it is an
     * override of the default: for the doctor's report.
     *
     * @return the authority host, or the default
     */
    public String configuredAuthorityHost() {
      return given(authorityHost) != null ? given(authorityHost) : get(environment, AUTHORITY_HOST).orElse(DEFAULT_AUTHORITY_HOST);
    }

    private Checked check() {
      Checked c = new Checked();
      String clientSource = given(clientId) != null ? "clientId" : CLIENT_ID;
      String tenantSource = given(tenantId) != null ? "tenantId" : TENANT_ID;
      String client = given(clientId) != null ? given(clientId) : get(environment, CLIENT_ID).orElse(null);
      String tenant = given(tenantId) != null ? given(tenantId) : get(environment, TENANT_ID).orElse(null);
      String authoritySource = given(authorityHost) != null ? "authorityHost" : AUTHORITY_HOST;
      String authority = configuredAuthorityHost();
      Path file = tokenFile;
      String fileVariable = null;
      String fileText = file == null ? null : file.toString();
      if (file == null && tokenSource == null) {
        fileText = get(environment, TOKEN_FILE).orElse(null);
        fileVariable = TOKEN_FILE;
      }
      boolean hasTokens = fileText != null || tokenSource != null;
      c.problems.addAll(missing(client, tenant, hasTokens));
      if (client != null) {
        add(c.problems, clientIdProblem(client, clientSource));
      }
      if (tenant != null) {
        add(c.problems, tenantProblem(tenant, tenantSource));
      }
      if (fileText != null && tokenSource == null) {
        String source = fileVariable != null ? fileVariable : "tokenFile";
        String unclean = unclean(fileText, source, MAX_PATH_LENGTH);
        if (unclean != null) {
          c.problems.add(unclean);
        } else if (file == null) {
          try {
            file = Path.of(fileText);
          } catch (InvalidPathException e) {
            c.problems.add(source + " \"" + Redaction.escape(fileText) + "\" is not a file path: " + Redaction.message(
                e.getReason()) + ".");
          }
        }
      }
      boolean http = allowHttp != null ? allowHttp : Endpoints.httpAllowed(environment);
      boolean custom = allowCustomAuthorityHost != null ? allowCustomAuthorityHost : customAuthorityAllowed(environment);
      try {
        c.authority = authorityHost(authority, authoritySource, http, custom);
      } catch (ConfigurationException e) {
        c.problems.add(e.getMessage());
      }
      c.allowed = allowedTenants(c.problems);
      if (tenant != null) {
        c.allowed.remove(tenant.toLowerCase(Locale.ROOT));
      }
      c.client = client;
      c.tenant = tenant;
      c.file = file;
      c.fileVariable = fileVariable;
      return c;
    }

    private Set<String> allowedTenants(List<String> problems) {
      boolean fromBuilder = additionallyAllowedTenants != null;
      String source = fromBuilder ? "additionallyAllowedTenants" : ADDITIONALLY_ALLOWED_TENANTS;
      List<String> tenants = fromBuilder ? additionallyAllowedTenants
          : get(environment, ADDITIONALLY_ALLOWED_TENANTS).map(Values::split).orElse(List.of());
      Set<String> allowed = new TreeSet<>();
      for (String t : tenants) {
        String s = t.strip();
        if (s.isEmpty()) {
          continue;
        }
        if (!s.equals(ANY_TENANT)) {
          String problem = tenantProblem(s, "Additionally allowed tenant (" + source + ")");
          if (problem != null) {
            problems.add(problem + (fromBuilder ? "" : " Separate tenants with \";\"; \"*\" allows any."));
            continue;
          }
        }
        allowed.add(s.toLowerCase(Locale.ROOT));
      }
      return allowed;
    }

    /** Splits a list at {@code ;} and {@code ,} (azure-identity uses {@code ;}): a linear scan. */
    static List<String> split(String list) {
      List<String> parts = new ArrayList<>();
      int start = 0;
      for (int i = 0; i <= list.length(); i++) {
        if (i == list.length() || list.charAt(i) == ';' || list.charAt(i) == ',') {
          parts.add(list.substring(start, i));
          start = i + 1;
        }
      }
      return parts;
    }

    private static void add(List<String> problems, String problem) {
      if (problem != null) {
        problems.add(problem);
      }
    }

    private static String given(String value) {
      return value == null || value.isBlank() ? null : value.strip();
    }
  }

  /** Whether the environment allows authority hosts that are not Microsoft's. */
  static boolean customAuthorityAllowed(Environment env) {
    return env.get(ALLOW_CUSTOM_AUTHORITY_VARIABLE, ALLOW_CUSTOM_AUTHORITY_PROPERTY).map(v -> v.equalsIgnoreCase("true"))
        .orElse(false);
  }

  /** The missing settings, one sentence with its fix each. */
  static List<String> missing(String clientId, String tenantId, boolean hasTokenFile) {
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
    return problems;
  }

  /** The outcome of checking {@link Values}: the problems, and the checked values when there are none. */
  private static final class Checked {
    final List<String> problems = new ArrayList<>();
    String client;
    String tenant;
    String authority;
    Path file;
    String fileVariable;
    Set<String> allowed;
  }
}
