package io.workloadidentity.aws.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.testkit.SecretLeakGuard;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;

/**
 * Properties of the Pod Identity agent's body parser ({@link PodIdentityResponses#parse}): it never
 * fails with anything but {@link PodIdentityResponses.Malformed}, whatever the body; what it accepts
 * is complete, usable and unexpired; what it refuses it explains without the secret members and
 * without raw control characters.
 */
class PodIdentityResponsesPropertiesTest {
  private static final Instant NOW = Instant.parse("2026-11-26T10:00:00Z");
  private static final String PRINTABLE = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=";

  @Provide
  Arbitrary<String> secretish() {
    return Arbitraries.strings().withChars(PRINTABLE.toCharArray()).ofMinLength(16).ofMaxLength(200);
  }

  @Provide
  Arbitrary<String> anyText() {
    Arbitrary<String> json = Arbitraries.of("{", "}", "[", "]", "\"", ":", ",", "null", "true", "1e999", "-0",
        "\"AccessKeyId\"", "\"SecretAccessKey\"", "\"Token\"", "\"Expiration\"", "\"2026-11-26T16:00:00Z\"", "\\u0000",
        "\\\"", " ", "\n", "\u2028", "\ud800").list().ofMaxSize(40).map(l -> String.join("", l));
    return Arbitraries.oneOf(json, Arbitraries.strings().ofMaxLength(300), Arbitraries.strings().all().ofMaxLength(50));
  }

  /** (a) Any body at all: parsed, or refused with Malformed; nothing else escapes (no NPE, no parser exception). */
  @Property(tries = 2000)
  void anyBodyIsParsedOrRefusedAsMalformed(@ForAll("anyText") String body) {
    Throwable e = catchThrowable(() -> PodIdentityResponses.parse(body, NOW, null, "p"));
    if (e != null) {
      assertThat(e).isInstanceOf(PodIdentityResponses.Malformed.class);
      assertPrintable(e.getMessage());
    }
  }

  private static String q(String s) {
    return "\"" + s + "\"";
  }

