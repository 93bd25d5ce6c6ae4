package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.internal.State;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The cache's contract, through its public API. Time is a {@link ManualScheduler} over a {@link
 * MutableClock}; exchanges run inline ({@code Runnable::run}) unless a test needs one in flight
 * ({@link ManualExecutor}) or real threads (only where threads are what is tested).
 */
@ExtendWith(SecretLeakGuard.class)
class CredentialCacheTest {
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
  private static final Duration TTL = Duration.ofHours(1);

  private final MutableClock clock = new MutableClock(T0);
  private final ManualScheduler scheduler = new ManualScheduler(clock);
  /** The controllable exchange: counts calls, fails while {@code failure} is set. */
  private final AtomicInteger exchanges = new AtomicInteger();
  private final AtomicReference<RuntimeException> failure = new AtomicReference<>();
  private final List<Duration> backoffs = new CopyOnWriteArrayList<>();
  private final List<WorkloadIdentityException> reported = new CopyOnWriteArrayList<>();
  private final List<CredentialCache<?, ?>> caches = new ArrayList<>();

  private CredentialCache.Exchange<String, String> countingExchange() {
    return key -> {
      int n = exchanges.incrementAndGet();
      RuntimeException f = failure.get();
      if (f != null) {
        throw f;
      }
      return Expiring.of(key + "-" + n, clock.instant().plus(TTL));
    };
  }

  /** A builder over the controllable exchange, the manual scheduler and inline exchanges. */
  private CredentialCache.Builder<String, String> counting() {
    return CredentialCache.builder(countingExchange()).name("test").clock(clock).scheduler(scheduler)
        .executor(Runnable::run)
        .listener(new CredentialCache.Listener<String>() {
          @Override
          public void onRefreshFailed(String key, WorkloadIdentityException error, Duration retryIn) {
            backoffs.add(retryIn);
            reported.add(error);
          }
        });
  }

  private <K, C> CredentialCache<K, C> track(CredentialCache<K, C> cache) {
    caches.add(cache);
    return cache;
  }

  private CredentialCache<String, String> cache() {
    return track(counting().build());
  }

  @AfterEach
  void closeCaches() {
    caches.forEach(CredentialCache::close);
  }

  private static CredentialExchangeException unavailable() {
    return new CredentialExchangeException("STS returned 503 ServiceUnavailable", "test", "ServiceUnavailable", 503, true, null);
  }

  private static CredentialExchangeException denied() {
    return new CredentialExchangeException("AccessDenied: not authorized", "test", "AccessDenied", 403, false, null);
  }

  // ---- single flight and refresh ahead ----------------------------------------------------------

