package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

/** The expiry the clouds show their SDKs: the reported one, capped at the maximum lifetime. */
class RefreshPolicyCapTest {
  private static final Instant NOW = Instant.parse("2026-12-02T00:00:00Z");

  @Test
  void aLongerReportedLifetimeIsCappedAndAShorterOneKept() {
    RefreshPolicy p = RefreshPolicy.defaults();
    assertThat(p.cappedExpiry(NOW.plus(Duration.ofDays(3650)), NOW)).isEqualTo(NOW.plus(Duration.ofHours(12)));
    assertThat(p.cappedExpiry(NOW.plus(Duration.ofHours(1)), NOW)).isEqualTo(NOW.plus(Duration.ofHours(1)));
    RefreshPolicy twoHours = RefreshPolicy.builder().maximumLifetime(Duration.ofHours(2)).build();
    assertThat(twoHours.cappedExpiry(NOW.plus(Duration.ofHours(3)), NOW)).isEqualTo(NOW.plus(Duration.ofHours(2)));
  }
}
