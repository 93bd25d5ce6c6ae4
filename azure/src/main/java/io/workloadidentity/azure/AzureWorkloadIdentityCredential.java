package io.workloadidentity.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpPipeline;
import io.workloadidentity.azure.internal.EntraExchange;
import io.workloadidentity.azure.internal.EntraHttp;
import io.workloadidentity.azure.internal.ScopeKey;
import io.workloadidentity.azure.internal.Settings;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.WorkloadIdentityException;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import reactor.core.publisher.Mono;

/**
 * An azure-core {@link TokenCredential} for a Kubernetes pod with Azure workload identity: it exchanges
 * the pod's projected service-account token for Microsoft Entra ID access tokens (the federated
 * client-assertion flow), for any Azure SDK client.
 *
 * <pre>{@code
 * try (AzureWorkloadIdentityCredential credential = AzureWorkloadIdentityCredential.create()) {
 *   SecretClient secrets = new SecretClientBuilder().vaultUrl(url).credential(credential).buildClient();
 *   ...
 * }
 * }</pre>
 *
 * <p><b>What it does differently from azure-identity's {@code WorkloadIdentityCredential}.</b> The
 * projected token comes from a watched {@link TokenSource} and is never sent expired; on
 * AADSTS700024 the file is re-read and the request retried once. Access tokens are cached here, per
 * set of scopes ({@code https://x/.default} and {@code https://x//.default} share one), refreshed in
 * the background at about 80% of their lifetime (earlier if Entra's {@code refresh_in} says so), and
 * a valid token keeps being served while Entra is failing, with capped exponential backoff between
 * attempts. One exchange per scope set is in flight at a time. HTTP-level retries are off (one
 * Entra failure costs one request), and failures are {@link AzureTokenException}s whose subtype and
 * message say what to fix.
 *
 * <p><b>Blocking.</b> {@link #getToken} never blocks: it returns the cached token at once when one is
 * valid, else a {@code Mono} completed by the exchange. {@link #getTokenSync} blocks only when no
 * valid token is cached (first use, or after expiry).
 *
 * <p>Thread-safe. {@link #close()} stops the background refresh and, when this credential opened the
 * token file itself, the file watching.
 */
public final class AzureWorkloadIdentityCredential implements TokenCredential, AutoCloseable {
  private final EntraExchange exchange;
  private final CredentialCache<ScopeKey, AccessToken> cache;
  private final FileTokenSource ownedTokens;

  private AzureWorkloadIdentityCredential(EntraExchange exchange, CredentialCache<ScopeKey, AccessToken> cache,
      FileTokenSource ownedTokens) {
    this.exchange = exchange;
    this.cache = cache;
    this.ownedTokens = ownedTokens;
  }

  /**
   * A credential configured from the environment the azure-workload-identity webhook sets up:
   * {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE} and
   * {@code AZURE_AUTHORITY_HOST} (a system property of the same name wins). No network call.
   *
   * @throws ConfigurationException if a variable is missing or malformed; the message says why the
   *     pod lacks it and how to fix that
   */
  public static AzureWorkloadIdentityCredential create() {
    return builder().build();
  }

  /** A builder; every setting not given falls back to the environment, then to the default. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * An access token for the request's scopes, from the cache when one is valid (the returned {@code
   * Mono} is then already complete), else from Entra ID. Errors are {@link
   * WorkloadIdentityException}s: {@link AzureTokenException} and its subtypes for Entra's answers,
   * {@code TokenFileException} and friends for the projected token.
   */
  @Override
  public Mono<AccessToken> getToken(TokenRequestContext request) {
    return Mono.defer(() -> {
      CompletableFuture<AccessToken> f = cache.getAsync(ScopeKey.of(request));
      if (f.isDone() && !f.isCompletedExceptionally()) {
        return Mono.just(f.join());
      }
      return Mono.fromFuture(f).onErrorMap(CompletionException.class, e -> e.getCause() == null ? e : e.getCause());
    });
  }

  /**
   * Like {@link #getToken}, blocking while no valid token is cached.
   *
   * @throws WorkloadIdentityException as {@link #getToken}
   */
  @Override
  public AccessToken getTokenSync(TokenRequestContext request) {
    return cache.get(ScopeKey.of(request));
  }

  /** Stops background refreshes, and the token-file watching when this credential opened the file. Idempotent. */
  @Override
  public void close() {
    cache.close();
    if (ownedTokens != null) {
      ownedTokens.close();
    }
  }

  /** The configuration (client ID, tenant, authority host, token file); never a token. */
  @Override
  public String toString() {
    return "AzureWorkloadIdentityCredential{" + exchange.describe() + "}";
  }

  /**
   * Configures an {@link AzureWorkloadIdentityCredential}. Settings not given come from the
   * {@linkplain #environment environment}: {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID}, {@code
   * AZURE_FEDERATED_TOKEN_FILE}, {@code AZURE_AUTHORITY_HOST}. Not thread-safe; {@link #build()} may
   * be called more than once.
   */
  public static final class Builder {
    private Environment environment = Environment.system();
    private String clientId;
    private String tenantId;
    private String authorityHost;
    private Path tokenFile;
    private TokenSource tokenSource;
    private HttpClient httpClient;
    private HttpPipeline pipeline;
    private Clock clock = Clock.systemUTC();
    private RefreshPolicy refreshPolicy = RefreshPolicy.defaults();
    private Boolean instanceDiscovery; // null: on for Microsoft's own clouds only
    private CredentialCache.Listener<? super ScopeKey> listener;

