package io.workloadidentity.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.workloadidentity.testkit.SecretLeakGuard;
import java.time.Duration;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** The token-response parser alone: every refusal with its reason, and what it accepts. */
@ExtendWith(SecretLeakGuard.class)
class EntraTokenResponseTest {
  static final String TOKEN = SecretLeakGuard.secret(
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwYXJzZXItdGVzdCJ9.cGFyc2VyLXRlc3Qtc2lnbmF0dXJlLXZhbHVl");
  static final String T = "\"access_token\":\"" + TOKEN + "\"";

  static Stream<Arguments> refused() {
    return Stream.of(
        Arguments.of("", "the body is empty"),
        Arguments.of("   \n", "the body is empty"),
        Arguments.of("<html><body>502 Bad Gateway</body></html>", "not a JSON object (it starts with '<')"),
        Arguments.of("[" + T + "]", "not a JSON object (it starts with '[')"),
        Arguments.of("\"" + TOKEN + "\"", "not a JSON object"),
        Arguments.of("null", "not a JSON object"),
        Arguments.of("{\"expires_in\":3599}", "Entra's response has no access_token"),
        Arguments.of("{\"access_token\":null,\"expires_in\":3599}", "access_token is null, not a string"),
        Arguments.of("{\"access_token\":12345,\"expires_in\":3599}", "access_token is a number, not a string"),
        Arguments.of("{\"access_token\":true,\"expires_in\":3599}", "access_token is a boolean, not a string"),
        Arguments.of("{\"access_token\":[\"" + TOKEN + "\"],\"expires_in\":3599}", "access_token is an array"),
        Arguments.of("{\"access_token\":{\"v\":\"" + TOKEN + "\"},\"expires_in\":3599}", "access_token is an object"),
        Arguments.of("{\"access_token\":\"\",\"expires_in\":3599}", "access_token is empty"),
        Arguments.of("{\"access_token\":\"===\",\"expires_in\":3599}", "no characters but '='"),
        Arguments.of("{\"access_token\":\"" + TOKEN + "\\r\\nX-Forged: 1\",\"expires_in\":3599}", "(CR at position"),
        Arguments.of("{\"access_token\":\"" + TOKEN + " x\",\"expires_in\":3599}", "(a space at position"),
        Arguments.of("{\"access_token\":\"" + TOKEN + "\\u0000\",\"expires_in\":3599}", "(U+0000 at position"),
        Arguments.of("{" + T + "}", "Entra's response has no expires_in: the token's lifetime is unknown"),
        Arguments.of("{" + T + ",\"expires_in\":null}", "has no expires_in (it is null)"),
        Arguments.of("{" + T + ",\"expires_in\":0}", "expires_in 0 is not positive"),
        Arguments.of("{" + T + ",\"expires_in\":-1}", "expires_in -1 is not positive"),
        Arguments.of("{" + T + ",\"expires_in\":\"-3599\"}", "expires_in -3599 is not positive"),
        Arguments.of("{" + T + ",\"expires_in\":3599.5}", "expires_in \"3599.5\" is not a whole number"),
        Arguments.of("{" + T + ",\"expires_in\":3.599e3}", "is not a whole number"),
        Arguments.of("{" + T + ",\"expires_in\":\"3599 \"}", "is not a whole number"),
        Arguments.of("{" + T + ",\"expires_in\":\"soon\"}", "expires_in \"soon\" is not a whole number"),
        Arguments.of("{" + T + ",\"expires_in\":\"\"}", "is not a whole number"),
        Arguments.of("{" + T + ",\"expires_in\":true}", "expires_in is a boolean, not a number of seconds"),
        Arguments.of("{" + T + ",\"expires_in\":[3599]}", "expires_in is an array"),
        Arguments.of("{" + T + ",\"expires_in\":1e30}", "is not a whole number"),
        Arguments.of("{" + T + ",\"expires_in\":99999999999999999999}", "is not a plausible lifetime"),
        Arguments.of("{" + T + ",\"expires_in\":4000000000}", "is not a plausible lifetime"),
        Arguments.of("{" + T + ",\"expires_in\":3599,\"refresh_in\":\"half\"}", "refresh_in \"half\" is not a whole"),
        Arguments.of("{" + T + ",\"expires_in\":3599,\"ext_expires_in\":{}}", "ext_expires_in is an object"),
        Arguments.of("{" + T + ",\"expires_in\":3599,\"token_type\":\"pop\"}", "token_type is \"pop\", not Bearer"),
        Arguments.of("{" + T + ",\"expires_in\":3599,\"token_type\":7}", "token_type is a number, not a string"),
        Arguments.of("{" + T + "," + T + ",\"expires_in\":3599}", "access_token appears twice"),
        Arguments.of("{" + T + ",\"expires_in\":3599,\"expires_in\":1}", "expires_in appears twice"),
        Arguments.of("{" + T + ",\"expires_in\":3599}x", "followed by more text at position"),
        Arguments.of("{" + T + ",\"expires_in\":3599}{}", "followed by more text"),
        Arguments.of("{" + T + ",\"expires_in\":3599,}", "expected a member name"),
        Arguments.of("{" + T + " \"expires_in\":3599}", "expected ',' or '}'"),
        Arguments.of("{\"access_token\":\"" + TOKEN.substring(0, 30), "ends inside a string that starts at position 16"),
        Arguments.of("{" + T + ",\"expires_in\":35", "ends at position"),
        Arguments.of("{" + T + ",\"expires_in\":", "ends at position"),
        Arguments.of("{" + T + ",\"x\":\"\\q\",\"expires_in\":3599}", "invalid escape (\\q)"),
        Arguments.of("{" + T + ",\"x\":\"\\u12G4\",\"expires_in\":3599}", "is not four hexadecimal digits"),
        Arguments.of("{" + T + ",\"x\":\"a\nb\",\"expires_in\":3599}", "raw control character (LF)"),
        Arguments.of("{" + T + ",\"x\":[1,2,,3],\"expires_in\":3599}", "expected a JSON value"),
        Arguments.of("{" + T + ",\"x\":{\"a\":1,},\"expires_in\":3599}", "expected a member name"),
        Arguments.of("{" + T + ",\"x\":{\"a\" 1},\"expires_in\":3599}", "expected ':'"),
        Arguments.of("{" + T + ",\"x\":[1}" + ",\"expires_in\":3599}", "expected ',' or ']'"),
        Arguments.of("{" + T + ",\"x\":tru,\"expires_in\":3599}", "expected a JSON value"),
        Arguments.of("{" + T + ",\"x\":01,\"expires_in\":3599}", "expected ',' or '}'"),
        Arguments.of("{" + T + ",\"x\":-,\"expires_in\":3599}", "expected a digit"),
        Arguments.of("{" + T + ",\"x\":" + "[".repeat(10_000) + "]".repeat(10_000) + ",\"expires_in\":3599}",
            "more than 32 levels deep"));
  }

  @ParameterizedTest
  @MethodSource("refused")
  void refusedWithItsReasonAndNeverTheToken(String body, String reason) {
    EntraTokenResponse.Invalid e = catchThrowableOfType(() -> EntraTokenResponse.parse(body),
        EntraTokenResponse.Invalid.class);
    assertThat(e).as("refused: %s", body.length() > 200 ? body.substring(0, 200) : body).isNotNull();
    assertThat(e.getMessage()).contains(reason).doesNotContain(TOKEN).doesNotContain(TOKEN.substring(0, 20));
    assertThat(e.getMessage().length()).isLessThan(400);
    SecretLeakGuard.inspect(e);
  }

  static Stream<Arguments> accepted() {
    return Stream.of(
        Arguments.of("{\"token_type\":\"Bearer\",\"expires_in\":3599,\"ext_expires_in\":3599," + T + "}", 3599L, -1L),
        Arguments.of("{" + T + ",\"expires_in\":\"3599\"}", 3599L, -1L), // v1 endpoint and ADFS send strings
        Arguments.of("\uFEFF {" + T + ",\"expires_in\":1}", 1L, -1L),
        Arguments.of("{" + T + ",\"expires_in\":86400,\"refresh_in\":43200,\"token_type\":\"bearer\"}", 86400L, 43200L),
        Arguments.of("{" + T + ",\"expires_in\":315360000}", 315360000L, -1L), // 10 years: the cache caps it
        Arguments.of("{" + T + ",\"expires_in\":3599,\"refresh_in\":null,\"token_type\":null}", 3599L, -1L),
        Arguments.of("{" + T + ",\"expires_in\":3599,\"refresh_in\":-5}", 3599L, -1L), // a bogus hint is dropped
        Arguments.of("{\"x\":{\"a\":[1,-2.5e-3,true,false,null,{},[],\"\\u00e9\\\"\"]}," + T + ",\"expires_in\":60}",
            60L, -1L),
        Arguments.of("{\r\n\t\"expires_in\" : 3599 ,\n \"access_token\" : \"" + TOKEN + "\" \n}\n", 3599L, -1L),
        Arguments.of("{\"access_token\":\"abc+/~_-.xyz==\",\"expires_in\":7}", 7L, -1L),
        Arguments.of("{" + T + ",\"expires_in\":3599,\"other\":\"" + "é".repeat(1000) + "\"}", 3599L, -1L));
  }

  @ParameterizedTest
  @MethodSource("accepted")
  void acceptedWithItsLifetime(String body, long expiresIn, long refreshIn) throws Exception {
    EntraTokenResponse r = EntraTokenResponse.parse(body);
    assertThat(r.expiresInSeconds()).isEqualTo(expiresIn);
    assertThat(r.refreshInSeconds()).isEqualTo(refreshIn);
    assertThat(r.accessToken()).isNotEmpty();
    assertThat(SecretLeakGuard.inspect(r.toString())).doesNotContain(r.accessToken());
  }

  @Test
  void expiresOnDisagreeingWithExpiresInBlamesTheClockAndOnlyThen() throws Exception {
    long now = 1_800_000_000L;
    EntraTokenResponse agrees = EntraTokenResponse.parse("{" + T + ",\"expires_in\":3599,\"expires_on\":"
        + (now + 3599 + 30) + "}");
    assertThat(agrees.clockSkew(now)).isEmpty();
    EntraTokenResponse past = EntraTokenResponse.parse("{" + T + ",\"expires_in\":3599,\"expires_on\":\""
        + (now - 7200) + "\"}");
    assertThat(past.clockSkew(now)).hasValueSatisfying(w -> assertThat(w)
        .contains("expires_on", "expires_in", "clock is probably ahead", "check NTP", "taken from expires_in"));
    EntraTokenResponse ahead = EntraTokenResponse.parse("{" + T + ",\"expires_in\":60,\"expires_on\":" + (now + 7200) + "}");
    assertThat(ahead.clockSkew(now)).hasValueSatisfying(w -> assertThat(w).contains("clock is probably behind"));
    // without expires_on (Entra v2.0 sends none) nothing blames the clock
    assertThat(EntraTokenResponse.parse("{" + T + ",\"expires_in\":3599}").clockSkew(now)).isEmpty();
    assertThat(EntraTokenResponse.parse("{" + T + ",\"expires_in\":3599,\"expires_on\":\"x\"}").clockSkew(now)).isEmpty();
  }

  @Test
  void adversarialBodiesOf64KiBParseInLinearTime() {
    int n = 64 * 1024;
    String[] bodies = {
        "{\"a\":\"" + "\\\\".repeat(n / 2) + "\"}",
        "{\"a\":\"" + "\\u0041".repeat(n / 6) + "\"}",
        "{\"a\":" + "[".repeat(n),
        "{\"a\":" + "[1,".repeat(n / 3),
        "{" + "\"a\":1,".repeat(n / 6) + "}",
        "{" + " ".repeat(n),
        "{\"a\":" + "1".repeat(n) + "}",
        "{\"a\":\"" + "x".repeat(n),
        "{\"expires_in\":\"" + "0".repeat(n) + "1\"," + T + "}",
    };
    // Bound on work: one pass, each character a constant number of times; 64 KiB takes well under
    // a millisecond per body. The generous bound only guards against a hang.
    assertTimeoutPreemptively(Duration.ofSeconds(10), () -> {
      for (int round = 0; round < 20; round++) {
        for (String body : bodies) {
          try {
            EntraTokenResponse.parse(body);
          } catch (EntraTokenResponse.Invalid expected) {
            assertThat(expected.getMessage().length()).isLessThan(400);
          }
        }
      }
    });
  }
}
