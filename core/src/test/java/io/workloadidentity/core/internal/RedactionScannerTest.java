package io.workloadidentity.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The scanner behind {@link Redaction#message} without the input cap: even on 1 MiB of
 * adversarial text it must finish (a quadratic scan would need ~10^12 steps here and hit the hang
 * guard; a linear one takes milliseconds). The cap in {@code message} is the real bound on work;
 * this shows the scanner does not depend on it.
 */
class RedactionScannerTest {
  @ParameterizedTest(name = "unit {index}")
  @ValueSource(strings = {"a", "a.", "eyJ", "ey", "Bearer ", "Bearer  a", "access_token=", "access_token\"  :  \"",
      "authorization: x y ", "aB3-", "token", "\"token\":", "<SessionToken>", ".", "e", "assertion=", "Bearer realm=",
      "Bearer realm=token=", "access_token=null&", "=", "Bearer a=a"})
  void redactIsLinearWithoutTheCap(String unit) {
    String input = unit.repeat((1 << 20) / unit.length());
    String out = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> Redaction.redact(input));
    assertThat(out.length()).isLessThanOrEqualTo(input.length() * 10 + 16);
    assertThat(out).doesNotContain("eyJ");
  }
}
