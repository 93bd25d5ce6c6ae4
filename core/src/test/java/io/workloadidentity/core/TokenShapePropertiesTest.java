package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/** Property tests of the JWS compact shape check in {@link ProjectedToken#parse}. */
class TokenShapePropertiesTest {
  private static final Instant IAT = Instant.parse("2026-11-26T10:00:00Z");
  private static final List<String> REAL = List.of(
      TestTokens.token(IAT, Duration.ofHours(1), "sts.amazonaws.com"),
      TestTokens.token(IAT, Duration.ofDays(365), "https://kubernetes.default.svc"),
      TestTokens.token(IAT, Duration.ofMinutes(10), "api://AzureADTokenExchange"));
  private static final String ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  @Provide
  Arbitrary<String> part() {
    return Arbitraries.strings().withChars(ALPHABET.toCharArray()).ofMinLength(1).ofMaxLength(400);
  }

  /** (a) Three non-empty base64url parts always pass the shape check; any later failure is about content. */
  @Property(tries = 500)
  void threeBase64UrlPartsPassTheShapeCheck(@ForAll("part") String header, @ForAll("part") String payload,
      @ForAll("part") String signature) {
    String token = header + "." + payload + "." + signature;
    assertThatCode(() -> ProjectedToken.checkCompactSerialization(token)).doesNotThrowAnyException();
    Throwable e = catchThrowable(() -> ProjectedToken.parse(token));
    if (e == null) {
      return; // random bytes that happen to be a valid token
    }
    assertThat(e).isInstanceOf(MalformedTokenException.class);
    assertThat(e.getMessage()).doesNotContain(" at position ").doesNotContain("three base64url parts")
        .doesNotContain("part is empty").doesNotContain("signature part");
    assertNoSegment(e.getMessage(), token);
  }

  @Provide
  Arbitrary<String> outsideTheAlphabet() {
    Arbitrary<String> bmp = Arbitraries.chars().all().filter(c -> ALPHABET.indexOf(c) < 0).map(String::valueOf);
    Arbitrary<String> supplementary = Arbitraries.integers().between(0x10000, Character.MAX_CODE_POINT)
        .map(Character::toString);
    Arbitrary<String> usual = Arbitraries.of("\n", "\r", "\r\n", " ", "\t", "=", "+", "/", ".", "\u0000", "\u00a0",
        "\u2028", "\ufeff", "\u0430", "\"", "%");
    return Arbitraries.oneOf(bmp, supplementary, usual);
  }

  /** (b) Any character outside the alphabet, anywhere, is refused, and the message holds no part of the token. */
  @Property(tries = 1000)
  void anyCharacterOutsideTheAlphabetIsRefused(@ForAll("outsideTheAlphabet") String c,
      @ForAll @IntRange(min = 0, max = 2) int which, @ForAll @IntRange(min = 0, max = 100_000) int where) {
    String good = REAL.get(which);
    int at = where % (good.length() + 1);
    String token = good.substring(0, at) + c + good.substring(at);
    Throwable e = catchThrowable(() -> ProjectedToken.parse(token));
    boolean strippedAtAnEdge = (at == 0 || at == good.length()) && c.strip().isEmpty();
    if (strippedAtAnEdge) {
      // Surrounding whitespace is documented to be removed: the token is the original one.
      assertThat(e).isNull();
      assertThat(ProjectedToken.parse(token).value()).isEqualTo(good);
      return;
    }
    assertThat(e).isInstanceOf(MalformedTokenException.class);
    assertNoSegment(e.getMessage(), good);
    assertThat(e.getMessage().chars().filter(ch -> ch < 0x20 || ch > 0x7e)).as("message is printable ASCII").isEmpty();
  }

  /** No part of the token, and no 12-character piece of one, appears in {@code message}. */
  static void assertNoSegment(String message, String token) {
    for (String part : token.split("[^A-Za-z0-9_-]+")) {
      if (part.length() >= 8) {
        assertThat(message).doesNotContain(part);
      }
      for (int k = 0; k + 12 <= part.length(); k += 3) {
        assertThat(message).doesNotContain(part.substring(k, k + 12));
      }
    }
  }
}
