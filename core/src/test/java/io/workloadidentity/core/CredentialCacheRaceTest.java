package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.internal.State;
import io.workloadidentity.core.internal.StateMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Races and hostile environments found by review, one test each, every one deterministic: a {@link
 * ManualScheduler} over a {@link MutableClock}, exchanges inline or on a {@link ManualExecutor}, and
 * re-entrant hooks (a timer's cancel, a listener) placed exactly where the interleaving needs them.
 */
@ExtendWith(SecretLeakGuard.class)
class CredentialCacheRaceTest {
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
  private static final Duration TTL = Duration.ofHours(1);

  private final AtomicInteger exchanges = new AtomicInteger();
  private final List<CredentialCache<?, ?>> caches = new ArrayList<>();

  private CredentialCache.Exchange<String, String> counting(MutableClock clock) {
    return key -> Expiring.of(key + "-" + exchanges.incrementAndGet(), clock.instant().plus(TTL));
  }

  private <K, C> CredentialCache<K, C> track(CredentialCache<K, C> cache) {
    caches.add(cache);
    return cache;
  }

  @AfterEach
  void closeCaches() {
    caches.forEach(CredentialCache::close);
  }

  /**
   * With the system clock the cache reads a coarse copy of it that a 100 ms tick keeps; the refresh
   * timer fires at the refresh point by the precise clock, when the copy is still (almost always)
   * before it. The timer decided with the copy: "not due yet", no transition, and the timer was gone.
   */
  @Test
  void withTheSystemClockAnIdleKeyIsStillRefreshedByItsTimer() {
    MutableClock clock = MutableClock.posingAsSystemClock(T0);
    ManualScheduler scheduler = new ManualScheduler(clock);
    CredentialCache<String, String> cache = track(CredentialCache.builder(counting(clock)).name("coarse")
        .clock(clock).scheduler(scheduler).executor(Runnable::run).build());
    assertThat(cache.get("k")).isEqualTo("k-1");
    for (int cycle = 2; cycle <= 6; cycle++) {
      scheduler.advance(Duration.ofMinutes(50)); // past the refresh point (47 to 49 min), nobody reads
      assertThat(exchanges).as("background refresh %d", cycle).hasValue(cycle);
      State<String> s = cache.stateOf("k");
      assertThat(s).isInstanceOf(State.Fresh.class);
      assertThat(s.timerPending()).as("the next refresh timer").isTrue();
    }
  }
}
