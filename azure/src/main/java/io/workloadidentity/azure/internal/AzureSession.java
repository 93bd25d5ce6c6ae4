package io.workloadidentity.azure.internal;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import io.workloadidentity.azure.AzureTokenKey;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Listeners;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Shared;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import reactor.core.publisher.Mono;

/**
 * What identically configured Azure credentials in one JVM share: one {@link CredentialCache}, the
 * token source and the HTTP client it opened, and the memo of requests already seen. Opened by the
 * first {@link #acquire}, closed by the last reference's close.
 */
public final class AzureSession implements AutoCloseable {
  /** Most distinct requests remembered; more are still served, by computing their key each time. */
  static final int MAX_MEMO = 64;

  private final AzureSettings settings;
  private final Listeners<AzureTokenKey> listeners = new Listeners<>();
  private final CredentialCache<AzureTokenKey, AccessToken> cache;
  private final FileTokenSource ownedTokens;
  private final JdkTransport ownedTransport;
  private final Object memoLock = new Object();
  private volatile Lookup[] memo = new Lookup[0];

  private AzureSession(AzureSettings settings) {
    this.settings = settings;
    FileTokenSource file = null;
    JdkTransport transport = null;
    try {
      if (settings.tokenSource() == null) {
        file = FileTokenSource.builder(settings.tokenFile()).variable(settings.tokenFileVariable())
            .clock(settings.clock()).build();
      }
      TokenSource tokens = file != null ? file : settings.tokenSource();
      HttpClient http;
      if (settings.pipeline() != null) {
        http = EntraHttp.bounded(EntraHttp.asClient(settings.pipeline()), settings.exchangeTimeout(),
            settings.authorityHost());
      } else if (settings.httpClient() != null) {
        http = EntraHttp.bounded(settings.httpClient(), settings.exchangeTimeout(), settings.authorityHost());
      } else {
        http = transport = new JdkTransport(settings.connectTimeout(), settings.readTimeout(),
            settings.exchangeTimeout(), settings.authorityHost());
      }
      EntraExchange exchange = new EntraExchange(settings, EntraHttp.pipeline(http, settings), tokens);
      this.cache = CredentialCache.builder(exchange)
          .name("azure")
          .clock(settings.clock())
          .refreshPolicy(settings.refreshPolicy())
          .exchangeTimeout(settings.exchangeTimeout())
          .rotationsOf(tokens)
          .listener(listeners)
          .build();
    } catch (RuntimeException e) {
      if (transport != null) {
        transport.close();
      }
      if (file != null) {
        file.close();
      }
      throw e;
    }
    this.ownedTokens = file;
    this.ownedTransport = transport;
  }

  /**
   * A reference to the session of {@code settings}, opened if no credential holds one.
   *
   * @param settings the resolved settings: the sharing key
   * @return the reference; close it when the credential closes
   */
  public static Shared.Ref<AzureSession> acquire(AzureSettings settings) {
    return Shared.acquire(settings, k -> new AzureSession(settings));
  }

  /**
   * The settings (for toString and messages).
   *
   * @return the settings
   */
  public AzureSettings settings() {
    return settings;
  }

  /**
   * The fan-out of this session's cache events to every sharer's listener.
   *
   * @return the listeners
   */
  public Listeners<AzureTokenKey> listeners() {
    return listeners;
  }

  /**
   * The cached handles for a request: on the hot path, one volatile read and a comparison of the
   * request's scopes, tenant, claims and CAE flag with those of the requests seen before, without
   * allocation. A request not seen before is keyed, checked and remembered (up to {@value #MAX_MEMO}).
   *
   * @param request the token request
   * @return its bound supplier and its {@code Mono}
   * @throws IllegalArgumentException if the request names no scope
   * @throws io.workloadidentity.azure.AzureTokenException if it is refused before it is sent
   *     (a tenant that is malformed or not allowed, a proof-of-possession request): never cached,
   *     never retried
   * @throws IllegalStateException if the session is closed
   */
  public Lookup lookup(TokenRequestContext request) {
    Lookup[] seen = memo;
    for (Lookup l : seen) {
      if (l.matches(request)) {
        return l;
      }
    }
    return remember(request);
  }

