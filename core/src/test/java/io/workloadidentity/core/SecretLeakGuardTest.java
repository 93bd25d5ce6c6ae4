package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The guard must be able to fail: a leak it cannot see would make every guarded suite vacuous. */
class SecretLeakGuardTest {
  @Test
  void findsATokenOrItsSignatureInText() {
    String token = TestTokens.token(Instant.parse("2026-11-26T10:00:00Z"), Duration.ofHours(1), "a");
    String signature = token.substring(token.lastIndexOf('.') + 1);
    assertThat(SecretLeakGuard.findLeaks(List.of("Authorization: Bearer " + token), List.of(token))).hasSize(1);
    assertThat(SecretLeakGuard.findLeaks(List.of("sig=" + signature), List.of(token))).hasSize(1);
    assertThat(SecretLeakGuard.findLeaks(List.of(ProjectedToken.parse(token).toString()), List.of(token))).isEmpty();
  }
}
