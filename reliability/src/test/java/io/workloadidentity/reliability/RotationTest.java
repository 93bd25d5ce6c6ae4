package io.workloadidentity.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.reliability.Rig.Cloud;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Scenario 2: {@link Profile#ROTATIONS} rotations of the projected token under {@link Profile#ROTATION_THREADS}
 * reading threads, each old token revoked at the fake STS ({@code ExpiredTokenException}) the moment the new one
 * is written, and each round followed by a refresh (the injected clock moved to the refresh point). Half of the
 * rounds move the clock at once, racing the library's sight of the new file (an exchange may then present the
 * revoked token, be refused, and must be retried with the new one); half wait until the rotation is visible.
 *
 * <p>Bounds: 0 caller errors; 0 exchanges presenting a revoked token after its replacement was visible (observed
 * where the library reads the token: a witness around its {@link FileTokenSource}); each round refreshed before
 * the credential's hard expiry. AWS only: it is the fake with per-token revocation.
 */
@Tag("reliability")
@Order(2)
@ExtendWith(SecretLeakGuard.class)
class RotationTest {
  static final Table TABLE = Table.of("2. Rotations with revocation", "cloud", "rotations", "threads", "reads",
      "caller errors", "exchanges", "refused (revoked token)", "revoked token presented after rotation visible",
      "max extra attempts in a round", "rounds refreshed before hard expiry");

  @TempDir Path dir;

  @Test
  void everyRotationIsPickedUpAndNoRevokedTokenIsPresentedOnceTheNewOneIsVisible() throws Exception {
    Warmup.cloud(Cloud.AWS);
    Duration lifetime = Rig.LIFETIME;
    RefreshPolicy policy = RefreshPolicy.builder().jitter(0, Duration.ZERO)
        .backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)).build();
    try (Rig.Aws rig = (Rig.Aws) Cloud.AWS.start(dir);
        FileTokenSource file = FileTokenSource.builder(rig.volume.tokenFile()).clock(rig.clock).build();
        Callers callers = new Callers(Profile.ROTATION_THREADS, rig.clock)) {
      Witness witness = new Witness(file);
      Recorder rec = new Recorder(rig.clock);
      witness.generation(rig.volume.current().value(), 0);
      try (Rig.Client client = rig.open(new Rig.Options().policy(policy).tokenSource(witness)
          .exchangeTimeout(Duration.ofSeconds(10)).listener(rec))) {
        Warmup.load(rig, client, rec, Duration.ofSeconds(30));
        Instant obtained = rig.clock.instant();
        int maxExtra = 0;
        int inTime = 0;
        for (int round = 1; round <= Profile.ROTATIONS; round++) {
          String old = rig.volume.current().value();
          ProjectedToken next = rig.volume.rotate();
          witness.generation(next.value(), round);
          rig.sts.rejectAsExpired(old);
          if (round % 2 == 0) {
            witness.awaitVisible(round, Duration.ofSeconds(20));
          }
          Instant hardExpiry = obtained.plus(lifetime).minusSeconds(10);
          rig.clock.set(obtained.plus(lifetime.multipliedBy(8).dividedBy(10)));
          int refreshed = rec.refreshed();
          int started = rec.started();
          callers.read(client, 4);
          rec.await(() -> rec.started() > started, Duration.ofSeconds(20), "the refresh of round " + round);
          int attempts = 0;
          while (true) {
            rec.settle(Duration.ofSeconds(30));
            if (rec.refreshed() > refreshed || !rig.clock.instant().isBefore(hardExpiry)) {
              break;
            }
            // Refused with the revoked token: the retry comes when the rotation is seen, or at the backoff point.
            witness.awaitVisible(round, Duration.ofSeconds(20));
            int before = rec.started();
            callers.read(client, 4);
            if (rec.started() == before) {
              rig.clock.advance(Duration.ofSeconds(1));
            }
            attempts++;
          }
          if (rec.refreshed() > refreshed && rig.clock.instant().isBefore(hardExpiry)) {
            inTime++;
          }
          maxExtra = Math.max(maxExtra, rec.started() - started - 1);
          obtained = rig.clock.instant();
        }
        List<ReceivedRequest> requests = rig.sts.assumeRoleRequests();
        long refused = requests.stream().filter(r -> r.status() == 400).count();
        TABLE.row(Cloud.AWS, Profile.ROTATIONS, Profile.ROTATION_THREADS, callers.reads.get(), callers.errors.size(),
            requests.size(), refused, witness.violations.get(), maxExtra, inTime + "/" + Profile.ROTATIONS);
        assertThat(callers.errors).as("caller errors").isEmpty();
        assertThat(witness.violations.get()).as("revoked tokens presented after the rotation was visible").isZero();
        assertThat(inTime).as("rounds refreshed before the hard expiry").isEqualTo(Profile.ROTATIONS);
      }
    }
  }

  /**
   * The token source the library reads, with a record of what it hands out: a token of generation g handed out
   * when generation g+1 or later had already been announced (its rotation event delivered) is a violation.
   */
  static final class Witness implements TokenSource {
    private final TokenSource delegate;
    private final Map<String, Integer> generations = new ConcurrentHashMap<>();
    private final AtomicLong visible = new AtomicLong(0);
    final AtomicInteger violations = new AtomicInteger();

    Witness(TokenSource delegate) {
      this.delegate = delegate;
    }

    void generation(String token, int g) {
      generations.put(token, g);
    }

    @Override
    public ProjectedToken token() {
      return check(visible.get(), delegate.token());
    }

    @Override
    public ProjectedToken refresh() {
      return check(visible.get(), delegate.refresh());
    }

    private ProjectedToken check(long visibleAtCall, ProjectedToken t) {
      Integer g = generations.get(t.value());
      if (g != null && g < visibleAtCall) {
        violations.incrementAndGet();
      }
      return t;
    }

    @Override
    public Subscription onRotation(Consumer<ProjectedToken> listener) {
      return delegate.onRotation(t -> {
        see(t);
        listener.accept(t);
      });
    }

    private void see(ProjectedToken t) {
      Integer g = generations.get(t.value());
      if (g != null) {
        visible.accumulateAndGet(g, Math::max);
        synchronized (this) {
          notifyAll();
        }
      }
    }

    /** Waits (at most {@code deadline}) until the rotation to generation {@code g} was delivered. */
    synchronized void awaitVisible(int g, Duration deadline) throws InterruptedException {
      long end = System.nanoTime() + deadline.toNanos();
      while (visible.get() < g) {
        long left = end - System.nanoTime();
        if (left <= 0) {
          // Not announced (the watcher may have coalesced it): a read of the file counts as visible.
          see(delegate.token());
          if (visible.get() < g) {
            throw new AssertionError("rotation " + g + " not visible within " + deadline);
          }
          return;
        }
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(this, left);
      }
    }

    @Override
    public String description() {
      return delegate.description();
    }
  }
}
