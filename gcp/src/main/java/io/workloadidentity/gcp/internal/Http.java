package io.workloadidentity.gcp.internal;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.http.HttpTransportFactory;
import io.workloadidentity.core.internal.Threads;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.UnaryOperator;

/**
 * The HTTP stack of one session: one transport from the configured factory (by default a {@link
 * NetHttpTransport}, the JDK's {@code HttpURLConnection}), wrapped per exchange step in a {@link
 * GuardedTransport} that sends one request, applies the timeouts and records the response.
 */
final class Http {
  private final HttpTransportFactory factory;
  private final Duration connectTimeout;
  private final Duration readTimeout;
  private final Duration exchangeTimeout;
  private final Clock clock;
  private volatile HttpTransport base;
  private ScheduledExecutorService watchdog; // guarded by this; created with the first step
  private boolean closed; // guarded by this

  Http(HttpTransportFactory factory, Duration connectTimeout, Duration readTimeout, Duration exchangeTimeout,
      Clock clock) {
    this.factory = factory == null ? Http::defaultTransport : factory;
    this.connectTimeout = connectTimeout;
    this.readTimeout = readTimeout;
    this.exchangeTimeout = exchangeTimeout;
    this.clock = clock;
  }

  /**
   * The default transport: google-http-client's {@link NetHttpTransport}, except that plain http
   * never goes through a proxy. Plain http is the metadata server's protocol (link-local, never
   * proxied on purpose) or loopback, or elsewhere by explicit opt-in: a proxy from the JVM's
   * settings ({@code http.proxyHost}) would see the access token in clear. https uses the JVM's
   * proxy settings as usual (the proxy sees a TLS tunnel only).
   */
  static HttpTransport defaultTransport() {
    return new NetHttpTransport.Builder()
        .setConnectionFactory(url -> (HttpURLConnection) ("http".equalsIgnoreCase(url.getProtocol())
            ? url.openConnection(Proxy.NO_PROXY) : url.openConnection()))
        .build();
  }

  /** The stack of a session's settings. */
  static Http of(GcpSettings s) {
    return new Http(s.transportFactory(), s.connectTimeout(), s.readTimeout(), s.exchangeTimeout(), s.clock());
  }

  /**
   * A fresh guard for one step (null if guarding is unavailable), with an optional URL rewrite.
   *
   * @param deadlineNanos the exchange's deadline on the {@link System#nanoTime()} scale
   * @param rewrite the URL rewrite
   * @param reader how the step's successful response is read
   */
  GuardedTransport step(long deadlineNanos, UnaryOperator<String> rewrite, GuardedTransport.BodyReader reader) {
    return GuardedTransport.guarding() ? new GuardedTransport(base(), connectTimeout, readTimeout, deadlineNanos,
        exchangeTimeout, rewrite, reader, clock, watchdog()) : null;
  }

  /**
   * The session's deadline timer: one daemon thread, started by the first exchange and stopped with
   * the session. Its tasks only close connections.
   */
  private synchronized ScheduledExecutorService watchdog() {
    if (watchdog == null && !closed) {
      watchdog = Threads.scheduler("workload-identity-gcp-deadline");
    }
    return watchdog;
  }

  /** Stops the deadline timer, first ending the requests still in flight (their exchanges are being stopped too). */
  void close() {
    ScheduledExecutorService w;
    synchronized (this) {
      closed = true;
      w = watchdog;
      watchdog = null;
    }
    if (w != null) {
      for (Runnable abort : w.shutdownNow()) {
        abort.run();
      }
    }
  }

  /** The factory google-auth gets for a step guarded by {@code guard}. */
  HttpTransportFactory factory(GuardedTransport guard) {
    if (guard != null) {
      return () -> guard;
    }
    HttpTransport t = base();
    return () -> t;
  }

  private HttpTransport base() {
    HttpTransport t = base;
    if (t == null) {
      synchronized (this) {
        t = base;
        if (t == null) {
          t = Objects.requireNonNull(factory.create(), "HttpTransportFactory.create() returned null");
          base = t;
        }
      }
    }
    return t;
  }
}
