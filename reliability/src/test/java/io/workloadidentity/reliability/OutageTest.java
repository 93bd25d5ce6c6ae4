package io.workloadidentity.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.reliability.Rig.Cloud;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scenario 1: the token endpoint fails (503, connection reset, hung) from the refresh point on, for 10%, 50% and
 * 90% of the credential's remaining lifetime, while {@link Profile#OUTAGE_CALLERS} threads read. Time is the
 * injected clock, moved in backoff steps; each step lets the exchange it started end (a hung one ends at the
 * exchange deadline) before the clock moves on.
 *
 * <p>Bounds: no caller error and no expired credential handed out; at most one request per backoff step (single
 * flight and backoff: without them, one per read); no caller waits on the network while the credential is valid
 * (the longest read stays under half the exchange deadline, which a read that waited for a hung exchange would
 * reach); the first attempt after the outage recovers, within one backoff step and before the hard expiry.
 */
@Tag("reliability")
@Order(1)
@ExtendWith(SecretLeakGuard.class)
class OutageTest {
  static final Table TABLE = Table.of("1. Outages at the refresh point", "cloud", "fault", "outage (% of remaining)",
      "backoff steps in outage", "callers", "reads", "caller errors", "requests in outage", "bound: <= steps",
      "max read latency <= (ms)", "recovery attempts", "recovered within (clock s)", "bound: one step (clock s)");

  /** Expiry skew of the default policy: the hard expiry is this much before the credential's expiry. */
  static final Duration SKEW = Duration.ofSeconds(10);

  enum Kind {
    HTTP_503,
    RESET,
    HANG
  }

  @TempDir Path dir;

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (Cloud c : Cloud.values()) {
      for (Kind k : Kind.values()) {
        all.add(Arguments.of(c, k));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void anOutageShorterThanTheRemainingLifetimeIsInvisibleToCallers(Cloud cloud, Kind kind) throws Exception {
    Duration lifetime = Rig.LIFETIME;
    Duration remaining = lifetime.multipliedBy(2).dividedBy(10).minus(SKEW); // refresh at 80%, hard expiry - skew
    Duration step = remaining.dividedBy(Profile.STEPS_PER_LIFETIME);
    Duration deadline = Duration.ofMillis(Profile.HANG_DEADLINE_MILLIS);
    long latencyBound = deadline.toMillis() / 2;
    RefreshPolicy policy = RefreshPolicy.builder().jitter(0, Duration.ZERO).backoff(step, step).build();
    try (Rig rig = cloud.start(dir); Callers callers = new Callers(Profile.OUTAGE_CALLERS, rig.clock)) {
      Recorder rec = new Recorder(rig.clock);
      try (Rig.Client client = rig.open(new Rig.Options().policy(policy).exchangeTimeout(deadline).listener(rec))) {
        Warmup.load(rig, client, rec, step);
        Instant obtained = rig.clock.instant();
        for (int percent : new int[] {10, 50, 90}) {
          Instant refreshAt = obtained.plus(lifetime.multipliedBy(8).dividedBy(10));
          Instant hardExpiry = obtained.plus(lifetime).minus(SKEW);
          Instant outageEnd = refreshAt.plus(remaining.multipliedBy(percent).dividedBy(100));
          rig.clock.set(refreshAt);
          inject(rig, kind);
          callers.reset();
          int before = rig.exchanges();
          int steps = 0;
          while (rig.clock.instant().isBefore(outageEnd)) {
            step(rig, callers, client, rec, refreshAt, deadline);
            steps++;
            Duration left = Duration.between(rig.clock.instant(), outageEnd);
            rig.clock.advance(left.compareTo(step) < 0 ? left : step);
          }
          int inOutage = rig.exchanges() - before;
          rig.endpoint().faults().clear();

          int refreshedBefore = rec.refreshed();
          int recoveryStart = rig.exchanges();
          Duration fine = step.dividedBy(10);
          while (rec.refreshed() == refreshedBefore) {
            assertThat(rig.clock.instant()).as("%s %s %d%%: recovered before the hard expiry", cloud, kind, percent)
                .isBefore(hardExpiry);
            step(rig, callers, client, rec, refreshAt, deadline);
            if (rec.refreshed() == refreshedBefore) {
              rig.clock.advance(fine);
            }
          }
          obtained = rig.clock.instant();
          Duration recovery = Duration.between(outageEnd, obtained);
          int recoveryAttempts = rig.exchanges() - recoveryStart;

          TABLE.row(cloud, kind, percent, steps, Profile.OUTAGE_CALLERS, callers.reads.get(), callers.errors.size(),
              inOutage, inOutage <= steps, latencyBound + (callers.maxMillis() < latencyBound ? " yes" : " NO"),
              recoveryAttempts, recovery.toSeconds(), step.plus(fine).toSeconds());
          if (inOutage == 0 || recoveryAttempts != 1 || !callers.errors.isEmpty()) {
            System.out.println("[reliability] " + cloud + " " + kind + " " + percent + "%: outcomes " + describe(rec)
                + ", caller errors " + callers.errors);
          }
          assertThat(callers.errors).as("%s %s %d%%: caller errors", cloud, kind, percent).isEmpty();
          assertThat(inOutage).as("%s %s %d%%: requests during the outage", cloud, kind, percent)
              .isBetween(1, steps);
          assertThat(callers.maxMillis()).as("%s %s %d%%: the longest read (ms)", cloud, kind, percent)
              .isLessThan(latencyBound);
          assertThat(recoveryAttempts).as("%s %s %d%%: attempts to recover", cloud, kind, percent).isEqualTo(1);
          assertThat(recovery).as("%s %s %d%%: time to recover", cloud, kind, percent)
              .isLessThanOrEqualTo(step.plus(fine));
        }
      }
    }
  }

  /**
   * One backoff step: the callers read; when the injected clock says an attempt is due (past the refresh point,
   * or past the last failure's retry point), waits for it to start and end, so that an exchange queued for a
   * pool thread cannot run after the scenario has moved on.
   */
  static void step(Rig rig, Callers callers, Rig.Client client, Recorder rec, Instant refreshAt, Duration deadline)
      throws Exception {
    int started = rec.started();
    List<Recorder.Outcome> outcomes = rec.outcomes();
    Recorder.Outcome last = outcomes.get(outcomes.size() - 1);
    Instant now = rig.clock.instant();
    boolean due = last.failed() ? !now.isBefore(last.at.plus(last.retryIn)) : !now.isBefore(refreshAt);
    callers.read(client, Profile.READS_PER_STEP);
    if (due) {
      rec.await(() -> rec.started() > started, Duration.ofSeconds(30), "the due attempt to start");
    }
    rec.settle(deadline.multipliedBy(4).plusSeconds(10));
  }

  static String describe(Recorder rec) {
    StringBuilder sb = new StringBuilder();
    for (Recorder.Outcome o : rec.outcomes()) {
      sb.append("\n  ").append(o.at).append(o.failed() ? " failed, retry in " + o.retryIn + ": " + o.error.getMessage()
          : " refreshed");
    }
    return sb.toString();
  }

  static void inject(Rig rig, Kind kind) {
    switch (kind) {
      case HTTP_503:
        rig.endpoint().faults().failAlways(Fault.serverError(503));
        break;
      case RESET:
        rig.endpoint().faults().failAlways(Fault.connectionReset());
        break;
      default:
        // Hung: no answer before any deadline of the library (the exchange deadline ends the attempt).
        rig.endpoint().faults().latency(Duration.ofSeconds(60));
    }
  }
}
