package io.workloadidentity.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeader;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.ProxyOptions;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Configuration;
import com.azure.core.util.Context;
import io.workloadidentity.core.internal.Endpoints;
import io.workloadidentity.core.internal.HttpDefaults;
import io.workloadidentity.core.internal.NonProxyHosts;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.lang.reflect.Method;
import java.net.Authenticator;
import java.net.PasswordAuthentication;
import java.net.Proxy;
import java.net.ProxySelector;
import java.net.SocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.http.HttpRequest.BodyPublishers;
import java.net.http.HttpResponse.BodySubscriber;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import reactor.core.publisher.Mono;

/**
 * The HTTP client of a session that was given none: the JDK's {@code java.net.http} client, owned by
 * the session and released by {@link #close()} at once, threads and sockets.
 *
 * <p>Why not azure-core's {@code JdkHttpClientBuilder}: it runs the client's tasks, and every body
 * read with a read timeout, on azure-core's JVM-wide {@code azure-sdk-global-thread} pool, and it
 * gives no way to stop the JDK client, whose selector thread and pooled connections then live until
 * a garbage collection finds the client (100 create/close cycles left 52 threads and 122 file
 * descriptors). Here the client runs on a pool this session owns, and {@link #close()} stops both.
 *
 * <p>Timeouts: {@code connectTimeout} to connect; {@code readTimeout} for the response headers to
 * arrive after the request was sent; {@code deadline} (the exchange deadline) for the whole
 * response, body included: the request is sent asynchronously and awaited with that bound, then
 * cancelled, so a server that sends a byte every few seconds (never tripping a read timeout) cannot
 * hold an attempt past it, whether or not anyone interrupts the exchange thread (the cache does, at
 * the same deadline: the wait answers interruption too). The body is collected as it arrives and
 * cancelled beyond {@link HttpDefaults#MAX_RESPONSE_BYTES} (a token response is a few KiB); nothing
 * beyond the cap is kept. The proxy is the one azure-core
 * clients use ({@code HTTPS_PROXY}/{@code NO_PROXY}, or the {@code https.proxyHost} system
 * properties), else the JDK default proxy selector.
 */
