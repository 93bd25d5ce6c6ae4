package io.workloadidentity.gcp.internal;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.LowLevelHttpRequest;
import com.google.api.client.http.LowLevelHttpResponse;
import io.workloadidentity.core.internal.HttpDefaults;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.lang.reflect.Field;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPInputStream;

/**
 * Wraps the google-http-client transport google-auth uses, for one exchange step, to
 *
 * <ul>
 *   <li>send at most one request: an exchange is one attempt, the credential cache retries (a second
 *       request in a step, such as google-auth's retry of an IAM call after a 401, is refused);
 *   <li>not send anything once the exchange's thread is interrupted (its deadline passed, or the
 *       cache is closing): {@code HttpURLConnection} itself ignores interrupts;
 *   <li>force our connect and read timeouts, capped by the time left before the exchange's deadline:
 *       google-auth 1.5x sets none on its STS, IAM and metadata requests, so google-http-client's 20 s
 *       defaults would apply;
 *   <li>end the request at the exchange's deadline, whatever the server does: a read timeout bounds
 *       one read, not a response sent a byte every few seconds. At the deadline the connection is
 *       closed (for google-http-client's {@code NetHttpTransport}, whose {@code HttpURLConnection} is
 *       reached reflectively; other transports are closed once their response has begun), which ends
 *       a blocked read at once;
 *   <li>read the whole response body here, at most {@link HttpDefaults#MAX_RESPONSE_BYTES} (after
 *       decompression too), within the deadline; a larger successful response is refused, an error
 *       body is cut there;
 *   <li>check a successful body with this step's own reader ({@link TokenResponses}) before
 *       google-auth sees it, and keep the result: the token and its expiry come from there;
 *   <li>remember the status and error body, so failures are classified from what Google sent rather
 *       than from google-auth's message text (its {@code OAuthException} is package-private);
 *   <li>optionally rewrite request URLs (the metadata server host from our {@code Environment}
 *       instead of the process environment google-auth reads).
 * </ul>
 *
 * <p>Bodies are replayed to google-auth from memory (decompressed).
 */
final class GuardedTransport extends HttpTransport {
  private static final System.Logger LOG = System.getLogger(GuardedTransport.class.getName());
  /** {@code HttpTransport.buildRequest} is protected; a wrapper in another package must reach it reflectively. */
  private static final Method BUILD_REQUEST = buildRequestMethod();
  /** {@code NetHttpRequest.connection}, to close a connection whose response headers never finish. */
  private static final Field NET_CONNECTION = netConnectionField();

  /** Reads a successful body; {@link TokenResponses}' readers. */
  @FunctionalInterface
  interface BodyReader {
    TokenResponses.Parsed read(String body, Instant receivedAt) throws TokenResponses.Unusable;
  }

  private final HttpTransport delegate;
  private final int connectMillis;
  private final int readMillis;
  private final long deadlineNanos;
  private final Duration deadline;
  private final UnaryOperator<String> rewrite;
  private final BodyReader reader;
  private final Clock clock;
  private final int maxBytes;
  private final ScheduledExecutorService watchdog;
  private final AtomicInteger sent = new AtomicInteger();
  private volatile Response last;
  private volatile boolean timedOut;

  /**
   * @param deadlineNanos the exchange's deadline on the {@link System#nanoTime()} scale
   * @param deadline the exchange timeout, for messages
   * @param watchdog the session's timer that ends requests at the deadline, or {@code null} (closing)
   */
  GuardedTransport(HttpTransport delegate, Duration connect, Duration read, long deadlineNanos, Duration deadline,
      UnaryOperator<String> rewrite, BodyReader reader, Clock clock, ScheduledExecutorService watchdog) {
    this.delegate = delegate;
    this.connectMillis = (int) Math.min(Integer.MAX_VALUE, connect.toMillis());
    this.readMillis = (int) Math.min(Integer.MAX_VALUE, read.toMillis());
    this.deadlineNanos = deadlineNanos;
    this.deadline = deadline;
    this.rewrite = rewrite;
    this.reader = reader;
    this.clock = clock;
    this.maxBytes = HttpDefaults.MAX_RESPONSE_BYTES;
    this.watchdog = watchdog;
  }

  /** Whether timeouts and response recording are in effect (false only if reflection is denied). */
  static boolean guarding() {
    return BUILD_REQUEST != null;
  }

  /** The last response received through this transport, or {@code null} if none arrived. */
  Response last() {
    return last;
  }

  /** Whether the exchange's deadline ended the request. */
  boolean timedOut() {
    return timedOut;
  }

  /** The exchange timeout, for messages. */
  Duration deadline() {
    return deadline;
  }

