package io.workloadidentity.aws.internal;

import io.workloadidentity.aws.AwsCredentialKey;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Endpoints;
import io.workloadidentity.core.internal.Listeners;
import io.workloadidentity.core.internal.NonProxyHosts;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Shared;
import io.workloadidentity.core.internal.Threads;
import java.lang.System.Logger.Level;
import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.awscore.defaultsmode.DefaultsMode;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * What identically configured providers share: one {@link CredentialCache} entry, the token source
 * it opened (and its file watch), the STS client or the Pod Identity timer, and a {@link Listeners}
 * fan-out to every sharer's listener. Opened by the first {@link #share} for equal {@link
 * AwsSettings} ({@link Shared}, reference-counted), closed by the last {@link Shared.Ref#close()}:
 * the cache first (no exchange runs afterwards), then what it used, in reverse order of opening.
 * Caller-supplied objects (an {@code StsClient}, a {@code TokenSource}) are used, never closed.
 */
public final class AwsSession implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(AwsSession.class.getName());

  private final AwsSettings settings;
  private final AwsCredentialKey key;
  private final Listeners<AwsCredentialKey> listeners;
  private final CredentialCache<AwsCredentialKey, AwsSessionCredentials> cache;
  private final Supplier<AwsSessionCredentials> credentials;
  private final List<AutoCloseable> owned;
  private final PodIdentityExchange calls; // null for STS, whose calls the SDK bounds with apiCallTimeout

  private AwsSession(AwsSettings settings, AwsCredentialKey key, Listeners<AwsCredentialKey> listeners,
      CredentialCache<AwsCredentialKey, AwsSessionCredentials> cache, List<AutoCloseable> owned,
      PodIdentityExchange calls) {
    this.settings = settings;
    this.key = key;
    this.listeners = listeners;
    this.cache = cache;
    this.credentials = cache.bind(key);
    this.owned = owned;
    this.calls = calls;
  }

  /**
   * A provider's share of the session for {@code settings}, opened if no provider holds one. Opening
   * reads no file and makes no network call.
   *
   * @param settings the resolved settings (the sharing key)
   * @param listener the provider's listener, or null
   * @param owner the provider, named in the message after it is closed
   * @return the share; close it when the provider closes
   */
  public static Share share(AwsSettings settings, CredentialCache.Listener<? super AwsCredentialKey> listener,
      Object owner) {
    Objects.requireNonNull(settings, "settings");
    return new Share(Shared.acquire(settings, k -> open(settings)), listener, owner);
  }

  private static AwsSession open(AwsSettings s) {
    List<AutoCloseable> owned = new ArrayList<>(); // closed in reverse order
    try {
      TokenSource tokens = s.tokenSource();
      if (tokens == null) {
        FileTokenSource file = FileTokenSource.builder(s.tokenFile()).variable(s.tokenVariable()).clock(s.clock())
            .build();
        owned.add(file);
        tokens = file;
      }
      Listeners<AwsCredentialKey> listeners = new Listeners<>();
      AwsCredentialKey key;
      PodIdentityExchange calls = null;
      CredentialCache.Builder<AwsCredentialKey, AwsSessionCredentials> cache;
      if (s.protocol() == AwsSettings.Protocol.STS) {
        StsClient sts = s.stsClient();
        String endpoint;
        if (sts == null) {
          Region region = AwsSettings.stsRegion(s.region(), s.globalEndpoint());
          // The SDK's call timeouts run on this timer: the SDK does not stop its own at close() while
          // a call hangs (its pending timeout task kept a thread alive until the deadline); ours is
          // stopped with the session, after the client (owned closes in reverse order).
          ScheduledExecutorService timeouts = Threads.scheduler("workload-identity-aws-sts-timeout");
          owned.add(timeouts::shutdownNow);
          sts = newStsClient(region, s, timeouts);
          owned.add(sts);
          endpoint = AwsSettings.describeEndpoint(region, s.endpoint());
        } else {
          endpoint = "the endpoint of the caller's StsClient";
        }
        key = AwsCredentialKey.stsWebIdentity(s.roleArn(), s.sessionName(), endpoint);
        cache = CredentialCache.builder(new StsExchange(s, tokens, sts, endpoint)).name("aws");
      } else {
        ScheduledExecutorService timer = Threads.scheduler("workload-identity-aws-pod-identity-timer");
        owned.add(timer::shutdownNow);
        // The JDK HTTP client's completions run here: two threads at most, ended with the session.
        ExecutorService http = Threads.boundedPool("workload-identity-aws-pod-identity-http", 2);
        owned.add(http::shutdownNow);
        PodIdentityExchange exchange = new PodIdentityExchange(s, tokens, http);
        calls = exchange;
        key = AwsCredentialKey.eksPodIdentity(s.endpoint());
        cache = CredentialCache.builder(exchange).name("aws-pod-identity").scheduler(CredentialCache.Scheduler.of(timer));
      }
      CredentialCache<AwsCredentialKey, AwsSessionCredentials> built = cache
          .clock(s.clock())
          .refreshPolicy(s.refreshPolicy())
          .exchangeTimeout(s.exchangeTimeout())
          .listener(listeners)
          .rotationsOf(tokens)
          .maximumSize(1)
          .build();
      return new AwsSession(s, key, listeners, built, List.copyOf(owned), calls);
    } catch (RuntimeException e) {
      closeAll(owned, s);
      throw e;
    }
  }

  /**
   * Our STS client: unsigned (the operation needs no credentials, and signing would make the SDK
   * look for credentials: the chicken-and-egg this module exists to avoid), the JDK-based HTTP
   * client with the configured timeouts, no SDK retries (the cache owns retry and backoff, so an
   * outage costs one request per attempt), and the whole call bounded by the exchange deadline.
   * Defaults mode "standard" because "auto" would probe instance metadata.
   */
  static StsClient newStsClient(Region region, AwsSettings s, ScheduledExecutorService timeouts) {
    // Always an explicit endpoint: left to itself the SDK would also take one from the shared config
    // file or the process environment, unchecked (AwsSettings.endpointOverride reads and checks them).
    URI endpoint = s.endpoint() != null ? s.endpoint() : AwsSettings.defaultEndpoint(region);
    UrlConnectionHttpClient.Builder http = UrlConnectionHttpClient.builder()
        .connectionTimeout(s.connectTimeout())
        .socketTimeout(s.readTimeout())
        .proxyConfiguration(proxyFor(endpoint, NonProxyHosts.parse(System.getProperty("http.nonProxyHosts"),
            System.getenv("NO_PROXY"), System.getenv("no_proxy"))));
    return StsClient.builder()
        .region(region)
        .endpointOverride(endpoint)
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .defaultsMode(DefaultsMode.STANDARD)
        .httpClientBuilder(http)
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()).apiCallTimeout(s.exchangeTimeout())
            .scheduledExecutorService(timeouts))
        .build();
  }

  /**
   * The STS client's proxy settings, decided once for its one endpoint. Plain http (loopback, or
   * elsewhere by explicit opt-in) and loopback never go through a proxy: it would see the token in
   * clear. Whether an exempt-host setting ({@code http.nonProxyHosts}, {@code NO_PROXY}) covers the
   * endpoint is decided here, linearly: the SDK's client would match each entry as a regular
   * expression against the host on every request, and those settings are not trusted text.
   * Otherwise the SDK takes the proxy from the JVM's settings and the environment, as usual.
   *
   * @param endpoint the STS endpoint
   * @param exempt the hosts the proxy settings exempt
   * @return the configuration for the SDK's url-connection client
   */
  static ProxyConfiguration proxyFor(URI endpoint, NonProxyHosts exempt) {
    String host = endpoint.getHost();
    boolean direct = "http".equalsIgnoreCase(endpoint.getScheme()) || host == null || Endpoints.isLoopback(host)
        || exempt.matches(host);
    return direct
        ? ProxyConfiguration.builder().useSystemPropertyValues(false).useEnvironmentVariablesValues(false).build()
        : ProxyConfiguration.builder().nonProxyHosts(Set.of()).build();
  }

  /**
   * What the events of this session are about.
   *
   * @return the key
   */
  public AwsCredentialKey key() {
    return key;
  }

  /**
   * The settings this session was opened with.
   *
   * @return the settings (the sharing key)
   */
  public AwsSettings settings() {
    return settings;
  }

  /**
   * Ends the calls in flight, closes the cache, then what the session opened. Called by the last
   * reference's close.
   */
  @Override
  public void close() {
    if (calls != null) {
      calls.close(); // first: the cache's close would otherwise wait for a stalled agent call
    }
    cache.close();
    closeAll(owned, settings);
  }

  private static void closeAll(List<AutoCloseable> owned, AwsSettings s) {
    for (int i = owned.size() - 1; i >= 0; i--) {
      try {
        owned.get(i).close();
      } catch (Exception e) {
        LOG.log(Level.WARNING, "Closing a resource of the AWS session " + s + " failed: " + Redaction.describe(e));
      }
    }
  }

  @Override
  public String toString() {
    return "AwsSession{" + settings + "}";
  }

  /** Registers {@code listener} with the fan-out (which delivers each event once per listener object). */
  private Runnable register(CredentialCache.Listener<? super AwsCredentialKey> listener) {
    AutoCloseable handle = listeners.add(listener);
    return () -> {
      try {
        handle.close();
      } catch (Exception impossible) {
        // Listeners.add's handle only removes from a list.
      }
    };
  }

  /**
   * One provider's share of a session: its reference, its listener's registration and its closed
   * flag, so that the public providers stay thin. Thread-safe.
   */
  public static final class Share implements AutoCloseable {
    private final Shared.Ref<AwsSession> ref;
    private final AwsSession session;
    private final Supplier<AwsSessionCredentials> credentials;
    private final Runnable unregister;
    private final Object owner;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Share(Shared.Ref<AwsSession> ref, CredentialCache.Listener<? super AwsCredentialKey> listener,
        Object owner) {
      this.ref = ref;
      this.session = ref.get();
      this.credentials = session.credentials;
      this.unregister = listener == null ? () -> { } : session.register(listener);
      this.owner = owner;
    }

    /**
     * The shared session.
     *
     * @return the session
     */
    public AwsSession session() {
      return session;
    }

    /**
     * The hot path: lock- and allocation-free while the cached credentials are fresh.
     *
     * @return valid credentials
     * @throws IllegalStateException after {@link #close()}
     */
    public AwsSessionCredentials get() {
      checkOpen();
      return credentials.get();
    }

    /**
     * The credentials without parking a thread.
     *
     * @return a completed future while valid credentials are cached, else the running exchange's
     * @throws IllegalStateException after {@link #close()}
     */
    public CompletableFuture<AwsSessionCredentials> getAsync() {
      checkOpen();
      return session.cache.getAsync(session.key);
    }

    /**
     * Whether this share was closed.
     *
     * @return true after {@link #close()}
     */
    public boolean isClosed() {
      return closed.get();
    }

    private void checkOpen() {
      if (closed.get()) {
        throw new IllegalStateException(owner + " is closed");
      }
    }

    /** Removes the listener and gives the reference up (the last one closes the session). Idempotent. */
    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        unregister.run();
        ref.close();
      }
    }
  }
}