  private Lookup remember(TokenRequestContext request) {
    Objects.requireNonNull(request, "request");
    if (request.getProofOfPossessionOptions() != null) {
      throw EntraErrors.invalidRequest("The token request asks for a proof-of-possession token, which the federated"
          + " client-assertion flow cannot issue.", "Request a bearer token (no proof-of-possession options).");
    }
    AzureTokenKey key = AzureTokenKey.of(request);
    if (key.tenantId().isPresent()) {
      String tenant = key.tenantId().get();
      if (settings.isConfiguredTenant(tenant)) {
        key = key.withoutTenant();
      } else if (!AzureSettings.isTenant(tenant)) {
        throw EntraErrors.invalidRequest("The token request names tenant \"" + Redaction.message(tenant) + "\", which is"
            + " neither a tenant ID (a GUID) nor a domain.", "Name the tenant by its directory (tenant) ID or a verified"
            + " domain such as contoso.onmicrosoft.com, or name none to use the configured tenant "
            + settings.tenantId() + ".");
      } else if (!settings.allowsTenant(tenant)) {
        throw EntraErrors.tenantNotAllowed(tenant, settings);
      }
    }
    synchronized (memoLock) {
      for (Lookup l : memo) {
        if (l.matches(request)) {
          return l;
        }
      }
      Lookup l = new Lookup(request, key, cache);
      if (memo.length < MAX_MEMO) {
        Lookup[] more = Arrays.copyOf(memo, memo.length + 1);
        more[memo.length] = l;
        memo = more;
      }
      return l;
    }
  }

  /** Closes the cache, then the token source and HTTP client it opened. */
  @Override
  public void close() {
    cache.close();
    if (ownedTokens != null) {
      ownedTokens.close();
    }
    if (ownedTransport != null) {
      ownedTransport.close();
    }
  }

  @Override
  public String toString() {
    return "AzureSession{" + settings.describe() + "}";
  }

  /**
   * One request shape seen before: its key, the cache's bound supplier for it, and one reusable
   * {@code Mono} for {@code getToken}.
   */
  public static final class Lookup {
    private final String[] scopes;
    private final String tenantId;
    private final String claims;
    private final boolean caeEnabled;
    private final AzureTokenKey key;
    private final Supplier<AccessToken> bound;
    private final Mono<AccessToken> mono;
    /** The last token {@link #mono} served and its {@code Mono.just}: reused while the cache serves that token. */
    private volatile Served served;

    Lookup(TokenRequestContext request, AzureTokenKey key, CredentialCache<AzureTokenKey, AccessToken> cache) {
      List<String> s = request.getScopes();
      this.scopes = s == null ? new String[0] : s.toArray(new String[0]);
      this.tenantId = request.getTenantId();
      this.claims = request.getClaims();
      this.caeEnabled = request.isCaeEnabled();
      this.key = key;
      this.bound = cache.bind(key);
      // getToken must not block, so it asks getAsync (already complete when the token is cached) rather
      // than the bound supplier, which blocks while an exchange runs.
      this.mono = Mono.defer(() -> {
        CompletableFuture<AccessToken> f = cache.getAsync(key);
        if (f.isDone() && !f.isCompletedExceptionally()) {
          return just(f.getNow(null));
        }
        return Mono.fromFuture(f);
      });
    }

    /** The request's key. */
    public AzureTokenKey key() {
      return key;
    }

    /** The token, blocking only while no valid one is cached. */
    public AccessToken get() {
      return bound.get();
    }

    /** The token as a {@code Mono} that never blocks its subscriber; the same instance every time. */
    public Mono<AccessToken> mono() {
      return mono;
    }

    private Mono<AccessToken> just(AccessToken token) {
      Served s = served;
      if (s != null && s.token == token) {
        return s.mono;
      }
      Served next = new Served(token, Mono.just(token));
      served = next;
      return next.mono;
    }

    /** Whether {@code request} has this lookup's scopes (in order), tenant, claims and CAE flag; allocates nothing. */
    boolean matches(TokenRequestContext request) {
      if (request.isCaeEnabled() != caeEnabled || !Objects.equals(request.getTenantId(), tenantId)
          || !Objects.equals(request.getClaims(), claims) || request.getProofOfPossessionOptions() != null) {
        return false;
      }
      List<String> s = request.getScopes();
      int n = s == null ? 0 : s.size();
      if (n != scopes.length) {
        return false;
      }
      for (int i = 0; i < n; i++) {
        if (!Objects.equals(scopes[i], s.get(i))) {
          return false;
        }
      }
      return true;
    }
  }

  private static final class Served {
    final AccessToken token;
    final Mono<AccessToken> mono;

    Served(AccessToken token, Mono<AccessToken> mono) {
      this.token = token;
      this.mono = mono;
    }
  }
}
