package io.workloadidentity.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.util.BinaryData;
import com.azure.core.util.Context;
import io.workloadidentity.azure.AzureTokenException;
import io.workloadidentity.core.internal.HttpDefaults;
import java.io.ByteArrayOutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.MalformedURLException;
import java.net.URL;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The HTTP pipeline of token requests: the transport, the checks of what comes back, and nothing
 * that retries.
 *
 * <p>Retries belong to the credential cache, which backs off and keeps serving the valid token. The
 * stack below would otherwise multiply them: azure-identity's default {@code RetryPolicy} (3 retries,
 * 0.8-8 s) times MSAL4J's own retry (one more attempt after a 1 s sleep on any 5xx), which turns one
 * 503 into 8 requests and about 12 s. Giving azure-identity a ready-made pipeline removes its
 * {@code RetryPolicy}; {@link SuppressMsalRetry} stops MSAL's.
 *
 * <p>Checks: every response is read with a cap of {@link HttpDefaults#MAX_RESPONSE_BYTES} and within
 * the exchange deadline, whoever the transport is ({@link JdkTransport} does both itself; a caller's
 * client or pipeline is wrapped by {@link #bounded}); a 200 answer of the token endpoint is checked by
 * {@link EntraTokenResponse} before MSAL reads it ({@link CheckTokenResponse}).
 */
public final class EntraHttp {
  private static final System.Logger LOG = System.getLogger(EntraHttp.class.getName());

  private EntraHttp() {}

  /**
   * The pipeline for token requests over {@code client}.
   *
   * @param client the transport: {@link JdkTransport}, or a caller's client {@linkplain #bounded bounded}
   * @param settings the session's settings (the authority, for messages and plain http)
   * @return a pipeline without retries
   */
  public static HttpPipeline pipeline(HttpClient client, AzureSettings settings) {
    List<HttpPipelinePolicy> policies = new ArrayList<>();
    policies.add(new SuppressMsalRetry());
    if (settings.plainHttp()) {
      policies.add(new PlainHttp(settings.authorityHost()));
    }
    policies.add(new CheckTokenResponse(settings.authorityHost()));
    return new HttpPipelineBuilder().httpClient(client).policies(policies.toArray(new HttpPipelinePolicy[0])).build();
  }

  /** A caller's whole pipeline used as the transport: its policies (and retries, if any) are the caller's choice. */
  public static HttpClient asClient(HttpPipeline pipeline) {
    return new HttpClient() {
      @Override
      public Mono<HttpResponse> send(HttpRequest request) {
        return pipeline.send(request);
      }

      @Override
      public Mono<HttpResponse> send(HttpRequest request, Context context) {
        return pipeline.send(request, context);
      }

      @Override
      public HttpResponse sendSync(HttpRequest request, Context context) {
        return pipeline.sendSync(request, context);
      }
    };
  }

  /**
   * A caller's client (or pipeline) held to this module's limits: each request through its
   * asynchronous {@code send} (every client implements it, and cancelling it stops the request where
   * a blocking {@code sendSync} might ignore an interrupt), the whole response, body included, within
   * {@code deadline}, and at most {@link HttpDefaults#MAX_RESPONSE_BYTES} of body read (the rest is
   * cancelled unread).
   *
   * @param client the caller's client
   * @param deadline the longest one request may take, headers and body: the exchange deadline
   * @param authorityHost the authority, for messages
   * @return the bounded client; closing nothing (the caller's client stays the caller's)
   */
  public static HttpClient bounded(HttpClient client, Duration deadline, String authorityHost) {
    return new Bounded(client, deadline, authorityHost);
  }

  /** The refusal of a body beyond the cap: typed, retryable, nothing of it quoted. */
  static AzureTokenException tooLarge(int status, String authorityHost) {
    return EntraErrors.invalidResponse("the body is larger than " + HttpDefaults.MAX_RESPONSE_BYTES + " bytes; it was"
        + " not read further", status, authorityHost);
  }

  /** The failure of a request that did not complete within its deadline, as the I/O error it is. */
  static UncheckedIOException deadlineExceeded(Duration deadline) {
    return new UncheckedIOException(new HttpTimeoutException("no complete response from Entra ID within "
        + deadline.toMillis() + " ms (the exchange deadline)"));
  }

  private static final class Bounded implements HttpClient {
    private final HttpClient delegate;
    private final Duration deadline;
    private final String authorityHost;

    Bounded(HttpClient delegate, Duration deadline, String authorityHost) {
      this.delegate = Objects.requireNonNull(delegate, "delegate");
      this.deadline = deadline;
      this.authorityHost = authorityHost;
    }

    @Override
    public Mono<HttpResponse> send(HttpRequest request) {
      return send(request, Context.NONE);
    }

    @Override
    public Mono<HttpResponse> send(HttpRequest request, Context context) {
      return Mono.defer(() -> delegate.send(request, context))
          .flatMap(this::readCapped)
          .timeout(deadline)
          .onErrorMap(TimeoutException.class, e -> deadlineExceeded(deadline));
    }

    /** Blocks on {@link #send}; an interrupt (the cache's deadline, a close) cancels the request. */
    @Override
    public HttpResponse sendSync(HttpRequest request, Context context) {
      return send(request, context).block();
    }

    private Mono<HttpResponse> readCapped(HttpResponse response) {
      if (response instanceof Buffered) {
        return Mono.just(response);
      }
      Flux<ByteBuffer> body = response.getBody();
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      int status = response.getStatusCode();
      Flux<ByteBuffer> source = body == null ? Flux.empty() : body;
      return source.<byte[]>handle((buffer, sink) -> {
        int n = buffer.remaining();
        if (out.size() + n > HttpDefaults.MAX_RESPONSE_BYTES) {
          sink.error(tooLarge(status, authorityHost)); // cancels the rest of the body
          return;
        }
        byte[] chunk = new byte[n];
        buffer.duplicate().get(chunk);
        out.write(chunk, 0, n);
      }).then(Mono.fromCallable(() -> (HttpResponse) new Buffered(response.getRequest(), status,
          new HttpHeaders().setAllHttpHeaders(response.getHeaders()), out.toByteArray())))
          .doFinally(signal -> response.close());
    }
  }

  /**
   * Checks the token endpoint's answers before MSAL reads them. A 200 answer goes through {@link
   * EntraTokenResponse}: one without a usable token or lifetime is refused here with the reason,
   * typed, instead of becoming a null token or one that expires on arrival; logs (once per session)
   * when {@code expires_on} shows this machine's clock is off. An error answer that is not Entra's
   * error JSON (a gateway's HTML page) is refused typed by its status, which MSAL would lose.
   */
  static final class CheckTokenResponse implements HttpPipelinePolicy {
    private final String authorityHost;
    private final AtomicBoolean skewLogged = new AtomicBoolean();

    CheckTokenResponse(String authorityHost) {
      this.authorityHost = authorityHost;
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
      HttpRequest request = context.getHttpRequest();
      return next.process().map(r -> check(request, r));
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
      HttpRequest request = context.getHttpRequest();
      return check(request, next.processSync());
    }

    private HttpResponse check(HttpRequest request, HttpResponse response) {
      int status = response.getStatusCode();
      if (status != 200 && status < 400 || request.getHttpMethod() != HttpMethod.POST
          || !isTokenEndpoint(request.getUrl())) {
        return response;
      }
      byte[] body = response instanceof Buffered b ? b.body : null;
      if (body == null) { // not through one of our transports: cannot happen, but never read unbounded
        response.close();
        throw EntraErrors.invalidResponse("the body was not read through a bounded transport", status, authorityHost);
      }
      if (status >= 400) {
        String text = new String(body, StandardCharsets.UTF_8);
        if (EntraTokenResponse.isEntraError(text)) {
          // MSAL reads Entra's errors (and EntraErrors maps what MSAL makes of them), but MSAL and
          // azure-identity also log that text themselves: they get it redacted and escaped.
          Buffered b = (Buffered) response;
          return new Buffered(request, status, b.headers(), EntraErrorBodies.sanitized(text));
        }
        throw EntraErrors.foreignAnswer(status, response.getHeaderValue(HttpHeaderName.CONTENT_TYPE), text, authorityHost);
      }
      try {
        EntraTokenResponse parsed = EntraTokenResponse.parse(new String(body, StandardCharsets.UTF_8));
        parsed.clockSkew(Instant.now().getEpochSecond()).ifPresent(warning -> {
          if (skewLogged.compareAndSet(false, true)) {
            LOG.log(Level.WARNING, warning + " (logged once)");
          }
        });
        return response;
      } catch (EntraTokenResponse.Invalid invalid) {
        throw EntraErrors.invalidResponse(invalid.getMessage(), 200, authorityHost);
      }
    }

    /** {@code .../oauth2/v2.0/token} (Entra) or {@code .../oauth2/token} (v1, ADFS). */
    static boolean isTokenEndpoint(URL url) {
      String path = url.getPath();
      return path.endsWith("/oauth2/v2.0/token") || path.endsWith("/oauth2/token");
    }
  }

  /**
   * An authority configured with plain http (loopback, or explicitly allowed): azure-identity and
   * MSAL accept only https authorities, so they are given the https form of the same host and port,
   * and this turns the requests to exactly that host and port back into http.
   */
  static final class PlainHttp implements HttpPipelinePolicy {
    private final String httpsPrefix;
    private final String httpPrefix;

    PlainHttp(String authorityHost) {
      this.httpPrefix = authorityHost; // http://host[:port]/
      this.httpsPrefix = "https://" + authorityHost.substring("http://".length());
    }

    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
      rewrite(context.getHttpRequest());
      return next.process();
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
      rewrite(context.getHttpRequest());
      return next.processSync();
    }

    private void rewrite(HttpRequest request) {
      String url = request.getUrl().toString();
      if (url.regionMatches(true, 0, httpsPrefix, 0, httpsPrefix.length())) {
        try {
          request.setUrl(new URL(httpPrefix + url.substring(httpsPrefix.length())));
        } catch (MalformedURLException e) {
          throw new IllegalStateException("Cannot rewrite " + url + " to http", e);
        }
      }
    }
  }

  /**
   * MSAL4J 1.23 (azure-identity 1.18) retries a 5xx response once after sleeping 1 s, and
   * azure-identity offers no switch for it; MSAL skips that retry when the response carries a valid
   * {@code Retry-After} (1-3600 s). So a 5xx without one gets {@code Retry-After: 1} here. MSAL
   * confidential clients keep no throttling state, so the header has no other effect. (azure-identity
   * 1.19 turns MSAL's retry off itself; this policy is then a no-op in effect.)
   */
  static final class SuppressMsalRetry implements HttpPipelinePolicy {
    @Override
    public Mono<HttpResponse> process(HttpPipelineCallContext context, HttpPipelineNextPolicy next) {
      return next.process().map(SuppressMsalRetry::mark);
    }

    @Override
    public HttpResponse processSync(HttpPipelineCallContext context, HttpPipelineNextSyncPolicy next) {
      return mark(next.processSync());
    }

    private static HttpResponse mark(HttpResponse response) {
      if (response.getStatusCode() < 500 || response.getHeaderValue(HttpHeaderName.RETRY_AFTER) != null) {
        return response;
      }
      HttpHeaders headers = new HttpHeaders().setAllHttpHeaders(response.getHeaders()).set(HttpHeaderName.RETRY_AFTER, "1");
      byte[] body = response instanceof Buffered b ? b.body : new byte[0]; // transports always buffer (bounded)
      response.close();
      return new Buffered(response.getRequest(), response.getStatusCode(), headers, body);
    }
  }

  /** A response read in full: token responses are a few KiB, and MSAL reads them as one string anyway. */
  static final class Buffered extends HttpResponse {
    private final int status;
    private final HttpHeaders headers;
    final byte[] body;

    Buffered(HttpRequest request, int status, HttpHeaders headers, byte[] body) {
      super(request);
      this.status = status;
      this.headers = headers;
      this.body = body;
    }

    HttpHeaders headers() {
      HttpHeaders copy = new HttpHeaders(headers);
      copy.remove(HttpHeaderName.CONTENT_LENGTH); // the body may be rewritten
      return copy;
    }

    @Override
    public int getStatusCode() {
      return status;
    }

    @Override
    @Deprecated
    public String getHeaderValue(String name) {
      return headers.getValue(name);
    }

    @Override
    public String getHeaderValue(HttpHeaderName name) {
      return headers.getValue(name);
    }

    @Override
    public HttpHeaders getHeaders() {
      return headers;
    }

    @Override
    public Flux<ByteBuffer> getBody() {
      return Flux.just(ByteBuffer.wrap(body).asReadOnlyBuffer());
    }

    @Override
    public BinaryData getBodyAsBinaryData() {
      return BinaryData.fromBytes(body);
    }

    @Override
    public Mono<byte[]> getBodyAsByteArray() {
      return Mono.just(body.clone());
    }

    @Override
    public Mono<String> getBodyAsString() {
      return getBodyAsString(StandardCharsets.UTF_8);
    }

    @Override
    public Mono<String> getBodyAsString(Charset charset) {
      return Mono.just(new String(body, charset));
    }
  }
}
