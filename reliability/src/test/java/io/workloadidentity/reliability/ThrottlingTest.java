package io.workloadidentity.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.reliability.Rig.Cloud;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.internal.TestCertificates;
import java.net.InetAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import mockwebserver3.Dispatcher;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Scenario 3: a throttling storm (every exchange answered 429 / {@code Throttling} from the refresh point on, while
 * callers keep reading every clock second), and a slow endpoint (the answer's body trickles one byte every two
 * seconds).
 *
 * <p>Bounds. Storm: 0 caller errors; no attempt starts before the retry point the library announced for the
 * previous failure (the backoff is respected), every announced backoff within the policy's maximum, and the first
 * attempt after the storm recovers. Slow: the first load fails within the exchange deadline (plus 1 s), with one
 * request, and a second read inside the backoff window fails at once without a request.
 */
@Tag("reliability")
@Order(3)
@ExtendWith(SecretLeakGuard.class)
class ThrottlingTest {
  static final Table STORM = Table.of("3a. Throttling storm", "cloud", "storm (clock s)", "callers", "reads",
      "caller errors", "throttled attempts", "attempts before the announced retry point", "max announced backoff (s)",
      "bound (s)", "recovery attempts");
  static final Table SLOW = Table.of("3b. Slow endpoint (1 byte / 2 s)", "cloud", "exchange deadline (ms)",
      "first load failed within (ms)", "bound (ms)", "typed", "requests", "second read within backoff: failed in (ms)",
      "requests after it");

  static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Cloud.class)
  void aThrottlingStormIsRiddenOutWithTheBackoffRespected(Cloud cloud) throws Exception {
    Warmup.cloud(cloud);
    RefreshPolicy policy = RefreshPolicy.builder().jitter(0, Duration.ZERO)
        .backoff(Duration.ofSeconds(1), MAX_BACKOFF).build();
    int stormSeconds = Profile.LONG ? 600 : 120;
    try (Rig rig = cloud.start(dir); Callers callers = new Callers(8, rig.clock)) {
      Recorder rec = new Recorder(rig.clock);
      try (Rig.Client client = rig.open(new Rig.Options().policy(policy).listener(rec)
          .exchangeTimeout(Duration.ofSeconds(10)))) {
        Warmup.load(rig, client, rec, MAX_BACKOFF);
        Instant refreshAt = rig.clock.instant().plus(Rig.LIFETIME.multipliedBy(8).dividedBy(10));
        rig.clock.set(refreshAt);
        rig.endpoint().faults().failAlways(Fault.throttled());
        int outcomesBefore = rec.outcomes().size();
        int startsBefore = rec.started();
        for (int s = 0; s < stormSeconds; s++) {
          OutageTest.step(rig, callers, client, rec, refreshAt, Duration.ofSeconds(10));
          rig.clock.advance(Duration.ofSeconds(1));
        }
        rig.endpoint().faults().clear();
        int recoveryFrom = rec.started();
        int refreshed = rec.refreshed();
        for (int s = 0; s < 2 * MAX_BACKOFF.toSeconds() && rec.refreshed() == refreshed; s++) {
          OutageTest.step(rig, callers, client, rec, refreshAt, Duration.ofSeconds(10));
          rig.clock.advance(Duration.ofSeconds(1));
        }
        int recoveryAttempts = rec.started() - recoveryFrom;

        List<Recorder.Outcome> outcomes = rec.outcomes();
        List<Instant> starts = rec.starts();
        int early = 0;
        long maxBackoff = 0;
        int throttled = 0;
        for (int i = outcomesBefore; i < outcomes.size(); i++) {
          Recorder.Outcome o = outcomes.get(i);
          if (!o.failed()) {
            continue;
          }
          throttled++;
          maxBackoff = Math.max(maxBackoff, o.retryIn.toMillis());
          int nextStart = startsBefore + (i - outcomesBefore) + 1;
          if (nextStart < starts.size() && starts.get(nextStart).isBefore(o.at.plus(o.retryIn))) {
            early++;
          }
        }
        STORM.row(cloud, stormSeconds, 8, callers.reads.get(), callers.errors.size(), throttled, early,
            maxBackoff / 1000.0, MAX_BACKOFF.toSeconds(), recoveryAttempts);
        assertThat(callers.errors).as("%s: caller errors in the storm", cloud).isEmpty();
        assertThat(throttled).as("%s: throttled attempts", cloud).isPositive();
        assertThat(early).as("%s: attempts before the announced retry point", cloud).isZero();
        assertThat(maxBackoff).as("%s: the longest announced backoff (ms)", cloud).isLessThanOrEqualTo(MAX_BACKOFF.toMillis());
        assertThat(recoveryAttempts).as("%s: attempts to recover after the storm", cloud).isEqualTo(1);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(Cloud.class)
  void aSlowEndpointCostsOneDeadline(Cloud cloud) throws Exception {
    Warmup.cloud(cloud);
    long deadline = Profile.HANG_DEADLINE_MILLIS * 2L;
    try (Rig rig = cloud.start(dir); MockWebServer slow = new MockWebServer()) {
      if (cloud != Cloud.AWS) {
        slow.useHttps(TestCertificates.serverCertificates().sslSocketFactory());
      }
      slow.setDispatcher(new Dispatcher() {
        @Override
        public MockResponse dispatch(RecordedRequest request) {
          return new MockResponse.Builder().code(200).setHeader("Content-Type", "application/json")
              .body("{\"access_token\": \"" + "x".repeat(500) + "\"}").throttleBody(1, 2, TimeUnit.SECONDS).build();
        }
      });
      slow.start(InetAddress.getByName("127.0.0.1"), 0);
      String base = (cloud == Cloud.AWS ? "http" : "https") + "://127.0.0.1:" + slow.getPort();
      try (Rig.Client client = rig.open(new Rig.Options().endpoint(base)
          .exchangeTimeout(Duration.ofMillis(deadline)))) {
        long t0 = System.nanoTime();
        Throwable first = HungEndpointTest.failure(client);
        long firstMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        int requests = slow.getRequestCount();
        long t1 = System.nanoTime();
        Throwable second = HungEndpointTest.failure(client);
        long secondMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t1);
        int after = slow.getRequestCount();
        String typed = HungEndpointTest.typed(first);
        SLOW.row(cloud, deadline, firstMillis, deadline + 1_000, typed, requests, secondMillis, after);
        assertThat(typed).as("%s: the slow first load's failure is typed: %s", cloud, first).startsWith("yes");
        assertThat(firstMillis).as("%s: the slow first load failed within (ms)", cloud).isLessThanOrEqualTo(deadline + 1_000);
        assertThat(requests).as("%s: requests of the first load", cloud).isEqualTo(1);
        assertThat(HungEndpointTest.typed(second)).as("%s: the second read's failure: %s", cloud, second).startsWith("yes");
        assertThat(secondMillis).as("%s: a read inside the backoff window fails at once (ms)", cloud).isLessThan(500);
        assertThat(after).as("%s: no request inside the backoff window", cloud).isEqualTo(1);
      }
    }
  }
}
