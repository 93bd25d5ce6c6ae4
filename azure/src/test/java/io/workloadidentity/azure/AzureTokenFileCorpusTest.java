package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.workloadidentity.core.MalformedTokenException;
import io.workloadidentity.core.TokenNotYetValidException;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Token files the Azure credential must refuse before anything is sent (issue 12 item 4, end to
 * end through this module): a token with CR/LF, spaces or escapes in it is a {@link
 * MalformedTokenException} whose message does not quote the token; a token whose {@code nbf} is in
 * the future is a {@link TokenNotYetValidException} saying when it becomes valid; Entra gets no
 * request either way.
 */
class AzureTokenFileCorpusTest extends EntraFixture {

  /** How a good token is damaged before it is written to the file. */
  static Stream<Arguments> damagedTokens() {
    return Stream.of(
        arguments("CR/LF inside", (UnaryOperator<String>) t -> t.substring(0, 30) + "\r\n" + t.substring(30)),
        arguments("LF inside the signature", (UnaryOperator<String>) t -> t.substring(0, t.length() - 10) + "\n"
            + t.substring(t.length() - 10)),
        arguments("a header injection", (UnaryOperator<String>) t -> t + "\r\nX-Forged: 1"),
        arguments("a space inside", (UnaryOperator<String>) t -> t.substring(0, 50) + " " + t.substring(50)),
        arguments("a tab inside", (UnaryOperator<String>) t -> t.substring(0, 50) + "\t" + t.substring(50)),
        arguments("an ANSI escape", (UnaryOperator<String>) t -> "\u001b[31m" + t),
        arguments("a NUL", (UnaryOperator<String>) t -> t.substring(0, 20) + "\u0000" + t.substring(20)),
        arguments("two tokens on two lines", (UnaryOperator<String>) t -> t + "\n" + t),
        arguments("a Bearer prefix", (UnaryOperator<String>) t -> "Bearer " + t),
        arguments("quoted", (UnaryOperator<String>) t -> "\"" + t + "\""),
        arguments("a character outside base64url", (UnaryOperator<String>) t -> t.substring(0, 40) + "+" + t.substring(41)),
        arguments("only two parts", (UnaryOperator<String>) t -> t.substring(0, t.lastIndexOf('.'))),
        arguments("four parts", (UnaryOperator<String>) t -> t + ".AAAA"),
        arguments("not a token at all", (UnaryOperator<String>) t -> "hello world"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("damagedTokens")
  void aDamagedTokenIsMalformedAndNothingIsSent(String what, UnaryOperator<String> damage) throws Exception {
    String good = volume.current().value();
    Path file = dir.resolve("damaged-token");
    Files.writeString(file, damage.apply(good), StandardCharsets.UTF_8);
    AzureWorkloadIdentityCredential credential = closeLater(builder().tokenFile(file).build());

    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));

    assertThat(t).isInstanceOf(WorkloadIdentityException.class);
    assertThat(causes(t, MalformedTokenException.class)).as("a MalformedTokenException in %s", t).isTrue();
    assertThat(t.getMessage()).doesNotContain(good.substring(0, 30)).doesNotContain(good.substring(good.length() - 30))
        .doesNotContain("\r", "\n", "\u001b", "\u0000");
    assertThat(entra.requests()).isEmpty();
  }

  @Test
  void aTokenNotValidYetSaysWhenAndNothingIsSent() throws Exception {
    java.time.Instant later = clock.instant().plus(Duration.ofMinutes(30));
    String early = cluster.mint(spec().issuedAt(later).build());
    Path file = dir.resolve("early-token");
    Files.writeString(file, early, StandardCharsets.UTF_8);
    AzureWorkloadIdentityCredential credential = closeLater(builder().tokenFile(file).build());

    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));

    assertThat(causes(t, TokenNotYetValidException.class)).as("a TokenNotYetValidException in %s", t).isTrue();
    assertThat(t.getMessage()).contains(later.toString().substring(0, 16)).doesNotContain(early.substring(0, 30));
    assertThat(entra.requests()).isEmpty();
  }

  @Test
  void aCallersTokenSourceIsHeldToTheSameRules() {
    java.time.Instant later = clock.instant().plus(Duration.ofHours(2));
    String early = cluster.mint(spec().issuedAt(later).build());
    AzureWorkloadIdentityCredential credential = closeLater(builder()
        .tokenSource(io.workloadidentity.core.TokenSource.of(io.workloadidentity.core.ProjectedToken.parse(early)))
        .build());

    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));

    assertThat(causes(t, TokenNotYetValidException.class)).as("a TokenNotYetValidException in %s", t).isTrue();
    assertThat(entra.requests()).isEmpty();
  }

  private static boolean causes(Throwable t, Class<? extends Throwable> type) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (type.isInstance(c)) {
        return true;
      }
    }
    return false;
  }
}
