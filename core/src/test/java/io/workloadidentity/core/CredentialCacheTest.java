package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(SecretLeakGuard.class)
class CredentialCacheTest {
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
  private static final Duration TTL = Duration.ofHours(1);

  private final MutableClock clock = new MutableClock(T0);
  /** The controllable exchange: counts calls, fails while {@code failure} is set. */
  private final AtomicInteger exchanges = new AtomicInteger();
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
  private final List<Duration> backoffs = new CopyOnWriteArrayList<>();
  private final List<WorkloadIdentityException> reported = new CopyOnWriteArrayList<>();
  private final List<CredentialCache<?, ?>> caches = new ArrayList<>();

  /** A builder over the controllable exchange. */
  private CredentialCache.Builder<String, String> counting() {
    return CredentialCache.<String, String>builder(key -> {
      int n = exchanges.incrementAndGet();
      RuntimeException f = failure.get();
      if (f != null) {
        throw f;
      }
      return Expiring.of(key + "-" + n, clock.instant().plus(TTL));
    });
  }

  private CredentialCache<String, String> cache(RefreshPolicy policy) {
    CredentialCache<String, String> cache = counting()
        .name("test")
        .clock(clock)
        .refreshPolicy(policy)
        .listener(new CredentialCache.Listener<String>() {
          @Override
          public void onRefreshFailed(String key, WorkloadIdentityException error, Duration retryIn) {
            backoffs.add(retryIn);
            reported.add(error);
          }
        })
        .build();
    caches.add(cache);
    return cache;
  }

  @AfterEach
  void closeCaches() {
    caches.forEach(CredentialCache::close);
  }

  private static CredentialExchangeException unavailable() {
    return new CredentialExchangeException("STS returned 503 ServiceUnavailable", "test", "ServiceUnavailable", 503, true, null);
  }