public final class JdkTransport implements HttpClient, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(JdkTransport.class.getName());
  /** The JDK refuses these request headers; it sets them itself. */
  private static final Set<String> RESTRICTED = Set.of("connection", "content-length", "expect", "host", "upgrade");
  private static final AtomicInteger IDS = new AtomicInteger();
  /** Java 21+: {@code HttpClient.shutdownNow()}, public API; null before. */
  private static final Method SHUTDOWN_NOW = shutdownNow();
  /** How long {@link #close()} waits for the client's threads to end. */
  private static final long CLOSE_WAIT_MILLIS = 1_000;

  private final java.net.http.HttpClient client;
  private final ThreadPoolExecutor executor;
  /** Every thread the executor started, joined by {@link #close()}. */
  private final Queue<Thread> started = new ConcurrentLinkedQueue<>();
  private final Duration readTimeout;
  private final Duration deadline;
  private final String authorityHost;
  private final Thread selector;

  /**
   * A new client with its own threads.
   *
   * @param connectTimeout time to establish a connection
   * @param readTimeout time for the response headers to arrive once the request is sent
   * @param deadline time for the whole response, body included
   * @param authorityHost the authority, for messages
   */
  public JdkTransport(Duration connectTimeout, Duration readTimeout, Duration deadline, String authorityHost) {
    this.readTimeout = readTimeout;
    this.deadline = deadline;
    this.authorityHost = authorityHost;
    int id = IDS.incrementAndGet();
    AtomicInteger threads = new AtomicInteger();
    // A cached pool (the JDK client's own default) whose threads this session owns and stops.
    this.executor = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), r -> {
      Thread t = new Thread(r, "workload-identity-azure-http-" + id + "-" + threads.incrementAndGet());
      t.setDaemon(true);
      started.removeIf(old -> !old.isAlive()); // only the live ones are worth joining
      started.add(t);
      return t;
    });
    java.net.http.HttpClient.Builder b = java.net.http.HttpClient.newBuilder()
        .version(java.net.http.HttpClient.Version.HTTP_1_1)
        .connectTimeout(connectTimeout)
        .executor(executor);
    Configuration configuration = Configuration.getGlobalConfiguration();
    ProxyOptions proxy = ProxyOptions.fromConfiguration(configuration);
    if (proxy != null) {
      b.proxy(new Selector(proxy, configuration));
      if (proxy.getUsername() != null && proxy.getPassword() != null) {
        b.authenticator(new ProxyAuthenticator(proxy.getUsername(), proxy.getPassword()));
      }
    }
    try {
      this.client = b.build();
    } catch (RuntimeException e) {
      executor.shutdownNow();
      throw e;
    }
    this.selector = selectorThread(client);
  }

  @Override
  public HttpResponse sendSync(HttpRequest request, Context context) {
    java.net.http.HttpRequest.Builder b;
    try {
      b = java.net.http.HttpRequest.newBuilder(request.getUrl().toURI()).timeout(readTimeout);
    } catch (URISyntaxException e) {
      throw new IllegalArgumentException("Not a URI: " + request.getUrl(), e);
    }
    for (HttpHeader h : request.getHeaders()) {
      if (!RESTRICTED.contains(h.getName().toLowerCase(Locale.ROOT))) {
        for (String v : h.getValuesList()) {
          b.header(h.getName(), v);
        }
      }
    }
    BinaryData body = request.getBodyAsBinaryData();
    b.method(request.getHttpMethod().name(),
        body == null ? BodyPublishers.noBody() : BodyPublishers.ofByteArray(body.toBytes()));
    long end = System.nanoTime() + deadline.toNanos();
    CompletableFuture<java.net.http.HttpResponse<byte[]>> pending =
        client.sendAsync(b.build(), info -> new CappedBody(info.statusCode()));
    java.net.http.HttpResponse<byte[]> r;
    try {
      r = pending.get(Math.max(0, end - System.nanoTime()), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      pending.cancel(true);
      throw EntraHttp.deadlineExceeded(deadline);
    } catch (InterruptedException e) {
      pending.cancel(true);
      Thread.currentThread().interrupt(); // the cache's deadline or close: let the exchange end
      throw new UncheckedIOException(new InterruptedIOException("Interrupted while waiting for Entra ID"));
    } catch (ExecutionException e) {
      for (Throwable t = e.getCause(); t != null; t = t.getCause()) {
        if (t instanceof TooLarge tooLarge) {
          throw EntraHttp.tooLarge(tooLarge.status, authorityHost);
        }
        if (t instanceof IOException io) {
          throw new UncheckedIOException(io);
        }
      }
      throw new UncheckedIOException(new IOException(e.getCause()));
    }
    HttpHeaders headers = new HttpHeaders();
    r.headers().map().forEach((name, values) -> headers.set(name, values));
    return new EntraHttp.Buffered(request, r.statusCode(), headers, r.body());
  }

  /**
   * Collects a body as it arrives, up to {@link HttpDefaults#MAX_RESPONSE_BYTES}: one byte more and
   * the subscription is cancelled (the connection is dropped, the rest never read) and the body
   * fails with {@link TooLarge}.
   */
  private static final class CappedBody implements BodySubscriber<byte[]> {
    private final int status;
    private final CompletableFuture<byte[]> result = new CompletableFuture<>();
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private Flow.Subscription subscription;

    CappedBody(int status) {
      this.status = status;
    }

    @Override
    public CompletionStage<byte[]> getBody() {
      return result;
    }

    @Override
    public void onSubscribe(Flow.Subscription s) {
      subscription = s;
      s.request(Long.MAX_VALUE);
    }

    @Override
    public void onNext(List<ByteBuffer> buffers) {
      if (result.isDone()) {
        return;
      }
      for (ByteBuffer buffer : buffers) {
        int n = buffer.remaining();
        if (out.size() + n > HttpDefaults.MAX_RESPONSE_BYTES) {
          subscription.cancel();
          result.completeExceptionally(new TooLarge(status));
          return;
        }
        byte[] chunk = new byte[n];
        buffer.get(chunk);
        out.write(chunk, 0, n);
      }
    }

    @Override
    public void onError(Throwable t) {
      result.completeExceptionally(t);
    }

    @Override
    public void onComplete() {
      result.complete(out.toByteArray());
    }
  }

  /** A body beyond the cap, with the status of its response. */
  private static final class TooLarge extends IOException {
    private static final long serialVersionUID = 1L;
    final int status;

    TooLarge(int status) {
      super("the response body is larger than " + HttpDefaults.MAX_RESPONSE_BYTES + " bytes");
      this.status = status;
    }
  }

  /** MSAL calls {@link #sendSync}; this is the same call, made when subscribed. */
  @Override
  public Mono<HttpResponse> send(HttpRequest request) {
    return send(request, Context.NONE);
  }

  @Override
  public Mono<HttpResponse> send(HttpRequest request, Context context) {
    return Mono.fromCallable(() -> sendSync(request, context));
  }

  /**
   * Stops the client: its connections close and its threads end; waits (about a second at most) for
   * its selector thread to end. On Java 21+ through {@code HttpClient.shutdownNow()}. Java 17 to 20
   * have no such method; there the client's selector thread is interrupted, which makes it close the
   * client's selector and every connection and end (the loop of {@code
   * jdk.internal.net.http.HttpClientImpl.SelectorManager} runs while its thread is not interrupted).
   * Idempotent; never throws.
   */
  @Override
  public void close() {
    try {
      if (SHUTDOWN_NOW != null) {
        SHUTDOWN_NOW.invoke(client);
      } else if (selector != null) {
        selector.interrupt();
      }
    } catch (ReflectiveOperationException | RuntimeException e) {
      LOG.log(Level.DEBUG, () -> "Could not stop the JDK HTTP client: " + e);
    }
    executor.shutdownNow();
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
    try {
      if (selector != null) {
        selector.join(CLOSE_WAIT_MILLIS);
      }
      executor.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      // A pool counts as terminated once its last worker has left its task loop, a moment before
      // that thread ends: join them, so that close() returns with no thread of ours left.
      for (Thread t : started) {
        long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
        if (left <= 0) {
          break;
        }
        t.join(left);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "JdkTransport{" + client + "}";
  }

  private static Method shutdownNow() {
    try {
      return java.net.http.HttpClient.class.getMethod("shutdownNow");
    } catch (NoSuchMethodException e) {
      return null;
    }
  }

  /**
   * The selector thread of {@code client}: the JDK names it {@code HttpClient-<id>-SelectorManager},
   * with the id that ends the client's {@code toString()} ("...(<id>)"), as the JDK's own tests use
   * it. Null if not found (then, before Java 21, the client is released by garbage collection, as
   * before; {@link #close()} does not wait for it).
   */
  private static Thread selectorThread(java.net.http.HttpClient client) {
    String s = client.toString();
    int open = s.lastIndexOf('(');
    int close = s.lastIndexOf(')');
    if (open < 0 || close < open) {
      return null;
    }
    String name = "HttpClient-" + s.substring(open + 1, close) + "-SelectorManager";
    ThreadGroup root = Thread.currentThread().getThreadGroup();
    while (root.getParent() != null) {
      root = root.getParent();
    }
    Thread[] all = new Thread[root.activeCount() + 16];
    int n = root.enumerate(all, true);
    for (int i = 0; i < n; i++) {
      if (name.equals(all[i].getName())) {
        return all[i];
      }
    }
    LOG.log(Level.DEBUG, () -> "No thread named " + name + ": the JDK HTTP client is released by garbage collection");
    return null;
  }

  /**
   * azure-core's proxy settings as a JDK proxy selector, with two differences from azure-core's own
   * JDK client: plain http (allowed to loopback, or elsewhere by explicit opt-in) and loopback never
   * go through the proxy, which would see the client assertion in clear; and the exempt hosts are
   * matched by {@link NonProxyHosts}, never by azure-core's regular expression, which backtracks for
   * hours on a crafted {@code NO_PROXY}.
   */
  private static final class Selector extends ProxySelector {
    private final Proxy proxy;
    private final NonProxyHosts exempt;

    @SuppressWarnings("deprecation") // Configuration.get(String): the raw values azure-core read
    Selector(ProxyOptions options, Configuration configuration) {
      this.proxy = new Proxy(options.getType().toProxyType(), options.getAddress());
      this.exempt = NonProxyHosts.parse(configuration.get(Configuration.PROPERTY_NO_PROXY),
          configuration.get("http.nonProxyHosts"));
    }

    @Override
    public List<Proxy> select(URI uri) {
      String host = uri.getHost();
      boolean direct = host == null || "http".equalsIgnoreCase(uri.getScheme()) || Endpoints.isLoopback(host)
          || exempt.matches(host);
      return List.of(direct ? Proxy.NO_PROXY : proxy);
    }

    @Override
    public void connectFailed(URI uri, SocketAddress address, IOException e) {
      // nothing to remember: the next attempt is the cache's
    }
  }

  private static final class ProxyAuthenticator extends Authenticator {
    private final String user;
    private final String password;

    ProxyAuthenticator(String user, String password) {
      this.user = user;
      this.password = password;
    }

    @Override
    protected PasswordAuthentication getPasswordAuthentication() {
      return getRequestorType() == RequestorType.PROXY ? new PasswordAuthentication(user, password.toCharArray()) : null;
    }
  }
}
