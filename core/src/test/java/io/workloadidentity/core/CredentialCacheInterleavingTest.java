package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.fail;

import io.workloadidentity.core.internal.State;
import io.workloadidentity.core.internal.StateMachine;
import io.workloadidentity.core.internal.WallClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * Seeded random interleavings of everything that can happen to a cache: reads (get, getAsync,
 * bound), refresh, invalidate, eviction (three keys, room for two), time passing, wall-clock jumps
 * both ways, exchanges succeeding (with lifetimes from 2 minutes to 10 years), failing (retryable or
 * not, or refusing the token, also with the token rotating while the exchange is out) or hanging
 * past their deadline, token rotations, listeners that call back into the cache (getAsync, reads,
 * invalidate, refresh, close) from inside every event, and close. Some schedules run with the system
 * clock's coarse copy (ticked by the scheduler, as in production), some with a scheduler or an
 * executor that throws now and then. Single-threaded and deterministic: the scheduler and the
 * executor run only when the schedule says, so a failing seed replays exactly.
 *
 * <p>After every step: at most one exchange in flight per key; no credential handed out past its
 * hard expiry (with the coarse clock: past it by more than one tick); every entry that holds a
 * credential or a failure window has exactly one pending timer or one exchange in flight (unless
 * the scheduler refused its timer), and no timer exists that no state owns; after a rotation no
 * refusal of the token keeps its backoff. After close: no timer and no exchange left, and every
 * waiter answered.
 */
class CredentialCacheInterleavingTest {
  private static final int SCHEDULES = 10_000;
  private static final int STEPS = 60;
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
  private static final String[] KEYS = {"a", "b", "c"};
  private static final Duration[] LIFETIMES = {
      Duration.ofMinutes(2), Duration.ofMinutes(10), Duration.ofHours(1), Duration.ofDays(3650)};
  private static final ProjectedToken TOKEN = ProjectedToken.parse(TestTokens.token(T0, Duration.ofHours(1), "a"));

  /** A credential that says what it is for and when it dies. */
  record Cred(String key, int serial, long obtainedAt, long expiresAt) {}

  @Test
  void tenThousandSchedulesKeepEveryInvariant() {
    long base = Long.getLong("interleaving.seed", 20261202L);
    int count = Integer.getInteger("interleaving.schedules", SCHEDULES);
    // What the cache logs is tested elsewhere; formatting ~100,000 lines here is most of the time.
    Logger log = Logger.getLogger(CredentialCache.class.getName());
    Level previous = log.getLevel();
    log.setLevel(Level.OFF);
    try {
      for (int i = 0; i < count; i++) {
        long seed = base + i;
        Schedule schedule = new Schedule(seed);
        try {
          schedule.run();
        } catch (AssertionError | RuntimeException e) {
          throw new AssertionError("schedule with seed " + seed + " (rerun with -Dinterleaving.seed=" + seed
              + " -Dinterleaving.schedules=1): " + e.getMessage() + "\n" + String.join("\n", schedule.trace), e);
        }
      }
    } finally {
      log.setLevel(previous);
    }
  }

  private static final class Schedule {
    private final SplittableRandom random;
    /** The cache reads the system clock through its ticked copy (as in production). */
    private final boolean coarse;
    /** The scheduler, or the executor, throws now and then (a user's, misbehaving). */
    private final boolean flakyScheduler;
    private final boolean flakyExecutor;
    private final MutableClock clock;
    private final ManualScheduler scheduler;
    private final ManualExecutor executor = new ManualExecutor();
    private final RefreshPolicy policy = RefreshPolicy.defaults();
    private final List<CompletableFuture<Cred>> waiters = new ArrayList<>();
    private final Map<String, Supplier<Cred>> bound = new HashMap<>();
    private final List<String> trace = new ArrayList<>();
    private final List<Consumer<ProjectedToken>> rotationListeners = new ArrayList<>();
    private final CredentialCache<String, Cred> cache;
    /** What the next exchange to run does: 0 success, 1 retryable failure, 2 non-retryable, 3 token refused, 4 same after a rotation. */
    private int outcome;
    private int serial;
    private boolean refusedTimer;
    private boolean closed;
    private boolean rotatedInFlight;
    private int depth; // listener re-entrancy depth: at most one level

    Schedule(long seed) {
      this.random = new SplittableRandom(seed);
      int mode = random.nextInt(100);
      this.coarse = mode < 10;
      this.flakyScheduler = mode >= 10 && mode < 15;
      this.flakyExecutor = mode >= 15 && mode < 20;
      this.clock = coarse ? MutableClock.posingAsSystemClock(T0) : new MutableClock(T0);
      this.scheduler = new ManualScheduler(clock);
      CredentialCache.Scheduler timers = flakyScheduler ? this::flakySchedule : scheduler;
      Executor exchanges = flakyExecutor ? this::flakyExecute : executor;
      this.cache = CredentialCache.<String, Cred>builder(this::exchange)
          .name("interleaving").clock(clock).scheduler(timers).executor(exchanges).maximumSize(2)
          .rotationsOf(new TokenSource() {
            @Override
            public ProjectedToken token() {
              return TOKEN;
            }

            @Override
            public ProjectedToken refresh() {
              return TOKEN;
            }

            @Override
            public Subscription onRotation(Consumer<ProjectedToken> listener) {
              rotationListeners.add(listener);
              return () -> rotationListeners.remove(listener);
            }
          })
          .listener(new CredentialCache.Listener<String>() {
            @Override
            public void onExchangeStarted(String key) {
              reenter("started", key);
            }

            @Override
            public void onRefreshed(String key, Instant expiresAt) {
              reenter("refreshed", key);
            }

            @Override
            public void onRefreshFailed(String key, WorkloadIdentityException error, Duration retryIn) {
              reenter("failed", key);
            }
          })
          .build();
    }

