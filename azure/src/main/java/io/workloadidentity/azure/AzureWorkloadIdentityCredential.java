package io.workloadidentity.azure;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpPipeline;
import io.workloadidentity.azure.internal.AzureSession;
import io.workloadidentity.azure.internal.AzureSettings;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Shared;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
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
 * projected token comes from a watched {@link TokenSource}, is read right before each token request
 * and is never sent expired; when Entra refuses it as outside its valid time range (AADSTS700024)
 * the file is re-read and the next attempt is made as soon as a new token appears. Access tokens are
 * cached here, per {@link AzureTokenKey} (scope set, tenant, claims, CAE; {@code https://x/.default}
 * and {@code https://x//.default} share one), refreshed in the background at about 80% of their
 * lifetime (earlier if Entra's {@code refresh_in} says so), and a valid token keeps being served while
 * Entra is failing, with capped exponential backoff between attempts. Each attempt is one request
 * (no HTTP-level retries); failures are {@link AzureTokenException}s whose {@link
 * AzureTokenException#reason() reason} and message say what to fix. Returned tokens carry our
 * refresh point as {@link AccessToken#getRefreshAt()}, so azure-core's own token cache asks again
 * when there is a new token.
 *
 * <p><b>Sharing.</b> Credentials built with identical settings in one JVM (ten {@code create()}
 * calls, one per SDK client) share one session: one cache, one token-file watch, one HTTP client and
 * one token request per refresh. Each credential's {@link #close()} gives up its share; the last one
 * stops the session. Listeners are per credential and do not prevent sharing.
 *
 * <p><b>Blocking.</b> {@link #getToken} never blocks: its {@code Mono} completes at once when a valid
 * token is cached, else when the exchange does. {@link #getTokenSync} blocks only when no valid token
 * is cached (first use, or after expiry). For a request seen before, a cached read allocates nothing.
 *
 * <p><b>Tenants.</b> A request naming another tenant ({@link TokenRequestContext#setTenantId}) is
 * refused before it is sent, with {@link AzureTokenException.Reason#TENANT_NOT_ALLOWED}, unless the
 * tenant was allowed with {@link Builder#additionallyAllowedTenants}.
 *
 * <p>Thread-safe.
 */
public final class AzureWorkloadIdentityCredential implements TokenCredential, AutoCloseable {
  private final Shared.Ref<AzureSession> ref;
  private final AzureSession session;
  private final AutoCloseable registration;
  private volatile boolean closed;

  private AzureWorkloadIdentityCredential(Shared.Ref<AzureSession> ref, AutoCloseable registration) {
    this.ref = ref;
    this.session = ref.get();
    this.registration = registration;
  }

  /**
   * A credential configured from the environment the azure-workload-identity webhook sets up:
   * {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID}, {@code AZURE_FEDERATED_TOKEN_FILE} and
   * {@code AZURE_AUTHORITY_HOST} (a system property of the same name wins). No network call.
   *
   * @return the credential; close it at shutdown
   * @throws ConfigurationException if a variable is missing or malformed; the message says why the
   *     pod lacks it and how to fix that
   */
  public static AzureWorkloadIdentityCredential create() {
    return builder().build();
  }

  /**
   * A builder; every setting not given falls back to the environment, then to the default.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * An access token for the request, from the cache when one is valid (the returned {@code Mono} then
   * completes at once), else from Entra ID. Errors are {@link WorkloadIdentityException}s: {@link
   * AzureTokenException} for Entra's answers and refused requests, {@code TokenFileException} and
   * friends for the projected token; {@link IllegalArgumentException} for a request without scopes;
   * {@link IllegalStateException} after {@link #close()}.
   *
   * @param request the scopes (and tenant, claims, CAE flag) the token is for
   * @return the token; for a request seen before, the same {@code Mono} instance each time
   */
  @Override
  public Mono<AccessToken> getToken(TokenRequestContext request) {
    if (closed) {
      return Mono.error(closedError());
    }
    try {
      return session.lookup(request).mono();
    } catch (RuntimeException e) {
      return Mono.error(e);
    }
  }

  /**
   * Like {@link #getToken}, blocking while no valid token is cached.
   *
   * @param request the scopes (and tenant, claims, CAE flag) the token is for
   * @return a token that is not expired
   * @throws WorkloadIdentityException as {@link #getToken}
   * @throws IllegalArgumentException if the request names no scope
   * @throws IllegalStateException after {@link #close()}
   */
  @Override
  public AccessToken getTokenSync(TokenRequestContext request) {
    if (closed) {
      throw closedError();
    }
    return session.lookup(request).get();
  }

  /**
   * Gives up this credential's share of the session: the last credential sharing it stops the
   * background refresh and releases the token-file watch and the HTTP client's threads and
   * connections (a client given to {@link Builder#httpClient} stays open: it is the caller's).
   * Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      registration.close();
    } catch (Exception e) {
      // Listeners.add's handle removes a list element; it does not throw
    }
    ref.close();
  }

  /** The configuration (client ID, tenant, authority host, token file, allowed tenants); never a token. */
  @Override
  public String toString() {
    return "AzureWorkloadIdentityCredential{" + session.settings().describe() + "}";
  }

  private static IllegalStateException closedError() {
    return new IllegalStateException("This AzureWorkloadIdentityCredential is closed");
  }

  /**
   * Configures an {@link AzureWorkloadIdentityCredential}. Settings not given come from the
   * {@linkplain #environment environment}: {@code AZURE_CLIENT_ID}, {@code AZURE_TENANT_ID}, {@code
   * AZURE_FEDERATED_TOKEN_FILE}, {@code AZURE_AUTHORITY_HOST}, {@code AZURE_ADDITIONALLY_ALLOWED_TENANTS};
   * then from the defaults. Every setter rejects {@code null} with a {@link NullPointerException}
   * naming the setting. Not thread-safe; {@link #build()} may be called more than once.
   */
  public static final class Builder {
    private final AzureSettings.Values values = new AzureSettings.Values();
    private CredentialCache.Listener<? super AzureTokenKey> listener;

    private Builder() {}

    /**
     * Where unset settings are read from.
     *
     * @param environment the environment; default {@link Environment#system()}
     * @return this builder
     */
    public Builder environment(Environment environment) {
      values.environment = Objects.requireNonNull(environment, "environment");
      return this;
    }

    /**
     * The application (client) ID of the app registration or user-assigned managed identity.
     *
     * @param clientId the client ID; default {@code AZURE_CLIENT_ID}
     * @return this builder
     */
    public Builder clientId(String clientId) {
      values.clientId = Objects.requireNonNull(clientId, "clientId");
      return this;
    }

    /**
     * The directory (tenant) ID, or a verified domain of the tenant.
     *
     * @param tenantId the tenant; default {@code AZURE_TENANT_ID}
     * @return this builder
     */
    public Builder tenantId(String tenantId) {
      values.tenantId = Objects.requireNonNull(tenantId, "tenantId");
      return this;
    }

    /**
     * Tenants a token request may name besides the configured one ({@link
     * TokenRequestContext#setTenantId}); {@code "*"} allows any. A request naming any other tenant
     * is refused before it is sent ({@link AzureTokenException.Reason#TENANT_NOT_ALLOWED}). Replaces
     * earlier values. The application must also be multi-tenant and present in those tenants.
     *
     * @param tenants tenant IDs or domains, or {@code "*"}; default {@code
     *     AZURE_ADDITIONALLY_ALLOWED_TENANTS} ({@code ;}-separated), else none
     * @return this builder
     */
    public Builder additionallyAllowedTenants(String... tenants) {
      Objects.requireNonNull(tenants, "additionallyAllowedTenants");
      for (String t : tenants) {
        Objects.requireNonNull(t, "additionallyAllowedTenants");
      }
      values.additionallyAllowedTenants = List.of(tenants);
      return this;
    }

    /**
     * The Entra ID endpoint, {@code https://host[:port]/}: {@code https://login.microsoftonline.com/}
     * (the default), {@code https://login.chinacloudapi.cn/} (Azure China) or {@code
     * https://login.microsoftonline.us/} (Azure US Government); azure-identity's {@code
     * AzureAuthorityHosts} has them as constants. The projected token is sent there, so only
     * Microsoft's Entra hosts and loopback are accepted unless {@link #allowCustomAuthorityHost}
     * says otherwise, and only over https unless it is loopback or {@link #allowHttp} says otherwise;
     * a URL with user information, a path, a query or control characters is refused.
     *
     * @param authorityHost the endpoint; default {@code AZURE_AUTHORITY_HOST}, else the public cloud
     * @return this builder
     */
    public Builder authorityHost(String authorityHost) {
      values.authorityHost = Objects.requireNonNull(authorityHost, "authorityHost");
      return this;
    }

    /**
     * Allows an authority host that is not one of Microsoft's Entra ID endpoints (a private cloud,
     * an authority you run). Off by default: an {@code AZURE_AUTHORITY_HOST} pointing elsewhere would
     * hand the projected token, which that host could exchange for this application's tokens, to
     * whoever runs it. Loopback hosts (tests, local emulators) need no opt-in.
     *
     * @param allowed whether any https host may be the authority; default the system property
     *     {@code workloadidentity.azure.allowCustomAuthorityHost} or the variable {@code
     *     WORKLOAD_IDENTITY_AZURE_ALLOW_CUSTOM_AUTHORITY_HOST} ({@code true}), else false
     * @return this builder
     */
    public Builder allowCustomAuthorityHost(boolean allowed) {
      values.allowCustomAuthorityHost = allowed;
      return this;
    }

    /**
     * Allows a plain-http authority host that is not loopback (a test cluster behind a plain-http
     * proxy). Off by default: the projected token would travel in clear. Loopback needs no opt-in.
     * Never for production.
     *
     * @param allowed whether plain http may be used; default the system property {@code
     *     workloadidentity.allowHttp} or the variable {@code WORKLOAD_IDENTITY_ALLOW_HTTP} ({@code
     *     true}), else false
     * @return this builder
     */
    public Builder allowHttp(boolean allowed) {
      values.allowHttp = allowed;
      return this;
    }

    /**
     * The projected token file; the credential watches it and closes the watch on {@link #close()}.
     * Never hard-code it: webhook versions mount it at different paths. Replaces a {@link #tokenSource}.
     *
     * @param tokenFile the file; default {@code AZURE_FEDERATED_TOKEN_FILE}
     * @return this builder
     */
    public Builder tokenFile(Path tokenFile) {
      values.tokenFile = Objects.requireNonNull(tokenFile, "tokenFile");
      values.tokenSource = null;
      return this;
    }

    /**
     * Where the projected token comes from, instead of a file; the caller keeps ownership of it.
     * Replaces a {@link #tokenFile}. Credentials share a session only with the same source object.
     *
     * @param tokenSource the source
     * @return this builder
     */
    public Builder tokenSource(TokenSource tokenSource) {
      values.tokenSource = Objects.requireNonNull(tokenSource, "tokenSource");
      values.tokenFile = null;
      return this;
    }

    /**
     * The azure-core HTTP client for token requests, for example one with a proxy, custom trust or
     * Netty ({@code new NettyAsyncHttpClientBuilder().build()} with {@code azure-core-http-netty} on
     * the class path). It keeps its own timeouts ({@link #connectTimeout} and {@link #readTimeout}
     * apply to the default client only) and stays open when the credential closes; requests go
     * through its asynchronous {@code send}, each whole response within the {@link #exchangeTimeout}
     * and at most 64 KiB of body read. Default: a JDK HTTP client the credential owns and stops on
     * close. Replaces a {@link #pipeline}.
     *
     * @param httpClient the client; credentials share a session only with the same client object
     * @return this builder
     */
    public Builder httpClient(HttpClient httpClient) {
      values.httpClient = Objects.requireNonNull(httpClient, "httpClient");
      values.pipeline = null;
      return this;
    }

    /**
     * A whole azure-core pipeline for token requests, used as the transport. Its policies apply as
     * they are, including any retry policy, which then adds to the credential's own backoff; the
     * deadline and the 64 KiB body cap of {@link #httpClient} apply to it too. Replaces an {@link
     * #httpClient}.
     *
     * @param pipeline the pipeline; credentials share a session only with the same pipeline object
     * @return this builder
     */
    public Builder pipeline(HttpPipeline pipeline) {
      values.pipeline = Objects.requireNonNull(pipeline, "pipeline");
      values.httpClient = null;
      return this;
    }

    /**
     * The wall clock for expiry decisions.
     *
     * @param clock the clock; default {@link Clock#systemUTC()}
     * @return this builder
     */
    public Builder clock(Clock clock) {
      values.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * When to refresh and how to back off after failures.
     *
     * @param refreshPolicy the policy; default {@link RefreshPolicy#defaults()}
     * @return this builder
     */
    public Builder refreshPolicy(RefreshPolicy refreshPolicy) {
      values.refreshPolicy = Objects.requireNonNull(refreshPolicy, "refreshPolicy");
      return this;
    }

    /**
     * The deadline of one exchange with Entra: its waiters get a retryable error then, and the
     * exchange is interrupted. Each HTTP request is also held to it by the transport, body included,
     * so a server that sends a byte every few seconds cannot stretch an attempt beyond it.
     *
     * @param timeout positive; default 30 s
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder exchangeTimeout(Duration timeout) {
      values.exchangeTimeout = positive(timeout, "exchangeTimeout");
      return this;
    }

    /**
     * How long the default HTTP client waits to connect to Entra.
     *
     * @param timeout positive; default 2 s
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder connectTimeout(Duration timeout) {
      values.connectTimeout = positive(timeout, "connectTimeout");
      return this;
    }

    /**
     * How long the default HTTP client waits for Entra's response once the request is sent.
     *
     * @param timeout positive; default 5 s
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder readTimeout(Duration timeout) {
      values.readTimeout = positive(timeout, "readTimeout");
      return this;
    }

    /**
     * Whether MSAL may ask {@code login.microsoftonline.com} to validate the authority host. By
     * default it may for Microsoft's clouds (public, China, US Government) and may not for any other
     * host (a private or test authority), where that lookup would fail or leave the network.
     *
     * @param enabled whether instance discovery is on
     * @return this builder
     */
    public Builder instanceDiscovery(boolean enabled) {
      values.instanceDiscovery = enabled;
      return this;
    }

    /**
     * Receives this credential's refresh, refresh-failure and token-rotation events (for metrics or
     * logs), also for exchanges made for other credentials sharing its session. Called on the
     * cache's threads; must be quick and must not throw.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder listener(CredentialCache.Listener<? super AzureTokenKey> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * Builds the credential, or joins the session of an identically configured one. No network call;
     * the token file is first read by the first token request.
     *
     * @return the credential; close it at shutdown
     * @throws ConfigurationException if the client ID, tenant ID or token file is missing, a value is
     *     malformed (a client ID that is not a GUID, a tenant that is neither a GUID nor a domain,
     *     control characters), or the authority host is refused (plain http, user information, not
     *     Microsoft's without {@link #allowCustomAuthorityHost}); nothing is sent then
     */
    public AzureWorkloadIdentityCredential build() {
      AzureSettings settings = values.resolve();
      Shared.Ref<AzureSession> ref = AzureSession.acquire(settings);
      AutoCloseable registration = listener == null ? () -> {} : ref.get().listeners().add(listener);
      return new AzureWorkloadIdentityCredential(ref, registration);
    }

    private static Duration positive(Duration timeout, String name) {
      Objects.requireNonNull(timeout, name);
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException(name + " must be positive: " + timeout);
      }
      return timeout;
    }
  }
}