  @Override
  protected LowLevelHttpRequest buildRequest(String method, String url) throws IOException {
    String target = rewrite.apply(url);
    try {
      return new Request((LowLevelHttpRequest) BUILD_REQUEST.invoke(delegate, method, target), target);
    } catch (InvocationTargetException e) {
      if (e.getCause() instanceof IOException io) {
        throw io;
      }
      throw new IOException("Building the request to " + target + " failed", e.getCause());
    } catch (IllegalAccessException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public boolean supportsMethod(String method) throws IOException {
    return delegate.supportsMethod(method);
  }

  @Override
  public boolean isMtls() {
    return delegate.isMtls();
  }

  /**
   * What came back: the status; for an error, its body (decoded, possibly cut); for a success, the
   * token read from it or why it cannot be used.
   *
   * @param url where the request went
   * @param status the HTTP status
   * @param errorBody the body of an error response, else {@code null}
   * @param parsed the token of a usable success response, else {@code null}
   * @param problem why a success response cannot be used, else {@code null}
   * @param clockProblem whether this machine's clock is the likely cause of {@code problem}
   */
  record Response(String url, int status, String errorBody, TokenResponses.Parsed parsed, String problem,
      boolean clockProblem) {
    Response(String url, int status, String errorBody) {
      this(url, status, errorBody, null, null, false);
    }

    @Override
    public String toString() {
      return "Response{" + url + ", " + status + (problem == null ? "" : ", " + problem) + "}";
    }
  }

  private final class Request extends LowLevelHttpRequest {
    private final LowLevelHttpRequest inner;
    private final String url;
    private final HttpURLConnection connection;
    private volatile LowLevelHttpResponse response;

    Request(LowLevelHttpRequest inner, String url) {
      this.inner = inner;
      this.url = url;
      this.connection = connectionOf(inner);
    }

    @Override
    public void addHeader(String name, String value) throws IOException {
      inner.addHeader(name, value);
    }

    @Override
    public void setTimeout(int connectTimeout, int readTimeout) throws IOException {
      // ours win (google-auth never chose these); applied in execute(), when the time left is known
    }

    @Override
    public void setWriteTimeout(int writeTimeout) throws IOException {
      // as above
    }

    @Override
    public LowLevelHttpResponse execute() throws IOException {
      if (Thread.currentThread().isInterrupted()) {
        throw new InterruptedIOException("Not sending the request to " + url + ": the exchange was interrupted"
            + " (its deadline passed, or the credentials were closed).");
      }
      if (sent.incrementAndGet() > 1) {
        throw new IOException("Not sending a second request to " + url + " within one exchange step: the credential"
            + " cache retries whole exchanges, with backoff.");
      }
      long leftNanos = deadlineNanos - System.nanoTime();
      if (leftNanos <= 0) {
        timedOut = true;
        throw new InterruptedIOException("Not sending the request to " + url + ": the exchange deadline has passed.");
      }
      int left = (int) Math.max(1, Math.min(Integer.MAX_VALUE, leftNanos / 1_000_000));
      inner.setContentType(getContentType());
      inner.setContentEncoding(getContentEncoding());
      inner.setContentLength(getContentLength());
      inner.setStreamingContent(getStreamingContent());
      inner.setTimeout(Math.min(connectMillis, left), Math.min(readMillis, left));
      inner.setWriteTimeout(Math.min(readMillis, left));
      ScheduledFuture<?> timer = arm(leftNanos);
      try {
        LowLevelHttpResponse r = inner.execute();
        response = r;
        if (timedOut) {
          abort(); // the deadline passed while the headers arrived: the response may not have been closed
        }
        return receive(r);
      } catch (IOException | RuntimeException e) {
        if (timedOut) {
          throw new InterruptedIOException("The request to " + url + " did not complete within the exchange deadline"
              + " of " + deadline.toMillis() + " ms.");
        }
        throw e;
      } finally {
        if (timer != null) {
          timer.cancel(false);
        }
      }
    }

    private ScheduledFuture<?> arm(long leftNanos) {
      if (watchdog == null) {
        return null; // the session is closing: its exchanges are being interrupted
      }
      try {
        return watchdog.schedule(this::abort, leftNanos, TimeUnit.NANOSECONDS);
      } catch (RejectedExecutionException e) {
        return null;
      }
    }

    private LowLevelHttpResponse receive(LowLevelHttpResponse r) throws IOException {
      int status = r.getStatusCode();
      byte[] raw = readBounded(r);
      String encoding = r.getContentEncoding();
      byte[] body = decode(raw, encoding);
      Instant receivedAt = clock.instant();
      if (status >= 300) {
        String text = new String(body, 0, Math.min(body.length, maxBytes), StandardCharsets.UTF_8);
        last = new Response(url, status, text);
        // google-auth parses error bodies with a recursive parser: a deeply nested one must not reach it.
        return new Replayed(r, TokenResponses.depthWithin(text, TokenResponses.MAX_DEPTH) ? body : new byte[0]);
      }
      if (raw.length > maxBytes || body.length > maxBytes) {
        last = new Response(url, status, null, null, "its body is larger than " + maxBytes + " bytes (a token"
            + " response is a few KiB; the rest was not read)", false);
        throw new IOException("The response from " + url + " is larger than " + maxBytes + " bytes.");
      }
      try {
        TokenResponses.Parsed parsed = reader.read(new String(body, StandardCharsets.UTF_8), receivedAt);
        last = new Response(url, status, null, parsed, null, false);
      } catch (TokenResponses.Unusable e) {
        last = new Response(url, status, null, null, e.getMessage(), e.clock());
        throw new IOException("The response from " + url + " cannot be used: " + e.getMessage());
      }
      return new Replayed(r, body);
    }

    /** Reads at most {@code maxBytes + 1} bytes, checking the deadline between reads. */
    private byte[] readBounded(LowLevelHttpResponse r) throws IOException {
      try (InputStream in = r.getContent()) {
        if (in == null) {
          return new byte[0];
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        while (out.size() <= maxBytes) {
          if (System.nanoTime() - deadlineNanos > 0) {
            abort();
            throw new InterruptedIOException("deadline");
          }
          int n = in.read(buf, 0, Math.min(buf.length, maxBytes + 1 - out.size()));
          if (n < 0) {
            break;
          }
          out.write(buf, 0, n);
        }
        return out.toByteArray();
      }
    }

    /** At the deadline: close whatever the request holds, which ends a blocked read. */
    private void abort() {
      timedOut = true;
      try {
        if (connection != null) {
          connection.disconnect();
        }
        LowLevelHttpResponse r = response;
        if (r != null) {
          r.disconnect();
        }
      } catch (IOException | RuntimeException e) {
        // closing is best effort; the read timeout still bounds the wait
      }
    }

    private byte[] decode(byte[] raw, String encoding) {
      if (encoding == null || !encoding.toLowerCase(Locale.ROOT).contains("gzip")) {
        return raw;
      }
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(raw))) {
        return in.readNBytes(maxBytes + 1); // a small gzip can inflate to gigabytes: capped here too
      } catch (IOException e) {
        return new byte[0];
      }
    }
  }

  private static HttpURLConnection connectionOf(LowLevelHttpRequest request) {
    if (NET_CONNECTION == null || request.getClass() != NET_CONNECTION.getDeclaringClass()) {
      return null;
    }
    try {
      return (HttpURLConnection) NET_CONNECTION.get(request);
    } catch (IllegalAccessException | RuntimeException e) {
      return null;
    }
  }

  /** A response whose body was read here and is served again from memory. */
  private static final class Replayed extends LowLevelHttpResponse {
    private final LowLevelHttpResponse inner;
    private final byte[] body;

    Replayed(LowLevelHttpResponse inner, byte[] body) {
      this.inner = inner;
      this.body = body;
    }

    @Override
    public InputStream getContent() {
      return new ByteArrayInputStream(body);
    }

    @Override
    public String getContentEncoding() {
      return null; // decoded already
    }

    @Override
    public long getContentLength() {
      return body.length;
    }

    @Override
    public String getContentType() throws IOException {
      return inner.getContentType();
    }

    @Override
    public String getStatusLine() throws IOException {
      return inner.getStatusLine();
    }

    @Override
    public int getStatusCode() throws IOException {
      return inner.getStatusCode();
    }

    @Override
    public String getReasonPhrase() throws IOException {
      return inner.getReasonPhrase();
    }

    @Override
    public int getHeaderCount() throws IOException {
      return inner.getHeaderCount();
    }

    @Override
    public String getHeaderName(int index) throws IOException {
      return inner.getHeaderName(index);
    }

    @Override
    public String getHeaderValue(int index) throws IOException {
      return inner.getHeaderValue(index);
    }

    @Override
    public void disconnect() throws IOException {
      inner.disconnect();
    }
  }

  private static Method buildRequestMethod() {
    try {
      Method m = HttpTransport.class.getDeclaredMethod("buildRequest", String.class, String.class);
      m.setAccessible(true);
      return m;
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.WARNING, "Cannot wrap google-http-client transports (" + e.getClass().getSimpleName() + "):"
          + " google-http-client's default 20 s timeouts apply to Google token requests, responses are not capped"
          + " and errors are classified from google-auth's exceptions.");
      return null;
    }
  }

  private static Field netConnectionField() {
    try {
      Field f = Class.forName("com.google.api.client.http.javanet.NetHttpRequest").getDeclaredField("connection");
      f.setAccessible(true);
      return f.getType() == HttpURLConnection.class ? f : null;
    } catch (ReflectiveOperationException | RuntimeException | LinkageError e) {
      LOG.log(Level.DEBUG, "NetHttpRequest's connection is not reachable (" + e.getClass().getSimpleName() + "): a"
          + " response whose headers arrive a byte at a time is bounded by the read timeout only.");
      return null;
    }
  }
}
