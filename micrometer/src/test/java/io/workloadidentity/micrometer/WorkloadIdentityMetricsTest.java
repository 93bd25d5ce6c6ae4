package io.workloadidentity.micrometer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.FunctionTimer;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MockClock;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.TokenFileException;
import io.workloadidentity.core.WorkloadIdentityException;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Drives a real {@link CredentialCache} (exchanges on the calling thread, timers that never fire, a
 * mock clock shared by the cache and the meters) and reads the meters from a {@link SimpleMeterRegistry}.
 */
class WorkloadIdentityMetricsTest {
  private final MockClock clock = new MockClock();
  private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
  private final WorkloadIdentityMetrics metrics = new WorkloadIdentityMetrics(Tags.of("app", "orders"), clock);
  /** What the next exchanges do, in order: a lifetime (success) or an exception to throw. */
  private final Deque<Object> script = new ArrayDeque<>();
  private CredentialCache<String, String> cache;

  @AfterEach
  void close() {
    if (cache != null) {
      cache.close();
    }
  }

  /** A cache named aws whose exchanges take 250 ms of mock time and follow the script. */
  private CredentialCache<String, String> cache() {
    cache = CredentialCache.<String, String>builder(key -> {
          clock.add(Duration.ofMillis(250));
          Object next = script.removeFirst();
          if (next instanceof Exception e) {
            throw e;
          }
          return Expiring.of("credential-for-" + key, Instant.ofEpochMilli(clock.wallTime()).plus((Duration) next));
        })
        .name("aws")
        .clock(wallClock(clock))
        .executor(Runnable::run)
        .scheduler((task, delay, unit) -> new CompletableFuture<Void>()) // timers never fire: time is the test's
        .listener(metrics.listener("aws"))
        .build();
    return cache;
  }

