package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.workloadidentity.core.internal.Redaction;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

@ExtendWith(SecretLeakGuard.class)
class RedactionTest {
  private static final Instant IAT = Instant.parse("2026-11-26T10:00:00Z");
  private static final String JWT = SecretLeakGuard.secret(TestTokens.token(IAT, Duration.ofHours(1), "sts.amazonaws.com"));
  private static final String SIGNATURE = JWT.substring(JWT.lastIndexOf('.') + 1);

  @Test
  void theJdksHeaderErrorQuotesTheTokenAndDescribeRemovesIt() {
    // What happened before the shape check: a token with a CR/LF reached the HTTP client, whose
    // IllegalArgumentException quotes the whole header value.
    String withLineBreak = JWT.substring(0, 300) + "\r\n" + JWT.substring(300);
    Throwable e = catchThrowable(() -> HttpRequest.newBuilder(URI.create("https://sts.amazonaws.com/"))
        .header("Authorization", "Bearer " + withLineBreak));
    assertThat(e).isInstanceOf(IllegalArgumentException.class);
    assertThat(e.getMessage()).as("the JDK's own message").contains(JWT.substring(0, 300));

    String described = Redaction.describe(new IOException("request failed", e));
    SecretLeakGuard.inspect(described);
    assertThat(described).startsWith("IOException: request failed; caused by IllegalArgumentException: ")
        .contains(Redaction.REDACTED)
        .doesNotContain("\r").doesNotContain("\n")
        .doesNotContain(JWT.substring(0, 40)).doesNotContain(SIGNATURE.substring(0, 20))
        .doesNotContain(SIGNATURE.substring(SIGNATURE.length() - 20));
  }

  @Test
  void aJwtAnywhereIsRemoved() {
    for (String text : List.of(JWT, "token " + JWT + " refused", "x" + JWT + "y", "'" + JWT + "'", "jwt=" + JWT,
        "{\"subject\":\"" + JWT + "\"}", JWT.substring(0, JWT.lastIndexOf('.')) + ".")) {
      String safe = Redaction.message(text);
      assertThat(safe).as(text.substring(0, 10)).contains(Redaction.REDACTED).doesNotContain("eyJ")
          .doesNotContain(JWT.substring(20, 40));
    }
    assertThat(Redaction.message("token " + JWT + " refused")).isEqualTo("token [redacted] refused");
  }

  @Test
  void valuesAfterKnownLabelsAreRemoved() {
    assertThat(Redaction.message("Authorization: Bearer abc.DEF-123_x, retry")).isEqualTo("Authorization: [redacted], retry");
    assertThat(Redaction.message("header was Bearer abcDEF123 (refused)")).isEqualTo("header was Bearer [redacted] (refused)");
    assertThat(Redaction.message("{\"access_token\":\"ya29.short\",\"expires_in\":3599}"))
        .isEqualTo("{\"access_token\":\"[redacted]\",\"expires_in\":3599}");
    assertThat(Redaction.message("{\"access_token\" : \"opaque\"}")).isEqualTo("{\"access_token\" : \"[redacted]\"}");
    assertThat(Redaction.message("grant_type=x&assertion=abc123&client_id=app"))
        .isEqualTo("grant_type=x&assertion=[redacted]&client_id=app");
    assertThat(Redaction.message("client_assertion_type=jwt-bearer&client_assertion=abc&scope=s"))
        .isEqualTo("client_assertion_type=jwt-bearer&client_assertion=[redacted]&scope=s");
    assertThat(Redaction.message("subject_token=abc&subject_token_type=urn:ietf:params:oauth:token-type:jwt"))
        .isEqualTo("subject_token=[redacted]&subject_token_type=urn:ietf:params:oauth:token-type:jwt");
    assertThat(Redaction.message("GET /?X-Amz-Security-Token=IQoJb3JpZ2luX2VjE%2F%2F&X-Amz-Date=20261126"))
        .isEqualTo("GET /?X-Amz-Security-Token=[redacted]&X-Amz-Date=20261126");
    assertThat(Redaction.message("<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>wJalr/K7MDENG+bPxRfiCY=="
        + "</SecretAccessKey><SessionToken>IQoJb3/Jp+Z2==</SessionToken></Credentials>"))
        .isEqualTo("<Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId><SecretAccessKey>[redacted]"
            + "</SecretAccessKey><SessionToken>[redacted]</SessionToken></Credentials>");
    assertThat(Redaction.message("{\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"wJalr/K7+x\",\"Token\":\"IQo/J+b==\","
        + "\"AccountId\":\"123456789012\"}"))
        .isEqualTo("{\"AccessKeyId\":\"ASIAEXAMPLE\",\"SecretAccessKey\":\"[redacted]\",\"Token\":\"[redacted]\","
            + "\"AccountId\":\"123456789012\"}");
    assertThat(Redaction.message("{\"sessionToken\": \"FwoGZXIvYXdzE/x+y=\"}")).isEqualTo("{\"sessionToken\": \"[redacted]\"}");
    assertThat(Redaction.message("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"))
        .isEqualTo("aws_secret_access_key = [redacted]");
    assertThat(Redaction.message("client_secret=s3cr3t&password=hunter2")).isEqualTo("client_secret=[redacted]&password=[redacted]");
  }

