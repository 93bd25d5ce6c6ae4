package io.workloadidentity.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.reliability.Rig.Cloud;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Scenario 4: the injected clock (shared by the library and the fakes) jumps while callers read: forward past the
 * refresh point, forward past the expiry, backward by 30 minutes (and forward again), and a suspend of three days
 * (past the projected token's own expiry; on resume the kubelet writes a new token before the callers read).
 *
 * <p>Bounds: 0 caller errors and 0 expired credentials handed out; the exchanges each jump costs (single flight:
 * one where one is needed, none where the cached credential is still good).
 */
@Tag("reliability")
@Order(4)
@ExtendWith(SecretLeakGuard.class)
class ClockJumpTest {
  static final Table TABLE = Table.of("4. Clock jumps", "cloud", "jump", "callers", "reads", "caller errors",
      "expired handed out", "exchanges", "bound");

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Cloud.class)
  void clockJumpsNeverHandOutAnExpiredCredential(Cloud cloud) throws Exception {
    Warmup.cloud(cloud);
    RefreshPolicy policy = RefreshPolicy.builder().jitter(0, Duration.ZERO)
        .backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)).build();
    Duration lifetime = Rig.LIFETIME;
    try (Rig rig = cloud.start(dir); Callers callers = new Callers(Profile.OUTAGE_CALLERS, rig.clock)) {
      Recorder rec = new Recorder(rig.clock);
      try (Rig.Client client = rig.open(new Rig.Options().policy(policy).listener(rec)
          .exchangeTimeout(Duration.ofSeconds(10)))) {
        Warmup.load(rig, client, rec, Duration.ofSeconds(30));

        jump(rig, callers, client, rec, "forward past the refresh point (+55 min)", 1, () ->
            rig.clock.set(lastSuccess(rec).plus(Duration.ofMinutes(55))));
        jump(rig, callers, client, rec, "forward past the expiry (+2 h)", 1, () ->
            rig.clock.set(lastSuccess(rec).plus(lifetime.multipliedBy(2))));
        Instant beforeBack = rig.clock.instant();
        jump(rig, callers, client, rec, "backward (-30 min)", 0, () -> rig.clock.set(beforeBack.minusSeconds(1800)));
        jump(rig, callers, client, rec, "forward again, to the refresh point", 1, () ->
            rig.clock.set(lastSuccess(rec).plus(lifetime.multipliedBy(8).dividedBy(10))));
        jump(rig, callers, client, rec, "suspend 3 days, resume after the kubelet's rotation", 1, () -> {
          rig.clock.advance(Duration.ofDays(3));
          String fresh = rig.volume.rotate().value();
          try {
            rec.await(() -> rec.rotatedTo(fresh), Duration.ofSeconds(20), "the rotated token to be seen");
          } catch (InterruptedException e) {
            throw new AssertionError(e);
          }
        });
      }
    }
  }

  /**
   * An endpoint reporting a ten-year credential: the library caps it at the policy's maximum lifetime (12 h by
   * default), so that a clock 13 h on refreshes instead of serving a credential the cloud may have revoked.
   */
  @ParameterizedTest
  @EnumSource(Cloud.class)
  void aTenYearExpiryIsCappedAtTheMaximumLifetime(Cloud cloud) throws Exception {
    Warmup.cloud(cloud);
    try (Rig rig = cloud.start(dir, Duration.ofDays(3650)); Callers callers = new Callers(Profile.OUTAGE_CALLERS, rig.clock)) {
      Recorder rec = new Recorder(rig.clock);
      try (Rig.Client client = rig.open(new Rig.Options().listener(rec).exchangeTimeout(Duration.ofSeconds(10)))) {
        Warmup.load(rig, client, rec, Duration.ofSeconds(60));
        jump(rig, callers, client, rec, "ten-year expiry, clock +13 h (cap 12 h)", 1, () ->
            rig.clock.set(lastSuccess(rec).plus(Duration.ofHours(13))));
      }
    }
  }

  private static Instant lastSuccess(Recorder rec) {
    return rec.outcomes().stream().filter(o -> !o.failed()).reduce((a, b) -> b).orElseThrow().at;
  }

  private static void jump(Rig rig, Callers callers, Rig.Client client, Recorder rec, String what, int bound,
      Runnable move) throws Exception {
    move.run();
    callers.reset();
    int before = rig.exchanges();
    int started = rec.started();
    callers.read(client, 4);
    if (bound > 0) {
      rec.await(() -> rec.started() > started, Duration.ofSeconds(20), "the exchange of the jump " + what);
    }
    rec.settle(Duration.ofSeconds(30));
    callers.read(client, 4); // after the exchange: what is served now
    int exchanges = rig.exchanges() - before;
    TABLE.row(rig.cloud, what, Profile.OUTAGE_CALLERS, callers.reads.get(), callers.errors.size(),
        callers.expired.get(), exchanges, bound == 0 ? "0" : "1");
    assertThat(callers.errors).as("%s %s: caller errors", rig.cloud, what).isEmpty();
    assertThat(exchanges).as("%s %s: exchanges", rig.cloud, what).isEqualTo(bound);
  }
}
