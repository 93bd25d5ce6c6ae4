package io.workloadidentity.testkit.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.Faults;
import io.workloadidentity.testkit.ReceivedRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.X509TrustManager;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockResponseBody;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import mockwebserver3.SocketEffect;
import okhttp3.HttpUrl;
import okhttp3.Protocol;
import okio.Buffer;

/**
 * The engine of every fake endpoint of the testkit: an okhttp {@link MockWebServer} on 127.0.0.1
 * with an ephemeral port, optionally HTTPS, with fault injection and request recording. The public
 * fakes hold one by composition (through {@code io.workloadidentity.testkit.FakeEndpoint}); this
 * type is not part of the testkit's API.
 *
 * <p>A {@link Behaviour} supplies {@link Behaviour#handle(RecordedRequest)} (the happy path and the
 * validation errors of the emulated service) and {@link Behaviour#renderFault(Fault,
 * RecordedRequest)} (how that service writes an injected error, throttling or 5xx). Everything else
 * is generic and done here, in this order, for each request:
 * <ol>
 *   <li>{@link Behaviour#nextFault(String)} picks an injected fault for the path, if any;
 *   <li>a {@link Fault.Kind#CONNECTION_RESET} closes the socket without a response; a {@link
 *       Fault.Kind#MALFORMED_BODY} answers {@link Behaviour#renderMalformed(RecordedRequest)}; a {@link
 *       Fault.Kind#RESPONSE} answers its own status, type and body; a {@link Fault.Kind#SLOW_BODY} answers
 *       {@code handle}'s answer with the body throttled to one byte per pause; the other kinds answer
 *       {@code renderFault}; no fault answers {@code handle};
 *   <li>{@link Behaviour#latency(String)} delays the response headers;
 *   <li>the request and its status are recorded <em>before</em> the response is sent, so a test
 *       that has its answer can assert on {@link #requests()} without waiting.
 * </ol>
 *
 * <p>The server is started by the constructor. Requests are handled on the server's threads:
 * behaviours must be thread-safe. An exception thrown by {@code handle} is logged and answered with
 * a plain-text 500, which the test then sees as a failure.
 *
 * <pre>{@code
 * Faults faults = Faults.create(clock);
 * FakeServer thing = new FakeServer("thing", false, clock, faults, new FakeServer.Behaviour() {
 *   public MockResponse handle(RecordedRequest r) {
 *     return FakeServer.json(200, Map.of("ok", true));
 *   }
 *   public MockResponse renderFault(Fault f, RecordedRequest r) {
 *     return FakeServer.json(f.status(), Map.of("error", f.code().orElse("throttled")));
 *   }
 *   public Fault nextFault(String path) {
 *     return faults.next(path);
 *   }
 *   public Duration latency(String path) {
 *     return faults.latency();
 *   }
 * });
 * }</pre>
 */