  @Test
  void usefulTextIsKept() {
    for (String kept : List.of(
        "AADSTS700211: No matching federated identity record found for presented assertion issuer"
            + " 'https://oidc.eks.us-west-2.amazonaws.com/id/ABC'. Trace ID: 0f6bd5a3-7c1e-4a7e-9d57-2b1f6c1d0a00",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity on arn:aws:iam::123456789012:role/my-role",
        "/var/run/secrets/eks.amazonaws.com/serviceaccount/token",
        "sts.us-west-2.amazonaws.com:443 connect timed out",
        "io.workloadidentity.core.internal.Redaction failed at line 12",
        "sha256 3f2a9c1b7d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8",
        "WWW-Authenticate: Bearer realm=\"sts\", error=\"invalid_token\"",
        "{\"access_token\": null, \"error\": \"invalid_grant\"}",
        "Invalid token: the token has expired",
        "Token file /var/run/secrets/tokens/token is empty.")) {
      assertThat(Redaction.message(kept)).isEqualTo(kept);
    }
  }

  @Test
  void longOpaqueTokensAreRemovedButNotWhatOnlyLooksLong() {
    String google = "ya29.a0AfB_byC3kLmN0pQrStUvWxYz1234567890AbCdEfGhIjKlMnOpQrStUvWx";
    assertThat(Redaction.message("token " + google + " expired")).isEqualTo("token [redacted] expired");
    assertThat(Redaction.message("signature " + SIGNATURE)).isEqualTo("signature [redacted]");
    String uuid = "3b3f63de-0000-4000-8000-000000000002";
    assertThat(Redaction.message("request " + uuid)).isEqualTo("request " + uuid);
  }

  @Test
  void controlCharactersAreEscapedVisibly() {
    assertThat(Redaction.escape("a\r\nb\tc")).isEqualTo("a\\r\\nb\\tc");
    assertThat(Redaction.escape("\u001b[31mred\u001b[0m")).isEqualTo("\\u001B[31mred\\u001B[0m");
    assertThat(Redaction.escape("\u0000\u0007\u007f\u0085\u009b")).isEqualTo("\\u0000\\u0007\\u007F\\u0085\\u009B");
    assertThat(Redaction.escape("x\u2028y\u2029z")).isEqualTo("x\\u2028y\\u2029z");
    assertThat(Redaction.escape("admin\u202e\u200bgnp.exe\ufeff")).isEqualTo("admin\\u202E\\u200Bgnp.exe\\uFEFF");
    assertThat(Redaction.escape("lone \ud83d high")).isEqualTo("lone \\uD83D high");
    assertThat(Redaction.escape("emoji \ud83d\ude00 ok, caf\u00e9")).isEqualTo("emoji \ud83d\ude00 ok, caf\u00e9");
    assertThat(Redaction.escape("plain")).isSameAs("plain");
    assertThat(Redaction.escape(null)).isEqualTo("null");
    assertThat(Redaction.message("line one\n[OK] forged line")).isEqualTo("line one\\n[OK] forged line");
  }

  @Test
  void escapingCannotGlueAJwtTogether() {
    // "\u001e" escaped in lower-case hex followed by "yJ..." would read "eyJ...": escapes use upper case.
    assertThat(Redaction.message("\u001eyJhbGciOiJSUzI1NiJ9.a.b")).doesNotContain("eyJ");
  }

