package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The token checks as a token file's reader sees them (through the public API only). */
@ExtendWith(SecretLeakGuard.class)
class TokenFileInputTest {
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0.plusSeconds(30));

  private FileTokenSource source(String content) throws Exception {
    Path file = Files.writeString(dir.resolve("token"), content);
    return FileTokenSource.builder(file).clock(clock).watch(false).build();
  }

  @Test
  void anInnerLineBreakIsRefusedWithoutQuotingTheToken() throws Exception {
    String raw = SecretLeakGuard.secret(TestTokens.token(T0, Duration.ofHours(1), "sts.amazonaws.com"));
    String broken = raw.substring(0, 500) + "\r\n" + raw.substring(500) + "\n";
    try (FileTokenSource s = source(broken)) {
      Throwable e = catchThrowable(s::token);
      SecretLeakGuard.inspect(e);
      assertThat(e).isInstanceOf(MalformedTokenException.class)
          .hasMessageContaining(dir.resolve("token").toString())
          .hasMessageContaining("line break (CR) at position 500");
      TokenInputCorpusTest.assertNoPartOfTheToken(e.getMessage(), raw);
    }
  }

  @Test
  void surroundingWhitespaceIsStillAccepted() throws Exception {
    String raw = SecretLeakGuard.secret(TestTokens.token(T0, Duration.ofHours(1), "sts.amazonaws.com"));
    try (FileTokenSource s = source("\n " + raw + "\r\n")) {
      assertThat(s.token().value()).isEqualTo(raw);
    }
  }

  @Test
  void aTokenIsNotHandedOutBeforeItsNbf() throws Exception {
    Instant nbf = T0.plus(Duration.ofMinutes(5));
    String raw = SecretLeakGuard.secret(TestTokens.sign(TestTokens.claims(T0, Duration.ofHours(1), "sts.amazonaws.com")
        .notBeforeTime(Date.from(nbf)).build()));
    try (FileTokenSource s = source(raw)) {
      Throwable e = catchThrowable(s::token);
      SecretLeakGuard.inspect(e);
      assertThat(e).isInstanceOf(TokenNotYetValidException.class).hasMessageContaining("not valid until " + nbf);
      assertThat(((TokenNotYetValidException) e).notBefore()).isEqualTo(nbf);
      // The token is now cached: the fast path must refuse it too (it used to hand it out).
      assertThat(catchThrowable(s::token)).isInstanceOf(TokenNotYetValidException.class);

      clock.set(nbf.minusSeconds(60)); // within the allowed skew
      assertThat(s.token().value()).isEqualTo(raw);
    }
  }
}
