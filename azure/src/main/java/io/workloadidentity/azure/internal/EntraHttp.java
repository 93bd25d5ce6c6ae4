package io.workloadidentity.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpPipelineCallContext;
import com.azure.core.http.HttpPipelineNextPolicy;
import com.azure.core.http.HttpPipelineNextSyncPolicy;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.HttpPipelinePolicy;
import com.azure.core.util.BinaryData;
import com.azure.core.util.HttpClientOptions;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.time.Duration;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The HTTP pipeline of token requests: the caller's transport and nothing that retries.
 *
 * <p>Retries belong to the credential cache, which backs off and keeps serving the valid token. The
 * stack below would otherwise multiply them: azure-identity's default {@code RetryPolicy} (3 retries,
 * 0.8-8 s) times MSAL4J's own retry (one more attempt after a 1 s sleep on any 5xx), which turns one
 * 503 into 8 requests and about 12 s. Giving azure-identity a ready-made pipeline removes its
 * {@code RetryPolicy}; {@link SuppressMsalRetry} stops MSAL's.
 */
public final class EntraHttp {
  /** Used only for the client this library creates; a caller's own client keeps its own timeouts. */
  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RESPONSE_TIMEOUT = Duration.ofSeconds(30);

  private EntraHttp() {}

  /** The pipeline for token requests over {@code client}, or a default client when {@code null}. */
  public static HttpPipeline pipeline(HttpClient client) {
    return new HttpPipelineBuilder()
        .httpClient(client != null ? client : defaultClient())
        .policies(new SuppressMsalRetry())
        .build();
  }

  /** A caller's whole pipeline used as the transport: its policies (and retries, if any) are the caller's choice. */
  public static HttpClient asClient(HttpPipeline pipeline) {
    return new HttpClient() {
      @Override
      public Mono<HttpResponse> send(com.azure.core.http.HttpRequest request) {
        return pipeline.send(request);
      }

      @Override
      public Mono<HttpResponse> send(com.azure.core.http.HttpRequest request, com.azure.core.util.Context context) {
        return pipeline.send(request, context);
      }

      @Override
      public HttpResponse sendSync(com.azure.core.http.HttpRequest request, com.azure.core.util.Context context) {
        return pipeline.sendSync(request, context);
      }
    };
  }

  /**
   * azure-core's default client (the JDK one with this module's dependencies, Netty or OkHttp if the
   * application put one on the class path instead), with timeouts so that a hung connection cannot
   * stall the refresh for good.
   */
  static HttpClient defaultClient() {
    return HttpClient.createDefault(new HttpClientOptions()
        .setConnectTimeout(CONNECT_TIMEOUT)
        .setResponseTimeout(RESPONSE_TIMEOUT)
        .setReadTimeout(RESPONSE_TIMEOUT));
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
      return new WithHeaders(response, headers);
    }
  }

  /** A response with different headers and the same status and body. */
  private static final class WithHeaders extends HttpResponse {
    private final HttpResponse delegate;
    private final HttpHeaders headers;

    WithHeaders(HttpResponse delegate, HttpHeaders headers) {
      super(delegate.getRequest());
      this.delegate = delegate;
      this.headers = headers;
    }

    @Override
    public int getStatusCode() {
      return delegate.getStatusCode();
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
      return delegate.getBody();
    }

    @Override
    public BinaryData getBodyAsBinaryData() {
      return delegate.getBodyAsBinaryData();
    }

    @Override
    public Mono<byte[]> getBodyAsByteArray() {
      return delegate.getBodyAsByteArray();
    }

    @Override
    public Mono<String> getBodyAsString() {
      return delegate.getBodyAsString();
    }

    @Override
    public Mono<String> getBodyAsString(Charset charset) {
      return delegate.getBodyAsString(charset);
    }

    @Override
    public void close() {
      delegate.close();
    }
  }
}
