package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.PlainJWT;
import com.nimbusds.jwt.SignedJWT;
import io.workloadidentity.core.internal.Tokens;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Every way a token file's content can be wrong, each asserting the typed exception, a message that
 * says what is wrong, and that the message holds no part of the token. A case with a {@code now}
 * also runs the hand-out check ({@link Tokens#requireUsable}) that token sources apply.
 */
@ExtendWith(SecretLeakGuard.class)
class TokenInputCorpusTest {
  private static final Instant IAT = Instant.parse("2026-11-26T10:00:00Z");
  private static final Instant NOW = IAT.plus(Duration.ofMinutes(10));
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  private static final String GOOD = SecretLeakGuard.secret(TestTokens.token(IAT, Duration.ofHours(1), "sts.amazonaws.com"));
  private static final String[] P = GOOD.split("\\.");
  private static final String H = P[0];
  private static final String PAYLOAD = P[1];
  private static final String SIG = P[2];

  /** One corpus entry; {@code expected == null} means the token must be accepted. */
  record Case(String name, String input, Instant now, Class<? extends Throwable> expected, String fragment) {
    @Override
    public String toString() {
      return name;
    }
  }

  static Stream<Arguments> corpus() {
    List<Case> c = new ArrayList<>();
    int h = H.length();
    int firstDot = h;
    int secondDot = h + 1 + PAYLOAD.length();
    int len = GOOD.length();

    // Line breaks anywhere inside: the JDK would refuse the HTTP header and quote the token.
    c.add(bad("LF in the header", insert(GOOD, 10, "\n"), "line break (LF) at position 10 "));
    c.add(bad("LF right before the first dot", insert(GOOD, firstDot, "\n"), "line break (LF) at position " + firstDot + " "));
    c.add(bad("LF right after the first dot", insert(GOOD, firstDot + 1, "\n"), "line break (LF) at position " + (firstDot + 1) + " "));
    c.add(bad("LF in the payload", insert(GOOD, firstDot + 40, "\n"), "line break (LF) at position " + (firstDot + 40) + " "));
    c.add(bad("LF right before the second dot", insert(GOOD, secondDot, "\n"), "line break (LF) at position " + secondDot + " "));
    c.add(bad("LF in the signature", insert(GOOD, secondDot + 100, "\n"), "line break (LF) at position " + (secondDot + 100) + " "));
    c.add(bad("LF before the last character", insert(GOOD, len - 1, "\n"), "line break (LF) at position " + (len - 1) + " "));
    c.add(bad("CR in the payload", insert(GOOD, firstDot + 5, "\r"), "line break (CR) at position " + (firstDot + 5) + " "));
    c.add(bad("CRLF in the signature", insert(GOOD, secondDot + 7, "\r\n"), "line break (CR) at position " + (secondDot + 7) + " "));
    c.add(bad("CRLF and a space (header folding)", insert(GOOD, 30, "\r\n "), "line break (CR) at position 30 "));
    c.add(bad("two LFs: the first is reported", insert(insert(GOOD, 200, "\n"), 20, "\n"), "line break (LF) at position 20 "));
    c.add(bad("a second token on the next line", GOOD + "\n" + GOOD, "line break (LF) at position " + len + " "));
    c.add(ok("a trailing CRLF is stripped", GOOD + "\r\n"));
    c.add(ok("a leading newline and spaces are stripped", "\n  " + GOOD));

    // Other whitespace.
    c.add(bad("space in the header", insert(GOOD, 3, " "), "a space at position 3 "));
    c.add(bad("space in the payload", insert(GOOD, firstDot + 3, " "), "a space at position " + (firstDot + 3) + " "));
    c.add(bad("space in the signature", insert(GOOD, secondDot + 3, " "), "a space at position " + (secondDot + 3) + " "));
    c.add(bad("tab in the header", insert(GOOD, 8, "\t"), "a tab at position 8 "));
    c.add(bad("tab in the signature", insert(GOOD, len - 4, "\t"), "a tab at position " + (len - 4) + " "));
    c.add(bad("a Bearer prefix", "Bearer " + GOOD, "starts with the word \"Bearer\""));
    c.add(bad("vertical tab", insert(GOOD, 12, "\u000b"), "control character U+000B at position 12 "));
    c.add(bad("form feed", insert(GOOD, 13, "\f"), "control character U+000C at position 13 "));
    c.add(bad("no-break space", insert(GOOD, 14, "\u00a0"), "non-ASCII character U+00A0 at position 14 "));
    c.add(bad("line separator U+2028 inside", insert(GOOD, 15, "\u2028"), "non-ASCII character U+2028 at position 15 "));
    c.add(bad("ideographic space", insert(GOOD, 16, "\u3000"), "non-ASCII character U+3000 at position 16 "));

    // Control characters.
    c.add(bad("NUL first (not whitespace, not stripped)", "\u0000" + GOOD, "control character U+0000 at position 0 "));
    c.add(bad("NUL inside", insert(GOOD, 50, "\u0000"), "control character U+0000 at position 50 "));
    c.add(bad("NUL last", GOOD + "\u0000", "control character U+0000 at position " + len + " "));
    c.add(bad("an ANSI escape sequence", insert(GOOD, 21, "\u001b[31m"), "control character U+001B at position 21 "));
    c.add(bad("DEL", insert(GOOD, 22, "\u007f"), "control character U+007F at position 22 "));
    c.add(bad("C1 next line U+0085", insert(GOOD, 23, "\u0085"), "control character U+0085 at position 23 "));
    c.add(bad("C1 CSI U+009B", insert(GOOD, 24, "\u009b"), "control character U+009B at position 24 "));

    // Non-ASCII look-alikes and invisible characters.
    c.add(bad("Cyrillic a for Latin a", replace(GOOD, 25, "\u0430"), "non-ASCII character U+0430 at position 25 "));
    c.add(bad("Greek omicron for o", replace(GOOD, 26, "\u03bf"), "non-ASCII character U+03BF at position 26 "));
    c.add(bad("fullwidth A", replace(GOOD, 27, "\uff21"), "non-ASCII character U+FF21 at position 27 "));
    c.add(bad("fullwidth full stop as a separator", replace(GOOD, firstDot, "\uff0e"), "non-ASCII character U+FF0E at position " + firstDot + " "));
    c.add(bad("ideographic full stop as a separator", replace(GOOD, secondDot, "\u3002"), "non-ASCII character U+3002 at position " + secondDot + " "));
    c.add(bad("one dot leader as a separator", replace(GOOD, firstDot, "\u2024"), "non-ASCII character U+2024 at position " + firstDot + " "));
    c.add(bad("byte-order mark first", "\ufeff" + GOOD, "byte-order mark (U+FEFF) at position 0 "));
    c.add(bad("zero-width space", insert(GOOD, 28, "\u200b"), "non-ASCII character U+200B at position 28 "));
    c.add(bad("right-to-left override", insert(GOOD, 29, "\u202e"), "non-ASCII character U+202E at position 29 "));
    c.add(bad("an emoji (surrogate pair)", insert(GOOD, 31, "\ud83d\ude00"), "non-ASCII character U+1F600 at position 31 "));
    c.add(bad("a lone high surrogate", insert(GOOD, 32, "\ud83d"), "non-ASCII character U+D83D at position 32 "));
    c.add(bad("e with acute accent", insert(GOOD, 33, "\u00e9"), "non-ASCII character U+00E9 at position 33 "));
    c.add(bad("a combining accent", insert(GOOD, 34, "\u0301"), "non-ASCII character U+0301 at position 34 "));

    // ASCII outside the alphabet.
    c.add(bad("padding after the header", H + "=." + PAYLOAD + "." + SIG, "padding ('=') at position " + h + " "));
    c.add(bad("padding at the end", GOOD + "==", "padding ('=') at position " + len + " "));
    c.add(bad("standard base64 plus", replace(GOOD, 35, "+"), "standard-base64 character ('+' or '/') at position 35 "));
    c.add(bad("standard base64 slash", replace(GOOD, secondDot + 9, "/"), "standard-base64 character ('+' or '/') at position " + (secondDot + 9) + " "));
    c.add(bad("a JSON-quoted token", "\"" + GOOD + "\"", "quote character at position 0 "));
    c.add(bad("a single-quoted token", "'" + GOOD + "'", "quote character at position 0 "));
    c.add(bad("@ in the header", "@@@." + PAYLOAD + "." + SIG, "outside the JWS compact alphabet (U+0040) at position 0 "));
    c.add(bad("a backslash", insert(GOOD, 36, "\\"), "outside the JWS compact alphabet (U+005C) at position 36 "));
    c.add(bad("a percent-encoded dot", H + "%2E" + PAYLOAD + "." + SIG, "outside the JWS compact alphabet (U+0025) at position " + h + " "));
    c.add(bad("a comma", insert(GOOD, 37, ","), "(U+002C) at position 37 "));
    c.add(bad("a colon", insert(GOOD, 38, ":"), "(U+003A) at position 38 "));
    c.add(bad("an asterisk", insert(GOOD, 39, "*"), "(U+002A) at position 39 "));

    // Number and emptiness of parts.
    c.add(bad("one part", H, "found 1"));
    c.add(bad("two parts", H + "." + PAYLOAD, "found 2"));
    c.add(bad("four parts", GOOD + ".x", "found 4"));
    c.add(bad("five parts (JWE)", GOOD + ".x.y", "five parts is an encrypted JWE"));
    c.add(bad("a trailing dot", GOOD + ".", "found 4"));
    c.add(bad("a leading dot", "." + GOOD, "found 4"));
    c.add(bad("empty header", "." + PAYLOAD + "." + SIG, "header part is empty"));
    c.add(bad("empty payload", H + ".." + SIG, "payload part is empty"));
    c.add(bad("empty signature", H + "." + PAYLOAD + ".", "signature part is empty"));
    c.add(bad("only dots", "..", "header part is empty"));
    c.add(bad("empty", "", "empty"));
    c.add(bad("whitespace only", " \r\n\t ", "empty"));

    // Size: checked before anything is scanned.
    c.add(bad("1 MiB of base64url", "A".repeat(1 << 20), "larger than the 65536 accepted"));
    c.add(bad("one character over the limit", "A".repeat(ProjectedToken.MAX_SIZE_BYTES + 1), "larger than the 65536 accepted"));
    c.add(bad("a huge token with a line break", "A".repeat(40_000) + "\n" + "B".repeat(40_000), "larger than the 65536 accepted"));
    c.add(bad("at the limit, right shape, not JSON",
        "A".repeat(20_000) + "." + "B".repeat(20_000) + "." + "C".repeat(ProjectedToken.MAX_SIZE_BYTES - 40_002), "not a valid JWT"));

    // Absurd dates: read from the raw JSON, not wrapped around to 1969.
    c.add(bad("exp 1e30", signed(b -> b.claim("exp", 1e30)), "'exp' claim is not a valid date: 1.0E30 seconds since 1970 is after the year 9999"));
    c.add(bad("exp negative", signed(b -> b.claim("exp", -1L)), "'exp' claim is not a valid date: -1 seconds since 1970 is before 1970"));
    c.add(bad("exp Long.MAX_VALUE", signed(b -> b.claim("exp", Long.MAX_VALUE)), "'exp' claim is not a valid date"));
    c.add(bad("exp in the year 10000", signed(b -> b.claim("exp", 253_402_300_800L)), "after the year 9999"));
    c.add(ok("exp on the last second of 9999", signed(b -> b.claim("exp", 253_402_300_799L)), NOW));
    c.add(bad("exp 1e20 (an integer too big for a long)", forged(header(), payload("\"exp\":100000000000000000000")), "after the year 9999"));
    c.add(bad("exp a string", signed(b -> b.claim("exp", "tomorrow")), "'exp' claim is not a valid date: it is a string"));
    c.add(bad("exp a boolean", signed(b -> b.claim("exp", true)), "'exp' claim is not a valid date: it is a boolean"));
    c.add(bad("exp an array", signed(b -> b.claim("exp", List.of(1L))), "'exp' claim is not a valid date: it is an array"));
    c.add(bad("exp an object", signed(b -> b.claim("exp", Map.of("s", 1L))), "'exp' claim is not a valid date: it is an object"));
    c.add(ok("exp fractional (RFC 7519 allows it)", signed(b -> b.claim("exp", IAT.getEpochSecond() + 3600.5)), NOW));
    c.add(bad("exp JSON null", forged(header(), payload("\"exp\":null")), "no 'exp' claim"));
    c.add(bad("exp 0: expired in 1970", signed(b -> b.claim("exp", 0L).notBeforeTime(null).issueTime(null)), NOW,
        TokenExpiredException.class, "expired at 1970-01-01T00:00:00Z"));
    c.add(bad("iat 1e30", signed(b -> b.claim("iat", 1e30)), "'iat' claim is not a valid date"));
    c.add(bad("iat negative", signed(b -> b.claim("iat", -86_400L)), "'iat' claim is not a valid date: -86400 seconds since 1970 is before 1970"));
    c.add(bad("nbf a string", signed(b -> b.claim("nbf", "now")), "'nbf' claim is not a valid date: it is a string"));
    c.add(bad("nbf 1e30", signed(b -> b.claim("nbf", 1e30)), "'nbf' claim is not a valid date"));
    c.add(bad("nbf after exp", signed(b -> b.notBeforeTime(Date.from(IAT.plus(Duration.ofHours(2))))), "never valid"));
    c.add(bad("nbf equal to exp", signed(b -> b.notBeforeTime(Date.from(IAT.plus(Duration.ofHours(1))))), "never valid"));

    // The hand-out check: nbf and exp against the clock.
    Instant farNbf = NOW.plusSeconds(120);
    c.add(bad("nbf two minutes ahead", signed(b -> b.notBeforeTime(Date.from(farNbf))), NOW,
        TokenNotYetValidException.class, "is not valid until " + farNbf + " (in 2m 0s"));
    c.add(bad("nbf 61 s ahead", signed(b -> b.notBeforeTime(Date.from(NOW.plusSeconds(61)))), NOW,
        TokenNotYetValidException.class, "more than the 60 s of clock skew allowed"));
    c.add(bad("nbf a day ahead", signed(b -> b.notBeforeTime(Date.from(NOW.plus(Duration.ofDays(1))))
        .expirationTime(Date.from(NOW.plus(Duration.ofDays(2))))), NOW, TokenNotYetValidException.class, "(in 1d 0h"));
    c.add(ok("nbf exactly 60 s ahead (within the skew)", signed(b -> b.notBeforeTime(Date.from(NOW.plusSeconds(60)))), NOW));
    c.add(ok("nbf 30 s ahead (within the skew)", signed(b -> b.notBeforeTime(Date.from(NOW.plusSeconds(30)))), NOW));
    c.add(ok("nbf absent", signed(b -> b.notBeforeTime(null)), NOW));
    c.add(ok("nbf fractional, rounded up into the skew", signed(b -> b.claim("nbf", NOW.getEpochSecond() + 59.2)), NOW));
    c.add(bad("expired a second ago", signed(b -> b.expirationTime(Date.from(NOW.minusSeconds(1)))), NOW,
        TokenExpiredException.class, "expired at " + NOW.minusSeconds(1) + " (1s ago"));
    c.add(bad("expiring exactly now", signed(b -> b.expirationTime(Date.from(NOW))), NOW,
        TokenExpiredException.class, "expired at " + NOW));

    // Header and payload content.
    c.add(bad("alg none", new PlainJWT(TestTokens.claims(IAT, Duration.ofHours(1), "a").build()).serialize(), "alg: none"));
    c.add(bad("HMAC signed", hmac(), "asymmetric"));
    c.add(bad("an unknown alg", forged("{\"alg\":\"foo\"}", PAYLOAD_JSON), "signed with \"foo\"; service-account tokens use an asymmetric"));
    c.add(bad("an alg with a line break and an ANSI escape", forged("{\"alg\":\"RS256\\r\\n[OK] \\u001b[2J\"}", PAYLOAD_JSON),
        "signed with \"RS256\\r\\n[OK] \\u001B[2J\""));
    c.add(bad("no alg", forged("{\"typ\":\"JWT\"}", PAYLOAD_JSON), "not a valid JWT"));
    c.add(bad("header a JSON array", forged("[1,2]", PAYLOAD_JSON), "not a valid JWT"));
    c.add(bad("JWE header on three parts", forged("{\"alg\":\"RSA-OAEP\",\"enc\":\"A256GCM\"}", PAYLOAD_JSON), "not a valid JWT"));
    c.add(bad("payload a JSON array", forged(header(), "[1,2]"), "payload is not a JSON object"));
    c.add(bad("payload not JSON", forged(header(), "not json"), "payload is not a JSON object"));
    c.add(bad("payload nested 7000 deep", forged(header(), "{\"a\":".repeat(7000) + "1" + "}".repeat(7000)),
        "payload is not a JSON object"));
    c.add(bad("header nested 9000 deep", forged("[".repeat(9000) + "]".repeat(9000), PAYLOAD_JSON), "not a valid JWT"));
    c.add(bad("sub an object", forged(header(), payload("\"sub\":{\"a\":1}")), "not a JSON claims set"));
    c.add(bad("aud a number", forged(header(), payload("\"aud\":42")), "not a JSON claims set"));
    c.add(bad("missing exp", signed(b -> b.expirationTime(null)), "no 'exp' claim"));
    c.add(bad("missing sub", signed(b -> b.subject(null)), "no 'sub' claim"));
    c.add(bad("missing iss", signed(b -> b.issuer(null)), "no 'iss' claim"));
    c.add(bad("empty aud", signed(b -> b.audience(List.of())), "no 'aud' claim"));
    c.add(bad("legacy secret-based token", TestTokens.sign(new JWTClaimsSet.Builder().issuer("kubernetes/serviceaccount")
        .subject("system:serviceaccount:default:x").build()), "legacy secret-based"));
    c.add(ok("the good token", GOOD, NOW));
    return c.stream().map(Arguments::of);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("corpus")
  void eachInputGetsItsTypedErrorAndAMessageWithoutTheToken(Case c) {
    Throwable thrown = catchThrowable(() -> {
      ProjectedToken t = ProjectedToken.parse(c.input());
      if (c.now() != null) {
        Tokens.requireUsable(t, c.now(), "/var/run/secrets/tokens/token");
      }
    });
    if (c.expected() == null) {
      assertThat(thrown).as(c.name()).isNull();
      return;
    }
    SecretLeakGuard.inspect(thrown);
    assertThat(thrown).as(c.name()).isExactlyInstanceOf(c.expected()).hasMessageContaining(c.fragment()).hasNoCause();
    assertNoPartOfTheToken(thrown.getMessage(), c.input());
    assertThat(thrown.getMessage().chars().filter(ch -> ch < 0x20 || ch == 0x7f)).as("control characters").isEmpty();
  }

  @Test
  void theCorpusIsLargeEnough() {
    assertThat(corpus().count()).isGreaterThanOrEqualTo(60);
  }

  @Test
  void fractionalDatesAreRoundedTowardsTheSafeSide() {
    long exp = IAT.getEpochSecond() + 3600;
    ProjectedToken t = ProjectedToken.parse(signed(b -> b.claim("exp", exp + 0.9).claim("nbf", IAT.getEpochSecond() + 0.1)
        .claim("iat", IAT.getEpochSecond() + 0.7)));
    assertThat(t.expiresAt()).isEqualTo(Instant.ofEpochSecond(exp));
    assertThat(t.notBefore()).contains(IAT.plusSeconds(1));
    assertThat(t.issuedAt()).contains(IAT);
  }

  @Test
  void aTokenWithinTheSkewIsHandedOutAndAnExpiredOneSaysSo() {
    ProjectedToken early = ProjectedToken.parse(signed(b -> b.notBeforeTime(Date.from(NOW.plusSeconds(60)))));
    assertThatCode(() -> Tokens.requireUsable(early, NOW, "x")).doesNotThrowAnyException();
    assertThatCode(() -> Tokens.requireUnexpired(early, NOW, "x")).doesNotThrowAnyException();
    assertThat(Tokens.NOT_BEFORE_SKEW).isEqualTo(Duration.ofSeconds(60));
  }

  @Test
  void theOldCheckAlsoRefusesATokenBeforeItsNbf() {
    // Token sources written before the nbf check call requireUnexpired: they must not send it either.
    Instant nbf = NOW.plusSeconds(300);
    ProjectedToken t = ProjectedToken.parse(signed(b -> b.notBeforeTime(Date.from(nbf))));
    TokenNotYetValidException e = (TokenNotYetValidException) catchThrowable(() -> Tokens.requireUnexpired(t, NOW, "a file"));
    assertThat(e).isNotNull();
    assertThat(e.notBefore()).isEqualTo(nbf);
    assertThat(e).isInstanceOf(WorkloadIdentityException.class)
        .hasMessageContaining("The projected token from a file is not valid until " + nbf)
        .hasMessageContaining("clock");
    // It becomes usable once the clock is within the skew of nbf.
    assertThatCode(() -> Tokens.requireUnexpired(t, nbf.minusSeconds(60), "a file")).doesNotThrowAnyException();
  }

  @Test
  void claimsAndThePlaceAreEscapedInHandOutMessages() {
    ProjectedToken t = ProjectedToken.parse(signed(b -> b.subject("system:serviceaccount:x:y\r\n[OK] forged\u001b[31m")
        .expirationTime(Date.from(NOW.minusSeconds(5)))));
    Throwable e = catchThrowable(() -> Tokens.requireUsable(t, NOW, "/tmp/a\nb"));
    assertThat(e).isInstanceOf(TokenExpiredException.class)
        .hasMessageContaining("sub=system:serviceaccount:x:y\\r\\n[OK] forged\\u001B[31m")
        .hasMessageContaining("/tmp/a\\nb");
    assertThat(e.getMessage()).doesNotContain("\n").doesNotContain("\r").doesNotContain("\u001b");
    assertThat(t.toString()).contains("\\r\\n[OK] forged").doesNotContain("\n").doesNotContain("\u001b");
  }

  @Test
  void anAbsurdWarnafterIsIgnoredNotWrapped() {
    ProjectedToken t = ProjectedToken.parse(signed(b -> b.claim("kubernetes.io", Map.of("namespace", "n", "warnafter", 1e30))));
    assertThat(t.kubernetes().orElseThrow().warnAfter()).isEmpty();
  }

  // ------------------------------------------------------------------------------------------

  private static final String PAYLOAD_JSON = new String(Base64.getUrlDecoder().decode(PAYLOAD), StandardCharsets.UTF_8);

  /** No 12-character piece of any base64url run of the input may appear in the message. */
  static void assertNoPartOfTheToken(String message, String input) {
    if (input == null) {
      return;
    }
    int window = 12;
    int runStart = -1;
    for (int i = 0; i <= input.length(); i++) {
      boolean alphabet = i < input.length() && isBase64Url(input.charAt(i));
      if (alphabet && runStart < 0) {
        runStart = i;
      } else if (!alphabet && runStart >= 0) {
        // Distinct windows only: a run of one repeated character needs one look.
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (int k = runStart; k + window <= i; k++) {
          String piece = input.substring(k, k + window);
          if (seen.add(piece)) {
            assertThat(message).as("message must not contain a piece of the token").doesNotContain(piece);
          }
        }
        runStart = -1;
      }
    }
  }

  private static boolean isBase64Url(char ch) {
    return ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || ch >= '0' && ch <= '9' || ch == '-' || ch == '_';
  }

  private static Case bad(String name, String input, String fragment) {
    return new Case(name, input, null, MalformedTokenException.class, fragment);
  }

  private static Case bad(String name, String input, Instant now, Class<? extends Throwable> type, String fragment) {
    return new Case(name, input, now, type, fragment);
  }

  private static Case ok(String name, String input) {
    return new Case(name, input, null, null, null);
  }

  private static Case ok(String name, String input, Instant now) {
    return new Case(name, input, now, null, null);
  }

  private static String insert(String s, int at, String what) {
    return s.substring(0, at) + what + s.substring(at);
  }

  private static String replace(String s, int at, String what) {
    return s.substring(0, at) + what + s.substring(at + 1);
  }

  /** A really signed token with the standard claims changed by {@code edit}. */
  private static String signed(UnaryOperator<JWTClaimsSet.Builder> edit) {
    return SecretLeakGuard.secret(TestTokens.sign(edit.apply(TestTokens.claims(IAT, Duration.ofHours(1), "sts.amazonaws.com")).build()));
  }

  private static String header() {
    return new String(Base64.getUrlDecoder().decode(H), StandardCharsets.UTF_8);
  }

  /**
   * Claims JSON written by hand (the JSON parser refuses duplicate members, and the claims builder
   * cannot write every wrong type): iss, sub, aud, iat, exp, with {@code member} replacing the one
   * of the same name.
   */
  private static String payload(String member) {
    Map<String, String> m = new java.util.LinkedHashMap<>();
    m.put("iss", "\"" + TestTokens.ISSUER + "\"");
    m.put("sub", "\"system:serviceaccount:payments:api\"");
    m.put("aud", "[\"sts.amazonaws.com\"]");
    m.put("iat", String.valueOf(IAT.getEpochSecond()));
    m.put("exp", String.valueOf(IAT.getEpochSecond() + 3600));
    int colon = member.indexOf(':');
    m.put(member.substring(1, colon - 1), member.substring(colon + 1));
    StringBuilder sb = new StringBuilder("{");
    m.forEach((k, v) -> sb.append(sb.length() > 1 ? "," : "").append('"').append(k).append("\":").append(v));
    return sb.append('}').toString();
  }

  /** Arbitrary header and payload JSON with the good token's signature (parse does not verify). */
  private static String forged(String headerJson, String payloadJson) {
    return B64.encodeToString(headerJson.getBytes(StandardCharsets.UTF_8)) + "."
        + B64.encodeToString(payloadJson.getBytes(StandardCharsets.UTF_8)) + "." + SIG;
  }

  private static String hmac() {
    try {
      SignedJWT jwt = new SignedJWT(new JWSHeader(JWSAlgorithm.HS256), TestTokens.claims(IAT, Duration.ofHours(1), "a").build());
      jwt.sign(new MACSigner("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8)));
      return jwt.serialize();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }
}
