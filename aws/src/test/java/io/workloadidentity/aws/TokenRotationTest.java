package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeAwsPodIdentityAgent;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import io.workloadidentity.core.Environment;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.IntSupplier;
import java.util.function.IntFunction;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * After a rotation is visible to the token source, no exchange presents the old token: the token is
 * read right before the request is sent, and a token refused by AWS makes the exchange re-read the
 * file, after which the cache retries with the new token at once.
 *
 * <p>Each of 100 rounds rotates the token and revokes the old one at the fake. Even rounds make the
 * rotation visible first (as the file watch would), then let the credentials come due; odd rounds
 * revoke before the source has seen the rotation, so the refresh presents the old token (allowed: it
 * is still the newest the source knows), AWS refuses it, the re-read makes the rotation visible,
 * and the retry follows without the clock moving. The invariant is checked over every request the
 * fake received: none carries a token older than the newest one visible when it was sent.
 */
@ExtendWith(SecretLeakGuard.class)
class TokenRotationTest {
  private static final int ROUNDS = 100;

  @TempDir Path dir;

  @Test
  void acrossOneHundredRotationsNoStsExchangePresentsARevokedTokenAfterTheRotationWasVisible() throws Exception {
    try (Testbed bed = new Testbed(dir);
        FileTokenSource tokens = FileTokenSource.builder(bed.volume.tokenFile()).watch(false)
            .pollInterval(Duration.ofSeconds(60)).clock(bed.clock).build()) {
      Rounds rounds = new Rounds(bed.volume, tokens, () -> bed.sts.assumeRoleRequests().size());
      CacheEvents events = CacheEvents.create();
      try (var p = bed.provider().tokenSource(tokens).listener(events).build()) {
        rounds.run(bed.clock, events, p::resolveCredentials, bed.sts::rejectAsExpired, Duration.ofMinutes(55));
      } finally {
        // Also after a failed round: which request presented what says more than a missed refresh.
        List<ReceivedRequest> requests = bed.sts.assumeRoleRequests();
        rounds.check(requests.size(), k -> requests.get(k).form().get("WebIdentityToken"),
            k -> requests.get(k).status());
      }
      assertThat(bed.sts.issued()).hasSize(ROUNDS + 1);
      assertThat(bed.sts.issued().get(ROUNDS).tokenFingerprint()).isEqualTo(bed.volume.current().fingerprint());
    }
  }

  @Test
  void acrossOneHundredRotationsNoPodIdentityExchangePresentsARevokedTokenAfterTheRotationWasVisible()
      throws Exception {
    TestClock clock = TestClock.create();
    try (KubernetesCluster cluster = KubernetesCluster.builder().clock(clock).build();
        FakeAwsPodIdentityAgent agent = FakeAwsPodIdentityAgent.start(clock, Duration.ofHours(1));
        ProjectedVolume volume = cluster.projectedVolume(dir, TokenSpec.builder().namespace("shop")
            .serviceAccount("orders").audiences("pods.eks.amazonaws.com").lifetime(Duration.ofHours(24)).build());
        FileTokenSource tokens = FileTokenSource.builder(volume.tokenFile()).watch(false)
            .pollInterval(Duration.ofSeconds(60)).clock(clock).build()) {
      agent.trustIssuer(cluster.issuer()).associate("shop", "orders", "arn:aws:iam::444455556666:role/orders");
      Rounds rounds = new Rounds(volume, tokens, agent::requestCount);
      CacheEvents events = CacheEvents.create();
      try (var p = EksPodIdentityCredentialsProvider.builder().environment(Environment.of(Map.of())).endpoint(agent.credentialsUrl()).tokenSource(tokens).clock(clock).listener(events).build()) {
        rounds.run(clock, events, p::resolveCredentials, agent::rejectAsExpired, Duration.ofMinutes(55));
      }
      List<ReceivedRequest> requests = agent.requests();
      rounds.check(requests.size(), k -> requests.get(k).header("Authorization").orElseThrow(),
          k -> requests.get(k).status());
      assertThat(agent.issued()).hasSize(ROUNDS + 1);
    }
  }

  /** The rounds, and what was visible when: shared by the STS and the Pod Identity variant. */
  private static final class Rounds {
    private final ProjectedVolume volume;
    private final FileTokenSource tokens;
    private final IntSupplier requestCount;
    /** Every token the volume held, oldest first. */
    private final List<String> minted = new ArrayList<>();
    /** For each rotation the source saw: the new token's index and the requests received until then. */
    private final List<int[]> visible = new ArrayList<>();

    Rounds(ProjectedVolume volume, FileTokenSource tokens, IntSupplier requestCount) {
      this.volume = volume;
      this.tokens = tokens;
      this.requestCount = requestCount;
      minted.add(volume.current().value());
      // Registered before the provider's own subscription: it runs first, on the thread that noticed.
      tokens.onRotation(t -> {
        synchronized (visible) {
          visible.add(new int[] {minted.indexOf(t.value()), requestCount.getAsInt()});
        }
      });
    }

    void run(TestClock clock, CacheEvents events, Runnable read, java.util.function.Consumer<String> revoke,
        Duration period) throws InterruptedException {
      read.run();
      events.awaitRefreshed();
      for (int round = 0; round < ROUNDS; round++) {
        ProjectedToken old = volume.current();
        ProjectedToken rotated = volume.rotate();
        synchronized (visible) {
          minted.add(rotated.value());
        }
        if (round % 2 == 0) {
          tokens.refresh(); // the rotation is now visible to the source, as the file watch would make it
        }
        revoke.accept(old.value());
        clock.advance(period); // past the credentials' refresh point, before their expiry
        read.run(); // serves the valid credentials and starts the refresh
        events.awaitRefreshed(); // in odd rounds after one refused attempt, without the clock moving
      }
      assertThat(events.failures()).as("only refusals of a token the source had not yet seen replaced")
          .hasSizeLessThanOrEqualTo(ROUNDS / 2)
          .allSatisfy(e -> assertThat(((AwsExchangeException) e).reason())
              .isEqualTo(AwsExchangeException.Reason.TOKEN_EXPIRED));
    }

    void check(int requests, IntFunction<String> tokenOf, IntFunction<Integer> statusOf) {
      List<int[]> seen;
      synchronized (visible) {
        seen = List.copyOf(visible);
      }
      int refused = 0;
      for (int k = 0; k < requests; k++) {
        int newestVisible = 0;
        for (int[] v : seen) {
          if (v[1] <= k) {
            newestVisible = Math.max(newestVisible, v[0]);
          }
        }
        int sent = minted.indexOf(tokenOf.apply(k).strip());
        assertThat(sent).as("request %d carries a token of the volume", k).isGreaterThanOrEqualTo(0);
        assertThat(sent).as("request %d: token #%d sent, but #%d was already visible", k, sent, newestVisible)
            .isGreaterThanOrEqualTo(newestVisible);
        if (statusOf.apply(k) != 200) {
          refused++;
        }
      }
      assertThat(refused).as("refused requests: at most one per odd round").isLessThanOrEqualTo(ROUNDS / 2);
      assertThat(seen).as("every rotation became visible").hasSize(ROUNDS);
    }
  }
}
