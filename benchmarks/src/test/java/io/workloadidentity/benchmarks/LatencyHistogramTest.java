package io.workloadidentity.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LatencyHistogramTest {
  @Test
  void bucketsInvertAndPercentilesAreWithinOneSixteenth() {
    for (long v : new long[] {0, 1, 15, 16, 31, 32, 47, 1_000, 123_456_789L, Long.MAX_VALUE / 3}) {
      long low = LatencyHistogram.lowest(LatencyHistogram.index(v));
      assertThat(low).isLessThanOrEqualTo(v);
      assertThat(v - low).isLessThanOrEqualTo(Math.max(0, v / 16));
    }
    LatencyHistogram h = new LatencyHistogram();
    LatencyHistogram other = new LatencyHistogram();
    for (int i = 1; i <= 1000; i++) {
      (i % 2 == 0 ? h : other).record(i * 1000L);
    }
    h.add(other);
    assertThat(h.count()).isEqualTo(1000);
    assertThat(h.max()).isEqualTo(1_000_000);
    assertThat(h.percentile(0.5)).isBetween(500_000L * 15 / 16, 500_000L);
    assertThat(h.percentile(0.99)).isBetween(990_000L * 15 / 16, 990_000L);
    assertThat(h.countAtLeast(900_000)).isBetween(100L, 120L);
  }
}
