package io.workloadidentity.aws.internal;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * One credential session (one STS role session, or one Pod Identity agent session) shared by every
 * provider in the JVM that is configured identically.
 *
 * <p><b>Deliberate JVM-wide state.</b> {@link #SESSIONS} is the only static mutable state of this
 * module. The AWS SDK builds one credentials provider, with its own STS client and schedule, per
 * service client; ten clients make ten STS sessions and ten STS calls per refresh. Here, providers
 * with equal settings (role ARN, token file, region, session name, policies, duration, endpoint,
 * clock, refresh policy, listener and, by identity, a caller-supplied STS client or token source)
 * share one session: one {@link CredentialCache} entry, one token-file watch, one STS client.
 * Sessions are reference-counted: each provider {@link #acquire}s one and {@link #release}s it on
 * close, and the last release closes the session's cache, token source and client, so closing one
 * provider never breaks another and nothing leaks.
 */
public final class SharedSession {
  private static final System.Logger LOG = System.getLogger(SharedSession.class.getName());
  private static final ConcurrentHashMap<Object, SharedSession> SESSIONS = new ConcurrentHashMap<>();

  private final Object key;
  private final CredentialCache<Object, AwsSessionCredentials> cache;
  private final List<AutoCloseable> resources;
  private int references; // guarded by the SESSIONS bin of 'key' (only changed inside compute)

  private SharedSession(Object key, CredentialCache<Object, AwsSessionCredentials> cache, List<AutoCloseable> resources) {
    this.key = key;
    this.cache = cache;
    this.resources = resources;
  }

  /**
   * Builds a session's cache for {@code key}, reporting the rotations of {@code tokens} to the
   * listener; {@code resources} (token source, HTTP client) are
   * closed, in order, after the cache when the last provider releases the session.
   */
  public static SharedSession create(Object key, String name, Clock clock, RefreshPolicy policy,
      CredentialCache.Listener<Object> listener, TokenSource tokens, Supplier<Expiring<AwsSessionCredentials>> exchange,
      List<AutoCloseable> resources) {
    CredentialCache<Object, AwsSessionCredentials> cache = CredentialCache.<Object, AwsSessionCredentials>builder(k -> exchange.get())
        .name(name)
        .clock(clock)
        .refreshPolicy(policy)
        .listener(listener)
        .rotationsOf(tokens)
        .maximumSize(1)
        .build();
    return new SharedSession(key, cache, List.copyOf(resources));
  }

  /** The session for {@code key}, created by {@code factory} if no provider holds one. */
  public static SharedSession acquire(Object key, Function<Object, SharedSession> factory) {
    Objects.requireNonNull(key, "key");
    return SESSIONS.compute(key, (k, existing) -> {
      SharedSession s = existing != null ? existing : factory.apply(k);
      s.references++;
      return s;
    });
  }

  /** Gives up one reference; the last one closes the session. Call once per {@link #acquire}. */
  public void release() {
    boolean[] last = {false};
    SESSIONS.computeIfPresent(key, (k, current) -> {
      if (current != this) {
        return current;
      }
      if (--references > 0) {
        return current;
      }
      last[0] = true;
      return null;
    });
    if (last[0]) {
      cache.close();
      for (AutoCloseable r : resources) {
        try {
          r.close();
        } catch (Exception e) {
          LOG.log(Level.WARNING, "Closing " + r.getClass().getSimpleName() + " of " + key + " failed", e);
        }
      }
    }
  }

  /** The hot path: a handle whose {@code get()} is lock- and allocation-free while the credential is fresh. */
  public Supplier<AwsSessionCredentials> bind() {
    return cache.bind(key);
  }

  /** The credential without blocking: a completed future while one is cached. */
  public CompletableFuture<AwsSessionCredentials> getAsync() {
    return cache.getAsync(key);
  }

  /** Number of live sessions in this JVM (for tests and diagnostics). */
  public static int liveSessions() {
    return SESSIONS.size();
  }

  @Override
  public String toString() {
    return key.toString();
  }
}