    private Future<?> flakySchedule(Runnable task, long delay, TimeUnit unit) {
      if (random.nextInt(10) == 0) {
        refusedTimer = true;
        trace.add("  scheduler throws");
        throw random.nextBoolean() ? new RejectedExecutionException("full") : new IllegalStateException("broken");
      }
      return scheduler.schedule(task, delay, unit);
    }

    private void flakyExecute(Runnable task) {
      if (random.nextInt(10) == 0) {
        trace.add("  executor throws");
        throw random.nextBoolean() ? new RejectedExecutionException("full") : new IllegalStateException("broken");
      }
      executor.execute(task);
    }

    private Expiring<Cred> exchange(String key) {
      switch (outcome) {
        case 1:
          throw new CredentialExchangeException("503", "test", "ServiceUnavailable", 503, true, null);
        case 2:
          throw new CredentialExchangeException("403", "test", "AccessDenied", 403, false, null);
        case 3:
        case 4:
          if (outcome == 4) {
            rotate(); // while the request with the old token is out
            rotatedInFlight = true;
          }
          throw new CredentialExchangeException("expired token", "test", "ExpiredToken", 400, false,
              "wait for the kubelet", true, null);
        default:
          long now = clock.millis();
          Duration lifetime = LIFETIMES[random.nextInt(LIFETIMES.length)];
          return Expiring.of(new Cred(key, ++serial, now, now + lifetime.toMillis()),
              Instant.ofEpochMilli(now).plus(lifetime));
      }
    }

    private void rotate() {
      trace.add("  rotate");
      new ArrayList<>(rotationListeners).forEach(l -> l.accept(TOKEN));
    }

    /** A listener calling back into the cache from inside an event, one level deep. */
    private void reenter(String event, String key) {
      if (closed || depth > 0 || random.nextInt(8) != 0) {
        return;
      }
      depth++;
      try {
        String other = random.nextBoolean() ? key : KEYS[random.nextInt(KEYS.length)];
        int op = random.nextInt(20);
        if (op < 6) {
          trace.add("  in " + event + " " + key + ": getAsync " + other);
          track(other, cache.getAsync(other));
        } else if (op < 11) {
          trace.add("  in " + event + " " + key + ": get " + other);
          syncRead(other, () -> cache.get(other));
        } else if (op < 15) {
          trace.add("  in " + event + " " + key + ": invalidate " + other);
          cache.invalidate(other);
        } else if (op < 19) {
          trace.add("  in " + event + " " + key + ": refresh " + other);
          track(other, cache.refresh(other));
        } else {
          trace.add("  in " + event + " " + key + ": close");
          cache.close();
          closed = true;
        }
      } finally {
        depth--;
      }
    }

    void run() {
      for (int step = 0; step < STEPS && !closed; step++) {
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
        } else if (op < 36) {
          trace.add("refresh " + key);
          track(key, cache.refresh(key));
        } else if (op < 40) {
          trace.add("invalidate " + key);
          cache.invalidate(key);
        } else if (op < 43) {
          trace.add("rotation");
          rotate();
          checkNoRefusalOutlivesARotation(null);
        } else if (op < 70) {
          List<Runnable> tasks = executor.tasks();
          if (!tasks.isEmpty()) {
            int roll = random.nextInt(20);
            outcome = roll < 14 ? 0 : roll < 17 ? 1 : roll < 18 ? 2 : roll < 19 ? 3 : 4;
            int i = random.nextInt(tasks.size());
            trace.add("run exchange " + tasks.get(i) + " outcome " + outcome);
            rotatedInFlight = false;
            executor.run(i);
            if (rotatedInFlight && !closed) {
              checkNoRefusalOutlivesARotation((String) ((StateMachine<?, ?>.ExchangeTask) tasks.get(i)).key());
            }
          }
        } else if (op < 95) {
          // With the coarse clock the scheduler also runs a tick every 100 ms: shorter steps.
          Duration d = coarse ? Duration.ofMillis(random.nextInt(150_000))
              : random.nextInt(4) == 0 ? Duration.ofMinutes(random.nextInt(90))
              : Duration.ofMillis(random.nextInt(120_000));
          trace.add("advance " + d);
          scheduler.advance(d);
        } else if (op < 99) {
          Duration d = Duration.ofMinutes(random.nextInt(-30, 120));
          trace.add("jump wall " + d);
          scheduler.jumpWall(d);
          if (coarse) {
            // A host that resumes (or an NTP step) is seen by the copy within one tick, the
            // accepted staleness of the copy; reads inside that tick are not what is tested here.
            scheduler.advance(Duration.ofMillis(WallClock.TICK_MILLIS));
          }
        } else {
          trace.add("close");
          cache.close();
          closed = true;
        }
        if (!closed) {
          check();
        }
      }
      if (!closed) {
        cache.close();
      }
      afterClose();
    }