public final class FakeServer implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FakeServer.class.getName());

  /** What a fake endpoint does with a request: the emulated service. */
  public interface Behaviour {
    /**
     * Answers a request that no fault intercepted: the behaviour of the emulated service.
     *
     * @param request the request
     * @return the answer
     * @throws Exception anything unexpected; it is logged and answered with a 500
     */
    MockResponse handle(RecordedRequest request) throws Exception;

    /**
     * Renders an injected {@link Fault.Kind#ERROR}, {@link Fault.Kind#THROTTLED} or {@link
     * Fault.Kind#SERVER_ERROR} in the emulated service's wire format.
     *
     * @param fault the fault
     * @param request the request it answers
     * @return the answer
     */
    MockResponse renderFault(Fault fault, RecordedRequest request);

    /**
     * Renders {@link Fault#malformedBody()}. By default: the normal answer of {@link #handle} (same
     * headers) with the body cut in half, or a truncated JSON object when that answer has no body.
     *
     * @param request the request
     * @return the answer
     * @throws Exception as {@link #handle}
     */
    default MockResponse renderMalformed(RecordedRequest request) throws Exception {
      return cutInHalf(handle(request));
    }

    /**
     * Consumes and returns the fault to inject for a request to {@code path}, or {@code null}.
     *
     * @param path the request path (query excluded)
     * @return the fault, or {@code null} to answer normally
     */
    Fault nextFault(String path);

    /**
     * The delay to add before the response headers of a request to {@code path}.
     *
     * @param path the request path (query excluded)
     * @return the delay, {@link Duration#ZERO} for none
     */
    Duration latency(String path);
  }

  private final String name;
  private final Clock clock;
  private final boolean https;
  private final Faults faults;
  private final Behaviour behaviour;
  private final MockWebServer server = new MockWebServer();
  private final List<ReceivedRequest> requests = new CopyOnWriteArrayList<>();
  private final BlockingQueue<ReceivedRequest> untaken = new LinkedBlockingQueue<>();

  /**
   * Starts the server.
   *
   * @param name a short name for messages and logs ("kubernetes", "aws-sts", ...)
   * @param https whether to serve HTTPS with a certificate from the testkit CA (SAN {@code
   *     localhost} and {@code 127.0.0.1}); see {@link #sslContext()}
   * @param clock the clock for request timestamps
   * @param faults the fault injection returned by {@link #faults()}
   * @param behaviour the emulated service
   * @throws UncheckedIOException if the server cannot listen on 127.0.0.1
   */
  public FakeServer(String name, boolean https, Clock clock, Faults faults, Behaviour behaviour) {
    this.name = Objects.requireNonNull(name, "name");
    this.clock = Objects.requireNonNull(clock, "clock");
    this.https = https;
    this.faults = Objects.requireNonNull(faults, "faults");
    this.behaviour = Objects.requireNonNull(behaviour, "behaviour");
    if (https) {
      server.useHttps(TestCertificates.serverCertificates().sslSocketFactory());
    }
    // Cloud identity endpoints speak HTTP/1.1 to these clients; a single protocol keeps connection
    // resets and latency behaving the same for every client.
    server.setProtocols(List.of(Protocol.HTTP_1_1));
    server.setDispatcher(new Dispatcher() {
      @Override
      public MockResponse dispatch(RecordedRequest request) {
        return respond(request);
      }
    });
    try {
      server.start(InetAddress.getByName("127.0.0.1"), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not start the " + name + " fake server on 127.0.0.1", e);
    }
  }

  /**
   * The normal answer {@code normal} (same headers, status 200) with the body cut in half, or a
   * truncated JSON object when it has no body.
   *
   * @param normal the answer to cut
   * @return the cut answer
   * @throws IOException if the body cannot be read
   */
  public static MockResponse cutInHalf(MockResponse normal) throws IOException {
    String body = bodyOf(normal);
    String cut = body.length() < 2 ? "{\"" : body.substring(0, body.length() / 2);
    return normal.newBuilder().code(200).body(cut).build();
  }

  private MockResponse respond(RecordedRequest request) {
    HttpUrl url = request.getUrl();
    String path = url.encodedPath();
    Instant receivedAt = clock.instant();
    Fault fault = behaviour.nextFault(path);
    MockResponse response;
    try {
      if (fault == null) {
        response = behaviour.handle(request);
      } else {
        response = switch (fault.kind()) {
          // SSLSocket does not support half-close (shutdownInput/Output throw), which would leave an
          // HTTPS connection open until the client times out: close the socket outright there.
          case CONNECTION_RESET -> new MockResponse.Builder()
              .onResponseStart(new SocketEffect.CloseSocket(true, !https, !https))
              .build();
          case MALFORMED_BODY -> behaviour.renderMalformed(request);
          case RESPONSE -> body(fault.status(), fault.contentType().orElseThrow(), fault.body().orElseThrow());
          case SLOW_BODY -> behaviour.handle(request).newBuilder()
              .throttleBody(1, fault.pause().orElseThrow().toNanos(), TimeUnit.NANOSECONDS).build();
          default -> behaviour.renderFault(fault, request);
        };
      }
    } catch (Exception | AssertionError e) {
      LOG.log(Level.WARNING, name + " fake server failed to handle " + request.getMethod() + " " + path, e);
      response = new MockResponse.Builder().code(500)
          .setHeader("Content-Type", "text/plain; charset=utf-8")
          .body("testkit " + name + " fake server error: " + e).build();
    }
    Duration latency = behaviour.latency(path);
    if (!latency.isZero()) {
      response = response.newBuilder().headersDelay(latency.toMillis(), TimeUnit.MILLISECONDS).build();
    }
    boolean reset = fault != null && fault.kind() == Fault.Kind.CONNECTION_RESET;
    String query = url.encodedQuery();
    ReceivedRequest received = new ReceivedRequest(request.getMethod(), path, query == null ? "" : query,
        request.getHeaders().toMultimap(), request.getBody() == null ? "" : request.getBody().utf8(),
        receivedAt, reset ? 0 : response.getCode(), Optional.ofNullable(fault));
    requests.add(received);
    untaken.add(received);
    return response;
  }

  /** The base URL, {@code http(s)://127.0.0.1:PORT}, without a trailing slash. */
  public String baseUrl() {
    // The literal address, not MockWebServer's "localhost": the server binds 127.0.0.1 only, and
    // "localhost" may resolve to ::1 first.
    return (https ? "https" : "http") + "://127.0.0.1:" + server.getPort();
  }

  /** The absolute URL of {@code path} on this server ({@code path} starts with {@code /}). */
  public String url(String path) {
    if (!path.startsWith("/")) {
      throw new IllegalArgumentException("path must start with '/': " + path);
    }
    return baseUrl() + path;
  }

  /** The port the server listens on, on 127.0.0.1. */
  public int port() {
    return server.getPort();
  }

  /** Whether the server speaks HTTPS. */
  public boolean isHttps() {
    return https;
  }

  /** The fault injection of this server. */
  public Faults faults() {
    return faults;
  }

  /** The server's clock. */
  public Clock clock() {
    return clock;
  }

  /** Every request received so far, oldest first (an immutable snapshot). */
  public List<ReceivedRequest> requests() {
    return List.copyOf(requests);
  }

  /** The requests received for exactly {@code path} (query excluded), oldest first. */
  public List<ReceivedRequest> requests(String path) {
    return requests.stream().filter(r -> r.path().equals(path)).toList();
  }

  /** How many requests were received in total. */
  public int requestCount() {
    return requests.size();
  }

  /** How many requests were received for exactly {@code path} (query excluded). */
  public int requestCount(String path) {
    return (int) requests.stream().filter(r -> r.path().equals(path)).count();
  }

  /** Forgets the recorded requests, taken or not (the faults stay). */
  public void clearRequests() {
    requests.clear();
    untaken.clear();
  }

  /**
   * The oldest request not yet taken, waiting for one up to {@code timeout}.
   *
   * @param timeout how long to wait
   * @return the request
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError if no request arrives in time
   */
  public ReceivedRequest takeRequest(Duration timeout) throws InterruptedException {
    ReceivedRequest r = untaken.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    if (r == null) {
      throw new AssertionError("No request reached the " + name + " fake server within " + timeout);
    }
    return r;
  }

  /** An {@link SSLContext} trusting the testkit CA, hence this and every other HTTPS fake server. */
  public SSLContext sslContext() {
    return TestCertificates.clientCertificates().sslContext();
  }

  /** The socket factory of {@link #sslContext()}. */
  public SSLSocketFactory sslSocketFactory() {
    return TestCertificates.clientCertificates().sslSocketFactory();
  }

  /** A trust manager trusting the testkit CA (only). */
  public X509TrustManager trustManager() {
    return TestCertificates.clientCertificates().trustManager();
  }

  /** The testkit CA certificate, for clients that take a certificate or a trust store. */
  public X509Certificate caCertificate() {
    return TestCertificates.rootCertificate();
  }

  /** Stops the server and closes its connections. */
  @Override
  public void close() {
    server.close();
  }

  @Override
  public String toString() {
    return name + "[" + baseUrl() + "]";
  }

  // ---- helpers for behaviours ----

  /** A response with a JSON body ({@code application/json}) serialized from {@code body}. */
  public static MockResponse json(int status, Map<String, ?> body) {
    return json(status, JSONObjectUtils.toJSONString(body));
  }

  /** A response with the given JSON text as body ({@code application/json}). */
  public static MockResponse json(int status, String json) {
    return body(status, "application/json", json);
  }

  /** A response with a body of the given content type (UTF-8 is added for text types without a charset). */
  public static MockResponse body(int status, String contentType, String body) {
    String type = contentType.startsWith("text/") && !contentType.contains("charset")
        ? contentType + "; charset=utf-8" : contentType;
    return new MockResponse.Builder().code(status).setHeader("Content-Type", type).body(body).build();
  }

  /** The request body as UTF-8 text, empty if none. */
  public static String bodyOf(RecordedRequest request) {
    return request.getBody() == null ? "" : request.getBody().utf8();
  }

  /** The request body decoded as a form (first value of each field). */
  public static Map<String, String> form(RecordedRequest request) {
    return Forms.decode(bodyOf(request));
  }

  /** The query string of the request decoded as a form. */
  public static Map<String, String> query(RecordedRequest request) {
    return Forms.decode(request.getUrl().encodedQuery());
  }

  /** The body of a response as UTF-8 text, empty if none. */
  public static String bodyOf(MockResponse response) throws IOException {
    MockResponseBody body = response.getBody();
    if (body == null) {
      return "";
    }
    Buffer buffer = new Buffer();
    body.writeTo(buffer);
    return buffer.readUtf8();
  }
}
