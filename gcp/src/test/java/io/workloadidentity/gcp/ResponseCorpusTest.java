package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.gcp.GcpCredentialsException.Reason;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Unusable 200 responses from the fakes, end to end: each surfaces as a {@link GcpCredentialsException}
 * {@link Reason#UNEXPECTED_RESPONSE} (alone, or as the cause of google-auth's {@code IOException})
 * whose message names the endpoint and the defect, never the token the body carried, and no
 * credentials are served.
 */
class ResponseCorpusTest extends GcpFixture {
  static final String LEAKED = SecretLeakGuard.secret("ya29.leaked-" + System.nanoTime());
  static final String OAUTH_TAIL = "\"issued_token_type\": \"urn:ietf:params:oauth:token-type:access_token\","
      + " \"token_type\": \"Bearer\"";

  static Arguments bad(String name, String body, String... fragments) {
    return Arguments.of(name, body, List.of(fragments));
  }

  static Stream<Arguments> stsBodies() {
    return Stream.of(
        bad("truncated", "{\"access_token\": \"" + LEAKED + "\", \"expires_", "not a JSON object"),
        bad("empty", "", "body is empty"),
        bad("HTML", "<html>proxy login</html>", "not a JSON object"),
        bad("no access_token", "{\"expires_in\": 3599, " + OAUTH_TAIL + "}", "no \"access_token\""),
        bad("access_token a number", "{\"access_token\": 7, \"expires_in\": 3599, " + OAUTH_TAIL + "}", "not a string"),
        bad("access_token empty", "{\"access_token\": \"\", \"expires_in\": 3599, " + OAUTH_TAIL + "}", "is empty"),
        bad("access_token with CR/LF", "{\"access_token\": \"" + LEAKED + "\\r\\nX: 1\", \"expires_in\": 3599, "
            + OAUTH_TAIL + "}", "a control character"),
        bad("no expires_in", "{\"access_token\": \"" + LEAKED + "\", " + OAUTH_TAIL + "}", "no \"expires_in\""),
        bad("expires_in 0", "{\"access_token\": \"" + LEAKED + "\", \"expires_in\": 0, " + OAUTH_TAIL + "}", "is 0"),
        bad("expires_in -1", "{\"access_token\": \"" + LEAKED + "\", \"expires_in\": -1, " + OAUTH_TAIL + "}", "is -1"),
        bad("expires_in 1e30", "{\"access_token\": \"" + LEAKED + "\", \"expires_in\": 1e30, " + OAUTH_TAIL + "}",
            "expires_in"),
        bad("expires_in a word", "{\"access_token\": \"" + LEAKED + "\", \"expires_in\": \"soon\", " + OAUTH_TAIL + "}",
            "\"soon\""),
        bad("nested 1000 deep", "{\"access_token\": \"" + LEAKED + "\", \"x\": " + "[".repeat(1000) + "]".repeat(1000)
            + "}", "deeper than"),
        bad("a 100 KiB token", "{\"access_token\": \"ya29." + "b".repeat(100 * 1024) + "\", \"expires_in\": 3599, "
            + OAUTH_TAIL + "}", "65536 bytes"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("stsBodies")
  void anUnusableStsResponseIsTyped(String name, String body, List<String> fragments) {
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.response(200, "application/json", body));
    assertTyped(name, credentials().credentialsFile(config(audience, volume.tokenFile(), null, null)), fragments);
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).as(name).isEqualTo(1); // one attempt, nothing retried inside it
  }

  static Stream<Arguments> iamBodies() {
    return Stream.of(
        bad("no accessToken", "{\"expireTime\": \"2099-01-01T00:00:00Z\"}", "no \"accessToken\""),
        bad("the OAuth field names", "{\"access_token\": \"" + LEAKED + "\", \"expires_in\": 3599}", "no \"accessToken\""),
        bad("no expireTime", "{\"accessToken\": \"" + LEAKED + "\"}", "no \"expireTime\""),
        bad("expireTime a number", "{\"accessToken\": \"" + LEAKED + "\", \"expireTime\": 4102444800}",
            "RFC 3339 time string"),
        bad("expireTime in 1970", "{\"accessToken\": \"" + LEAKED + "\", \"expireTime\": \"1970-01-01T00:00:00Z\"}",
            "not a plausible expiry"),
        bad("truncated", "{\"accessToken\": \"" + LEAKED + "\", \"expireT", "not a JSON object"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("iamBodies")
  void anUnusableIamResponseIsTyped(String name, String body, List<String> fragments) {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    gcp.faults().failAlways(FakeGcp.IAM_PATH_PREFIX, Fault.response(200, "application/json", body));
    assertTyped(name, credentials().credentialsFile(config(audience, volume.tokenFile(), SA, null)), fragments);
  }

  /** google-auth would keep a ten-year token ten years; the served expiry is capped at core's maximum. */
  @Test
  void aTenYearExpiryIsCappedAtTheMaximumLifetime() throws Exception {
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.response(200, "application/json", "{\"access_token\": \""
        + LEAKED + "\", \"expires_in\": 315360000, " + OAUTH_TAIL + "}"));
    try (GcpWorkloadIdentityCredentials c = credentials().credentialsFile(config(audience, volume.tokenFile(), null,
        null)).build()) {
      assertThat(bearer(c)).isEqualTo(LEAKED);
      Instant expiry = c.getAccessToken().getExpirationTime().toInstant();
      assertThat(expiry).isAfter(clock.instant()).isBeforeOrEqualTo(clock.instant()
          .plus(RefreshPolicy.defaults().maximumLifetime()));
    }
  }

  void assertTyped(String name, GcpWorkloadIdentityCredentials.Builder builder, List<String> fragments) {
    Throwable t = catchThrowable(() -> {
      try (GcpWorkloadIdentityCredentials c = builder.build()) {
        bearer(c);
      }
    });
    GcpCredentialsException e = t instanceof GcpCredentialsException g ? g
        : t != null && t.getCause() instanceof GcpCredentialsException g ? g : null;
    assertThat(e).as(name + ": " + t).isNotNull();
    assertThat(e.reason()).as(name).isEqualTo(Reason.UNEXPECTED_RESPONSE);
    for (String f : fragments) {
      assertThat(e.getMessage()).as(name).contains(f);
    }
    assertThat(e.getMessage()).as(name).contains("cannot be used").doesNotContain(LEAKED).doesNotContain("\r")
        .doesNotContain("\n").doesNotContain("bbbbbbbb");
    assertThat(t.getMessage()).as(name).doesNotContain(LEAKED);
    SecretLeakGuard.assertNoSecrets(t);
  }
}