    private Builder() {}

    /** Where unset settings are read from. Default {@link Environment#system()}. */
    public Builder environment(Environment environment) {
      this.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /** The application (client) ID of the app registration or user-assigned managed identity. */
    public Builder clientId(String clientId) {
      this.clientId = clientId;
      return this;
    }

    /** The directory (tenant) ID. */
    public Builder tenantId(String tenantId) {
      this.tenantId = tenantId;
      return this;
    }

    /**
     * The Entra ID endpoint, {@code https://host[:port]/}: {@code https://login.microsoftonline.com/}
     * (the default), {@code https://login.chinacloudapi.cn/} (Azure China) or {@code
     * https://login.microsoftonline.us/} (Azure US Government); azure-identity's {@code
     * AzureAuthorityHosts} has them as constants.
     */
    public Builder authorityHost(String authorityHost) {
      this.authorityHost = authorityHost;
      return this;
    }

    /**
     * The projected token file; the credential watches it and closes the watch on {@link #close()}.
     * Never hard-code it: webhook versions mount it at different paths.
     */
    public Builder tokenFile(Path tokenFile) {
      this.tokenFile = tokenFile;
      this.tokenSource = null;
      return this;
    }

    /** Where the projected token comes from, instead of a file; the caller keeps ownership of it. */
    public Builder tokenSource(TokenSource tokenSource) {
      this.tokenSource = tokenSource;
      this.tokenFile = null;
      return this;
    }

    /**
     * The azure-core HTTP client for token requests, for example one with a proxy, custom trust or
     * Netty ({@code new NettyAsyncHttpClientBuilder().build()} with {@code azure-core-http-netty} on
     * the class path). Configure its timeouts. Default: azure-core's default client (the JDK one)
     * with a 10 s connect and 30 s response timeout.
     */
    public Builder httpClient(HttpClient httpClient) {
      this.httpClient = httpClient;
      this.pipeline = null;
      return this;
    }

    /**
     * A whole azure-core pipeline for token requests, used as the transport. Its policies apply as
     * they are, including any retry policy, which then adds to the credential's own backoff.
     */
    public Builder pipeline(HttpPipeline pipeline) {
      this.pipeline = pipeline;
      this.httpClient = null;
      return this;
    }

    /** The wall clock for expiry decisions. Default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** When to refresh and how to back off after failures. Default {@link RefreshPolicy#defaults()}. */
    public Builder refreshPolicy(RefreshPolicy refreshPolicy) {
      this.refreshPolicy = Objects.requireNonNull(refreshPolicy, "refreshPolicy");
      return this;
    }

    /**
     * Whether MSAL may ask {@code login.microsoftonline.com} to validate the authority host. By
     * default it may for Microsoft's clouds (public, China, US Government) and may not for any other
     * host (a private or test authority), where that lookup would fail or leave the network.
     */
    public Builder instanceDiscovery(boolean enabled) {
      this.instanceDiscovery = enabled;
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
     * Builds the credential. No network call; the token file is first read by the first token request.
     *
     * @throws ConfigurationException if the client ID, tenant ID or token file is missing, or a value is malformed
     */
    public AzureWorkloadIdentityCredential build() {
      String client = clientId != null && !clientId.isBlank() ? clientId.strip()
          : Settings.get(environment, Settings.CLIENT_ID).orElse(null);
      String tenant = tenantId != null && !tenantId.isBlank() ? tenantId.strip()
          : Settings.get(environment, Settings.TENANT_ID).orElse(null);
      String authority = authorityHost != null && !authorityHost.isBlank() ? authorityHost
          : Settings.get(environment, Settings.AUTHORITY_HOST).orElse(Settings.DEFAULT_AUTHORITY_HOST);
      Path file = tokenFile;
      String fileVariable = null;
      if (file == null && tokenSource == null) {
        file = Settings.get(environment, Settings.TOKEN_FILE).map(Path::of).orElse(null);
        fileVariable = Settings.TOKEN_FILE;
      }
      List<String> problems = Settings.problems(client, tenant, file != null || tokenSource != null, authority);
      if (!problems.isEmpty()) {
        throw new ConfigurationException("Azure workload identity is not configured: " + String.join(" ", problems));
      }
      FileTokenSource owned = tokenSource == null
          ? FileTokenSource.builder(file).variable(fileVariable).clock(clock).build() : null;
      TokenSource tokens = owned != null ? owned : tokenSource;
      HttpPipeline http = EntraHttp.pipeline(pipeline != null ? EntraHttp.asClient(pipeline) : httpClient);
      String host = Settings.authorityHost(authority);
      boolean discovery = instanceDiscovery != null ? instanceDiscovery : Settings.isMicrosoftCloud(host);
      EntraExchange exchange = new EntraExchange(client, tenant, host, discovery, http, tokens, clock);
      CredentialCache.Builder<ScopeKey, AccessToken> cache = CredentialCache.builder(exchange)
          .name("azure").clock(clock).refreshPolicy(refreshPolicy).rotationsOf(tokens);
      if (listener != null) {
        cache.listener(listener);
      }
      return new AzureWorkloadIdentityCredential(exchange, cache.build(), owned);
    }
  }
}