  @Test
  void longTextIsCutBeforeMatchingAndSaysHowLongItWas() {
    String body = "x".repeat(10_000);
    String safe = Redaction.message(body);
    assertThat(safe).startsWith("x".repeat(Redaction.MAX_INPUT_LENGTH) + "... (truncated; 10000 characters in all)");
    assertThat(safe).hasSizeLessThanOrEqualTo(Redaction.MAX_LENGTH);
    // A JWT past the cut is never looked at, and never shown.
    assertThat(Redaction.message("y".repeat(Redaction.MAX_INPUT_LENGTH) + JWT)).doesNotContain("eyJ");
    // The cut does not split a surrogate pair.
    String pairAtCut = "a".repeat(Redaction.MAX_INPUT_LENGTH - 1) + "\ud83d\ude00tail";
    assertThat(Redaction.message(pairAtCut)).doesNotContain("\\uD83D").startsWith("a".repeat(Redaction.MAX_INPUT_LENGTH - 1) + "...");
  }

  @Test
  void escapedOutputStaysWithinTheBound() {
    String controls = "\u0001".repeat(Redaction.MAX_INPUT_LENGTH);
    String safe = Redaction.message(controls);
    assertThat(safe).hasSizeLessThanOrEqualTo(Redaction.MAX_LENGTH).endsWith("... (truncated; 2000 characters in all)");
    assertThat(safe).doesNotContain("\u0001").doesNotEndWith("\\u00");
  }

  @ParameterizedTest(name = "unit {index}")
  @ValueSource(strings = {"eyJ", "a.", "eyJa.", "Bearer ", "access_token=", "\"token\":\"", "aB3", "\r\n", "\u001b[",
      "x-amz-security-token=a&", "authorization: ", "<SessionToken>", ".eyJ.", "A1b2C3d4-_"})
  void adversarialInputsOf64KiBAreBoundedWork(String unit) {
    String input = unit.repeat(64 * 1024 / unit.length() + 1);
    // The bound on work: only the first MAX_INPUT_LENGTH characters are ever examined, so the result
    // is exactly that of the cut text plus the note, whatever follows.
    String cut = input.substring(0, Redaction.MAX_INPUT_LENGTH);
    String safe = assertTimeoutPreemptively(Duration.ofSeconds(10), () -> Redaction.message(input));
    String expected = Redaction.message(cut);
    int noteAt = expected.indexOf("... (truncated; ");
    String head = noteAt >= 0 ? expected.substring(0, noteAt) : expected;
    assertThat(safe).startsWith(head).endsWith("... (truncated; " + input.length() + " characters in all)")
        .hasSizeLessThanOrEqualTo(Redaction.MAX_LENGTH).doesNotContain("eyJ");
    assertThat(safe.chars().filter(c -> c < 0x20)).isEmpty();
  }

  @Test
  void describeWalksAFewCausesAndNeverPrintsAStackTrace() {
    Exception root = new IllegalStateException("root cause with " + JWT);
    Exception mid = new IOException(root); // message copied from the cause: said once
    Exception top = new RuntimeException("top\nlevel", mid);
    String d = Redaction.describe(top);
    SecretLeakGuard.inspect(d);
    assertThat(d).isEqualTo("RuntimeException: top\\nlevel; caused by IOException; caused by IllegalStateException:"
        + " root cause with [redacted]");
    assertThat(d).doesNotContain("\tat ").doesNotContain("RedactionTest");

    Exception deep = new Exception("0");
    for (int i = 1; i <= 10; i++) {
      deep = new Exception(String.valueOf(i), deep);
    }
    assertThat(Redaction.describe(deep)).isEqualTo("Exception: 10; caused by Exception: 9; caused by Exception: 8;"
        + " caused by Exception: 7");
    assertThat(Redaction.describe(new Exception())).isEqualTo("Exception");
    assertThat(Redaction.describe(new RuntimeException("") {})).startsWith(RedactionTest.class.getName() + "$");
    assertThat(Redaction.describe(null)).isEqualTo("null");
    assertThat(Redaction.message(null)).isEqualTo("null");
  }

  @Test
  void describeStopsOnACauseCycle() {
    Exception a = new Exception("a");
    Exception b = new Exception("b", a);
    a.initCause(b);
    assertThat(assertTimeoutPreemptively(Duration.ofSeconds(5), () -> Redaction.describe(b)))
        .isEqualTo("Exception: b; caused by Exception: a; caused by Exception: b; caused by Exception: a");
  }
}
