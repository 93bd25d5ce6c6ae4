package io.workloadidentity.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import io.workloadidentity.testkit.SecretLeakGuard;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.LongRange;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.statistics.StatisticsReport;

/**
 * Properties of the token-response parser: whatever the body, a response or {@link
 * EntraTokenResponse.Invalid} and nothing else, never the token in a message; a valid response
 * parses to its token and lifetime whatever the member order, whitespace and extra members; MSAL's
 * JSON parser (azure-json) reads the same token and lifetime from everything the parser accepts; no
 * truncation of a valid response is accepted; an error body is taken for Entra's error JSON only
 * when azure-json reads a non-empty string {@code error} from it.
 */
class EntraTokenResponsePropertiesTest {
  /** A token the leak guard knows (random ones are not registered: short ones would raise false alarms later). */
  private static final String TOKEN = SecretLeakGuard.secret(
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJwcm9wZXJ0aWVzIn0.cHJvcGVydGllcy1zaWduYXR1cmUtdmFsdWU");
  private static final Set<String> KNOWN = Set.of("access_token", "expires_in", "ext_expires_in", "refresh_in",
      "token_type", "expires_on");

  // ------------------------------------------------------------------ generators

  @Provide
  Arbitrary<String> tokens() {
    Arbitrary<String> body = Arbitraries.strings().withCharRange('a', 'z').withCharRange('A', 'Z')
        .withCharRange('0', '9').withChars('-', '.', '_', '~', '+', '/').ofMinLength(1).ofMaxLength(300);
    return Arbitraries.oneOf(Arbitraries.just(TOKEN),
        Combinators.combine(body, Arbitraries.integers().between(0, 2)).as((b, pad) -> b + "=".repeat(pad)));
  }

  private static Arbitrary<String> whitespace() {
    return Arbitraries.of("", " ", "\n", "\t", "\r\n  ");
  }

  private static Arbitrary<String> jsonStrings() {
    return Arbitraries.strings().all().ofMaxLength(40).map(EntraTokenResponsePropertiesTest::quote);
  }

  private static Arbitrary<String> scalars() {
    return Arbitraries.oneOf(jsonStrings(), Arbitraries.longs().map(String::valueOf),
        Arbitraries.of("0", "-0", "1.5", "-2.5e-3", "6E+2", "true", "false", "null"));
  }

  private static Arbitrary<String> values() {
    return Arbitraries.recursive(EntraTokenResponsePropertiesTest::scalars, inner -> Arbitraries.oneOf(
        inner.list().ofMaxSize(4).map(l -> "[" + String.join(",", l) + "]"),
        Combinators.combine(jsonStrings().list().ofMaxSize(4), inner.list().ofSize(4)).as((names, vals) -> {
          List<String> members = new ArrayList<>();
          for (int i = 0; i < names.size(); i++) {
            members.add(names.get(i) + ":" + vals.get(i));
          }
          return "{" + String.join(",", members) + "}";
        })), 0, 4);
  }

  private static Arbitrary<String> extraMembers() {
    Arbitrary<String> name = Arbitraries.strings().all().ofMaxLength(20).filter(n -> !KNOWN.contains(n));
    return Combinators.combine(name, values()).as((n, v) -> quote(n) + ":" + v);
  }

  /** A valid response: token, lifetime (number or string), optional known fields, extras, any order. */
  @Provide
  Arbitrary<Valid> valid() {
    Arbitrary<Long> lifetime = Arbitraries.longs().between(1, EntraTokenResponse.MAX_EXPIRES_IN);
    return Combinators.combine(tokens(), lifetime, Arbitraries.of(true, false), extraMembers().list().ofMaxSize(5),
        Arbitraries.of(true, false), whitespace(), Arbitraries.longs()).as((token, seconds, asString, extras, typed,
            ws, seed) -> {
          List<String> members = new ArrayList<>(extras);
          members.add(quote("access_token") + ws + ":" + ws + quote(token));
          members.add(quote("expires_in") + ":" + (asString ? quote(String.valueOf(seconds)) : seconds));
          if (typed) {
            members.add("\"token_type\":\"Bearer\"");
          }
          Collections.shuffle(members, new Random(seed));
          return new Valid("{" + ws + String.join("," + ws, members) + ws + "}", token, seconds);
        });
  }

  record Valid(String body, String token, long seconds) {}

  /** Anything: random text, valid responses, and valid responses broken by a cut, a deleted, an inserted or a doubled character. */
  @Provide
  Arbitrary<String> bodies() {
    Arbitrary<String> random = Arbitraries.strings().all().ofMaxLength(500);
    Arbitrary<String> jsonish = Arbitraries.strings().withChars("{}[]\":,\\ 0123456789.-eEtrufalsn_ab\n").ofMaxLength(200);
    Arbitrary<String> mutated = Combinators.combine(valid(), Arbitraries.integers().between(0, 10_000),
        Arbitraries.integers().between(0, 3), Arbitraries.chars()).as((v, at, how, c) -> {
          String b = v.body();
          int k = at % (b.length() + 1);
          return switch (how) {
            case 0 -> b.substring(0, k);
            case 1 -> k < b.length() ? b.substring(0, k) + b.substring(k + 1) : b;
            case 2 -> b.substring(0, k) + c + b.substring(k);
            default -> b.substring(0, k) + b.substring(k / 2);
          };
        });
    return Arbitraries.oneOf(random, jsonish, mutated, valid().map(Valid::body));
  }

  // ------------------------------------------------------------------ properties

  @Property(tries = 1500)
  @StatisticsReport(onFailureOnly = true)
  void anyBodyIsAResponseOrAReasonNeverAnythingElse(@ForAll("bodies") String body) {
    boolean accepted = false;
    try {
      EntraTokenResponse r = EntraTokenResponse.parse(body);
      accepted = true;
      assertThat(r.accessToken()).isNotEmpty();
      assertThat(r.expiresInSeconds()).isBetween(1L, EntraTokenResponse.MAX_EXPIRES_IN);
      if (r.accessToken().length() >= 8) { // shorter ones occur in any text by chance
        assertThat(r.toString()).doesNotContain(r.accessToken());
      }
    } catch (EntraTokenResponse.Invalid e) {
      SecretLeakGuard.assertNoSecrets(e);
      String m = e.getMessage();
      assertThat(m.length()).isLessThan(400);
      for (int i = 0; i < m.length(); i++) {
        assertThat(Character.isISOControl(m.charAt(i))).as("control character in %s", m).isFalse();
      }
    }
    // the generators reach both outcomes often enough for the property to mean something
    Statistics.collect(accepted);
    Statistics.coverage(c -> {
      c.check(true).percentage(p -> p > 15);
      c.check(false).percentage(p -> p > 30);
    });
  }

  @Property(tries = 800)
  void aValidResponseGivesItsTokenAndLifetimeWhateverTheOrderAndExtras(@ForAll("valid") Valid v) throws Exception {
    EntraTokenResponse r = EntraTokenResponse.parse(v.body());
    assertThat(r.accessToken()).isEqualTo(v.token());
    assertThat(r.expiresInSeconds()).isEqualTo(v.seconds());
  }

  @Property(tries = 800)
  void msalsJsonParserReadsTheSameTokenAndLifetimeFromAnythingAccepted(@ForAll("bodies") String body) throws Exception {
    EntraTokenResponse r;
    try {
      r = EntraTokenResponse.parse(body);
    } catch (EntraTokenResponse.Invalid refused) {
      return;
    }
    Map<String, Object> read;
    try (JsonReader reader = JsonProviders.createReader(body.startsWith("\uFEFF") ? body.substring(1) : body)) {
      read = reader.readMap(JsonReader::readUntyped);
    }
    assertThat(read.get("access_token")).isEqualTo(r.accessToken());
    assertThat(String.valueOf(read.get("expires_in"))).isEqualTo(String.valueOf(r.expiresInSeconds()));
  }

  @Property(tries = 300)
  void noTruncationOfAValidResponseIsAccepted(@ForAll("valid") Valid v, @ForAll @IntRange(min = 0, max = 100_000) int at) {
    String body = v.body().strip();
    int cut = at % body.length(); // a proper prefix: at most everything but the closing brace
    assertThatThrownBy(() -> EntraTokenResponse.parse(body.substring(0, cut)))
        .isInstanceOf(EntraTokenResponse.Invalid.class);
  }

  @Property(tries = 300)
  void aLifetimeThatIsNotAPositiveWholeNumberIsRefused(@ForAll("tokens") String token,
      @ForAll @LongRange(min = Long.MIN_VALUE, max = 0) long notPositive, @ForAll("notWhole") String notWhole) {
    for (String value : List.of(String.valueOf(notPositive), quote(String.valueOf(notPositive)), notWhole)) {
      String body = "{\"access_token\":" + quote(token) + ",\"expires_in\":" + value + "}";
      assertThatThrownBy(() -> EntraTokenResponse.parse(body)).isInstanceOf(EntraTokenResponse.Invalid.class)
          .hasMessageContaining("expires_in").hasMessageNotContaining(token.length() > 8 ? token : "\u0000");
    }
  }

  /** Error answers: Entra's error JSON (a non-empty string {@code error}, extras, any order), or anything at all. */
  @Provide
  Arbitrary<String> errorBodies() {
    Arbitrary<String> entra = Combinators.combine(jsonStrings().filter(q -> q.length() > 2),
        extraMembers().filter(m -> !m.startsWith("\"error\":")).list().ofMaxSize(4), whitespace(), Arbitraries.longs())
        .as((error, extras, ws, seed) -> {
          List<String> members = new ArrayList<>(extras);
          members.add("\"error\"" + ws + ":" + ws + error);
          Collections.shuffle(members, new Random(seed));
          return ws + "{" + String.join("," + ws, members) + "}" + ws;
        });
    return Arbitraries.oneOf(entra, bodies(), Arbitraries.strings().withChars("<>/htmlbody 502").ofMaxLength(60));
  }

  @Property(tries = 800)
  @StatisticsReport(onFailureOnly = true)
  void anErrorBodyIsEntrasOnlyWhenMsalsParserReadsAStringError(@ForAll("errorBodies") String body) throws Exception {
    boolean entra = EntraTokenResponse.isEntraError(body); // never throws, whatever the body
    Statistics.collect(entra);
    Statistics.coverage(c -> {
      c.check(true).percentage(p -> p > 20);
      c.check(false).percentage(p -> p > 20);
    });
    if (!entra) {
      return;
    }
    Map<String, Object> read;
    try (JsonReader reader = JsonProviders.createReader(body.startsWith("\uFEFF") ? body.substring(1) : body)) {
      read = reader.readMap(JsonReader::readUntyped);
    }
    assertThat(read.get("error")).isInstanceOf(String.class);
    assertThat((String) read.get("error")).isNotEmpty();
  }

  @Provide
  Arbitrary<String> notWhole() {
    return Arbitraries.oneOf(
        Arbitraries.doubles().filter(d -> d != Math.rint(d)).map(String::valueOf).filter(s -> !s.contains("Infinity")
            && !s.contains("NaN")),
        Arbitraries.strings().alpha().ofMinLength(1).ofMaxLength(10).map(EntraTokenResponsePropertiesTest::quote),
        Arbitraries.of("true", "false", "null", "[]", "{}", "\"\"", "\" 1\"", "\"1 \"", "\"+1\"", "1e3", "\"0x10\""));
  }

  /** JSON string literal of {@code s}. */
  static String quote(String s) {
    StringBuilder b = new StringBuilder("\"");
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c == '"' || c == '\\') {
        b.append('\\').append(c);
      } else if (c < 0x20) {
        b.append(String.format("\\u%04x", (int) c));
      } else {
        b.append(c);
      }
    }
    return b.append('"').toString();
  }
}
