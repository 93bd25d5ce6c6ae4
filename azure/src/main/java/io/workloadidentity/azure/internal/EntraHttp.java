package io.workloadidentity.azure.internal;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
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
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The HTTP pipeline of token requests: the transport and nothing that retries.
 *
 * <p>Retries belong to the credential cache, which backs off and keeps serving the valid token. The
 * stack below would otherwise multiply them: azure-identity's default {@code RetryPolicy} (3 retries,
 * 0.8-8 s) times MSAL4J's own retry (one more attempt after a 1 s sleep on any 5xx), which turns one
 * 503 into 8 requests and about 12 s. Giving azure-identity a ready-made pipeline removes its
 * {@code RetryPolicy}; {@link SuppressMsalRetry} stops MSAL's.
 */
public final class EntraHttp {
  private EntraHttp() {}

  /**
   * The pipeline for token requests over {@code client}.
   *
   * @param client the transport: the caller's client, or this module's {@link JdkTransport}
   * @return a pipeline without retries
   */
  public static HttpPipeline pipeline(HttpClient client) {
    return new HttpPipelineBuilder().httpClient(client).policies(new SuppressMsalRetry()).build();
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
      try (response) {
        return new Buffered(response.getRequest(), response.getStatusCode(), headers,
            response.getBodyAsBinaryData().toBytes());
      }
    }
  }

  /** A response read in full: token responses are a few KiB, and MSAL reads them as one string anyway. */
  static final class Buffered extends HttpResponse {
    private final int status;
    private final HttpHeaders headers;
    private final byte[] body;

    Buffered(HttpRequest request, int status, HttpHeaders headers, byte[] body) {
      super(request);
      this.status = status;
      this.headers = headers;
      this.body = body;
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