  @Test
  void countsAndTimesAnExchangeAndGaugesTheTimeToExpiry() {
    metrics.bindTo(registry);
    script.add(Duration.ofHours(1));
    CredentialCache<String, String> c = cache();

    assertThat(c.get("role/orders")).isEqualTo("credential-for-role/orders");
    assertThat(c.get("role/orders")).as("served from the cache: no second exchange").isEqualTo("credential-for-role/orders");

    assertThat(counter(WorkloadIdentityMetrics.EXCHANGES, "outcome", "success")).isEqualTo(1);
    assertThat(counter(WorkloadIdentityMetrics.EXCHANGES, "outcome", "failure")).isZero();
    FunctionTimer timer = registry.get(WorkloadIdentityMetrics.EXCHANGE_DURATION).tags("cloud", "aws", "outcome", "success")
        .functionTimer();
    assertThat(timer.count()).isEqualTo(1);
    assertThat(timer.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(250.0);
    assertThat(timer.getId().getTag("app")).as("the constructor's tags are on every meter").isEqualTo("orders");

    Gauge expiry = registry.get(WorkloadIdentityMetrics.EXPIRY).tags("cloud", "aws", "credential", "role/orders").gauge();
    assertThat(expiry.value()).isEqualTo(3600.0);
    assertThat(expiry.getId().getBaseUnit()).isEqualTo("seconds");
    clock.add(Duration.ofMinutes(10));
    assertThat(expiry.value()).isEqualTo(3000.0);
    clock.add(Duration.ofMinutes(51));
    assertThat(expiry.value()).as("negative once expired").isEqualTo(-60.0);
  }

  @Test
  void countsFailuresByCodeAndRetryability() {
    metrics.bindTo(registry);
    CredentialCache<String, String> c = cache();
    script.add(new CredentialExchangeException("STS refused the role: fix the trust policy.", "aws", "AccessDenied",
        403, false, null));
    script.add(new IOException("connection reset"));
    script.add(new TokenFileException("The token file is missing: mount the volume.", Path.of("/var/run/token"),
        "AWS_WEB_IDENTITY_TOKEN_FILE", null));

    assertThatThrownBy(() -> c.get("denied")).isInstanceOf(CredentialExchangeException.class);
    // At once, with no time passed: inside the backoff window (at least 100 ms), whatever its jitter.
    assertThatThrownBy(() -> c.get("denied")).as("inside the backoff window: no new exchange, no new count")
        .isInstanceOf(CredentialExchangeException.class);
    assertThatThrownBy(() -> c.get("network")).isInstanceOf(CredentialExchangeException.class);
    assertThatThrownBy(() -> c.get("file")).isInstanceOf(TokenFileException.class);

    assertThat(counter(WorkloadIdentityMetrics.FAILURES, "code", "AccessDenied", "retryable", "false")).isEqualTo(1);
    assertThat(counter(WorkloadIdentityMetrics.FAILURES, "code", "none", "retryable", "true")).isEqualTo(1);
    assertThat(counter(WorkloadIdentityMetrics.FAILURES, "code", "TokenFileException", "retryable", "true")).isEqualTo(1);
    assertThat(counter(WorkloadIdentityMetrics.EXCHANGES, "outcome", "failure")).isEqualTo(3);
    FunctionTimer failed = registry.get(WorkloadIdentityMetrics.EXCHANGE_DURATION).tags("outcome", "failure").functionTimer();
    assertThat(failed.count()).isEqualTo(3);
    assertThat(failed.totalTime(TimeUnit.MILLISECONDS)).isEqualTo(750.0);
    assertThat(registry.get(WorkloadIdentityMetrics.EXPIRY).tags("credential", "denied").gauge().value())
        .as("no credential yet").isNaN();
  }

  @Test
  void eventsBeforeBindingAreKeptAndEveryBoundRegistrySeesThem() {
    script.add(Duration.ofHours(1));
    cache().get("role/orders");

    metrics.bindTo(registry);
    SimpleMeterRegistry second = new SimpleMeterRegistry();
    metrics.bindTo(second);
    metrics.bindTo(registry); // idempotent

    assertThat(counter(WorkloadIdentityMetrics.EXCHANGES, "outcome", "success")).isEqualTo(1);
    assertThat(second.get(WorkloadIdentityMetrics.EXCHANGES).tags("outcome", "success").functionCounter().count()).isEqualTo(1);
    metrics.listener("gcp").onRefreshed("audience", Instant.ofEpochMilli(clock.wallTime()).plusSeconds(60));
    assertThat(second.get(WorkloadIdentityMetrics.EXPIRY).tags("cloud", "gcp").gauge().value())
        .as("a cloud and a credential seen after binding are registered with every registry").isEqualTo(60.0);
    assertThat(second.get(WorkloadIdentityMetrics.EXCHANGES).tags("cloud", "gcp", "outcome", "failure")
        .functionCounter().count()).as("both outcomes exist from the start, at 0").isZero();
  }

  @Test
  void tagCardinalityIsBounded() {
    metrics.bindTo(registry);
    CredentialCache.Listener<Object> azure = metrics.listener("azure");
    CredentialExchangeException[] errors = new CredentialExchangeException[40];
    for (int i = 0; i < 40; i++) {
      errors[i] = new CredentialExchangeException("refused", "azure", "AADSTS" + (70000 + i), 400, false, null);
      azure.onRefreshFailed("scope " + i, errors[i], Duration.ofSeconds(1));
    }
    java.util.Collection<Meter> failures = registry.find(WorkloadIdentityMetrics.FAILURES).meters();
    assertThat(failures).hasSize(WorkloadIdentityMetrics.MAX_CODES + 1);
    assertThat(counter(WorkloadIdentityMetrics.FAILURES, "code", "other")).isEqualTo(40 - WorkloadIdentityMetrics.MAX_CODES);
    assertThat(registry.find(WorkloadIdentityMetrics.EXPIRY).meters()).hasSize(WorkloadIdentityMetrics.MAX_GAUGED_CREDENTIALS);
    assertThat(counter(WorkloadIdentityMetrics.EXCHANGES, "outcome", "failure")).as("still counts every one").isEqualTo(40);

    azure.onRefreshFailed("scope 0", new CredentialExchangeException("x", "azure", "bad code\n<script>é", 400, true, null),
        Duration.ZERO);
    assertThat(registry.find(WorkloadIdentityMetrics.FAILURES).tag("code", "bad_code__script__").meters())
        .as("a code is reduced to safe characters").isEmpty(); // over the cap: counted as other
    assertThat(WorkloadIdentityMetrics.code(new CredentialExchangeException("x", "azure", "bad code\n<script>é", 400, true,
        null))).isEqualTo("bad_code__script__");
  }

  @Test
  void credentialLabelsArePrintableShortAndMaskOpaqueRuns() {
    String jwtLike = "eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6c2hvcDpvcmRlcnMifQ";
    assertThat(WorkloadIdentityMetrics.label("sts{role=arn:aws:iam::111122223333:role/orders, token=" + jwtLike + "}"))
        .isEqualTo("sts{role=arn:aws:iam::111122223333:role/orders, token=***}");
    assertThat(WorkloadIdentityMetrics.label("key " + "A1b2".repeat(12))).isEqualTo("key ***");
    assertThat(WorkloadIdentityMetrics.label("scope ".repeat(60))).hasSize(120).endsWith("...");
    assertThat(WorkloadIdentityMetrics.label("scopes\t[https://vault.azure.net/.default]")).isEqualTo(
        "scopes?[https://vault.azure.net/.default]");

    metrics.bindTo(registry);
    CredentialCache.Listener<Object> aws = metrics.listener("aws");
    aws.onRefreshed(new Key("same"), Instant.ofEpochMilli(clock.wallTime()).plusSeconds(10));
    aws.onRefreshed(new Key("same "), Instant.ofEpochMilli(clock.wallTime()).plusSeconds(20));
    assertThat(registry.find(WorkloadIdentityMetrics.EXPIRY).meters()).extracting(m -> m.getId().getTag("credential"))
        .as("two keys that describe themselves alike get two gauges").containsExactlyInAnyOrder("same", "same #2");
  }

  @Test
  void cloudNamesAreValidatedAndBounded() {
    assertThat(metrics.listener("aws")).isSameAs(metrics.listener("aws"));
    assertThatThrownBy(() -> metrics.listener("AWS prod")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("lower case");
    for (int i = 1; i < WorkloadIdentityMetrics.MAX_CLOUDS; i++) {
      metrics.listener("cloud-" + i);
    }
    assertThatThrownBy(() -> metrics.listener("one-more")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("At most 16 clouds");
    assertThat(metrics.toString()).startsWith("WorkloadIdentityMetrics[aws, cloud-1");
  }

  @Test
  void countsTokenRotations() {
    metrics.bindTo(registry);
    metrics.listener("gcp").onTokenRotated(null);
    assertThat(registry.get(WorkloadIdentityMetrics.ROTATIONS).tags("cloud", "gcp").functionCounter().count()).isEqualTo(1);
  }

  @Test
  void concurrentEventsAreAllCounted() throws Exception {
    metrics.bindTo(registry);
    CredentialCache.Listener<Object> aws = metrics.listener("aws");
    int threads = 8;
    int each = 2_000;
    CountDownLatch start = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      Future<?>[] done = new Future<?>[threads];
      for (int t = 0; t < threads; t++) {
        int id = t;
        done[t] = pool.submit(() -> {
          start.await(10, TimeUnit.SECONDS);
          WorkloadIdentityException error = new CredentialExchangeException("throttled", "aws", "Throttling", 400, true, null);
          for (int i = 0; i < each; i++) {
            Object key = "key-" + (i % 20) + "-" + id; // 160 keys: all timed, 16 gauged
            aws.onExchangeStarted(key);
            if (i % 2 == 0) {
              aws.onRefreshed(key, Instant.ofEpochMilli(clock.wallTime()).plusSeconds(60));
            } else {
              aws.onRefreshFailed(key, error, Duration.ofSeconds(1));
            }
          }
          return null;
        });
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get(30, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(counter(WorkloadIdentityMetrics.EXCHANGES, "outcome", "success")).isEqualTo(threads * each / 2);
    assertThat(counter(WorkloadIdentityMetrics.EXCHANGES, "outcome", "failure")).isEqualTo(threads * each / 2);
    assertThat(counter(WorkloadIdentityMetrics.FAILURES, "code", "Throttling")).isEqualTo(threads * each / 2);
    assertThat(registry.get(WorkloadIdentityMetrics.EXCHANGE_DURATION).tags("outcome", "success").functionTimer().count())
        .isEqualTo(threads * each / 2);
    assertThat(registry.find(WorkloadIdentityMetrics.FAILURES).meters()).hasSize(1);
    assertThat(registry.find(WorkloadIdentityMetrics.EXPIRY).meters()).hasSize(WorkloadIdentityMetrics.MAX_GAUGED_CREDENTIALS);
  }

  @Test
  void refreshesOfAKnownKeyAndMeterReadsAllocateNothing() {
    java.lang.management.ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Assumptions.assumeTrue(mx instanceof com.sun.management.ThreadMXBean t && t.isThreadAllocatedMemorySupported());
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) mx;
    metrics.bindTo(registry);
    CredentialCache.Listener<Object> aws = metrics.listener("aws");
    Object key = "role/orders";
    Instant expiresAt = Instant.ofEpochMilli(clock.wallTime()).plusSeconds(3600);
    aws.onRefreshed(key, expiresAt);
    Gauge gauge = registry.get(WorkloadIdentityMetrics.EXPIRY).gauge();
    FunctionCounter exchanges = registry.get(WorkloadIdentityMetrics.EXCHANGES).tags("outcome", "success").functionCounter();
    double sink = 0;
    for (int i = 0; i < 50_000; i++) { // warm up, so that the measured loop runs compiled code
      aws.onExchangeStarted(key);
      aws.onRefreshed(key, expiresAt);
      sink += gauge.value() + exchanges.count();
    }
    long before = threads.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < 100_000; i++) {
      aws.onExchangeStarted(key);
      aws.onRefreshed(key, expiresAt);
      sink += gauge.value() + exchanges.count();
    }
    long allocated = threads.getCurrentThreadAllocatedBytes() - before;
    assertThat(sink).isPositive();
    assertThat(allocated).as("bytes allocated by 100,000 events and reads").isLessThan(1024);
  }

  private double counter(String name, String... tags) {
    return registry.get(name).tags(tags).functionCounter().count();
  }

  /** A key whose description may collide with another's. */
  private record Key(String description) {
    @Override
    public String toString() {
      return description.strip();
    }
  }

  /** The cache's wall clock, read from the mock clock the meters use. */
  static Clock wallClock(MockClock clock) {
    return new Clock() {
      @Override
      public ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return Instant.ofEpochMilli(clock.wallTime());
      }
    };
  }
}