  private static String body(Map<String, String> members) {
    StringBuilder sb = new StringBuilder("{");
    members.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append(q(k)).append(':').append(v));
    return sb.append('}').toString();
  }

  private static Map<String, String> complete(String id, String secret, String token, Instant expiration) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("AccessKeyId", q(id));
    m.put("SecretAccessKey", q(secret));
    m.put("Token", q(token));
    m.put("AccountId", q("444455556666"));
    m.put("Expiration", q(expiration.toString()));
    return m;
  }

  /** (b) A complete answer with printable members and a future expiry is accepted exactly as sent. */
  @Property(tries = 500)
  void aCompleteAnswerIsAcceptedAsSent(@ForAll("secretish") String id, @ForAll("secretish") String secret,
      @ForAll("secretish") String token, @ForAll @LongRange(min = 1, max = 400L * 86_400 * 365) long seconds) {
    Instant expiration = NOW.plusSeconds(seconds);
    PodIdentityResponses.Parsed p = PodIdentityResponses.parse(body(complete(id, secret, token, expiration)), NOW,
        null, "p");
    assertThat(p.credentials().accessKeyId()).isEqualTo(id);
    assertThat(p.credentials().secretAccessKey()).isEqualTo(secret);
    assertThat(p.credentials().sessionToken()).isEqualTo(token);
    assertThat(p.credentials().accountId()).contains("444455556666");
    assertThat(p.expiresAt()).isEqualTo(expiration);
  }

  @Provide
  Arbitrary<String> member() {
    return Arbitraries.of("AccessKeyId", "SecretAccessKey", "Token", "Expiration");
  }

  @Provide
  Arbitrary<String> damage() {
    return Arbitraries.oneOf(Arbitraries.of("<absent>", "null", "\"\"", "\"   \"", "0", "12.5", "true", "[]", "{}",
        "[\"x\"]", "\"a\\r\\nb\"", "\"tab\\there\"", "\"\\u0000\"", "\"caf\u00e9\""),
        // Characters JSON allows unescaped, at least one of them outside printable ASCII (or only spaces).
        Arbitraries.strings().withChars("ab \u007f\u00a0\u200b").ofMinLength(1).ofMaxLength(10)
            .filter(v -> v.isBlank() || v.chars().anyMatch(c -> c == ' ' || c > 0x7e)).map(v -> q(v)));
  }

  /**
   * (c) Damaging any one required member (removing it, emptying it, another type, a control or
   * non-ASCII character) is refused, naming that member, never quoting the secret ones.
   */
  @Property(tries = 1000)
  void aDamagedMemberIsRefusedByName(@ForAll("secretish") String secret, @ForAll("secretish") String token,
      @ForAll("member") String which, @ForAll("damage") String damage) {
    Map<String, String> m = complete("ASIAEXAMPLE123456789", secret, token, NOW.plus(Duration.ofHours(6)));
    if (damage.equals("<absent>")) {
      m.remove(which);
    } else {
      m.put(which, damage);
    }
    Throwable e = catchThrowable(() -> PodIdentityResponses.parse(body(m), NOW, null, "p"));
    assertThat(e).as("a damaged %s (%s) is refused", which, damage).isNotNull();
    assertThat(e).isInstanceOf(PodIdentityResponses.Malformed.class);
    assertThat(e.getMessage()).contains(which).doesNotContain(secret).doesNotContain(token);
    assertPrintable(e.getMessage());
  }

  /** (d) Any expiry at or before now is refused, with the instant, and the clock blamed only near now. */
  @Property(tries = 500)
  void aPastExpiryIsRefused(@ForAll @LongRange(min = 0, max = 100L * 365 * 86_400) long secondsAgo) {
    Instant expiration = NOW.minusSeconds(secondsAgo);
    Throwable e = catchThrowable(() -> PodIdentityResponses.parse(body(complete("ASIAEXAMPLE", "S".repeat(40),
        "T".repeat(100), expiration)), NOW, null, "p"));
    assertThat(e).isInstanceOf(PodIdentityResponses.Malformed.class).hasMessageContaining(expiration.toString());
    assertThat(e.getMessage().contains("clock")).isEqualTo(secondsAgo <= Duration.ofHours(12).toSeconds());
  }

  /** (e) The server's Date decides whether the clock is blamed: skew beyond 5 minutes, and only then. */
  @Property(tries = 500)
  void theServersDateDecidesWhetherTheClockIsBlamed(@ForAll @IntRange(min = -7200, max = 7200) int skewSeconds,
      @ForAll @IntRange(min = 0, max = 7200) int expiredSecondsAgo) {
    Instant serverDate = NOW.minusSeconds(skewSeconds);
    Throwable e = catchThrowable(() -> PodIdentityResponses.parse(body(complete("ASIAEXAMPLE", "S".repeat(40),
        "T".repeat(100), NOW.minusSeconds(expiredSecondsAgo))), NOW, serverDate, "p"));
    assertThat(e).isInstanceOf(PodIdentityResponses.Malformed.class);
    assertThat(e.getMessage().contains("check this machine's clock")).isEqualTo(Math.abs(skewSeconds) > 300);
  }

  /** (f) Members the parser does not know, in any order and shape, change nothing. */
  @Property(tries = 300)
  void unknownMembersAreIgnored(@ForAll("extras") List<Map.Entry<String, String>> extras) {
    Map<String, String> m = new LinkedHashMap<>();
    for (Map.Entry<String, String> x : extras) {
      m.put(x.getKey(), x.getValue());
    }
    m.putAll(complete("ASIAEXAMPLE", "S".repeat(40), "T".repeat(100), NOW.plus(Duration.ofHours(1))));
    assertThat(PodIdentityResponses.parse(body(m), NOW, null, "p").credentials().accessKeyId()).isEqualTo("ASIAEXAMPLE");
  }

  @Provide
  Arbitrary<List<Map.Entry<String, String>>> extras() {
    Arbitrary<String> names = Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(12)
        .filter(n -> !List.of("AccessKeyId", "SecretAccessKey", "Token", "Expiration", "AccountId").contains(n));
    Arbitrary<String> values = Arbitraries.of("1", "null", "\"x\"", "[1,{\"a\":[]}]", "{\"b\":{\"c\":true}}");
    return Combinators.combine(names, values).as(Map::entry).list().ofMaxSize(6);
  }

  private static void assertPrintable(String message) {
    assertThat(message.chars().noneMatch(c -> c < 0x20 || c == 0x7f)).as(message).isTrue();
    SecretLeakGuard.assertNoSecrets(message);
  }
}
