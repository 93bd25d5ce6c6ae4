package io.workloadidentity.gcp.internal;

import com.google.auth.oauth2.AccessToken;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Listeners;
import io.workloadidentity.core.internal.Shared;
import io.workloadidentity.gcp.GcpTokenKey;
import java.lang.System.Logger.Level;

/**
 * What identically configured Google credentials in one JVM share: one credential cache (one entry
 * and one exchange per {@link GcpTokenKey}), the token source it opened, the HTTP stack, and the
 * fan-out of cache events to every sharer's listener. Opened by the first {@link #acquire} of its
 * {@link GcpSettings}, closed when the last reference is released.
 */
public final class GcpSession implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(GcpSession.class.getName());

  private final GcpSettings settings;
  private final CredentialCache<GcpTokenKey, AccessToken> cache;
  private final Listeners<GcpTokenKey> listeners;
  private final FileTokenSource owned;
  private final Http http;

  private GcpSession(GcpSettings settings, CredentialCache<GcpTokenKey, AccessToken> cache,
      Listeners<GcpTokenKey> listeners, FileTokenSource owned, Http http) {
    this.settings = settings;
    this.cache = cache;
    this.listeners = listeners;
    this.owned = owned;
    this.http = http;
  }

  /**
   * A reference to the session for {@code settings}, opening it if no one holds one. Makes no
   * network call.
   *
   * @param settings the resolved settings (the sharing key)
   * @return the reference; close it when its holder closes
   */
  public static Shared.Ref<GcpSession> acquire(GcpSettings settings) {
    return Shared.acquire(settings, key -> open(settings));
  }

  private static GcpSession open(GcpSettings s) {
    Http http = Http.of(s);
    Listeners<GcpTokenKey> listeners = new Listeners<>();
    CredentialCache.Builder<GcpTokenKey, AccessToken> b;
    TokenSource tokens = null;
    FileTokenSource owned = null;
    if (s.isMetadataServer()) {
      b = CredentialCache.builder(new MetadataServerExchange(s, http));
    } else {
      tokens = s.tokenSource();
      if (tokens == null && s.jsonField() != null) {
        tokens = new JsonFieldTokenSource(s.tokenFile(), s.jsonField(), s.clock());
      } else if (tokens == null) {
        owned = FileTokenSource.builder(s.tokenFile()).variable(s.tokenFileVariable()).clock(s.clock()).build();
        tokens = owned;
      }
      b = CredentialCache.builder(new FederationExchange(s, tokens, http)).rotationsOf(tokens);
    }
    try {
      CredentialCache<GcpTokenKey, AccessToken> cache = b.name("gcp").clock(s.clock()).refreshPolicy(s.refreshPolicy())
          .exchangeTimeout(s.exchangeTimeout()).listener(listeners).build();
      LOG.log(Level.DEBUG, () -> "gcp workload identity session opened: " + s);
      return new GcpSession(s, cache, listeners, owned, http);
    } catch (RuntimeException e) {
      if (owned != null) {
        owned.close();
      }
      http.close();
      throw e;
    }
  }

  /**
   * The settings this session was opened with.
   *
   * @return the settings
   */
  public GcpSettings settings() {
    return settings;
  }

  /**
   * The shared credential cache.
   *
   * @return the cache
   */
  public CredentialCache<GcpTokenKey, AccessToken> cache() {
    return cache;
  }

  /**
   * Where sharers register their listeners.
   *
   * @return the fan-out the cache reports to
   */
  public Listeners<GcpTokenKey> listeners() {
    return listeners;
  }

  /** Stops the cache (its threads and timers), the deadline timer and the token file watch it opened. */
  @Override
  public void close() {
    cache.close();
    http.close();
    if (owned != null) {
      owned.close();
    }
    LOG.log(Level.DEBUG, () -> "gcp workload identity session closed: " + settings);
  }
}
