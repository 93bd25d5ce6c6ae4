package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.auth.oauth2.IdentityPoolCredentials;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.FakeGcp;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Refresh timing comes from the core cache, scaled to the token's lifetime: a 120-second token is
 * exchanged once per cycle however many threads ask, while google-auth alone refreshes on every call
 * for any token under 225 s. Outages shorter than the remaining lifetime are invisible, and failed
 * refreshes back off.
 */
class RefreshTimingTest extends GcpFixture {
  static final int CALLERS = 8;
  static final int CALLS_EACH = 200;
  final ExecutorService pool = Executors.newFixedThreadPool(CALLERS);

  @Override
  FakeGcp.Builder fake() {
    return FakeGcp.builder().stsTokenLifetime(Duration.ofSeconds(120));
  }

  @AfterEach
  void stopPool() throws InterruptedException {
    pool.shutdownNow();
    assertThat(pool.awaitTermination(10, TimeUnit.SECONDS)).isTrue();
  }

  /** Runs {@code CALLERS} threads, released together, each calling {@code call} {@code CALLS_EACH} times. */
  Set<String> hammer(Callable<String> call) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    Set<String> seen = ConcurrentHashMap.newKeySet();
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      done.add(pool.submit(() -> {
        start.await();
        for (int n = 0; n < CALLS_EACH; n++) {
          seen.add(call.call());
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get(30, TimeUnit.SECONDS);
    }
    return seen;
  }

  @Test
  void a120SecondTokenIsExchangedOncePerCycleUnderEightCallers() throws Exception {
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials()
        .credentialsFile(config(audience, volume.tokenFile(), null, null)).build());

    Set<String> cycle1 = hammer(() -> bearer(credentials));
    assertThat(nextEvent()).isEqualTo("refreshed");
    assertThat(cycle1).hasSize(1);
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1); // 1,600 calls, one exchange
    String token = cycle1.iterator().next();

    for (int cycle = 2; cycle <= 4; cycle++) {
      // Past the refresh point (80% of 120 s, +-6 s jitter, at least 12 s before expiry), before the hard expiry.
      clock.advance(Duration.ofSeconds(105));
      Set<String> seen = hammer(() -> bearer(credentials)); // nobody waits: the old token is still valid
      assertThat(nextEvent()).isEqualTo("refreshed");
      String next = awaitNewToken(credentials, token);
      assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(cycle); // one exchange per cycle
      assertThat(seen).contains(token).isSubsetOf(token, next);
      token = next;
    }
    assertThat(events.pendingOutcomes()).isEmpty();
  }

  @Test
  void googleAuthAloneRefreshesOnEveryCallBelow225Seconds() throws Exception {
    IdentityPoolCredentials google = IdentityPoolCredentials.newBuilder()
        .setSubjectTokenSupplier(ctx -> volume.current().value())
        .setAudience(audience)
        .setSubjectTokenType("urn:ietf:params:oauth:token-type:jwt")
        .setTokenUrl(gcp.stsUrl())
        .setHttpTransportFactory(transport)
        .build();

    for (int i = 0; i < 5; i++) {
      google.getRequestMetadata(API);
    }
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(5); // 120 s < its 3-minute expiration margin

    int before = gcp.requestCount(FakeGcp.STS_PATH);
    int calls = CALLERS * 5;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<?>> done = new ArrayList<>();
    for (int i = 0; i < CALLERS; i++) {
      done.add(pool.submit(() -> {
        start.await();
        for (int n = 0; n < 5; n++) {
          google.getRequestMetadata(API);
        }
        return null;
      }));
    }
    start.countDown();
    for (Future<?> f : done) {
      f.get(30, TimeUnit.SECONDS);
    }
    // Single flight merges concurrent waiters, but every call still waits for a network exchange.
    assertThat(gcp.requestCount(FakeGcp.STS_PATH) - before).isGreaterThanOrEqualTo(5).isLessThanOrEqualTo(calls);
  }

  /**
   * The outage test: every cache attempt is one exchange and one STS request (no retries inside an
   * exchange), attempts are spaced by the backoff, and no read fails while the token is valid.
   */
  @Test
  void anOutageShorterThanTheRemainingLifetimeIsInvisibleAndCostsOneRequestPerCacheAttempt() throws Exception {
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials()
        .credentialsFile(config(audience, volume.tokenFile(), null, null)).build());
    String token = bearer(credentials);
    assertThat(nextEvent()).isEqualTo("refreshed");

    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.serverError(503));
    clock.advance(Duration.ofSeconds(105)); // refresh due; 9 s of validity left before the hard expiry

    for (int i = 0; i < 100; i++) {
      assertThat(bearer(credentials)).isEqualTo(token); // never an error, never a wait
    }
    assertThat(nextEvent()).isEqualTo("failed");
    int afterFirstFailure = gcp.requestCount(FakeGcp.STS_PATH);
    assertThat(afterFirstFailure).isEqualTo(1 + 1); // one refresh attempt = one STS request

    for (int i = 0; i < 100; i++) {
      assertThat(bearer(credentials)).isEqualTo(token);
    }
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(afterFirstFailure); // backing off: no new calls

    clock.advance(Duration.ofSeconds(1)); // past the backoff (milliseconds with this test's policy)
    assertThat(readUntilEvent(credentials)).isEqualTo("failed");
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(afterFirstFailure + 1);
    assertThat(bearer(credentials)).isEqualTo(token);

    gcp.faults().clear(); // the outage ends before the token does
    clock.advance(Duration.ofSeconds(1));
    assertThat(readUntilEvent(credentials)).isEqualTo("refreshed");
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(afterFirstFailure + 2);
    assertThat(awaitNewToken(credentials, token)).startsWith("ya29.fake-sts-");
    // Three cache attempts during the outage and after it: three STS requests, one per attempt.
    assertThat(events.failureCount()).isEqualTo(2);
    assertThat(events.startedCount()).isEqualTo(gcp.requestCount(FakeGcp.STS_PATH));
  }

  @Test
  void withoutAValidTokenAFailureIsReportedOnceAndRepeatedFromTheBackoffWindow() throws Exception {
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials()
        .credentialsFile(config(audience, volume.tokenFile(), null, null)).build());
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.error(400, "invalid_grant", "ID Token issued at 1 is stale to sign-in."));

    for (int i = 0; i < 3; i++) {
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> bearer(credentials))
          .isInstanceOf(java.io.IOException.class) // retryable: a rotated token may be accepted
          .extracting(e -> ((GcpCredentialsException) e.getCause()).reason())
          .isEqualTo(GcpCredentialsException.Reason.SUBJECT_TOKEN_REJECTED);
    }
    // google-auth: 3 failing calls = 3 STS calls. Here: one exchange, then the cached failure.
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);
  }
}
