package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The Azure items measured in issue 12, end to end against the fake Entra ID: each failed on the
 * code before the fix.
 */
class MeasuredItemsTest extends EntraFixture {
  /** A token the fake did not mint; the guard looks for it everywhere. */
  static final String FORGED = SecretLeakGuard.secret(
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJodHRwczovL3ZhdWx0LmF6dXJlLm5ldCJ9.c2lnbmF0dXJlLW9mLWEtZm9yZ2Vk");

  private AzureTokenException refused(AzureWorkloadIdentityCredential credential) {
    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));
    assertThat(t).isInstanceOf(AzureTokenException.class);
    AzureTokenException e = (AzureTokenException) t;
    assertThat(e.getMessage()).doesNotContain(volume.current().value()).doesNotContain(FORGED);
    return e;
  }

  private void answer(String body) {
    entra.faults().failNext(1, Fault.response(200, "application/json; charset=utf-8", body));
  }

  @Test
  void a200WithoutAccessTokenIsATypedErrorNotANullToken() {
    answer("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599}");

    AzureTokenException e = refused(credential());

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.INVALID_RESPONSE);
    assertThat(e.getMessage()).contains("no access_token");
    assertThat(e.retryable()).isTrue();
    assertThat(posts()).hasSize(1);
  }

  @Test
  void aMissingExpiresInSaysSoAndNotCheckTheClock() {
    answer("{\"token_type\":\"Bearer\",\"access_token\":\"" + FORGED + "\"}");

    AzureTokenException e = refused(credential());

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.INVALID_RESPONSE);
    assertThat(e.getMessage()).contains("has no expires_in").doesNotContainIgnoringCase("clock");
  }

  @Test
  void aZeroOrNegativeExpiresInSaysSoAndNotCheckTheClock() {
    for (String value : new String[] {"0", "-3599"}) {
      answer("{\"token_type\":\"Bearer\",\"expires_in\":" + value + ",\"access_token\":\"" + FORGED + "\"}");
      AzureTokenException e = refused(closeLater(builder().exchangeTimeout(Duration.ofSeconds(29)
          .plusMillis(value.length())).build()));
      assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.INVALID_RESPONSE);
      assertThat(e.getMessage()).contains("expires_in " + value).contains("not positive")
          .doesNotContainIgnoringCase("clock");
    }
  }

  @Test
  void aTenYearExpiryIsCappedByTheMaximumLifetime() {
    Instant now = clock.instant();
    answer("{\"token_type\":\"Bearer\",\"expires_in\":315360000,\"access_token\":\"" + FORGED + "\"}");

    AccessToken token = credential().getTokenSync(VAULT_REQUEST);

    assertThat(token.getToken()).isEqualTo(FORGED);
    assertThat(token.getExpiresAt().toInstant()).isBeforeOrEqualTo(now.plus(Duration.ofHours(12)).plusSeconds(2));
    assertThat(token.getRefreshAt().toInstant()).isBefore(now.plus(Duration.ofHours(12)));
  }

  @Test
  void aLineBreakInTheClientIdIsRefusedLocallyBeforeAnyRequest() {
    Environment env = Environment.of(Map.of("AZURE_CLIENT_ID", CLIENT + "\r\n[OK] forged log line",
        "AZURE_TENANT_ID", TENANT, "AZURE_FEDERATED_TOKEN_FILE", volume.tokenFile().toString(),
        "AZURE_AUTHORITY_HOST", entra.authorityHost()));

    Throwable t = catchThrowable(() -> closeLater(AzureWorkloadIdentityCredential.builder().environment(env)
        .instanceDiscovery(false).clock(clock).build()).getTokenSync(VAULT_REQUEST));

    assertThat(t).isInstanceOf(ConfigurationException.class);
    assertThat(t.getMessage()).contains("AZURE_CLIENT_ID").contains("\\r\\n").doesNotContain("\r").doesNotContain("\n");
    assertThat(entra.requests()).isEmpty();
  }

  @Test
  void aTenMegabyteResponseThroughTheCallersHttpClientIsRefused() {
    StringBuilder body = new StringBuilder("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"access_token\":\"")
        .append(FORGED).append("\",\"padding\":\"");
    body.append("x".repeat(10 * 1024 * 1024)).append("\"}");
    answer(body.toString());

    AzureTokenException e = refused(closeLater(builder().httpClient(trustingClient()).build()));

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.INVALID_RESPONSE);
    assertThat(e.getMessage()).contains("larger than 65536 bytes");
  }

  @Test
  void aServerDrippingOneBytePerPauseCannotHoldAnAttemptPastItsDeadline() {
    entra.faults().failNext(1, Fault.slowBody(Duration.ofMillis(400)));
    AzureWorkloadIdentityCredential credential = closeLater(builder().exchangeTimeout(Duration.ofSeconds(2)).build());
    long start = System.nanoTime();

    // The cache's deadline and the transport's (TransportLimitsTest) are the same: whichever reports first.
    Throwable t = assertTimeoutPreemptively(Duration.ofSeconds(20),
        () -> SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST))));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(6));
    assertThat(t).isInstanceOf(io.workloadidentity.core.CredentialExchangeException.class);
    assertThat(((io.workloadidentity.core.CredentialExchangeException) t).retryable()).isTrue();
    assertThat(t.getMessage()).contains("2000 ms");
  }

  @Test
  void adversarialErrorBodiesOf64KiBAreHandledInLinearTime() {
    String[] fillers = {" ", "AADSTS", "AADSTS1", "eyJ", "eyJa.", "status code ", "Trace ID:", "\t\n", "a.", "=\"", "Bearer "};
    for (String filler : fillers) {
      String description = filler.repeat(64 * 1024 / filler.length());
      String body = "{\"error\":\"invalid_request\",\"error_description\":\"" + description.replace("\\", "\\\\")
          .replace("\"", "\\\"").replace("\t", "\\t").replace("\n", "\\n") + "\",\"error_codes\":[70021]}";
      entra.faults().failNext(1, Fault.response(400, "application/json", body));
    }
    AzureWorkloadIdentityCredential credential = credential();
    assertTimeoutPreemptively(Duration.ofSeconds(60), () -> {
      for (int i = 0; i < fillers.length; i++) {
        // a scope per body: each its own key, so each is its own attempt (no cached failure)
        TokenRequestContext request = new TokenRequestContext().addScopes("https://r" + i + ".example/.default");
        Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(request)));
        assertThat(t).isInstanceOf(AzureTokenException.class);
        assertThat(t.getMessage().length()).isLessThan(8_000);
      }
    });
    assertThat(posts()).hasSize(fillers.length);
  }
}
