package io.workloadidentity.gcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The response parsers on their own: a corpus of Google-shaped 200 bodies (truncated, wrong types,
 * missing fields, absurd expiries), each refused with the field it names and never the token, and
 * properties over arbitrary input: nothing but {@link TokenResponses.Unusable} is ever thrown, and
 * whatever is accepted is a header-safe token with an expiry after the response.
 */
class TokenResponsesTest {
  static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");
  static final String TOKEN = "ya29.c.secret-value-0123456789";

  static Arguments bad(String name, String body, String... fragments) {
    return Arguments.of(name, body, List.of(fragments));
  }

  static Stream<Arguments> unusableOauth() {
    String big = "a".repeat(TokenResponses.MAX_TOKEN_CHARS + 1);
    return Stream.of(
        bad("empty", "", "body is empty"),
        bad("blank", " \r\n ", "body is empty"),
        bad("truncated", "{\"access_token\": \"" + TOKEN + "\", \"expi", "not a JSON object"),
        bad("truncated inside the token", "{\"access_token\": \"" + TOKEN.substring(0, 9), "not a JSON object"),
        bad("HTML from a proxy", "<html><body>Sign in</body></html>", "not a JSON object"),
        bad("a JSON array", "[{\"access_token\": \"" + TOKEN + "\", \"expires_in\": 3599}]", "not a JSON object"),
        bad("a JSON string", "\"" + TOKEN + "\"", "not a JSON object"),
        bad("deeply nested", "{\"x\": " + "[".repeat(100) + "]".repeat(100) + "}", "deeper than 16"),
        bad("no access_token", "{\"expires_in\": 3599}", "no \"access_token\""),
        bad("access_token null", "{\"access_token\": null, \"expires_in\": 3599}", "no \"access_token\""),
        bad("access_token a number", "{\"access_token\": 42, \"expires_in\": 3599}", "\"access_token\" is not a string"),
        bad("access_token an object", "{\"access_token\": {\"v\": \"" + TOKEN + "\"}, \"expires_in\": 3599}",
            "\"access_token\" is not a string"),
        bad("access_token empty", "{\"access_token\": \"\", \"expires_in\": 3599}", "\"access_token\" is empty"),
        bad("access_token with CR/LF", "{\"access_token\": \"" + TOKEN + "\\r\\nX-Forged: 1\", \"expires_in\": 3599}",
            "a control character at position 30"),
        bad("access_token with a space", "{\"access_token\": \"Bearer " + TOKEN + "\", \"expires_in\": 3599}",
            "a space at position 6"),
        bad("access_token non-ASCII", "{\"access_token\": \"" + TOKEN + "\u00e9\", \"expires_in\": 3599}",
            "a non-ASCII character"),
        bad("access_token 16 KiB + 1", "{\"access_token\": \"" + big + "\", \"expires_in\": 3599}",
            "16385 characters long"),
        bad("no expires_in", "{\"access_token\": \"" + TOKEN + "\"}", "no \"expires_in\"", "not assumed to last an hour"),
        bad("expires_in null", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": null}", "no \"expires_in\""),
        bad("expires_in 0", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": 0}", "\"expires_in\" is 0"),
        bad("expires_in negative", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": -3599}", "is -3599"),
        bad("expires_in fractional", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": 3599.5}", "is 3599.5"),
        bad("expires_in 1e30", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": 1e30}", "expires_in",
            "positive whole number"),
        bad("expires_in above 2^31-1", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": 2147483648}",
            "is 2147483648"),
        bad("expires_in a word", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": \"soon\"}",
            "the string \"soon\""),
        bad("expires_in with CR/LF", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": \"1\\r\\n[OK]\"}",
            "the string \"1\\r\\n[OK]\""),
        bad("expires_in a boolean", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": true}", "a boolean"),
        bad("expires_in an object", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": {\"s\": 1}}", "a JSON object"),
        bad("expires_in an array", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": [3599]}", "a JSON array"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unusableOauth")
  void anUnusableStsOrMetadataResponseNamesTheFieldAndNeverTheToken(String name, String body, List<String> fragments) {
    Throwable t = catchThrowable(() -> TokenResponses.oauth(body, NOW));
    assertThat(t).as(name).isInstanceOf(TokenResponses.Unusable.class);
    for (String f : fragments) {
      assertThat(t.getMessage()).as(name).contains(f);
    }
    assertClean(name, t);
    assertThat(((TokenResponses.Unusable) t).clock()).as(name + ": not the clock's fault").isFalse();
  }

  static Stream<Arguments> unusableIam() {
    return Stream.of(
        bad("no accessToken (the OAuth name instead)", "{\"access_token\": \"" + TOKEN + "\", \"expireTime\":"
            + " \"2026-03-01T13:00:00Z\"}", "no \"accessToken\""),
        bad("no expireTime", "{\"accessToken\": \"" + TOKEN + "\"}", "no \"expireTime\""),
        bad("expireTime null", "{\"accessToken\": \"" + TOKEN + "\", \"expireTime\": null}", "no \"expireTime\""),
        bad("expireTime a number", "{\"accessToken\": \"" + TOKEN + "\", \"expireTime\": 1772370000}",
            "not an RFC 3339 time string"),
        bad("expireTime not a time", "{\"accessToken\": \"" + TOKEN + "\", \"expireTime\": \"tomorrow\"}",
            "\"tomorrow\" is not an RFC 3339 time"),
        bad("expireTime without an offset", "{\"accessToken\": \"" + TOKEN + "\", \"expireTime\": \"2026-03-01T13:00:00\"}",
            "is not an RFC 3339 time"),
        bad("expireTime very long", "{\"accessToken\": \"" + TOKEN + "\", \"expireTime\": \"" + "9".repeat(10_000) + "\"}",
            "not an RFC 3339 time string"),
        bad("expireTime with CR/LF", "{\"accessToken\": \"" + TOKEN + "\", \"expireTime\": \"x\\r\\n[OK] y\"}",
            "\"x\\r\\n[OK] y\""),
        bad("expireTime in 1970", "{\"accessToken\": \"" + TOKEN + "\", \"expireTime\": \"1970-01-01T00:00:00Z\"}",
            "not a plausible expiry"),
        bad("expireTime equal to now", "{\"accessToken\": \"" + TOKEN + "\", \"expireTime\": \"2026-03-01T12:00:00Z\"}",
            "check this machine's clock"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("unusableIam")
  void anUnusableIamResponseNamesTheFieldAndNeverTheToken(String name, String body, List<String> fragments) {
    Throwable t = catchThrowable(() -> TokenResponses.iam(body, NOW, Duration.ofHours(1)));
    assertThat(t).as(name).isInstanceOf(TokenResponses.Unusable.class);
    for (String f : fragments) {
      assertThat(t.getMessage()).as(name).contains(f);
    }
    assertClean(name, t);
  }

  @org.junit.jupiter.api.Test
  void onlyAnExpiryJustPastBlamesTheClock() throws Exception {
    Throwable recent = catchThrowable(() -> TokenResponses.iam("{\"accessToken\": \"" + TOKEN + "\", \"expireTime\":"
        + " \"2026-03-01T11:30:00Z\"}", NOW, Duration.ofHours(1)));
    assertThat(((TokenResponses.Unusable) recent).clock()).isTrue();
    assertThat(recent.getMessage()).contains("30m 0s").contains("ahead of Google's");
    Throwable ancient = catchThrowable(() -> TokenResponses.iam("{\"accessToken\": \"" + TOKEN + "\", \"expireTime\":"
        + " \"2020-03-01T11:30:00Z\"}", NOW, Duration.ofHours(1)));
    assertThat(((TokenResponses.Unusable) ancient).clock()).isFalse();
    assertThat(ancient.getMessage()).doesNotContain("clock");
  }

  static Stream<Arguments> usable() {
    return Stream.of(
        Arguments.of("STS", "{\"access_token\": \"" + TOKEN + "\", \"issued_token_type\":"
            + " \"urn:ietf:params:oauth:token-type:access_token\", \"token_type\": \"Bearer\", \"expires_in\": 3599}",
            NOW.plusSeconds(3599)),
        Arguments.of("expires_in as a digit string", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": \"3599\"}",
            NOW.plusSeconds(3599)),
        Arguments.of("expires_in 3599.0", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": 3599.0}",
            NOW.plusSeconds(3599)),
        // Ten years: accepted here, capped to the core's maximum lifetime by the cache (tested there).
        Arguments.of("expires_in ten years", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": 315360000}",
            NOW.plusSeconds(315_360_000L)),
        Arguments.of("extra fields", "{\"access_token\": \"" + TOKEN + "\", \"expires_in\": 1, \"x\": [{}, null]}",
            NOW.plusSeconds(1)));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("usable")
  void aUsableOauthResponseGivesTheTokenAndItsExpiry(String name, String body, Instant expiresAt) throws Exception {
    TokenResponses.Parsed p = TokenResponses.oauth(body, NOW);
    assertThat(p.token()).isEqualTo(TOKEN);
    assertThat(p.expiresAt()).isEqualTo(expiresAt);
    assertThat(p.toString()).doesNotContain(TOKEN);
  }

  @org.junit.jupiter.api.Test
  void aUsableIamResponseGivesTheTokenAndItsExpiry() throws Exception {
    TokenResponses.Parsed p = TokenResponses.iam("{\"accessToken\": \"" + TOKEN + "\", \"expireTime\":"
        + " \"2026-03-01T13:00:00.123456789+01:00\"}", NOW, Duration.ofHours(1));
    assertThat(p.token()).isEqualTo(TOKEN);
    assertThat(p.expiresAt()).isEqualTo(Instant.parse("2026-03-01T12:00:00.123456789Z"));
  }

  static void assertClean(String name, Throwable t) {
    assertThat(t.getMessage()).as(name).doesNotContain(TOKEN).doesNotContain("secret-value").doesNotContain("\r")
        .doesNotContain("\n").hasSizeLessThan(500);
  }

  // ---- properties ----

  /** Any text at all: the parsers answer or refuse with Unusable, never anything else, never the text's token. */
  @Property(tries = 500)
  void anyBodyIsParsedOrRefusedWithUnusable(@ForAll("bodies") String body) {
    for (int kind = 0; kind < 2; kind++) {
      try {
        TokenResponses.Parsed p = kind == 0 ? TokenResponses.oauth(body, NOW)
            : TokenResponses.iam(body, NOW, Duration.ofHours(1));
        assertThat(p.expiresAt()).isAfter(NOW);
        assertThat(p.token()).isNotEmpty().hasSizeLessThanOrEqualTo(TokenResponses.MAX_TOKEN_CHARS)
            .matches("[\\x21-\\x7e]+");
      } catch (TokenResponses.Unusable e) {
        assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r").hasSizeLessThan(500);
      }
    }
  }

  /** Every accepted expires_in is exactly that many seconds after the response. */
  @Property(tries = 300)
  void aPositiveWholeExpiresInIsTakenAsIs(@ForAll @IntRange(min = 1) int seconds,
      @ForAll("tokens") String token) throws Exception {
    TokenResponses.Parsed p = TokenResponses.oauth("{\"access_token\": \"" + token + "\", \"expires_in\": " + seconds
        + "}", NOW);
    assertThat(p.token()).isEqualTo(token);
    assertThat(p.expiresAt()).isEqualTo(NOW.plusSeconds(seconds));
  }

  /** Whatever the field holds when it is not a positive whole number, the response is refused. */
  @Property(tries = 300)
  void anythingButAPositiveWholeExpiresInIsRefused(@ForAll("notPositiveWhole") String expiresIn) {
    Throwable t = catchThrowable(() -> TokenResponses.oauth("{\"access_token\": \"" + TOKEN + "\", \"expires_in\": "
        + expiresIn + "}", NOW));
    assertThat(t).isInstanceOf(TokenResponses.Unusable.class);
    assertThat(t.getMessage()).doesNotContain(TOKEN);
  }

  /** A token with any character outside visible ASCII is refused, and the message never quotes the token. */
  @Property(tries = 300)
  void aTokenWithAnyUnsafeCharacterIsRefused(@ForAll("longTokens") String prefix, @ForAll("unsafe") char c) {
    String token = prefix + c + "tail";
    String body = "{\"access_token\": " + json(token) + ", \"expires_in\": 3599}";
    Throwable t = catchThrowable(() -> TokenResponses.oauth(body, NOW));
    assertThat(t).isInstanceOf(TokenResponses.Unusable.class);
    assertThat(t.getMessage()).contains("position " + prefix.length()).doesNotContain(prefix);
  }

  /** The depth check agrees with counting: n nested arrays pass exactly when n is within the limit. */
  @Property(tries = 100)
  void depthWithinCountsNesting(@ForAll @IntRange(min = 0, max = 40) int n, @ForAll @StringLength(max = 8) String s) {
    String inner = json(s + "[{");
    String text = "[".repeat(n) + inner + "]".repeat(n);
    assertThat(TokenResponses.depthWithin(text, TokenResponses.MAX_DEPTH)).isEqualTo(n <= TokenResponses.MAX_DEPTH);
  }

  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<String> fragments = Arbitraries.of("{", "}", "[", "]", ",", ":", "\"", "\\", "null", "true", "1e30",
        "-1", "0", "3599", "3599.5", "\"access_token\"", "\"accessToken\"", "\"expires_in\"", "\"expireTime\"",
        "\"2026-03-01T13:00:00Z\"", "\"1970-01-01T00:00:00Z\"", "\"" + TOKEN + "\"", "\"a\\r\\nb\"", " ", "\u0000",
        "\u00e9");
    Arbitrary<String> structured = fragments.list().ofMaxSize(40).map(l -> String.join("", l));
    Arbitrary<String> wellFormed = Arbitraries.of("access_token", "accessToken", "expires_in", "expireTime", "x")
        .flatMap(k -> Arbitraries.of("null", "3599", "\"3599\"", "-5", "1.5", "\"" + TOKEN + "\"", "[]", "{}",
            "\"2026-03-01T13:00:00Z\"").map(v -> "\"" + k + "\": " + v))
        .list().ofMaxSize(5).map(l -> "{" + String.join(", ", l) + "}");
    return Arbitraries.oneOf(structured, wellFormed, Arbitraries.strings().ofMaxLength(200));
  }

  @Provide
  Arbitrary<String> tokens() {
    return Arbitraries.strings().withCharRange('!', '~').excludeChars('"', '\\').ofMinLength(1).ofMaxLength(60);
  }

  /** Long enough that finding one in a message can only mean it was quoted. */
  @Provide
  Arbitrary<String> longTokens() {
    return Arbitraries.strings().withCharRange('!', '~').excludeChars('"', '\\').ofMinLength(12).ofMaxLength(60);
  }

  @Provide
  Arbitrary<Character> unsafe() {
    return Arbitraries.oneOf(Arbitraries.chars().range('\u0000', ' '), Arbitraries.of('\u007f', '\u00e9', '\u2028',
        '\u202e', '\ufeff'));
  }

  @Provide
  Arbitrary<String> notPositiveWhole() {
    return Arbitraries.oneOf(
        Arbitraries.longs().lessOrEqual(0).map(String::valueOf),
        Arbitraries.longs().greaterOrEqual(Integer.MAX_VALUE + 1L).map(String::valueOf),
        Arbitraries.integers().between(0, 100_000).map(i -> i + "." + "5"),
        Arbitraries.integers().between(31, 400).map(e -> "1e" + e),
        Arbitraries.of("null", "true", "false", "[]", "{}", "\"\"", "\"soon\"", "\"-1\"", "\"1.0\"", "\"12345678901\""));
  }

  /** {@code s} as a JSON string literal. */
  static String json(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (char c : s.toCharArray()) {
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20 || c == 0x7f || c > 0x7e) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
