package io.workloadidentity.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.RefreshPolicy;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The fleet simulation's counting, on fleets small enough to work out by hand. */
class FleetSimulationTest {
  static final Duration HOUR = Duration.ofHours(1);
  static final RefreshPolicy NO_JITTER = RefreshPolicy.builder().jitter(0, Duration.ZERO).build();

  @Test
  void withoutJitterEachPodExchangesAtStartThenEvery80PercentOfTheLifetime() {
    long[] starts = {0, 2_500, 9_999};
    FleetSimulation.Result r = FleetSimulation.simulate(starts, HOUR, Duration.ofHours(3), NO_JITTER);

    // 0, 48, 96 and 144 min after each start fall inside 3 h; 192 min does not.
    assertThat(r.total()).isEqualTo(12);
    long[] perSecond = r.perSecond();
    assertThat(perSecond).hasSize(3 * 3600);
    for (long start : starts) {
      for (int k = 0; k < 4; k++) {
        assertThat(perSecond[(int) (start / 1000 + k * 2880)]).as("pod at %d ms, exchange %d", start, k).isEqualTo(1);
      }
    }
    assertThat(r.peak(0)).isEqualTo(1);
  }

  @Test
  void podsStartingInTheSameSecondRefreshInTheSameSecondWithoutJitter() {
    long[] starts = {100, 200, 300, 400};
    FleetSimulation.Result r = FleetSimulation.simulate(starts, HOUR, Duration.ofHours(1), NO_JITTER);

    assertThat(r.total()).isEqualTo(8);
    assertThat(r.perSecond()[0]).isEqualTo(4);
    assertThat(r.perSecond()[2880]).isEqualTo(4);
    assertThat(r.peak(1)).isEqualTo(4);
  }

  @Test
  void jitterSpreadsTheRefreshesWithinNinetySecondsOfTheRefreshPoint() {
    long[] starts = FleetSimulation.uniformStarts(200, Duration.ofMillis(1), 1);
    FleetSimulation.Result r = FleetSimulation.simulate(starts, HOUR, Duration.ofHours(1), RefreshPolicy.defaults());

    long[] perSecond = r.perSecond();
    assertThat(perSecond[0]).isEqualTo(200);
    long inWindow = 0;
    for (int s = 2880 - 91; s <= 2880 + 91; s++) {
      inWindow += perSecond[s];
    }
    assertThat(inWindow).as("every first refresh within ±90 s of 48 min").isEqualTo(200);
    assertThat(r.total()).isEqualTo(400);
    assertThat(r.peak(1)).as("200 refreshes spread over 180 s").isLessThan(200 / 8);
  }

  @Test
  void percentilesCountOnlyBusySeconds() {
    FleetSimulation.Result r = new FleetSimulation.Result(new long[] {0, 5, 0, 1, 2, 3, 4, 0});
    assertThat(r.percentile(0.5, 0)).isEqualTo(3);
    assertThat(r.percentile(0.99, 0)).isEqualTo(5);
    assertThat(r.percentile(0.99, 2)).isEqualTo(4);
    assertThat(r.peak(2)).isEqualTo(4);
    assertThat(r.total()).isEqualTo(15);
  }
}
