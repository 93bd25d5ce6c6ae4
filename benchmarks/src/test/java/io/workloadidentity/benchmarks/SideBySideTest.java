package io.workloadidentity.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The arithmetic of the tables: ratios and the peers' scaled margins. */
class SideBySideTest {
  @Test
  void ratiosKeepTwoSignificantDigitsWhenSmall() {
    assertThat(SideBySide.ratio(3, 3)).isEqualTo("**1.00×**");
    assertThat(SideBySide.ratio(1, 8)).isEqualTo("**0.125×**");
    assertThat(SideBySide.ratio(8.67, 36_728)).isEqualTo("**0.00024×**");
    assertThat(SideBySide.ratio(0, 0)).isEqualTo("1 (both 0)");
    assertThat(SideBySide.ratio(2, 0)).isEqualTo("∞ (peer 0)");
  }

  @Test
  void peerMarginsAreTheirOneHourDefaultsScaledToTheLifetime() {
    Margins aws = SideBySide.scaledMargins(Cloud.AWS, Duration.ofHours(1));
    assertThat(aws.refresh()).isEqualTo(Duration.ofMinutes(5));
    assertThat(aws.stale()).isEqualTo(Duration.ofMinutes(1));
    Margins gcp = SideBySide.scaledMargins(Cloud.GCP, Duration.ofHours(1));
    assertThat(gcp.refresh()).isEqualTo(Duration.ofSeconds(225));
    assertThat(gcp.stale()).isEqualTo(Duration.ofMinutes(3));
    assertThat(SideBySide.scaledMargins(Cloud.AZURE, Duration.ofHours(1))).isNull();
  }
}
