package io.workloadidentity.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;

import com.microsoft.aad.msal4j.MsalServiceException;
import io.workloadidentity.azure.AzureTokenException;
import io.workloadidentity.azure.AzureTokenException.Reason;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.time.Instant;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Properties of the error mapping: whatever Entra (or whatever answers in its place) says, the
 * result is an {@link AzureTokenException} with a bounded message without control characters or the
 * token; the code is found as the regular expressions the scans replace would find it (the test may
 * use them: its inputs are bounded); the reason follows from the code and status alone.
 */
class EntraErrorsPropertiesTest {
  private static final String TOKEN = SecretLeakGuard.secret(
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJlcnJvci1wcm9wZXJ0aWVzIn0.ZXJyb3ItcHJvcGVydGllcy1zaWduYXR1cmU");
  private static final EntraErrors.Request REQUEST = new EntraErrors.Request("5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11",
      "72f988bf-86f1-41af-91ab-2d7cd011db47", "https://login.microsoftonline.com/", null, "/var/run/token",
      Instant.parse("2026-12-01T00:00:00Z"));
  private static final Pattern AADSTS = Pattern.compile("AADSTS(\\d{1,9})");
  private static final Pattern STATUS = Pattern.compile("status code:? (\\d{3})");
  /** The reason each documented code maps to; any other code is OTHER, or THROTTLED/UNAVAILABLE by status. */
  private static final Map<Integer, Reason> REASONS = Map.ofEntries(
      Map.entry(70021, Reason.FEDERATED_CREDENTIAL_MISMATCH), Map.entry(700211, Reason.FEDERATED_CREDENTIAL_MISMATCH),
      Map.entry(700212, Reason.FEDERATED_CREDENTIAL_MISMATCH), Map.entry(700213, Reason.FEDERATED_CREDENTIAL_MISMATCH),
      Map.entry(700024, Reason.ASSERTION_TIME_RANGE), Map.entry(700016, Reason.APPLICATION_NOT_FOUND),
      Map.entry(90002, Reason.TENANT_NOT_FOUND), Map.entry(700027, Reason.INVALID_SIGNATURE),
      Map.entry(50166, Reason.ISSUER_UNREACHABLE), Map.entry(70011, Reason.INVALID_SCOPE),
      Map.entry(500011, Reason.INVALID_SCOPE), Map.entry(90055, Reason.THROTTLED), Map.entry(90006, Reason.UNAVAILABLE),
      Map.entry(90033, Reason.UNAVAILABLE), Map.entry(90024, Reason.UNAVAILABLE));

  @Provide
  Arbitrary<String> serverText() {
    Arbitrary<String> piece = Arbitraries.oneOf(
        Arbitraries.of("AADSTS", "AADSTS7", "AADSTS70021", "AADSTS1234567890", "status code", "status code: ",
            "status code 50", "status code: 503", " ", "\r\n", "\t", "\u001b[31m", "\u2028", "\u200b", "Trace ID:",
            "Bearer ", "access_token=", "\"", "\\", "eyJ", ".", TOKEN, "Correlation ID: 1234", "\u0000"),
        Arbitraries.strings().all().ofMaxLength(30),
        Arbitraries.strings().numeric().ofMinLength(1).ofMaxLength(12));
    Arbitrary<String> text = piece.list().ofMaxSize(40).map(l -> String.join("", l));
    // long ones too: the scans cut before they look
    Arbitrary<String> huge = Combinators.combine(piece, Arbitraries.integers().between(1_000, 20_000))
        .as((p, n) -> p.isEmpty() ? "x".repeat(n) : p.repeat(Math.max(1, n / p.length())));
    return Arbitraries.oneOf(text, text, huge);
  }

  @Property(tries = 1000)
  void codeAndStatusAreFoundAsTheRegularExpressionsWouldFindThem(@ForAll("serverText") String text) {
    String cut = EntraErrors.scanned(text);
    Matcher m = AADSTS.matcher(cut);
    assertThat(EntraErrors.aadsts(cut)).isEqualTo(m.find() ? Integer.parseInt(m.group(1)) : -1);
    Matcher s = STATUS.matcher(cut);
    assertThat(EntraErrors.statusFromText(cut)).isEqualTo(s.find() ? Integer.parseInt(s.group(1)) : -1);
  }

  @Property(tries = 1000)
  void anyServiceErrorBecomesABoundedCleanTypedException(@ForAll("serverText") String description,
      @ForAll("oauthErrors") String oauth) {
    WorkloadIdentityException w = EntraErrors.map(new MsalServiceException(description, oauth), REQUEST);
    assertThat(w).isInstanceOf(AzureTokenException.class);
    AzureTokenException e = (AzureTokenException) w;
    SecretLeakGuard.assertNoSecrets(e);
    String message = e.getMessage();
    assertThat(message.length()).isLessThan(4_000);
    assertThat(message).doesNotContain(TOKEN.substring(0, 30)).doesNotContain(TOKEN.substring(TOKEN.length() - 30));
    for (int i = 0; i < message.length(); i++) {
      int type = Character.getType(message.charAt(i));
      assertThat(type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR)
          .as("control or format character U+%04X in %s", (int) message.charAt(i), message).isFalse();
    }
    e.oauthError().ifPresent(o -> assertThat(o).matches("[A-Za-z0-9_.:-]{1,64}"));
    e.code().ifPresent(c -> assertThat(c).matches("AADSTS\\d{1,9}|[A-Za-z0-9_.:-]{1,64}"));
  }

  @Provide
  Arbitrary<String> oauthErrors() {
    return Arbitraries.oneOf(Arbitraries.of("invalid_request", "invalid_client", "unauthorized_client",
        "temporarily_unavailable", "unknown", "invalid_grant"), Arbitraries.strings().all().ofMaxLength(100));
  }

  @Provide
  Arbitrary<Integer> codes() {
    return Arbitraries.oneOf(Arbitraries.of(REASONS.keySet().toArray(new Integer[0])),
        Arbitraries.integers().between(1, 999_999_999));
  }

  @Provide
  Arbitrary<Integer> statuses() {
    return Arbitraries.oneOf(Arbitraries.of(400, 401, 403, 404, 429, 500, 502, 503, 504),
        Arbitraries.integers().between(100, 599));
  }

  @Property(tries = 1000)
  void theReasonFollowsFromTheCodeAndStatusAlone(@ForAll("codes") int code, @ForAll("statuses") int status,
      @ForAll("serverText") String rest) {
    // MSAL's text for a body it could not read has the status in it, first; Entra's descriptions start
    // with the code; whatever follows, however long, changes neither
    String description = "Unknown service exception. Http request returned status code: " + status + " with http body: "
        + "AADSTS" + code + ": " + rest.replace("AADSTS", "").replace("status code", "");
    AzureTokenException e = (AzureTokenException) EntraErrors.map(new MsalServiceException(description,
        "invalid_request"), REQUEST);
    // a documented code decides, except that an outage code answered with 429 is throttling
    boolean outage = code == 90006 || code == 90033 || code == 90024;
    Reason expected = REASONS.containsKey(code) && !outage ? REASONS.get(code)
        : status == 429 ? Reason.THROTTLED : outage || status >= 500 ? Reason.UNAVAILABLE : Reason.OTHER;
    assertThat(e.reason()).isEqualTo(expected);
    assertThat(e.code()).contains("AADSTS" + code);
    assertThat(e.httpStatus()).hasValue(status);
    // a configuration error stays one whatever the status says; everything else by code, then status
    boolean configuration = REASONS.get(code) == Reason.FEDERATED_CREDENTIAL_MISMATCH
        || code == 700016 || code == 90002;
    boolean retryable = code == 700024 || !configuration && (code == 50166 || code == 90055 || code == 90006
        || code == 90033 || code == 90024 || status == 429 || status >= 500);
    assertThat(e.retryable()).isEqualTo(retryable);
    assertThat(e.tokenRejected()).isEqualTo(code == 700024 || code == 700027);
  }
}
