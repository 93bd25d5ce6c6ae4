package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpHeaderName;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.util.Context;
import io.workloadidentity.azure.internal.EntraHttp;
import io.workloadidentity.azure.internal.JdkTransport;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.io.UncheckedIOException;
import java.net.http.HttpTimeoutException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Both transports hold each request to the exchange deadline, body included, and to the 64 KiB
 * body cap, on their own: these calls run on the test thread, which nobody interrupts. Before the
 * fix the default transport read a dripped body for minutes and a caller's client read 10 MB.
 */
class TransportLimitsTest extends EntraFixture {
  private static final Duration DEADLINE = Duration.ofMillis(1500);

  private HttpRequest tokenRequest() {
    return new HttpRequest(HttpMethod.POST, entra.url(FakeEntraId.tokenPath(TENANT)))
        .setHeader(HttpHeaderName.CONTENT_TYPE, "application/x-www-form-urlencoded")
        .setBody("grant_type=client_credentials&client_id=" + CLIENT);
  }

  private JdkTransport defaultTransport() {
    return closeLater(new JdkTransport(Duration.ofSeconds(2), Duration.ofSeconds(5), DEADLINE, entra.authorityHost()));
  }

  private HttpClient callersClient() {
    return EntraHttp.bounded(trustingClient(), DEADLINE, entra.authorityHost());
  }

  /** A whole request, body read, as MSAL makes it. */
  private static void call(HttpClient client, HttpRequest request) {
    try (HttpResponse r = client.sendSync(request, Context.NONE)) {
      r.getBodyAsBinaryData().toBytes();
    }
  }

  private void assertDeadlineHolds(HttpClient client) {
    entra.faults().failNext(1, Fault.slowBody(Duration.ofMillis(300)));
    long start = System.nanoTime();

    Throwable t = assertTimeoutPreemptively(Duration.ofSeconds(30),
        () -> catchThrowable(() -> call(client, tokenRequest())));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(DEADLINE.plusSeconds(3));
    assertThat(t).isInstanceOf(UncheckedIOException.class).hasCauseInstanceOf(HttpTimeoutException.class)
        .hasMessageContaining("1500 ms (the exchange deadline)");
  }

  private void assertCapHolds(HttpClient client) {
    entra.faults().failNext(1, Fault.response(200, "application/json", "{\"pad\":\"" + "x".repeat(10 << 20) + "\"}"));

    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> call(client, tokenRequest())));

    assertThat(t).isInstanceOf(AzureTokenException.class);
    AzureTokenException e = (AzureTokenException) t;
    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.INVALID_RESPONSE);
    assertThat(e.httpStatus()).hasValue(200);
    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains("larger than 65536 bytes").doesNotContain("xxxx");
  }

  @Test
  void theDefaultTransportEndsADrippedBodyAtTheDeadline() {
    assertDeadlineHolds(defaultTransport());
  }

  @Test
  void aCallersClientIsHeldToTheDeadlineToo() {
    assertDeadlineHolds(callersClient());
  }

  @Test
  void theDefaultTransportReadsAtMost64KiB() {
    assertCapHolds(defaultTransport());
  }

  @Test
  void aCallersClientReadsAtMost64KiB() {
    assertCapHolds(callersClient());
  }

  @Test
  void aBodyOfExactly64KiBIsRead() {
    String body = "{\"pad\":\"" + "x".repeat(64 * 1024 - 10) + "\"}";
    assertThat(body).hasSize(64 * 1024);
    for (HttpClient client : new HttpClient[] {defaultTransport(), callersClient()}) {
      entra.faults().failNext(1, Fault.response(400, "application/json", body));
      try (HttpResponse r = client.sendSync(tokenRequest(), Context.NONE)) {
        assertThat(r.getStatusCode()).isEqualTo(400);
        assertThat(r.getBodyAsBinaryData().toBytes()).hasSize(64 * 1024);
      }
    }
  }
}
