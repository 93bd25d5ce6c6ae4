package io.workloadidentity.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.reliability.Rig.Cloud;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Scenario 5: the first load against an endpoint that accepts the request and never answers fails within the
 * exchange deadline, with the library's typed exception; and {@code close()} during such a hung exchange (with a
 * deadline far away) returns within the cache's close wait, releasing the caller that waited.
 */
@Tag("reliability")
@Order(5)
@ExtendWith(SecretLeakGuard.class)
class HungEndpointTest {
  static final Table TABLE = Table.of("5. Hung endpoint: first load, then close()", "cloud", "exchange deadline (ms)",
      "first load failed within (ms)", "bound (ms)", "typed exception", "requests", "close() returned within (ms)",
      "waiting caller released within (ms)", "bound (ms)", "threads left 5 s after close()",
      "bound: threads left");

  /**
   * Threads a cloud may leave 5 s after {@code close()} during a hung exchange: none. (Found by this
   * scenario and fixed: AWS's SDK timer thread, the {@code StsClient}'s {@code apiCallTimeout}, used to
   * outlive {@code close()} until the exchange deadline; the session now owns that timer.)
   */
  static final java.util.Map<Cloud, Integer> KNOWN_LEFT = java.util.Map.of();

  /** The cache waits up to 1 s for its threads on close; the rest is slack for a busy machine. */
  static final long CLOSE_BOUND_MILLIS = 2_000;

  @TempDir Path dir;

  @ParameterizedTest
  @EnumSource(Cloud.class)
  void aHungEndpointCostsOneDeadlineAndCloseDoesNotWaitForIt(Cloud cloud) throws Exception {
    Warmup.cloud(cloud);
    long deadline = Profile.HANG_DEADLINE_MILLIS;
    long firstBound = deadline + 1_000;
    try (Rig rig = cloud.start(dir)) {
      rig.endpoint().faults().latency(Duration.ofSeconds(60));

      long firstMillis;
      Throwable first;
      try (Rig.Client client = rig.open(new Rig.Options().exchangeTimeout(Duration.ofMillis(deadline)))) {
        long t0 = System.nanoTime();
        first = failure(client);
        firstMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      }
      int requests = rig.exchanges();

      rig.endpoint().clearRequests();
      Resources before = Resources.settle(Resources.now(), 2_000);
      Rig.Client client = rig.open(new Rig.Options().exchangeTimeout(Duration.ofSeconds(30)));
      CompletableFuture<Throwable> waiter = CompletableFuture.supplyAsync(() -> failure(client));
      rig.endpoint().takeRequest(Duration.ofSeconds(20)); // the exchange is on the wire and hangs
      long t0 = System.nanoTime();
      client.close();
      long closeMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      Throwable released;
      try {
        released = waiter.get(CLOSE_BOUND_MILLIS * 5, TimeUnit.MILLISECONDS);
      } catch (TimeoutException e) {
        released = null;
      }
      long releasedMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
      // What the hung exchange leaves behind once close() has returned: given the time its deadline would have.
      Resources after = Resources.settle(before, 5_000);
      java.util.List<Thread> left = after.newThreadsSince(before);

      TABLE.row(cloud, deadline, firstMillis, firstBound, typed(first), requests, closeMillis, released == null ? "not released" : releasedMillis,
          CLOSE_BOUND_MILLIS, left.isEmpty() ? "0" : left.size() + " (" + String.join(", ", Resources.names(left)) + ")",
          KNOWN_LEFT.getOrDefault(cloud, 0));
      assertThat(typed(first)).as("%s: the first load's failure is typed: %s", cloud, first).startsWith("yes");
      assertThat(firstMillis).as("%s: the first load failed within (ms)", cloud).isLessThanOrEqualTo(firstBound);
      assertThat(requests).as("%s: requests of the first load", cloud).isEqualTo(1);
      assertThat(closeMillis).as("%s: close() during a hung exchange (ms)", cloud).isLessThanOrEqualTo(CLOSE_BOUND_MILLIS);
      assertThat(released).as("%s: the caller waiting on the hung exchange was released", cloud).isNotNull();
      assertThat(releasedMillis).as("%s: released within (ms)", cloud).isLessThanOrEqualTo(CLOSE_BOUND_MILLIS);
      assertThat(left.size()).as("%s: threads left 5 s after close() during a hung exchange: %s", cloud,
          Resources.names(left)).isLessThanOrEqualTo(KNOWN_LEFT.getOrDefault(cloud, 0));
    }
  }

  /**
   * Whether a caller's failure is the library's typed exception: itself, or (google-auth's contract: {@code
   * getRequestMetadata} throws {@link java.io.IOException}) an IOException whose cause is.
   */
  static String typed(Throwable t) {
    if (t instanceof WorkloadIdentityException) {
      return "yes";
    }
    if (t instanceof java.io.IOException && t.getCause() instanceof WorkloadIdentityException) {
      return "yes (IOException, cause " + t.getCause().getClass().getSimpleName() + ")";
    }
    return "no: " + t.getClass().getName();
  }

  /** Reads once, expecting a failure; answers it (a success is an error of the scenario). */
  static Throwable failure(Rig.Client client) {
    try {
      client.read();
      return new AssertionError("the read succeeded against a hung endpoint");
    } catch (Exception | Error e) {
      Throwable t = e instanceof ExecutionException && e.getCause() != null ? e.getCause() : e;
      Leaks.scan(t);
      return t;
    }
  }
}
