package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.internal.Redaction;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.regex.Pattern;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.arbitraries.StringArbitrary;

/** (c) Whatever goes into {@link Redaction#message}, what comes out is safe to log. */
class RedactionPropertiesTest {
  private static final Instant IAT = Instant.parse("2026-11-26T10:00:00Z");
  private static final List<String> TOKENS = List.of(
      TestTokens.token(IAT, Duration.ofHours(1), "sts.amazonaws.com"),
      TestTokens.token(IAT, Duration.ofMinutes(5), "gcp"));
  /**
   * JWT-shaped: three base64url parts, the first holding base64url JSON ("eyJ"). Only the test uses
   * a regex: it checks our output, which the cap keeps short.
   */
  private static final Pattern JWT_SHAPED = Pattern.compile("eyJ[A-Za-z0-9_-]*+\\.[A-Za-z0-9_-]++\\.[A-Za-z0-9_-]++");

  @Provide
  Arbitrary<String> untrusted() {
    StringArbitrary any = Arbitraries.strings().all().ofMaxLength(3000);
    StringArbitrary ascii = Arbitraries.strings().ascii().ofMaxLength(3000);
    Arbitrary<String> glue = Arbitraries.of("", " ", "\n", "\r\n", "Bearer ", "access_token=", "\"token\":\"", "x", ".",
        "eyJ", "\u001b[31m", "\u2028", "'", "assertion=", "<SessionToken>");
    Arbitrary<String> token = Arbitraries.of(TOKENS);
    Arbitrary<String> embedded = Combinators.combine(ascii.ofMaxLength(300), glue, token, glue, any.ofMaxLength(300))
        .as((a, b, t, d, e) -> a + b + t + d + e);
    Arbitrary<String> twoTokens = Combinators.combine(any.ofMaxLength(1500), token, glue, token)
        .as((a, t, g, u) -> a + t + g + u);
    return Arbitraries.oneOf(any, ascii, embedded, twoTokens);
  }

  @Property(tries = 1000)
  void outputIsBoundedHasNoControlCharacterAndNoJwt(@ForAll("untrusted") String input) {
    String out = Redaction.message(input);
    assertThat(out.length()).isLessThanOrEqualTo(Redaction.MAX_LENGTH);
    assertThat(JWT_SHAPED.matcher(out).find()).as("JWT-shaped text in %s", out).isFalse();
    assertThat(out).doesNotContain("eyJ");
    for (int i = 0; i < out.length(); i++) {
      char c = out.charAt(i);
      boolean control = Character.getType(c) == Character.CONTROL || Character.getType(c) == Character.FORMAT
          || c == '\u2028' || c == '\u2029';
      assertThat(control).as("control or format character U+%04X at %d", (int) c, i).isFalse();
    }
    for (String t : TOKENS) {
      for (String part : t.split("\\.")) {
        assertThat(out).doesNotContain(part.substring(0, 16)).doesNotContain(part.substring(part.length() - 16));
      }
    }
  }

  @Property(tries = 500)
  void escapeRemovesEveryControlCharacterAndKeepsTheRest(@ForAll("untrusted") String input) {
    String out = Redaction.escape(input);
    assertThat(out.chars().filter(c -> c < 0x20 || c >= 0x7f && c <= 0x9f)).isEmpty();
    String printable = input.replaceAll("[\\p{Cc}\\p{Cf}\\p{Cs}\u2028\u2029]", "");
    if (printable.equals(input)) {
      assertThat(out).isEqualTo(input);
    }
  }
}
