package io.workloadidentity.testkit;

import io.workloadidentity.testkit.internal.FakeServer;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * What every fake endpoint of the testkit has: a local HTTP(S) server on 127.0.0.1 with an
 * ephemeral port, fault injection ({@link #faults()}), a record of the requests it received
 * ({@link #requests()}, {@link #takeRequest(Duration)}) and the TLS material that trusts it.
 *
 * <p>The fakes are {@link KubernetesCluster}, {@link FakeAwsSts}, {@link FakeAwsPodIdentityAgent},
 * {@link FakeEntraId}, {@link FakeGcp}, {@link FakeGcpMetadataServer} and {@link
 * FakeResourceServer}; the set is closed, each adds the calls of the service it emulates.
 *
 * <pre>{@code
 * sts.faults().failNext(2, Fault.throttled());
 * client.resolveCredentials();
 * assertThat(sts.requests()).extracting(ReceivedRequest::status).containsExactly(400, 400, 200);
 * }</pre>
 *
 * <p>Requests are handled on the server's threads and recorded before the answer is sent, so a
 * client that has its answer can assert on {@link #requests()} at once. Thread-safe. {@link
 * #close()} stops the server.
 */
public abstract sealed class FakeEndpoint implements AutoCloseable
    permits KubernetesCluster, FakeAwsSts, FakeAwsPodIdentityAgent, FakeEntraId, FakeGcp, FakeGcpMetadataServer,
    FakeResourceServer {
  private final FakeServer server;

  /** Starts the server; subclasses are this package's fakes only. */
  FakeEndpoint(String name, boolean https, Clock clock) {
    Faults faults = Faults.create(clock);
    this.server = new FakeServer(name, https, clock, faults, new FakeServer.Behaviour() {
      @Override
      public MockResponse handle(RecordedRequest request) throws Exception {
        return FakeEndpoint.this.handle(request);
      }

      @Override
      public MockResponse renderFault(Fault fault, RecordedRequest request) {
        return FakeEndpoint.this.renderFault(fault, request);
      }

      @Override
      public MockResponse renderMalformed(RecordedRequest request) throws Exception {
        return FakeEndpoint.this.renderMalformed(request);
      }

      @Override
      public Fault nextFault(String path) {
        return faults.next(path, pathlessFaultsApplyTo(path));
      }

      @Override
      public Duration latency(String path) {
        return pathlessFaultsApplyTo(path) ? faults.latency() : Duration.ZERO;
      }
    });
  }

  /** The emulated service's answer to a request no fault intercepted. */
  abstract MockResponse handle(RecordedRequest request) throws Exception;

  /** An injected error, throttling or 5xx in the emulated service's format. */
  abstract MockResponse renderFault(Fault fault, RecordedRequest request);

  /** {@link Fault#malformedBody()}: by default the normal answer cut in half. */
  MockResponse renderMalformed(RecordedRequest request) throws Exception {
    return FakeServer.cutInHalf(handle(request));
  }

  /**
   * Whether faults that name no path (and latency and the rate limit) apply to requests for {@code
   * path}. All paths by default; an endpoint whose clients first fetch discovery documents narrows
   * this to the endpoint tests mean to break.
   */
  boolean pathlessFaultsApplyTo(String path) {
    return true;
  }

  /**
   * The base URL of this server.
   *
   * @return {@code http(s)://127.0.0.1:PORT}, without a trailing slash
   */
  public String baseUrl() {
    return server.baseUrl();
  }

  /**
   * The absolute URL of a path on this server.
   *
   * @param path a path starting with {@code /}
   * @return the base URL followed by {@code path}
   * @throws IllegalArgumentException if {@code path} does not start with {@code /}
   */
  public String url(String path) {
    return server.url(path);
  }

  /**
   * The port the server listens on, on 127.0.0.1.
   *
   * @return the port
   */
  public int port() {
    return server.port();
  }

  /**
   * Whether the server speaks HTTPS (with a certificate from the testkit CA).
   *
   * @return true for HTTPS, false for plain HTTP
   */
  public boolean isHttps() {
    return server.isHttps();
  }

  /**
   * The fault injection of this server: latency, the next N requests failing, outages, a rate limit.
   *
   * @return this server's faults
   */
  public Faults faults() {
    return server.faults();
  }

  /**
   * The server's clock, for request timestamps, expiry checks and the rate-limit windows.
   *
   * @return the clock given to the builder (system UTC by default)
   */
  public Clock clock() {
    return server.clock();
  }

  /**
   * Every request received so far. They hold whatever the client sent, tokens included: assert on
   * them, don't print them.
   *
   * @return an immutable snapshot, oldest first
   */
  public List<ReceivedRequest> requests() {
    return server.requests();
  }

  /**
   * The requests received for exactly {@code path} (query excluded).
   *
   * @param path the path, starting with {@code /}
   * @return an immutable snapshot, oldest first
   */
  public List<ReceivedRequest> requests(String path) {
    return server.requests(path);
  }

  /**
   * How many requests were received in total.
   *
   * @return the count
   */
  public int requestCount() {
    return server.requestCount();
  }

  /**
   * How many requests were received for exactly {@code path} (query excluded).
   *
   * @param path the path, starting with {@code /}
   * @return the count
   */
  public int requestCount(String path) {
    return server.requestCount(path);
  }

  /** Forgets the recorded requests, taken or not (the faults stay). */
  public void clearRequests() {
    server.clearRequests();
  }

  /**
   * The oldest request not yet taken by this method, waiting for one up to {@code timeout}: for a
   * request a client sends in the background. {@link #requests()} is unaffected.
   *
   * @param timeout how long to wait at most
   * @return the request
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError if no request arrives within {@code timeout}
   */
  public ReceivedRequest takeRequest(Duration timeout) throws InterruptedException {
    return server.takeRequest(timeout);
  }

  /**
   * An {@link SSLContext} trusting the testkit CA, hence this and every other HTTPS fake server.
   *
   * @return the context (shared, do not modify)
   */
  public SSLContext sslContext() {
    return server.sslContext();
  }

  /**
   * The socket factory of {@link #sslContext()}, for clients configured with one.
   *
   * @return the socket factory
   */
  public SSLSocketFactory sslSocketFactory() {
    return server.sslSocketFactory();
  }

  /**
   * A trust manager trusting the testkit CA (only).
   *
   * @return the trust manager
   */
  public X509TrustManager trustManager() {
    return server.trustManager();
  }

  /**
   * The testkit CA certificate, for clients that take a certificate or a trust store.
   *
   * @return the CA certificate every testkit server certificate chains to
   */
  public X509Certificate caCertificate() {
    return server.caCertificate();
  }

  /** Stops the server and closes its connections. */
  @Override
  public void close() {
    server.close();
  }

  /**
   * The class and the base URL, e.g. {@code FakeAwsSts[http://127.0.0.1:54321]}.
   *
   * @return a description without any secret
   */
  @Override
  public String toString() {
    return getClass().getSimpleName() + "[" + baseUrl() + "]";
  }
}
