package io.workloadidentity.testkit.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.Faults;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.TestClock;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;
import okhttp3.FormBody;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class FakeServerTest {
  /** The smallest fake cloud: echoes a form field as JSON, errors as {"error":code}. */
  static FakeServer echo(boolean https, TestClock clock) {
    Faults faults = Faults.create(clock);
    return new FakeServer("echo", https, clock, faults, new FakeServer.Behaviour() {
      @Override
      public MockResponse handle(RecordedRequest request) {
        if (request.getUrl().encodedPath().equals("/boom")) {
          throw new IllegalStateException("bug in the fake");
        }
        return FakeServer.json(200, Map.of("name", FakeServer.form(request).getOrDefault("name", "?")));
      }

      @Override
      public MockResponse renderFault(Fault fault, RecordedRequest request) {
        return FakeServer.json(fault.status(), Map.of("error", fault.code().orElse(fault.kind().name())));
      }

      @Override
      public Fault nextFault(String path) {
        return faults.next(path);
      }

      @Override
      public Duration latency(String path) {
        return faults.latency();
      }
    });
  }

  TestClock clock = TestClock.at(Instant.parse("2025-01-15T10:00:00Z"));
  FakeServer server = echo(false, clock);
  OkHttpClient client = new OkHttpClient.Builder().retryOnConnectionFailure(false).build();

  @AfterEach
  void stop() {
    server.close();
  }

  @Test
  void recordsRequestsWithTheirOutcome() throws Exception {
    assertThat(call("/token", "ada")).isEqualTo("200 {\"name\":\"ada\"}");
    call("/other", "bob");
    assertThat(server.requestCount()).isEqualTo(2);
    assertThat(server.requestCount("/token")).isEqualTo(1);
    ReceivedRequest r = server.requests("/token").get(0);
    assertThat(r.method()).isEqualTo("POST");
    assertThat(r.form()).containsEntry("name", "ada");
    assertThat(r.header("Content-Type")).hasValueSatisfying(v -> assertThat(v).startsWith("application/x-www-form-urlencoded"));
    assertThat(r.receivedAt()).isEqualTo(clock.instant());
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.fault()).isEmpty();
    assertThat(r.toString()).isEqualTo("POST /token -> 200").doesNotContain("ada");
  }

  @Test
  void failNextFailsExactlyNRequestsThenAnswersNormally() throws Exception {
    server.faults().failNext(2, Fault.error(400, "Nope", "no")).failNext(1, Fault.serverError(503));
    assertThat(call("/token", "a")).isEqualTo("400 {\"error\":\"Nope\"}");
    assertThat(call("/token", "a")).isEqualTo("400 {\"error\":\"Nope\"}");
    assertThat(call("/token", "a")).isEqualTo("503 {\"error\":\"SERVER_ERROR\"}");
    assertThat(call("/token", "a")).startsWith("200");
    assertThat(server.requests()).extracting(ReceivedRequest::status).containsExactly(400, 400, 503, 200);
    assertThat(server.faults().pending()).isZero();
  }

  @Test
  void pathScopedFaultsOnlyHitTheirPath() throws Exception {
    server.faults().failAlways("/token", Fault.throttled());
    assertThat(call("/other", "a")).startsWith("200");
    assertThat(call("/token", "a")).isEqualTo("429 {\"error\":\"THROTTLED\"}");
    assertThat(call("/token", "a")).startsWith("429");
    server.faults().clear();
    assertThat(call("/token", "a")).startsWith("200");
  }

  @Test
  void rateLimitThrottlesBeyondNPerSecondOfTheClock() throws Exception {
    server.faults().rateLimit(3);
    for (int i = 0; i < 3; i++) {
      assertThat(call("/token", "a")).startsWith("200");
    }
    assertThat(call("/token", "a")).startsWith("429");
    clock.advance(Duration.ofSeconds(1));
    assertThat(call("/token", "a")).startsWith("200");
  }

  @Test
  void connectionResetIsAnIOExceptionForTheClient() throws Exception {
    server.faults().failNext(1, Fault.connectionReset());
    assertThatThrownBy(() -> call("/token", "a")).isInstanceOf(IOException.class);
    assertThat(server.requests().get(0).status()).isZero();
    assertThat(call("/token", "a")).startsWith("200");
  }

  @Test
  void malformedBodyIsTheNormalAnswerCutShort() throws Exception {
    server.faults().failNext(1, Fault.malformedBody());
    assertThat(call("/token", "abcdef")).isEqualTo("200 {\"name\":");
  }

  @Test
  void aResponseFaultAnswersExactlyWhatTheTestChose() throws Exception {
    server.faults().failNext(1, Fault.response(200, "application/json", "{\"access_token\": 7}"));
    assertThat(call("/token", "a")).isEqualTo("200 {\"access_token\": 7}");
    assertThat(server.requests().get(0).fault()).hasValueSatisfying(f -> assertThat(f.kind()).isEqualTo(Fault.Kind.RESPONSE));
    assertThat(call("/token", "a")).isEqualTo("200 {\"name\":\"a\"}");
    assertThat(Fault.response(502, "text/html", "secret-ish body").toString()).doesNotContain("secret-ish")
        .contains("15 characters");
    assertThatThrownBy(() -> Fault.response(99, "text/plain", "")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aSlowBodyDripsTheNormalAnswerByteByByte() throws Exception {
    server.faults().failNext(1, Fault.slowBody(Duration.ofMillis(40)));
    OkHttpClient impatient = client.newBuilder().readTimeout(1, TimeUnit.SECONDS).build();
    long start = System.nanoTime();
    // {"name":"abc"} is 14 bytes: about 13 pauses of 40 ms, none near the 1 s read timeout.
    assertThat(call(impatient, server.url("/token"), "abc")).isEqualTo("200 {\"name\":\"abc\"}");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(400));
    assertThatThrownBy(() -> Fault.slowBody(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThat(Fault.slowBody(Duration.ofSeconds(2)).pause()).contains(Duration.ofSeconds(2));
  }

  @Test
  void latencyDelaysTheResponseAndTripsClientTimeouts() throws Exception {
    server.faults().latency(Duration.ofMillis(300));
    long start = System.nanoTime();
    assertThat(call("/token", "a")).startsWith("200");
    assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(300));

    OkHttpClient impatient = client.newBuilder().readTimeout(50, TimeUnit.MILLISECONDS).build();
    assertThatThrownBy(() -> call(impatient, server.url("/token"), "a")).isInstanceOf(InterruptedIOException.class);
  }

  @Test
  void takeRequestReturnsRequestsInOrderOnceAndWaitsWithADeadline() throws Exception {
    call("/token", "ada");
    call("/other", "bob");
    assertThat(server.takeRequest(Duration.ofSeconds(5)).form()).containsEntry("name", "ada");
    assertThat(server.takeRequest(Duration.ofSeconds(5)).path()).isEqualTo("/other");
    assertThat(server.requests()).hasSize(2); // taking does not forget
    assertThatThrownBy(() -> server.takeRequest(Duration.ofMillis(20)))
        .isInstanceOf(AssertionError.class).hasMessageContaining("echo");
  }

  @Test
  void aBugInTheFakeIsA500() throws Exception {
    assertThat(call("/boom", "a")).startsWith("500 testkit echo fake server error: java.lang.IllegalStateException");
  }

  @Test
  void httpsWithACertificateFromTheTestkitCa() throws Exception {
    try (FakeServer tls = echo(true, clock)) {
      assertThat(tls.baseUrl()).startsWith("https://127.0.0.1:");
      OkHttpClient trusting = client.newBuilder().sslSocketFactory(tls.sslSocketFactory(), tls.trustManager()).build();
      assertThat(call(trusting, tls.url("/token"), "x")).isEqualTo("200 {\"name\":\"x\"}");
      OkHttpClient byName = trusting;
      assertThat(call(byName, tls.url("/token").replace("127.0.0.1", "localhost"), "y")).startsWith("200");
      assertThatThrownBy(() -> call(new OkHttpClient(), tls.url("/token"), "z")).isInstanceOf(IOException.class);
    }
  }

  private String call(String path, String name) throws IOException {
    return call(client, server.url(path), name);
  }

  private static String call(OkHttpClient c, String url, String name) throws IOException {
    Request request = new Request.Builder().url(url).post(new FormBody.Builder().add("name", name).build()).build();
    try (Response r = c.newCall(request).execute()) {
      return r.code() + " " + r.body().string();
    }
  }
}
