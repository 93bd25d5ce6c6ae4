package io.workloadidentity.gcp.internal;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.LowLevelHttpRequest;
import com.google.api.client.http.LowLevelHttpResponse;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
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
 *   <li>remember the last response status and error body, so failures are classified from what
 *       Google sent rather than from google-auth's message text (its {@code OAuthException} is
 *       package-private);
 *   <li>optionally rewrite request URLs (the metadata server host from our {@code Environment}
 *       instead of the process environment google-auth reads).
 * </ul>
 *
 * <p>Error bodies are kept in memory (at most 16 KiB) and replayed to google-auth unchanged.
 */
final class GuardedTransport extends HttpTransport {
  private static final System.Logger LOG = System.getLogger(GuardedTransport.class.getName());
  private static final int MAX_ERROR_BODY = 16 * 1024;
  /** {@code HttpTransport.buildRequest} is protected; a wrapper in another package must reach it reflectively. */
  private static final Method BUILD_REQUEST = buildRequestMethod();

  private final HttpTransport delegate;
  private final int connectMillis;
  private final int readMillis;
  private final long deadlineNanos;
  private final UnaryOperator<String> rewrite;
  private final AtomicInteger sent = new AtomicInteger();
  private volatile Response last;

  /**
   * @param deadlineNanos the exchange's deadline on the {@link System#nanoTime()} scale
   */
  GuardedTransport(HttpTransport delegate, Duration connect, Duration read, long deadlineNanos,
      UnaryOperator<String> rewrite) {
    this.delegate = delegate;
    this.connectMillis = (int) Math.min(Integer.MAX_VALUE, connect.toMillis());
    this.readMillis = (int) Math.min(Integer.MAX_VALUE, read.toMillis());
    this.deadlineNanos = deadlineNanos;
    this.rewrite = rewrite;
  }

  /** Whether timeouts and response recording are in effect (false only if reflection is denied). */
  static boolean guarding() {
    return BUILD_REQUEST != null;
  }

  /** The last response received through this transport, or {@code null} if none arrived. */
  Response last() {
    return last;
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

  /** What came back: status, and the body when it was an error (decoded, possibly truncated). */
  record Response(String url, int status, String errorBody) {}

  private final class Request extends LowLevelHttpRequest {
    private final LowLevelHttpRequest inner;
    private final String url;

    Request(LowLevelHttpRequest inner, String url) {
      this.inner = inner;
      this.url = url;
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
      int left = (int) Math.max(1, Math.min(Integer.MAX_VALUE, (deadlineNanos - System.nanoTime()) / 1_000_000));
      inner.setContentType(getContentType());
      inner.setContentEncoding(getContentEncoding());
      inner.setContentLength(getContentLength());
      inner.setStreamingContent(getStreamingContent());
      inner.setTimeout(Math.min(connectMillis, left), Math.min(readMillis, left));
      inner.setWriteTimeout(Math.min(readMillis, left));
      LowLevelHttpResponse response = inner.execute();
      int status = response.getStatusCode();
      if (status < 300) {
        last = new Response(url, status, null);
        return response;
      }
      byte[] body = readBounded(response);
      last = new Response(url, status, decode(body, response.getContentEncoding()));
      return new Replayed(response, body);
    }
  }

  private static byte[] readBounded(LowLevelHttpResponse response) throws IOException {
    try (InputStream in = response.getContent()) {
      return in == null ? new byte[0] : in.readNBytes(MAX_ERROR_BODY);
    }
  }

  private static String decode(byte[] body, String encoding) {
    if (encoding != null && encoding.toLowerCase(java.util.Locale.ROOT).contains("gzip")) {
      try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(body))) {
        return new String(in.readNBytes(MAX_ERROR_BODY), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    }
    return new String(body, StandardCharsets.UTF_8);
  }

  /** An error response whose body was consumed for classification and is served again from memory. */
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
    public String getContentEncoding() throws IOException {
      return inner.getContentEncoding();
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
      LOG.log(Level.WARNING, "Cannot wrap google-http-client transports (" + e + "): google-http-client's default"
          + " 20 s timeouts apply to Google token requests and errors are classified from google-auth's exceptions.");
      return null;
    }
  }
}
