package io.workloadidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class FakeResourceServerTest {
  @Test
  void answersEveryRequestTheSameAndRecordsIt() throws Exception {
    try (FakeResourceServer vault = FakeResourceServer.builder().https(true).json("{\"value\":[]}")
        .header("x-ms-request-id", "r1").build()) {
      HttpClient http = HttpClient.newBuilder().sslContext(vault.sslContext()).build();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(vault.url("/secrets/db")))
          .header("Authorization", "Bearer abc").build(), HttpResponse.BodyHandlers.ofString());

      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo("{\"value\":[]}");
      assertThat(r.headers().firstValue("x-ms-request-id")).hasValue("r1");
      ReceivedRequest seen = vault.takeRequest(Duration.ofSeconds(5));
      assertThat(seen.path()).isEqualTo("/secrets/db");
      assertThat(seen.header("authorization")).hasValue("Bearer abc");
      assertThat(vault.toString()).startsWith("FakeResourceServer[https://127.0.0.1:");
    }
  }

  @Test
  void faultsAnswerJsonWithTheirStatus() throws Exception {
    try (FakeResourceServer s3 = FakeResourceServer.start()) {
      s3.faults().failNext(1, Fault.throttled());
      HttpClient http = HttpClient.newHttpClient();
      HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(s3.url("/bucket"))).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).isEqualTo(429);
      assertThat(r.headers().firstValue("Retry-After")).hasValue("1");
      assertThat(http.send(HttpRequest.newBuilder(URI.create(s3.url("/bucket"))).build(),
          HttpResponse.BodyHandlers.ofString()).body()).isEqualTo("{}");
    }
  }
}