  @Test
  void concurrentFirstCallersShareOneExchange() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    AtomicInteger calls = new AtomicInteger();
    CredentialCache<String, String> cache = track(CredentialCache.<String, String>builder(key -> {
      calls.incrementAndGet();
      release.await(10, TimeUnit.SECONDS);
      return Expiring.of("v", clock.instant().plus(TTL));
    }).clock(clock).build());
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      List<Future<String>> results = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        results.add(pool.submit(() -> cache.get("k")));
        results.add(pool.submit(() -> cache.getAsync("k").get(10, TimeUnit.SECONDS)));
      }
      release.countDown();
      for (Future<String> r : results) {
        assertThat(r.get(10, TimeUnit.SECONDS)).isEqualTo("v");
      }
      assertThat(calls).hasValue(1);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void thirtyTwoThreadsOverFiftyRefreshCyclesSeeOneExchangePerCycleAndNoErrors() throws Exception {
    CredentialCache<String, String> cache = cache();
    Supplier<String> bound = cache.bind("role");
    assertThat(cache.get("role")).isEqualTo("role-1");
    int threads = 32;
    int cycles = 50;
    AtomicInteger errors = new AtomicInteger();
    AtomicInteger stale = new AtomicInteger();
    CyclicBarrier barrier = new CyclicBarrier(threads + 1);
    AtomicReference<String> expected = new AtomicReference<>("role-1");
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      for (int t = 0; t < threads; t++) {
        boolean useBound = t % 2 == 0;
        pool.submit(() -> {
          for (int cycle = 1; cycle <= cycles; cycle++) {
            barrier.await(10, TimeUnit.SECONDS); // the refresh of this cycle is installed
            String want = expected.get();
            for (int i = 0; i < 200; i++) {
              try {
                String v = useBound ? bound.get() : cache.get("role");
                if (!v.equals(want)) {
                  stale.incrementAndGet();
                }
              } catch (RuntimeException e) {
                errors.incrementAndGet();
              }
            }
            barrier.await(10, TimeUnit.SECONDS);
          }
          return null;
        });
      }
      for (int cycle = 1; cycle <= cycles; cycle++) {
        // To the (jittered) refresh point: the timer refreshes.
        scheduler.advance(scheduler.untilNext());
        expected.set("role-" + (cycle + 1));
        barrier.await(10, TimeUnit.SECONDS); // go
        barrier.await(10, TimeUnit.SECONDS); // every thread read 200 times
        assertThat(exchanges).as("exchanges after cycle %d", cycle).hasValue(cycle + 1);
      }
      assertThat(errors).hasValue(0);
      assertThat(stale).as("reads after the refresh was installed that saw the old credential").hasValue(0);
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void backgroundRefreshHappensWhetherOrNotAnyoneReads() {
    CredentialCache<String, String> cache = cache();
    assertThat(cache.get("k")).isEqualTo("k-1");
    for (int cycle = 2; cycle <= 10; cycle++) {
      scheduler.advance(scheduler.untilNext());
      assertThat(exchanges).as("cycle %d without a read", cycle).hasValue(cycle);
    }
    assertThat(cache.get("k")).isEqualTo("k-10");
  }

  // ---- outages and backoff -----------------------------------------------------------------------

  @Test
  void anOutageShorterThanTheRemainingLifetimeIsInvisibleAndBacksOff() {
    CredentialCache<String, String> cache = cache();
    assertThat(cache.get("k")).isEqualTo("k-1");
    failure.set(unavailable());
    scheduler.advance(Duration.ofMinutes(50)); // the refresh (and its first retries) fail
    int reads = 0;
    for (int s = 0; s < 480; s++) { // eight minutes, read every second: always the valid credential
      assertThat(cache.get("k")).isEqualTo("k-1");
      reads++;
      scheduler.advance(Duration.ofSeconds(1));
    }
    int duringOutage = exchanges.get() - 1;
    assertThat(duringOutage).as("backoff, not one exchange per read").isGreaterThanOrEqualTo(5).isLessThan(reads / 10);
    // The endpoint recovers before the expiry: the next retry (backoff shrinks near the hard expiry)
    // replaces the credential before it dies, still without a caller-visible error.
    failure.set(null);
    for (int s = 0; s < 110 && cache.get("k").equals("k-1"); s++) {
      scheduler.advance(Duration.ofSeconds(1));
    }
    assertThat(cache.get("k")).isEqualTo("k-" + exchanges.get());
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
    CredentialCache<String, String> cache = cache();
    cache.get("k");
    failure.set(unavailable());
    scheduler.advance(Duration.ofMinutes(48).minusSeconds(1));
    for (int s = 0; s < 590 && backoffs.size() < 10; s++) {
      scheduler.advance(Duration.ofSeconds(1)); // no reads: the retry timers alone
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
    CredentialCache<String, String> cache = cache();
    cache.get("k");
    failure.set(unavailable());
    scheduler.jumpWall(TTL.minusSeconds(5)); // inside the 10 s skew: hard-expired, no timer ran
    assertThatThrownBy(() -> cache.get("k"))
        .isInstanceOf(CredentialExchangeException.class)
        .hasMessageContaining("503")
        .satisfies(e -> assertThat(((CredentialExchangeException) e).retryable()).isTrue())
        .satisfies(SecretLeakGuard::inspect);
    int after = exchanges.get();
    assertThatThrownBy(() -> cache.get("k")).isInstanceOf(CredentialExchangeException.class);
    assertThat(cache.getAsync("k")).isCompletedExceptionally();
    assertThat(exchanges).as("no new exchange within the backoff window").hasValue(after);
    failure.set(null);
    scheduler.advance(Duration.ofSeconds(2)); // the retry timer of a key that was in service reloads it
    assertThat(exchanges.get()).isEqualTo(after + 1);
    assertThat(cache.get("k")).isEqualTo("k-" + exchanges.get());
  }

  @Test
  void getAsyncHonoursTheBackoffWhenNoCredentialIsCached() {
    // The async path is what the Azure, AWS async and Google callback clients call on every request.
    CredentialCache<String, String> cache = cache();
    failure.set(denied());
    for (int i = 0; i < 10; i++) {
      CompletableFuture<String> f = cache.getAsync("k");
      assertThatThrownBy(() -> f.get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(CredentialExchangeException.class);
    }
    assertThat(exchanges).as("one exchange, then fail fast within the backoff window").hasValue(1);
  }

  @Test
  void aClockSteppedBackDuringTheBackoffDoesNotStretchTheBackoffByTheStep() {
    CredentialCache<String, String> cache = cache();
    failure.set(unavailable());
    assertThatThrownBy(() -> cache.get("k")).isInstanceOf(CredentialExchangeException.class);
    // NTP steps the clock back an hour (a VM whose clock ran ahead at boot), and STS is back.
    scheduler.jumpWall(Duration.ofHours(-1));
    failure.set(null);
    assertThat(cache.get("k")).as("a retry, not an hour of the cached error").isEqualTo("k-2");
  }

  @Test
  void whatIsKeptForKeysWhoseExchangeFailedIsBoundedByTheMaximumSize() {
    // For example a role per tenant, some of which do not trust the cluster.
    CredentialCache<String, String> cache = track(counting().maximumSize(50).build());
    failure.set(denied());
    for (int i = 0; i < 200; i++) {
      String key = "tenant-" + i;
      assertThatThrownBy(() -> cache.get(key)).isInstanceOf(CredentialExchangeException.class);
    }
    assertThat(cache.states()).hasSizeLessThanOrEqualTo(50);
    assertThat(scheduler.pending()).as("failed first loads keep no timer").isZero();
  }

  @Test
  void aNonRetryableFailureIsReportedAtOnceButKeepsTheValidCredential() {
    CredentialCache<String, String> cache = cache();
    cache.get("k");
    failure.set(denied());
    scheduler.advance(scheduler.untilNext()); // the refresh point
    assertThat(reported).hasSize(1);
    assertThat(reported.get(0)).hasMessageContaining("AccessDenied");
    assertThat(backoffs.get(0)).isGreaterThanOrEqualTo(Duration.ofMillis(100)).isLessThanOrEqualTo(Duration.ofSeconds(60));
    assertThat(cache.get("k")).isEqualTo("k-1");
  }

  @Test
  void aFailedRefreshFailsItsFutureWhileTheValidCredentialStaysInService() throws Exception {
    CredentialCache<String, String> cache = cache();
    assertThat(cache.get("k")).isEqualTo("k-1");
    failure.set(unavailable());
    CompletableFuture<String> refreshed = cache.refresh("k");
    assertThatThrownBy(() -> refreshed.get(5, TimeUnit.SECONDS))
        .as("the caller asked for a new credential: the old one is not an answer")
        .hasCauseInstanceOf(CredentialExchangeException.class);
    assertThat(cache.get("k")).isEqualTo("k-1");
    assertThat(cache.refresh("k")).as("inside the backoff window: the last error, no new attempt").isCompletedExceptionally();
    assertThat(exchanges).hasValue(2);
    failure.set(null);
    scheduler.advance(Duration.ofSeconds(2));
    assertThat(cache.refresh("k").get(5, TimeUnit.SECONDS)).isEqualTo("k-" + exchanges.get());
  }

  @Test
  void aListenerThatThrowsBreaksNeitherLoadsNorRefreshes() {
    CredentialCache<String, String> cache = track(counting().listener(new CredentialCache.Listener<String>() {
      @Override
      public void onRefreshed(String key, Instant expiresAt) {
        throw new IllegalStateException("metrics registry is closed");
      }

      @Override
      public void onExchangeStarted(String key) {
        throw new IllegalStateException("metrics registry is closed");
      }
    }).build());
    Supplier<String> bound = cache.bind("k");
    assertThat(bound.get()).isEqualTo("k-1");
    for (int cycle = 2; cycle <= 4; cycle++) {
      scheduler.advance(Duration.ofMinutes(55));
      assertThat(bound.get()).as("refresh cycle %d", cycle).isEqualTo("k-" + cycle);
    }
  }

  // ---- measured defects of the previous cache (issue 10), one test each --------------------------

  /** Defect 1: with nothing cached, every getAsync parked a pool thread on the load. */
  @Test
  void getAsyncDuringASlowFirstLoadOccupiesNoThread() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    CredentialCache<String, String> cache = track(CredentialCache.<String, String>builder(key -> {
      release.await(10, TimeUnit.SECONDS);
      return Expiring.of("v", clock.instant().plus(TTL));
    }).name("parked").clock(clock).build());
    List<CompletableFuture<String>> futures = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      futures.add(cache.getAsync("k"));
    }
    assertThat(threadsNamed("workload-identity-parked-exchange")).as("threads running exchanges").isEqualTo(1);
    release.countDown();
    for (CompletableFuture<String> f : futures) {
      assertThat(f.get(10, TimeUnit.SECONDS)).isEqualTo("v");
    }
  }

  /** Defect 2: a refresh in flight at hard expiry was discarded; now the callers join it. */
  @Test
  void aRefreshInFlightAtHardExpiryIsJoinedNotDiscarded() throws Exception {
    ManualExecutor executor = new ManualExecutor();
    CredentialCache<String, String> cache = track(counting().executor(executor).build());
    CompletableFuture<String> first = cache.getAsync("k");
    executor.runAll();
    assertThat(first.get()).isEqualTo("k-1");
    scheduler.advance(scheduler.untilNext()); // the timer starts the refresh; it hangs
    assertThat(executor.queued()).isEqualTo(1);
    scheduler.jumpWall(Duration.ofMinutes(16)); // past the hard expiry while it runs
    CompletableFuture<String> caller = cache.getAsync("k");
    CompletableFuture<String> other = cache.getAsync("k");
    assertThat(caller).isNotDone();
    assertThat(executor.queued()).as("no second exchange beside the running one").isEqualTo(1);
    executor.runAll();
    assertThat(caller.get()).isEqualTo("k-2");
    assertThat(other.get()).isEqualTo("k-2");
    assertThat(exchanges).hasValue(2);
  }

  @Test
  void invalidateDuringARefreshMakesCallersWaitForThatRefresh() throws Exception {
    ManualExecutor executor = new ManualExecutor();
    CredentialCache<String, String> cache = track(counting().executor(executor).build());
    cache.getAsync("k");
    executor.runAll();
    scheduler.advance(scheduler.untilNext());
    cache.invalidate("k");
    CompletableFuture<String> caller = cache.getAsync("k");
    assertThat(caller).as("the invalidated credential is not served").isNotDone();
    assertThat(executor.queued()).isEqualTo(1);
    executor.runAll();
    assertThat(caller.get()).isEqualTo("k-2");
  }

  /** Defect 3: invalidate() threw the failed load's CompletionException when it raced a failing load. */
  @Test
  void invalidateNeverThrowsEvenRacingFailingLoads() throws Exception {
    failure.set(unavailable());
    CredentialCache<String, String> cache = track(CredentialCache.builder(countingExchange()).name("race")
        .clock(clock).refreshPolicy(RefreshPolicy.builder().backoff(Duration.ZERO, Duration.ZERO).build()).build());
    AtomicReference<Throwable> thrown = new AtomicReference<>();
    Thread invalidator = new Thread(() -> {
      try {
        for (int i = 0; i < 20_000; i++) {
          cache.invalidate("k");
        }
      } catch (Throwable t) {
        thrown.set(t);
      }
    });
    invalidator.start();
    for (int i = 0; i < 2_000; i++) {
      CompletableFuture<String> f = cache.getAsync("k");
      assertThatThrownBy(() -> f.get(10, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(WorkloadIdentityException.class);
      cache.invalidate("k");
    }
    invalidator.join(10_000);
    assertThat(thrown.get()).isNull();
  }

  /** Defect 4: after an outage longer than a lease's life, reloaded keys lost their refresh timer. */
  @Test
  void everyKeyReloadedAfterAnOutageLongerThanItsLifeRefreshesAgainWithoutReads() {
    CredentialCache<String, String> cache = cache();
    int keys = 100;
    for (int i = 0; i < keys; i++) {
      cache.get("k" + i);
    }
    failure.set(unavailable());
    scheduler.advance(TTL.plusMinutes(5)); // every refresh and retry fails; every lease hard-expires
    for (int i = 0; i < keys; i++) {
      String key = "k" + i;
      assertThatThrownBy(() -> cache.get(key)).isInstanceOf(CredentialExchangeException.class);
    }
    failure.set(null);
    scheduler.advance(Duration.ofMinutes(2)); // background retries of keys that were in service
    for (int i = 0; i < keys; i++) {
      assertThat(cache.get("k" + i)).doesNotEndWith("-" + i);
    }
    assertThat(cache.states()).allSatisfy(s -> {
      assertThat(s).isInstanceOf(State.Fresh.class);
      assertThat(s.timerPending()).isTrue();
    });
    int before = exchanges.get();
    scheduler.advance(Duration.ofMinutes(55)); // nobody reads: only timers can refresh now
    assertThat(exchanges.get() - before).isEqualTo(keys);
  }

  /** Defect 4, second form: a first load whose refresh point is about now (a refresh_in hint) lost its timer. */
  @Test
  void aFirstLoadWhoseRefreshPointIsNowKeepsItsTimer() {
    CredentialCache<String, String> cache = track(CredentialCache.<String, String>builder(key -> {
      exchanges.incrementAndGet();
      return Expiring.of(key, clock.instant().plus(TTL)).withRefreshHint(clock.instant().plusMillis(1));
    }).clock(clock).scheduler(scheduler).executor(Runnable::run).build());
    for (int i = 0; i < 500; i++) {
      cache.get("k" + i);
    }
    assertThat(cache.states()).allSatisfy(s -> assertThat(s.timerPending()).isTrue());
    scheduler.advance(Duration.ofMillis(1));
    assertThat(exchanges).as("every key refreshed at its hint").hasValue(1_000);
  }

  /** Defect 7: no overall deadline; a hung exchange held its caller for as long as the SDK allowed. */
  @Test
  void aHungExchangeFailsItsWaitersAtTheDeadlineAndTheNextAttemptDoesNotQueueBehindIt() throws Exception {
    ManualExecutor executor = new ManualExecutor();
    CredentialCache<String, String> cache = track(counting().executor(executor)
        .exchangeTimeout(Duration.ofSeconds(5)).build());
    CompletableFuture<String> caller = cache.getAsync("k"); // the exchange never runs: hung
    scheduler.advance(Duration.ofSeconds(5));
    assertThat(caller).isCompletedExceptionally();
    assertThatThrownBy(caller::join).hasCauseInstanceOf(CredentialExchangeException.class)
        .cause().hasMessageContaining("did not finish within 5000 ms")
        .satisfies(e -> assertThat(((CredentialExchangeException) e).retryable()).isTrue());
    scheduler.advance(Duration.ofSeconds(2)); // past the backoff window
    CompletableFuture<String> next = cache.getAsync("k");
    assertThat(executor.queued()).isEqualTo(2);
    executor.run(1); // the new attempt runs first; the hung one, if it ever runs, does nothing
    assertThat(next.get()).isEqualTo("k-1");
    executor.runAll();
    assertThat(exchanges).as("the stopped attempt never called the exchange").hasValue(1);
    assertThat(cache.get("k")).isEqualTo("k-1");
  }

  @Test
  void aBlockedCallerGetsTheTypedTimeoutAndTheHungExchangeIsInterrupted() throws Exception {
    CountDownLatch interrupted = new CountDownLatch(1);
    CredentialCache<String, String> cache = track(CredentialCache.<String, String>builder(key -> {
      try {
        new CountDownLatch(1).await(60, TimeUnit.SECONDS); // a hung endpoint
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
      return Expiring.of("never", clock.instant().plus(TTL));
    }).name("hung").clock(clock).exchangeTimeout(Duration.ofMillis(200)).build());
    assertThatThrownBy(() -> cache.get("k")).isInstanceOf(CredentialExchangeException.class)
        .hasMessageContaining("did not finish within 200 ms");
    assertThat(interrupted.await(10, TimeUnit.SECONDS)).isTrue();
  }

  /** Defect 7, close: close() during a hung exchange took 5 s and the blocked caller returned seconds later. */
  @Test
  void closeDuringAHungExchangeInterruptsItReleasesTheCallerAndLeavesNoThread() throws Exception {
    CountDownLatch started = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    CredentialCache<String, String> cache = CredentialCache.<String, String>builder(key -> {
      started.countDown();
      try {
        new CountDownLatch(1).await(60, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        interrupted.countDown();
        throw e;
      }
      return Expiring.of("never", clock.instant().plus(TTL));
    }).name("closing").clock(clock).build();
    AtomicReference<Throwable> callerGot = new AtomicReference<>();
    Thread caller = new Thread(() -> {
      try {
        cache.get("k");
      } catch (Throwable t) {
        callerGot.set(t);
      }
    });
    caller.start();
    assertThat(started.await(10, TimeUnit.SECONDS)).isTrue();
    CompletableFuture<String> asyncCaller = cache.getAsync("k");
    cache.close();
    // close() itself interrupted the exchange and completed every waiter before returning.
    assertThat(interrupted.getCount()).isZero();
    assertThat(asyncCaller).isCompletedExceptionally();
    caller.join(10_000);
    assertThat(caller.isAlive()).isFalse();
    assertThat(callerGot.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
    assertNoThreadsNamed("workload-identity-closing-");
  }

  /** Defect 8: each failed first load made Caffeine log a WARNING with a stack trace on top of ours. */
  @Test
  void aFailedAttemptIsExactlyOneLogLineOfOursAndNoStackTrace() {
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        records.add(r);
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger root = Logger.getLogger("");
    root.addHandler(handler);
    try {
      CredentialCache<String, String> cache = cache();
      failure.set(unavailable());
      assertThatThrownBy(() -> cache.get("k")).isInstanceOf(CredentialExchangeException.class);
      assertThat(records).extracting(LogRecord::getMessage).hasSize(1);
      assertThat(records.get(0).getLevel()).isEqualTo(java.util.logging.Level.WARNING);
      assertThat(records.get(0).getThrown()).isNull();
      assertThat(records.get(0).getMessage()).contains("503").contains("next attempt in");
      // Served through a failed refresh: INFO, still one line.
      failure.set(null);
      scheduler.advance(Duration.ofSeconds(2));
      cache.get("k");
      records.clear();
      failure.set(unavailable());
      scheduler.advance(scheduler.untilNext());
      assertThat(records).extracting(LogRecord::getMessage).hasSize(1);
      assertThat(records.get(0).getLevel()).isEqualTo(java.util.logging.Level.INFO);
      assertThat(records.get(0).getMessage()).contains("still serving the valid credential");
    } finally {
      root.removeHandler(handler);
    }
  }

  /** Defect 9: during an outage a caller's claim raced the failed refresh's backoff bookkeeping. */
  @Test
  void noAttemptStartsInsideABackoffWindowEvenUnderConcurrentReaders() throws Exception {
    List<long[]> failures = new CopyOnWriteArrayList<>(); // {failedAt, retryAt}
    List<Long> starts = new CopyOnWriteArrayList<>();
    CredentialCache<String, String> cache = track(counting().listener(new CredentialCache.Listener<String>() {
      @Override
      public void onExchangeStarted(String key) {
        starts.add(clock.millis());
      }

      @Override
      public void onRefreshFailed(String key, WorkloadIdentityException error, Duration retryIn) {
        failures.add(new long[] {clock.millis(), clock.millis() + retryIn.toMillis()});
      }
    }).build());
    cache.get("k");
    starts.clear();
    failure.set(unavailable());
    int readers = 16;
    int phases = 70 * 60 * 4; // 70 minutes in 250 ms steps: through the refresh point and past the hard expiry
    CyclicBarrier barrier = new CyclicBarrier(readers + 1);
    ExecutorService pool = Executors.newFixedThreadPool(readers);
    try {
      for (int t = 0; t < readers; t++) {
        pool.submit(() -> {
          for (int phase = 0; phase < phases; phase++) {
            barrier.await(10, TimeUnit.SECONDS); // the clock stands still while all read at once
            for (int i = 0; i < 4; i++) {
              try {
                cache.get("k");
              } catch (WorkloadIdentityException expected) {
                // after the hard expiry: the attempt's error, or fail fast inside the window
              }
            }
            barrier.await(10, TimeUnit.SECONDS);
          }
          return null;
        });
      }
      for (int phase = 0; phase < phases; phase++) {
        scheduler.advance(Duration.ofMillis(250));
        barrier.await(10, TimeUnit.SECONDS);
        barrier.await(10, TimeUnit.SECONDS);
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(failures).hasSizeGreaterThan(10);
    assertThat(starts).hasSize(failures.size());
    for (int i = 1; i < starts.size(); i++) {
      assertThat(starts.get(i)).as("attempt %d starts after the backoff of failure %d", i + 1, i)
          .isGreaterThanOrEqualTo(failures.get(i - 1)[1]);
    }
  }

  /** Defect 10: a credential reported to live 10 years was accepted and would never refresh. */
  @Test
  void aTenYearCredentialIsRefreshedWithinTheMaximumLifetime() {
    CredentialCache<String, String> cache = track(CredentialCache.<String, String>builder(key -> {
      exchanges.incrementAndGet();
      return Expiring.of("decade", clock.instant().plus(Duration.ofDays(3650)));
    }).clock(clock).scheduler(scheduler).executor(Runnable::run).build());
    assertThat(cache.get("k")).isEqualTo("decade");
    scheduler.advance(Duration.ofHours(11)); // 80% +- 5% of 12 h, never later than 12 h - 5 min
    assertThat(exchanges).hasValue(2);
    assertThat(RefreshPolicy.defaults().maximumLifetime()).isEqualTo(Duration.ofHours(12));
  }

  // ---- clocks, hints, listeners, close -------------------------------------------------------

  @Test
  void aHostSuspendedPastTheExpiryGetsANewCredentialNotTheDeadOne() {
    CredentialCache<String, String> cache = cache();
    Supplier<String> bound = cache.bind("k");
    assertThat(bound.get()).isEqualTo("k-1");
    scheduler.jumpWall(Duration.ofHours(3)); // no timer fired: the wall clock alone must catch it
    assertThat(bound.get()).isEqualTo("k-2");
    assertThat(cache.get("k")).isEqualTo("k-2");
  }

  @Test
  void refreshHintIsUsedWhenSaneAndIgnoredWhenEpochOrPast() {
    AtomicReference<Instant> hint = new AtomicReference<>(Instant.EPOCH);
    CredentialCache<String, String> cache = track(CredentialCache.<String, String>builder(key ->
            Expiring.of("v" + exchanges.incrementAndGet(), clock.instant().plus(TTL)).withRefreshHint(hint.get()))
        .clock(clock).scheduler(scheduler).executor(Runnable::run).build());
    cache.get("k");
    scheduler.advance(Duration.ofMinutes(30)); // an epoch hint must not make every read refresh
    cache.get("k");
    assertThat(exchanges).hasValue(1);
    hint.set(clock.instant().plus(Duration.ofMinutes(10)));
    cache.invalidate("k");
    cache.get("k");
    scheduler.advance(Duration.ofMinutes(11)); // the sane hint (10 min) is earlier than 80% (48 min)
    assertThat(exchanges).hasValue(3);
  }

  @Test
  void noThreadSurvivesClose() throws Exception {
    CredentialCache<String, String> cache = CredentialCache.builder(countingExchange()).name("threads").clock(clock).build();
    cache.get("a");
    cache.get("b");
    cache.close();
    assertNoThreadsNamed("workload-identity-threads-");
    assertThatThrownBy(() -> cache.get("a")).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> cache.getAsync("a")).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void closeCancelsEveryTimer() {
    CredentialCache<String, String> cache = cache();
    cache.get("a");
    failure.set(unavailable());
    assertThatThrownBy(() -> cache.get("b")).isInstanceOf(CredentialExchangeException.class);
    assertThat(scheduler.pending()).isEqualTo(1);
    cache.close();
    cache.close();
    assertThat(scheduler.pending()).isZero();
  }

  @Test
  void aBoundHandleFailsAfterCloseLikeGet() {
    CredentialCache<String, String> cache = cache();
    Supplier<String> bound = cache.bind("k");
    assertThat(bound.get()).isEqualTo("k-1");
    cache.close();
    // Not 48 minutes later, at the refresh point that no timer will serve any more.
    assertThatThrownBy(bound::get).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void invalidateForcesANewExchange() {
    CredentialCache<String, String> cache = cache();
    Supplier<String> bound = cache.bind("k");
    assertThat(bound.get()).isEqualTo("k-1");
    cache.invalidate("k");
    assertThat(bound.get()).isEqualTo("k-2");
    assertThat(cache.toString()).contains("test").doesNotContain("k-2");
  }

  @Test
  void evictionStopsTheEvictedKeysTimerAndItsWaitersRetry() throws Exception {
    ManualExecutor executor = new ManualExecutor();
    CredentialCache<String, String> cache = track(counting().executor(executor).maximumSize(1).build());
    List<CompletableFuture<String>> futures = new ArrayList<>();
    for (int i = 0; i < 20; i++) {
      futures.add(cache.getAsync("k" + (i % 4)));
    }
    executor.runAll();
    for (int i = 0; i < 20; i++) {
      assertThat(futures.get(i).get()).startsWith("k" + (i % 4) + "-");
    }
    assertThat(cache.states()).hasSizeLessThanOrEqualTo(1);
    assertThat(scheduler.pending()).as("only the kept key's timer").isEqualTo(1);
  }

  @Test
  void forwardsTokenRotationsToTheListener(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("token"), SecretLeakGuard.secret(TestTokens.token(T0, TTL, "a")));
    List<ProjectedToken> rotated = new CopyOnWriteArrayList<>();
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).watch(false).build();
        CredentialCache<String, String> cache = CredentialCache.<String, String>builder(k -> {
          exchanges.incrementAndGet();
          return Expiring.of(source.token().subject(), clock.instant().plus(TTL));
        }).clock(clock).scheduler(scheduler).executor(Runnable::run).rotationsOf(source)
            .listener(new CredentialCache.Listener<String>() {
              @Override
              public void onTokenRotated(ProjectedToken token) {
                rotated.add(token);
              }
            }).build()) {
      assertThat(cache.get("k")).isEqualTo("system:serviceaccount:payments:api");
      String next = SecretLeakGuard.secret(TestTokens.token(T0.plusSeconds(1), TTL, "a"));
      Files.writeString(file, next);
      source.refresh();
      assertThat(rotated).extracting(ProjectedToken::value).containsExactly(next);
      assertThat(cache.get("k")).as("a rotation does not invalidate the cached credential")
          .isEqualTo("system:serviceaccount:payments:api");
      assertThat(exchanges).hasValue(1);
    }
  }

  @Test
  void aRotationSeenWhileBackingOffFromATokenRejectionRetriesAtOnce(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("token"), SecretLeakGuard.secret(TestTokens.token(T0, TTL, "a")));
    AtomicReference<String> rejected = new AtomicReference<>();
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).watch(false).build();
        CredentialCache<String, String> cache = CredentialCache.<String, String>builder(k -> {
          exchanges.incrementAndGet();
          String token = source.token().value();
          if (token.equals(rejected.get())) {
            throw new CredentialExchangeException("the token is expired", "test", "ExpiredToken", 400, false,
                "wait for the kubelet to rotate it", true, null);
          }
          return Expiring.of("for-" + exchanges.get(), clock.instant().plus(TTL));
        }).clock(clock).scheduler(scheduler).executor(Runnable::run).rotationsOf(source).build()) {
      rejected.set(source.token().value());
      assertThatThrownBy(() -> cache.get("k")).isInstanceOf(CredentialExchangeException.class);
      assertThat(cache.getAsync("k")).as("inside the (non-retryable) backoff window").isCompletedExceptionally();
      assertThat(exchanges).hasValue(1);
      Files.writeString(file, SecretLeakGuard.secret(TestTokens.token(T0.plusSeconds(1), TTL, "a")));
      source.refresh(); // the rotation is seen
      assertThat(cache.get("k")).as("retried at once with the new token").isEqualTo("for-2");
    }
  }

  @Test
  void aRotationDoesNotCutShortABackoffFromAnUnrelatedFailure(@TempDir Path dir) throws Exception {
    Path file = Files.writeString(dir.resolve("token"), SecretLeakGuard.secret(TestTokens.token(T0, TTL, "a")));
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).watch(false).build();
        CredentialCache<String, String> cache = track(counting().rotationsOf(source).build())) {
      failure.set(unavailable());
      assertThatThrownBy(() -> cache.get("k")).isInstanceOf(CredentialExchangeException.class);
      Files.writeString(file, SecretLeakGuard.secret(TestTokens.token(T0.plusSeconds(1), TTL, "a")));
      source.refresh();
      assertThatThrownBy(() -> cache.get("k")).isInstanceOf(CredentialExchangeException.class);
      assertThat(exchanges).hasValue(1);
    }
  }

  @Test
  void everyExchangeIsAnnouncedBeforeItsOutcome() {
    List<String> events = new CopyOnWriteArrayList<>();
    CredentialCache<String, String> cache = track(counting().listener(new CredentialCache.Listener<String>() {
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
    }).build());
    cache.get("k");
    failure.set(unavailable());
    scheduler.advance(Duration.ofMinutes(52));
    assertThat(events.subList(0, 4)).containsExactly("started", "refreshed", "started", "failed");
    assertThat(events.size() % 2).as("every start has its outcome").isZero();
  }

  @Test
  void whenOnRefreshedIsCalledTheCacheAlreadyServesTheNewCredential() {
    List<String> servedAtEvent = new CopyOnWriteArrayList<>();
    AtomicReference<CredentialCache<String, String>> self = new AtomicReference<>();
    CredentialCache<String, String> cache = track(counting().listener(new CredentialCache.Listener<String>() {
      @Override
      public void onRefreshed(String key, Instant expiresAt) {
        servedAtEvent.add(self.get().get(key));
      }
    }).build());
    self.set(cache);
    assertThat(cache.get("k")).isEqualTo("k-1");
    for (int cycle = 2; cycle <= 20; cycle++) {
      scheduler.advance(scheduler.untilNext());
    }
    assertThat(servedAtEvent).hasSize(20).allSatisfy(v -> assertThat(v).startsWith("k-"));
    for (int i = 0; i < 20; i++) {
      assertThat(servedAtEvent.get(i)).isEqualTo("k-" + (i + 1));
    }
  }

  @Test
  void builderRejectsNonsense() {
    CredentialCache.Builder<String, String> b = CredentialCache.builder(countingExchange());
    assertThatThrownBy(() -> b.exchangeTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> b.maximumSize(0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> RefreshPolicy.builder().maximumLifetime(Duration.ofSeconds(-1)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  private static int threadsNamed(String prefix) {
    return (int) Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().startsWith(prefix)).count();
  }

  private static void assertNoThreadsNamed(String prefix) throws InterruptedException {
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith(prefix)) {
        t.join(5_000);
        assertThat(t.isAlive()).as("thread %s after close()", t.getName()).isFalse();
      }
    }
  }
}
