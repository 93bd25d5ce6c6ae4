package io.workloadidentity.gcp.internal;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.http.HttpTransportFactory;
import java.time.Duration;
import java.util.Objects;
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
  private volatile HttpTransport base;

  Http(HttpTransportFactory factory, Duration connectTimeout, Duration readTimeout) {
    this.factory = factory == null ? NetHttpTransport::new : factory;
    this.connectTimeout = connectTimeout;
    this.readTimeout = readTimeout;
  }

  /**
   * A fresh guard for one step (null if guarding is unavailable), with an optional URL rewrite.
   *
   * @param deadlineNanos the exchange's deadline on the {@link System#nanoTime()} scale
   */
  GuardedTransport step(long deadlineNanos, UnaryOperator<String> rewrite) {
    return GuardedTransport.guarding()
        ? new GuardedTransport(base(), connectTimeout, readTimeout, deadlineNanos, rewrite) : null;
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
