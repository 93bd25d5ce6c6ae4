package io.workloadidentity.benchmarks;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpHeaders;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import java.nio.ByteBuffer;
import java.nio.charset.Charset;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * {@code AzureWorkloadIdentityCredential}'s cached read, the call an Azure SDK client makes: for a
 * scope set seen before, {@code getTokenSync} should allocate nothing. Entra is an in-process
 * azure-core {@code HttpClient} that answers every token request with a 1-hour token, so the numbers
 * are the credential's alone. Run with {@code -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class AzureCredentialBenchmark {
  private static final String TOKEN_RESPONSE =
      "{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599,\"access_token\":\"benchmark-access-token\"}";

  private AzureWorkloadIdentityCredential credential;
  /** The same request object every time, as a client that keeps one does. */
  private TokenRequestContext request;
  /** A new request object with the same scope, as azure-core's bearer policy makes per call. */
  private TokenRequestContext equalRequest;

  @Setup
  public void setUp() {
    HttpClient entra = r -> Mono.just(new TokenResponse(r));
    credential = AzureWorkloadIdentityCredential.builder()
        .environment(Environment.of(Map.of()))
        .tenantId("72f988bf-86f1-41af-91ab-2d7cd011db47")
        .clientId("5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11")
        .authorityHost("https://login.benchmark.invalid/")
        .instanceDiscovery(false)
        .tokenSource(TokenSource.of(ProjectedToken.parse(projectedToken())))
        .httpClient(entra)
        .build();
    request = new TokenRequestContext().addScopes("https://vault.azure.net/.default");
    equalRequest = new TokenRequestContext().addScopes("https://vault.azure.net/.default");
    credential.getTokenSync(request);
  }

  @TearDown
  public void tearDown() {
    credential.close();
  }

  @Benchmark
  @Threads(1)
  public AccessToken getTokenSync1Thread() {
    return credential.getTokenSync(request);
  }

  @Benchmark
  @Threads(2)
  public AccessToken getTokenSync2Threads() {
    return credential.getTokenSync(request);
  }

  /** Another request object with equal content: matched by content, still no allocation. */
  @Benchmark
  @Threads(1)
  public AccessToken getTokenSyncEqualRequest() {
    return credential.getTokenSync(equalRequest);
  }

  /** The reactive call as a pipeline makes it: {@code getToken} and a subscription. */
  @Benchmark
  @Threads(1)
  public AccessToken getTokenBlock() {
    return credential.getToken(request).block();
  }

  /** A JWT-shaped projected token; never verified here (Entra is a stand-in). */
  private static String projectedToken() {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    long now = Instant.now().getEpochSecond();
    String header = "{\"alg\":\"RS256\",\"kid\":\"benchmark\"}";
    String claims = "{\"iss\":\"https://issuer.benchmark.invalid\",\"sub\":\"system:serviceaccount:default:app\","
        + "\"aud\":[\"api://AzureADTokenExchange\"],\"iat\":" + now + ",\"nbf\":" + now + ",\"exp\":" + (now + 86_400) + "}";
    return b64.encodeToString(header.getBytes(StandardCharsets.UTF_8)) + "."
        + b64.encodeToString(claims.getBytes(StandardCharsets.UTF_8)) + "." + b64.encodeToString(new byte[256]);
  }

  /** Entra's answer to a token request, derived from one string. */
  private static final class TokenResponse extends HttpResponse {
    TokenResponse(HttpRequest request) {
      super(request);
    }

    @Override
    public int getStatusCode() {
      return 200;
    }

    @Override
    @Deprecated
    public String getHeaderValue(String name) {
      return "Content-Type".equalsIgnoreCase(name) ? "application/json" : null;
    }

    @Override
    public HttpHeaders getHeaders() {
      return new HttpHeaders().set(HttpHeaderName.CONTENT_TYPE, "application/json");
    }

    @Override
    public Flux<ByteBuffer> getBody() {
      return getBodyAsByteArray().map(ByteBuffer::wrap).flux();
    }

    @Override
    public Mono<byte[]> getBodyAsByteArray() {
      return getBodyAsString().map(text -> text.getBytes(StandardCharsets.UTF_8));
    }

    @Override
    public Mono<String> getBodyAsString() {
      return Mono.just(TOKEN_RESPONSE);
    }

    @Override
    public Mono<String> getBodyAsString(Charset charset) {
      return getBodyAsString();
    }
  }
}
