package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import io.workloadidentity.core.internal.State;
import io.workloadidentity.core.internal.StateMachine;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Seeded random interleavings of everything that can happen to a cache: reads (get, getAsync,
 * bound), refresh, invalidate, eviction (three keys, room for two), time passing, wall-clock jumps
 * both ways, exchanges succeeding (with lifetimes from 2 minutes to 10 years), failing (retryable or
 * not) or hanging past their deadline, and close. Single-threaded and deterministic: the scheduler
 * and the executor run only when the schedule says, so a failing seed replays exactly.
 *
 * <p>After every step: at most one exchange in flight per key; no credential handed out past its
 * hard expiry; every entry that holds a credential or a failure window has exactly one pending
 * timer or one exchange in flight, and no timer exists that no state owns. After close: no timer
 * and no exchange left, and every waiter answered.
 */
class CredentialCacheInterleavingTest {
  private static final int SCHEDULES = 10_000;
  private static final int STEPS = 60;
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
  private static final String[] KEYS = {"a", "b", "c"};
  private static final Duration[] LIFETIMES = {
      Duration.ofMinutes(2), Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofDays(3650)};

  /** A credential that says what it is for and when it dies. */
  record Cred(String key, int serial, long obtainedAt, long expiresAt) {}

  @Test
  void tenThousandSchedulesKeepEveryInvariant() {
    long base = Long.getLong("interleaving.seed", 20261202L);
    for (int i = 0; i < SCHEDULES; i++) {
      long seed = base + i;
      try {
        new Schedule(seed).run();
      } catch (AssertionError | RuntimeException e) {
        throw new AssertionError("schedule with seed " + seed + " (rerun with -Dinterleaving.seed=" + seed + "): "
            + e.getMessage(), e);
      }
    }
  }

  private static final class Schedule {
    private final SplittableRandom random;
    private final MutableClock clock = new MutableClock(T0);
    private final ManualScheduler scheduler = new ManualScheduler(clock);
    private final ManualExecutor executor = new ManualExecutor();
    private final RefreshPolicy policy = RefreshPolicy.defaults();
    private final List<CompletableFuture<Cred>> waiters = new ArrayList<>();
    private final Map<String, Supplier<Cred>> bound = new HashMap<>();
    private final List<String> trace = new ArrayList<>();
    private final CredentialCache<String, Cred> cache;
    /** What the next exchange to run does: 0 success, 1 retryable failure, 2 non-retryable failure. */
    private int outcome;
    private int serial;

    Schedule(long seed) {
      this.random = new SplittableRandom(seed);
      this.cache = CredentialCache.<String, Cred>builder(this::exchange)
          .name("interleaving").clock(clock).scheduler(scheduler).executor(executor).maximumSize(2).build();
    }

    private Expiring<Cred> exchange(String key) {
      if (outcome == 1) {
        throw new CredentialExchangeException("503", "test", "ServiceUnavailable", 503, true, null);
      }
      if (outcome == 2) {
        throw new CredentialExchangeException("403", "test", "AccessDenied", 403, false, null);
      }
      long now = clock.millis();
      Duration lifetime = LIFETIMES[random.nextInt(LIFETIMES.length)];
      return Expiring.of(new Cred(key, ++serial, now, now + lifetime.toMillis()), Instant.ofEpochMilli(now).plus(lifetime));
    }

    void run() {
      for (int step = 0; step < STEPS; step++) {
        int op = random.nextInt(100);
        String key = KEYS[random.nextInt(KEYS.length)];
        if (op < 15) {
          trace.add("getAsync " + key);
          track(key, cache.getAsync(key));
        } else if (op < 25) {
          trace.add("get " + key);
          syncRead(key, () -> cache.get(key));
        } else if (op < 32) {
          trace.add("bound " + key);
          Supplier<Cred> b = bound.computeIfAbsent(key, cache::bind);
          syncRead(key, b::get);
        } else if (op < 37) {
          trace.add("refresh " + key);
          track(key, cache.refresh(key));
        } else if (op < 42) {
          trace.add("invalidate " + key);
          cache.invalidate(key);
        } else if (op < 70) {
          List<Runnable> tasks = executor.tasks();
          if (!tasks.isEmpty()) {
            outcome = random.nextInt(10) < 7 ? 0 : random.nextInt(10) < 8 ? 1 : 2;
            int i = random.nextInt(tasks.size());
            trace.add("run exchange " + tasks.get(i) + " outcome " + outcome);
            executor.run(i);
          }
        } else if (op < 95) {
          Duration d = random.nextInt(4) == 0 ? Duration.ofMinutes(random.nextInt(90))
              : Duration.ofMillis(random.nextInt(120_000));
          trace.add("advance " + d);
          scheduler.advance(d);
        } else if (op < 99) {
          Duration d = Duration.ofMinutes(random.nextInt(-30, 120));
          trace.add("jump wall " + d);
          scheduler.jumpWall(d);
        } else {
          trace.add("close");
          close();
          return;
        }
        check();
      }
      close();
    }