    /**
     * A blocking read only when it cannot block (a listener may have changed the state inside the
     * probe): the state serves a valid credential, or fails fast inside its window.
     */
    private void syncRead(String key, Supplier<Cred> read) {
      if (!readCannotBlock(key)) {
        track(key, cache.getAsync(key));
        if (closed || !readCannotBlock(key)) { // closed: by a listener, inside getAsync
          return;
        }
      }
      try {
        verify(key, read.get());
      } catch (WorkloadIdentityException expected) {
        // inside a backoff window with nothing valid: the typed error
      }
    }

    private boolean readCannotBlock(String key) {
      State<Cred> s = cache.stateOf(key);
      if (s == null || s instanceof State.Loading || s instanceof State.Closed) {
        return false;
      }
      long now = clock.millis();
      if (s.lease() != null && s.lease().validAt(now)) {
        return true; // served (a refresh may start, never waited for)
      }
      if (s instanceof State.Empty<Cred> m) {
        return m.error != null && now >= m.failedAt && now < m.retryAt;
      }
      return s instanceof State.Backoff<Cred> b && now >= b.failedAt && now < b.retryAt;
    }

    private void track(String key, CompletableFuture<Cred> f) {
      waiters.add(f);
      f.whenComplete((cred, error) -> {
        if (cred != null) {
          verify(key, cred);
        } else {
          Throwable t = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
          if (!(t instanceof WorkloadIdentityException || t instanceof IllegalStateException)) {
            fail("untyped failure " + t);
          }
        }
      });
    }

    private void verify(String key, Cred cred) {
      long now = clock.millis();
      long expiresAt = Math.min(cred.expiresAt(), cred.obtainedAt() + policy.maximumLifetime().toMillis());
      long hard = policy.hardExpiryMillis(cred.obtainedAt(), expiresAt) + (coarse ? WallClock.TICK_MILLIS : 0);
      if (!cred.key().equals(key) || now >= hard) {
        fail("handed out " + cred + " for " + key + " at " + now + " (hard expiry " + hard + ")");
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
          fail(n + " exchanges in flight for " + k);
        }
      });
      int owned = 0;
      for (State<Cred> s : cache.states()) {
        boolean attempt = s.attempt() != null && s.attempt().inFlight();
        boolean timer = s.timerPending();
        boolean wantsTimer = s instanceof State.Fresh || s instanceof State.Backoff;
        boolean wantsAttempt = s instanceof State.Loading || s instanceof State.Refreshing;
        // A refused timer leaves its state to the next read past its point (and a log line).
        boolean timerOk = timer == wantsTimer || (refusedTimer && wantsTimer);
        if (!timerOk || wantsAttempt != attempt) {
          fail(s.getClass().getSimpleName() + ": timer " + timer + ", attempt in flight " + attempt);
        }
        owned += (timer ? 1 : 0) + (attempt ? 1 : 0); // an attempt owns its deadline timer
      }
      int ticks = coarse && !refusedTimer ? 1 : 0; // the coarse clock's tick (a refused one is not re-armed)
      int pending = scheduler.pending();
      if (pending != owned + ticks && !(refusedTimer && coarse && pending == owned)) {
        fail("timers no state owns: " + pending + " pending, " + owned + " owned, " + ticks + " tick");
      }
    }

    /** After a rotation (or one seen while a refused exchange was out) no refusal of the token may keep its window. */
    private void checkNoRefusalOutlivesARotation(String onlyKey) {
      long now = clock.millis();
      for (String k : KEYS) {
        State<Cred> s = onlyKey == null || onlyKey.equals(k) ? cache.stateOf(k) : null;
        long retryAt = s instanceof State.Backoff<Cred> b && refused(b.error) ? b.retryAt
            : s instanceof State.Empty<Cred> m && refused(m.error) ? m.retryAt : Long.MIN_VALUE;
        if (retryAt > now) {
          fail("a refusal of the token keeps its backoff after a rotation: " + k + " retries at " + retryAt
              + ", now " + now);
        }
      }
    }

    private static boolean refused(WorkloadIdentityException e) {
      return e instanceof CredentialExchangeException c && c.tokenRejected();
    }

    private void afterClose() {
      if (scheduler.pending() != 0) {
        fail("timers after close: " + scheduler.pending());
      }
      if (executor.tasks().stream().anyMatch(r -> ((StateMachine<?, ?>.ExchangeTask) r).live())) {
        fail("exchanges after close");
      }
      executor.runAll(); // stopped attempts do nothing
      for (CompletableFuture<Cred> w : waiters) {
        if (!w.isDone()) {
          fail("a waiter not answered after close");
        }
      }
    }
  }
}