  @Test
  void concurrentFirstCallersShareOneExchange() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    CredentialCache<String, String> cache = CredentialCache.<String, String>builder(key -> {
      calls.incrementAndGet();
      release.await();
      return Expiring.of("v", clock.instant().plus(TTL));
    }).clock(clock).build();
    caches.add(cache);
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> cache.get("k")));
        results.add(pool.submit(() -> cache.getAsync("k").get(5, TimeUnit.SECONDS)));
      }
      release.countDown();
      for (Future<String> r : results) {
        assertThat(r.get(5, TimeUnit.SECONDS)).isEqualTo("v");
      }
      assertThat(calls).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void thirtyTwoThreadsOverFiftyRefreshCyclesCauseOneExchangePerCycleAndNoErrors() throws Exception {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    Supplier<String> bound = cache.bind("role");
    assertThat(cache.get("role")).isEqualTo("role-1");
    int threads = 32;
    int cycles = 50;
    AtomicInteger errors = new AtomicInteger();
    CyclicBarrier barrier = new CyclicBarrier(threads + 1);
    AtomicReference<String> expected = new AtomicReference<>();
    AtomicBoolean done = new AtomicBoolean();
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int t = 0; t < threads; t++) {
        boolean useBound = t % 2 == 0;
        pool.submit(() -> {
          while (true) {
            barrier.await(10, TimeUnit.SECONDS);
            if (done.get()) {
              return null;
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            String want = expected.get();
            while (System.nanoTime() < deadline) {
              try {
                String v = useBound ? bound.get() : cache.get("role");
                if (v.equals(want)) {
                  break;
                }
              } catch (RuntimeException e) {
                errors.incrementAndGet();
              }
              Thread.onSpinWait();
            }
            barrier.await(10, TimeUnit.SECONDS);
          }
        });
      }
      Instant obtained = T0;
      for (int cycle = 1; cycle <= cycles; cycle++) {
        // Past any jittered refresh point (80% +- 5%), before the hard expiry (exp - 10 s).
        clock.set(obtained.plus(Duration.ofMinutes(54)));
        expected.set("role-" + (cycle + 1));
        barrier.await(10, TimeUnit.SECONDS); // go
        barrier.await(10, TimeUnit.SECONDS); // every thread saw the new credential (or timed out)
        assertThat(exchanges).as("exchanges after cycle %d", cycle).hasValue(cycle + 1);
        obtained = clock.instant();
      }
      done.set(true);
      barrier.await(10, TimeUnit.SECONDS);
      assertThat(errors).hasValue(0);
      assertThat(cache.get("role")).isEqualTo("role-" + (cycles + 1));
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void anOutageShorterThanTheRemainingLifetimeIsInvisibleAndBacksOff() throws Exception {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    assertThat(cache.get("k")).isEqualTo("k-1");
    clock.set(T0.plus(Duration.ofMinutes(50)));
    failure.set(unavailable());
    // Eight minutes of outage, read every second: every read gets the valid credential.
    int reads = 0;
    for (int s = 0; s < 480; s++) {
      assertThat(cache.get("k")).isEqualTo("k-1");
      reads++;
      awaitIdle(cache);
      clock.advance(Duration.ofSeconds(1));
    }
    int duringOutage = exchanges.get() - 1;
    assertThat(duringOutage).as("backoff, not one exchange per read").isGreaterThanOrEqualTo(5).isLessThan(reads / 10);
    // The endpoint recovers two minutes before expiry: the next attempt (backoff shrinks near the
    // hard expiry) replaces the credential before it dies, still without a caller-visible error.
    failure.set(null);
    String value = cache.get("k");
    for (int s = 0; s < 110 && value.equals("k-1"); s++) {
      awaitIdle(cache);
      clock.advance(Duration.ofSeconds(1));
      value = cache.get("k");
    }
    assertThat(value).isEqualTo("k-" + exchanges.get());
  }

  @Test
  void backoffGrowsAndIsCapped() {
    RefreshPolicy policy = RefreshPolicy.defaults();
    List<Long> ceilings = new ArrayList<>();
    for (int n = 1; n <= 9; n++) {
      ceilings.add(policy.backoffCeiling(n, true).toSeconds());
    }
    assertThat(ceilings).containsExactly(1L, 2L, 4L, 8L, 16L, 32L, 60L, 60L, 60L);
    assertThat(policy.backoffCeiling(1, false)).isEqualTo(Duration.ofSeconds(60));

    // The delays the cache actually chose during a long outage stay under those ceilings and grow.
    CredentialCache<String, String> cache = cache(policy);
    cache.get("k");
    clock.set(T0.plus(Duration.ofMinutes(50)));
    failure.set(unavailable());
    for (int s = 0; s < 590 && backoffs.size() < 10; s++) {
      cache.get("k");
      awaitIdle(cache);
      clock.advance(Duration.ofSeconds(1));
    }
    assertThat(backoffs).hasSizeGreaterThanOrEqualTo(8);
    for (int i = 0; i < backoffs.size(); i++) {
      assertThat(backoffs.get(i)).isLessThanOrEqualTo(policy.backoffCeiling(i + 1, true));
    }
    double early = backoffs.subList(0, 3).stream().mapToLong(Duration::toMillis).average().orElseThrow();
    double late = backoffs.subList(5, 8).stream().mapToLong(Duration::toMillis).average().orElseThrow();
    assertThat(late).isGreaterThan(early);
  }

  @Test
  void afterHardExpiryCallersGetTheTypedErrorAndFailFastDuringBackoff() {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    cache.get("k");
    failure.set(unavailable());
    clock.set(T0.plus(TTL).minusSeconds(5)); // inside the 10 s skew: hard-expired
    assertThatThrownBy(() -> cache.get("k"))
        .isInstanceOf(CredentialExchangeException.class)
        .hasMessageContaining("503")
        .satisfies(e -> assertThat(((CredentialExchangeException) e).retryable()).isTrue())
        .satisfies(SecretLeakGuard::inspect);
    int after = exchanges.get();
    assertThatThrownBy(() -> cache.get("k")).isInstanceOf(CredentialExchangeException.class);
    assertThat(exchanges).as("no new exchange within the backoff window").hasValue(after);
    clock.advance(Duration.ofSeconds(2));
    failure.set(null);
    assertThat(cache.get("k")).isEqualTo("k-" + exchanges.get());
    assertThat(exchanges.get()).isEqualTo(after + 1);
  }

  @Test
  void getAsyncHonoursTheBackoffWhenNoCredentialIsCached() {
    // The async path is what the Azure, AWS async and Google callback clients call on every request.
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    failure.set(new CredentialExchangeException("AccessDenied: not authorized", "test", "AccessDenied", 403, false, null));
    for (int i = 0; i < 10; i++) {
      java.util.concurrent.CompletableFuture<String> f = cache.getAsync("k");
      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(CredentialExchangeException.class);
    }
    assertThat(exchanges).as("one exchange, then fail fast within the backoff window").hasValue(1);
  }

  @Test
  void aClockSteppedBackDuringTheBackoffDoesNotStretchTheBackoffByTheStep() {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    failure.set(unavailable());
    assertThatThrownBy(() -> cache.get("k")).isInstanceOf(CredentialExchangeException.class);
    // NTP steps the clock back an hour (a VM whose clock ran ahead at boot), and STS is back.
    clock.set(T0.minus(Duration.ofHours(1)));
    failure.set(null);
    assertThat(cache.get("k")).as("a retry, not an hour of the cached error").isEqualTo("k-2");
  }

  @Test
  void keysWhoseExchangeFailedAreNotKeptForever() {
    // For example a role per tenant, some of which do not trust the cluster: the maximum size
    // bounds the credentials, and must bound what is kept for failed keys too.
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    failure.set(new CredentialExchangeException("AccessDenied: not authorized", "test", "AccessDenied", 403, false, null));
    for (int i = 0; i < 200; i++) {
      String key = "tenant-" + i;
      assertThatThrownBy(() -> cache.get(key)).isInstanceOf(CredentialExchangeException.class);
    }
    clock.advance(Duration.ofMinutes(3)); // every backoff window, and a maximum backoff more, is over
    assertThatThrownBy(() -> cache.get("tenant-x")).isInstanceOf(CredentialExchangeException.class);
    assertThat(cache.keysTracked()).isLessThanOrEqualTo(2);
  }

  @Test
  void aNonRetryableFailureIsReportedAtOnceButKeepsTheValidCredential() {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    cache.get("k");
    clock.set(T0.plus(Duration.ofMinutes(50)));
    failure.set(new CredentialExchangeException("AccessDenied: not authorized", "test", "AccessDenied", 403, false, null));
    assertThat(cache.get("k")).isEqualTo("k-1");
    awaitIdle(cache);
    assertThat(reported).hasSize(1);
    assertThat(reported.get(0)).hasMessageContaining("AccessDenied");
    assertThat(backoffs.get(0)).isGreaterThan(Duration.ofMillis(100)).isLessThanOrEqualTo(Duration.ofSeconds(60));
    assertThat(cache.get("k")).isEqualTo("k-1");
  }

  @Test
  void aFailedRefreshFailsItsFutureWhileTheValidCredentialStaysInService() throws Exception {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    assertThat(cache.get("k")).isEqualTo("k-1");
    failure.set(unavailable());
    java.util.concurrent.CompletableFuture<String> refreshed = cache.refresh("k");
    assertThatThrownBy(() -> refreshed.get(5, TimeUnit.SECONDS))
        .as("the caller asked for a new credential: the old one is not an answer")
        .hasCauseInstanceOf(CredentialExchangeException.class);
    assertThat(cache.get("k")).isEqualTo("k-1");
    failure.set(null);
    assertThat(cache.refresh("k").get(5, TimeUnit.SECONDS)).isEqualTo("k-3");
  }

  @Test
  void aListenerThatThrowsBreaksNeitherLoadsNorRefreshes() {
    CredentialCache<String, String> cache = counting().name("test").clock(clock)
        .listener(new CredentialCache.Listener<String>() {
          @Override
          public void onRefreshed(String key, Instant expiresAt) {
            throw new IllegalStateException("metrics registry is closed");
          }

          @Override
          public void onRefreshFailed(String key, WorkloadIdentityException error, Duration retryIn) {
            throw new IllegalStateException("metrics registry is closed");
          }
        }).build();
    caches.add(cache);
    Supplier<String> bound = cache.bind("k");
    assertThat(bound.get()).isEqualTo("k-1");
    for (int cycle = 2; cycle <= 4; cycle++) {
      clock.advance(Duration.ofMinutes(55)); // past the refresh point, before the hard expiry
      assertThat(bound.get()).isEqualTo("k-" + (cycle - 1));
      awaitIdle(cache);
      assertThat(bound.get()).as("refresh cycle %d", cycle).isEqualTo("k-" + cycle);
    }
  }

  @Test
  void aLoadWaitsForARefreshStillRunningWhenTheCredentialHardExpires() throws Exception {
    // During an outage the last attempts come just before the hard expiry; a slow one is still
    // running when callers find the credential dead.
    assertExchangesNeverOverlap(cache -> clock.set(T0.plus(TTL)));
  }

  @Test
  void aLoadWaitsForARefreshStillRunningWhenTheKeyIsInvalidated() throws Exception {
    assertExchangesNeverOverlap(cache -> cache.invalidate("k"));
  }

  /**
   * Hangs the first refresh, lets {@code dropEntry} take the credential out of the cache, and checks
   * that the caller who then needs a credential waits for the running exchange instead of starting a
   * second one beside it (Exchange promises one at a time per key).
   */
  private void assertExchangesNeverOverlap(java.util.function.Consumer<CredentialCache<String, String>> dropEntry)
      throws Exception {
    CountDownLatch refreshRunning = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    CountDownLatch thirdStarted = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    AtomicInteger running = new AtomicInteger();
    AtomicInteger maxRunning = new AtomicInteger();
    CredentialCache<String, String> cache = CredentialCache.<String, String>builder(key -> {
      int n = calls.incrementAndGet();
      maxRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
      try {
        if (n == 2) {
          refreshRunning.countDown();
          release.await(5, TimeUnit.SECONDS); // a slow STS
        } else if (n == 3) {
          thirdStarted.countDown();
        }
        return Expiring.of("v" + n, clock.instant().plus(TTL));
      } finally {
        running.decrementAndGet();
      }
    }).clock(clock).build();
    caches.add(cache);
    assertThat(cache.get("k")).isEqualTo("v1");
    clock.set(T0.plus(Duration.ofMinutes(55)));
    assertThat(cache.get("k")).isEqualTo("v1"); // starts the background refresh, which hangs
    assertThat(refreshRunning.await(5, TimeUnit.SECONDS)).isTrue();
    dropEntry.accept(cache);
    java.util.concurrent.FutureTask<String> caller = new java.util.concurrent.FutureTask<>(() -> cache.get("k"));
    Thread thread = new Thread(caller, "caller");
    thread.start();
    // Until the caller has either started its own exchange and finished (wrong) or is waiting.
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!caller.isDone() && thread.getState() != Thread.State.WAITING && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    // An overlapping exchange starts at once; a correct cache cannot start one before the release,
    // so this bounded wait only gives a wrong one the time to show itself.
    thirdStarted.await(300, TimeUnit.MILLISECONDS);
    release.countDown();
    assertThat(caller.get(5, TimeUnit.SECONDS)).isEqualTo("v3");
    assertThat(maxRunning).as("exchanges for one key running at the same time").hasValue(1);
  }

  @Test
  void aRetryTimerFiringBeforeItsFailedRefreshHasFinishedStillLeavesATimer() throws Exception {
    // The retry timer is armed inside the failing exchange, before the listener runs and Caffeine
    // takes the outcome: a slow listener (or a GC pause) longer than the backoff lets it fire early.
    CountDownLatch inListener = new CountDownLatch(1);
    CountDownLatch proceed = new CountDownLatch(1);
    CredentialCache<String, String> cache = counting().name("test").clock(clock)
        .refreshPolicy(RefreshPolicy.builder().backoff(Duration.ofMillis(1), Duration.ofMillis(1)).build())
        .listener(new CredentialCache.Listener<String>() {
          @Override
          public void onRefreshFailed(String key, WorkloadIdentityException error, Duration retryIn) {
            if (inListener.getCount() > 0) {
              inListener.countDown();
              try {
                proceed.await(5, TimeUnit.SECONDS); // a slow metrics push
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            }
          }
        }).build();
    caches.add(cache);
    assertThat(cache.get("k")).isEqualTo("k-1");
    clock.set(T0.plus(Duration.ofMinutes(50)));
    failure.set(unavailable());
    assertThat(cache.get("k")).isEqualTo("k-1"); // the refresh fails, its listener is slow
    assertThat(inListener.await(5, TimeUnit.SECONDS)).isTrue();
    clock.advance(Duration.ofSeconds(1)); // the retry timer (1 ms) is due, and fires
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (cache.refreshesInFlight() < 2 && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // until the timer has joined the refresh that is still finishing
    }
    assertThat(cache.refreshesInFlight()).isEqualTo(2);
    proceed.countDown();
    awaitIdle(cache);
    // STS is back; nobody reads the key (an idle provider): only a timer can refresh it now.
    int before = exchanges.get();
    failure.set(null);
    clock.advance(Duration.ofSeconds(1));
    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (exchanges.get() <= before && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(exchanges.get()).as("a background retry without any read").isGreaterThan(before);
  }

  @Test
  void aHostSuspendedPastTheExpiryGetsANewCredentialNotTheDeadOne() {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    Supplier<String> bound = cache.bind("k");
    assertThat(bound.get()).isEqualTo("k-1");
    clock.advance(Duration.ofHours(3)); // no timer fired: the wall clock alone must catch it
    assertThat(bound.get()).isEqualTo("k-2");
    assertThat(cache.get("k")).isEqualTo("k-2");
  }

  @Test
  void refreshHintIsUsedWhenSaneAndIgnoredWhenEpochOrPast() {
    AtomicReference<Instant> hint = new AtomicReference<>(Instant.EPOCH);
    AtomicInteger calls = new AtomicInteger();
    CredentialCache<String, String> cache = CredentialCache.<String, String>builder(key ->
            Expiring.of("v" + calls.incrementAndGet(), clock.instant().plus(TTL)).withRefreshHint(hint.get()))
        .clock(clock).build();
    caches.add(cache);
    cache.get("k");
    clock.advance(Duration.ofMinutes(30)); // an epoch hint must not make every read refresh
    cache.get("k");
    awaitIdle(cache);
    assertThat(calls).hasValue(1);
    hint.set(clock.instant().plus(Duration.ofMinutes(10)));
    cache.invalidate("k");
    cache.get("k");
    clock.advance(Duration.ofMinutes(11)); // the sane hint (10 min) is earlier than 80% (48 min)
    cache.get("k");
    awaitIdle(cache);
    assertThat(calls).hasValue(3);
  }

  @Test
  void noThreadSurvivesClose() throws Exception {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    cache.get("a");
    cache.get("b");
    clock.advance(Duration.ofMinutes(55));
    cache.get("a");
    awaitIdle(cache);
    cache.close();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("workload-identity-test-")) {
        t.join(2_000);
        assertThat(t.isAlive()).as("thread %s after close()", t.getName()).isFalse();
      }
    }
    assertThatThrownBy(() -> cache.get("a")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aBoundHandleFailsAfterCloseLikeGet() {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    Supplier<String> bound = cache.bind("k");
    assertThat(bound.get()).isEqualTo("k-1");
    cache.close();
    // Not 48 minutes later, at the refresh point that no timer will serve any more.
    assertThatThrownBy(bound::get).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void invalidateForcesANewExchange() {
    CredentialCache<String, String> cache = cache(RefreshPolicy.defaults());
    Supplier<String> bound = cache.bind("k");
    assertThat(bound.get()).isEqualTo("k-1");
    cache.invalidate("k");
    assertThat(bound.get()).isEqualTo("k-2");
    assertThat(Set.of(cache.toString())).allSatisfy(s -> assertThat(s).contains("test"));
  }

  @Test
  void forwardsTokenRotationsToTheListener(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Path file = java.nio.file.Files.writeString(dir.resolve("token"),
        SecretLeakGuard.secret(TestTokens.token(T0, TTL, "a")));
    List<ProjectedToken> rotated = new CopyOnWriteArrayList<>();
    AtomicInteger calls = new AtomicInteger();
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).watch(false).build();
        CredentialCache<String, String> cache = CredentialCache.<String, String>builder(k -> {
          calls.incrementAndGet();
          return Expiring.of(source.token().subject(), clock.instant().plus(TTL));
        })
            .clock(clock).rotationsOf(source)
            .listener(new CredentialCache.Listener<String>() {
              @Override
              public void onTokenRotated(ProjectedToken token) {
                rotated.add(token);
              }
            }).build()) {
      assertThat(cache.get("k")).isEqualTo("system:serviceaccount:payments:api");
      String next = SecretLeakGuard.secret(TestTokens.token(T0.plusSeconds(1), TTL, "a"));
      java.nio.file.Files.writeString(file, next);
      source.refresh();
      assertThat(rotated).extracting(ProjectedToken::value).containsExactly(next);
      assertThat(cache.get("k")).as("a rotation does not invalidate the cached credential").isEqualTo("system:serviceaccount:payments:api");
      assertThat(calls).hasValue(1);
    }
  }

  @Test
  void everyExchangeIsAnnouncedBeforeItsOutcome() {
    List<String> events = new CopyOnWriteArrayList<>();
    CredentialCache<String, String> cache = CredentialCache.<String, String>builder(k -> {
          if (failure.get() != null) {
            throw failure.get();
          }
          return Expiring.of("v", clock.instant().plus(TTL));
        })
        .clock(clock)
        .listener(new CredentialCache.Listener<String>() {
          @Override
          public void onExchangeStarted(String key) {
            events.add("started");
          }

          @Override
          public void onRefreshed(String key, Instant expiresAt) {
            events.add("refreshed");
          }

          @Override
          public void onRefreshFailed(String key, WorkloadIdentityException error, Duration retryIn) {
            events.add("failed");
          }
        }).build();
    caches.add(cache);
    cache.get("k");
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (events.size() < 2 && System.nanoTime() < deadline) {
      Thread.onSpinWait(); // "refreshed" is announced once the cache serves the credential
    }
    failure.set(unavailable());
    clock.advance(Duration.ofMinutes(55));
    cache.get("k");
    awaitIdle(cache);
    assertThat(events).containsExactly("started", "refreshed", "started", "failed");
  }

  @Test
  void whenOnRefreshedIsCalledTheCacheAlreadyServesTheNewCredential() throws Exception {
    java.util.concurrent.BlockingQueue<String> servedAtEvent = new java.util.concurrent.LinkedBlockingQueue<>();
    AtomicReference<CredentialCache<String, String>> self = new AtomicReference<>();
    CredentialCache<String, String> cache = CredentialCache.<String, String>builder(
            k -> Expiring.of("v" + exchanges.incrementAndGet(), clock.instant().plus(TTL)))
        .clock(clock)
        .listener(new CredentialCache.Listener<String>() {
          @Override
          public void onRefreshed(String key, Instant expiresAt) {
            servedAtEvent.add(self.get().get(key));
          }
        }).build();
    self.set(cache);
    caches.add(cache);
    assertThat(cache.get("k")).isEqualTo("v1");
    assertThat(servedAtEvent.poll(5, TimeUnit.SECONDS)).isEqualTo("v1");
    for (int cycle = 2; cycle <= 20; cycle++) {
      clock.advance(Duration.ofMinutes(55));
      cache.get("k"); // starts the background refresh
      assertThat(servedAtEvent.poll(5, TimeUnit.SECONDS)).as("cycle %d", cycle).isEqualTo("v" + cycle);
    }
  }

  /** Waits (bounded) until the cache serves {@code expected}: a refreshed value is installed asynchronously. */
  private static void awaitValue(CredentialCache<String, String> cache, String key, String expected) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (!cache.get(key).equals(expected) && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(cache.get(key)).isEqualTo(expected);
  }

  /** Waits until no exchange is running (refreshes are asynchronous), bounded. */
  private static void awaitIdle(CredentialCache<?, ?> cache) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (cache.refreshesInFlight() > 0 && System.nanoTime() < deadline) {
      Thread.onSpinWait();
    }
    assertThat(cache.refreshesInFlight()).as("refreshes still running").isZero();
  }
}