    /**
     * A blocking read only when it cannot block: the entry serves as it is (the hot path), or the
     * async answer for the same state is ready.
     */
    private void syncRead(String key, Supplier<Cred> read) {
      State<Cred> s = cache.stateOf(key);
      if (s != null && clock.millis() < s.serveUntil) {
        verify(key, read.get());
        return;
      }
      CompletableFuture<Cred> probe = cache.getAsync(key);
      track(key, probe);
      if (!probe.isDone()) {
        return;
      }
      try {
        verify(key, read.get());
      } catch (WorkloadIdentityException expected) {
        // inside a backoff window with nothing valid: the typed error
      }
    }

    private void track(String key, CompletableFuture<Cred> f) {
      waiters.add(f);
      f.whenComplete((cred, error) -> {
        if (cred != null) {
          verify(key, cred);
        } else {
          Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
          if (!(t instanceof WorkloadIdentityException || t instanceof IllegalStateException)) {
            fail("untyped failure " + t + "\n" + String.join("\n", trace));
          }
        }
      });
    }

    private void verify(String key, Cred cred) {
      long now = clock.millis();
      long expiresAt = Math.min(cred.expiresAt(), cred.obtainedAt() + policy.maximumLifetime().toMillis());
      long hard = policy.hardExpiryMillis(cred.obtainedAt(), expiresAt);
      if (!cred.key().equals(key) || now >= hard) {
        fail("handed out " + cred + " for " + key + " at " + now + " (hard expiry " + hard + ")\n"
            + String.join("\n", trace));
      }
    }

    private void check() {
      Map<String, Integer> live = new HashMap<>();
      for (Runnable r : executor.tasks()) {
        StateMachine<?, ?>.ExchangeTask task = (StateMachine<?, ?>.ExchangeTask) r;
        if (task.live()) {
          live.merge((String) task.key(), 1, Integer::sum);
        }
      }
      live.forEach((k, n) -> {
        if (n > 1) {
          fail(n + " exchanges in flight for " + k + "\n" + String.join("\n", trace));
        }
      });
      int owned = 0;
      for (State<Cred> s : cache.states()) {
        boolean attempt = s.attempt() != null && s.attempt().inFlight();
        boolean timer = s.timerPending();
        boolean wantsTimer = s instanceof State.Fresh || s instanceof State.Backoff;
        boolean wantsAttempt = s instanceof State.Loading || s instanceof State.Refreshing;
        if (wantsTimer != timer || wantsAttempt != attempt) {
          fail(s.getClass().getSimpleName() + ": timer " + timer + ", attempt in flight " + attempt + "\n"
              + String.join("\n", trace));
        }
        owned += (timer ? 1 : 0) + (attempt ? 1 : 0); // an attempt owns its deadline timer
      }
      assertThat(scheduler.pending()).as("timers no state owns\n%s", String.join("\n", trace)).isEqualTo(owned);
    }

    private void close() {
      cache.close();
      assertThat(scheduler.pending()).as("timers after close").isZero();
      assertThat(executor.tasks()).as("exchanges after close").noneMatch(r -> ((StateMachine<?, ?>.ExchangeTask) r).live());
      executor.runAll(); // stopped attempts do nothing
      for (CompletableFuture<Cred> w : waiters) {
        assertThat(w).as("every waiter answered after close\n%s", String.join("\n", trace)).isDone();
      }
    }
  }
}
