package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

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
      scheduler.advance(Duration.ofMinutes(52)); // past the refresh point (45 to 51 min), nobody reads
      assertThat(exchanges).as("background refresh %d", cycle).hasValue(cycle);
      State<String> s = cache.stateOf("k");
      assertThat(s).isInstanceOf(State.Fresh.class);
      assertThat(s.timerPending()).as("the next refresh timer").isTrue();
    }
  }

  /**
   * A read that starts a refresh moved the entry to Refreshing and only then made the store weigh
   * it again (pinned: weight 0). In between, the old state's timer is cancelled, and any other
   * thread's write could make the store evict the entry, still weighing 1: its exchange ran on,
   * orphaned, and the next read of the key started a second one beside it. Here the window is
   * entered from the timer's cancel, where other keys are read until the store must evict.
   */
  @Test
  void anEntryWhoseRefreshIsStartingCannotBeEvictedBeforeItIsPinned() {
    MutableClock clock = new MutableClock(T0);
    HookedScheduler scheduler = new HookedScheduler(new ManualScheduler(clock));
    ManualExecutor held = new ManualExecutor();
    AtomicReference<Boolean> holdK = new AtomicReference<>(false);
    Executor executor = task -> {
      if (holdK.get() && ((StateMachine<?, ?>.ExchangeTask) task).key().equals("k")) {
        held.execute(task);
      } else {
        task.run();
      }
    };
    CredentialCache<String, String> cache = track(CredentialCache.builder(counting(clock)).name("evict")
        .clock(clock).scheduler(scheduler).executor(executor).maximumSize(1).build());
    assertThat(cache.get("k")).isEqualTo("k-1");
    holdK.set(true);
    clock.advance(Duration.ofMinutes(50)); // past the refresh point; the next read starts the refresh
    scheduler.onNextCancel(() -> {
      for (int i = 0; i < 50 && cache.stateOf("k") != null; i++) {
        cache.get("x"); // other keys compete for the one slot
      }
    });
    assertThat(cache.get("k")).as("the valid credential is served while it refreshes").isEqualTo("k-1");
    CompletableFuture<String> next = cache.getAsync("k");
    long live = held.tasks().stream().filter(t -> ((StateMachine<?, ?>.ExchangeTask) t).live()).count();
    assertThat(live).as("exchanges in flight for k").isEqualTo(1);
    assertThat(cache.stateOf("k")).isInstanceOf(State.Refreshing.class);
    held.runAll();
    assertThat(cache.get("k")).startsWith("k-");
    assertThat(next).isDone();
  }

  /** Delegates to a scheduler; the next cancel of any timer first runs a hook (once). */
  static final class HookedScheduler implements CredentialCache.Scheduler {
    private final CredentialCache.Scheduler delegate;
    private final AtomicReference<Runnable> onCancel = new AtomicReference<>();

    HookedScheduler(CredentialCache.Scheduler delegate) {
      this.delegate = delegate;
    }

    void onNextCancel(Runnable hook) {
      onCancel.set(hook);
    }

    @Override
    public Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
      Future<?> f = delegate.schedule(task, delay, unit);
      return new Future<Object>() {
        @Override
        public boolean cancel(boolean mayInterrupt) {
          Runnable hook = onCancel.getAndSet(null);
          if (hook != null) {
            hook.run();
          }
          return f.cancel(mayInterrupt);
        }

        @Override
        public boolean isCancelled() {
          return f.isCancelled();
        }

        @Override
        public boolean isDone() {
          return f.isDone();
        }

        @Override
        public Object get() throws InterruptedException, ExecutionException {
          return f.get();
        }

        @Override
        public Object get(long timeout, TimeUnit unit) throws InterruptedException, ExecutionException, TimeoutException {
          return f.get(timeout, unit);
        }
      };
    }
  }

  /**
   * A user executor that throws something other than {@code RejectedExecutionException} left the
   * entry in Loading with an attempt that would never run: the untyped exception escaped from
   * {@code getAsync}, and later callers waited for the deadline.
   */
  @Test
  void anExecutorThatThrowsFailsTheAttemptTypedAndTheKeyRecovers() throws Exception {
    MutableClock clock = new MutableClock(T0);
    ManualScheduler scheduler = new ManualScheduler(clock);
    AtomicInteger refusals = new AtomicInteger(1);
    Executor executor = task -> {
      if (refusals.getAndDecrement() > 0) {
        throw new IllegalStateException("the pool is broken");
      }
      task.run();
    };
    CredentialCache<String, String> cache = track(CredentialCache.builder(counting(clock)).name("refusing")
        .clock(clock).scheduler(scheduler).executor(executor).build());
    CompletableFuture<String> first = cache.getAsync("k");
    assertThat(first).isCompletedExceptionally();
    assertThatThrownBy(first::join).cause().isInstanceOf(CredentialExchangeException.class)
        .satisfies(e -> assertThat(((CredentialExchangeException) e).retryable()).isTrue());
    assertThat(cache.stateOf("k")).isInstanceOf(State.Empty.class);
    assertThat(scheduler.pending()).as("no deadline timer left behind").isZero();
    scheduler.advance(Duration.ofSeconds(2)); // past the backoff window
    assertThat(cache.get("k")).isEqualTo("k-1");
  }

  /**
   * A user scheduler that throws when the refresh timer is armed turned a successful exchange into
   * a failure for its waiters (the lease was installed, but the exception reached the exchange's
   * catch) and no {@code onRefreshed} was sent.
   */
  @Test
  void aSchedulerThatThrowsWhenArmingKeepsTheCredentialAndItIsRefreshedOnTheNextRead() {
    MutableClock clock = new MutableClock(T0);
    ManualScheduler manual = new ManualScheduler(clock);
    AtomicInteger calls = new AtomicInteger();
    CredentialCache.Scheduler scheduler = (task, delay, unit) -> {
      if (calls.incrementAndGet() == 2) { // 1: the exchange's deadline, 2: the refresh timer
        throw new IllegalStateException("the timer wheel is full");
      }
      return manual.schedule(task, delay, unit);
    };
    List<String> refreshed = new ArrayList<>();
    CredentialCache<String, String> cache = track(CredentialCache.builder(counting(clock)).name("throwing")
        .clock(clock).scheduler(scheduler).executor(Runnable::run).listener(new CredentialCache.Listener<String>() {
          @Override
          public void onRefreshed(String key, Instant expiresAt) {
            refreshed.add(key);
          }
        }).build());
    assertThat(cache.get("k")).isEqualTo("k-1");
    assertThat(refreshed).containsExactly("k");
    clock.advance(Duration.ofMinutes(50)); // no timer: the read past the refresh point refreshes
    assertThat(cache.get("k")).isEqualTo("k-1");
    assertThat(cache.get("k")).isEqualTo("k-2");
    assertThat(cache.stateOf("k").timerPending()).isTrue();
  }

  /**
   * With the system clock, reads compare with a copy of it that a tick re-arms every 100 ms. A
   * scheduler that refused one tick (a user's, shut down or full) ended the ticks for good: the copy
   * froze, and the hot path handed out the credential long past its hard expiry.
   */
  @Test
  void aRefusedClockTickDoesNotFreezeTheClockTheHotPathReads() {
    MutableClock clock = MutableClock.posingAsSystemClock(T0);
    ManualScheduler manual = new ManualScheduler(clock);
    AtomicReference<Boolean> refuseTicks = new AtomicReference<>(false);
    CredentialCache.Scheduler scheduler = (task, delay, unit) -> {
      if (refuseTicks.get() && unit == TimeUnit.MILLISECONDS && delay == 100) {
        throw new java.util.concurrent.RejectedExecutionException("shut down");
      }
      return manual.schedule(task, delay, unit);
    };
    CredentialCache<String, String> cache = track(CredentialCache.builder(counting(clock)).name("frozen")
        .clock(clock).scheduler(scheduler).executor(Runnable::run).build());
    java.util.function.Supplier<String> bound = cache.bind("k");
    assertThat(bound.get()).isEqualTo("k-1");
    refuseTicks.set(true);
    manual.advance(Duration.ofMillis(100)); // the tick runs and cannot re-arm itself
    clock.advance(Duration.ofHours(2)); // far past the hard expiry of k-1
    assertThat(cache.get("k")).as("never the dead credential").isEqualTo("k-2");
    assertThat(bound.get()).isEqualTo("k-2");
  }

  /**
   * The exchange sends the token, the kubelet rotates it, the cloud refuses the old one. The
   * rotation arrived while the attempt was in flight, when there was no backoff to cut short; the
   * refusal then recorded a full (non-retryable) backoff, and the new token waited that long.
   */
  @Test
  void aRotationSeenWhileTheRefusedExchangeWasInFlightRetriesAtOnce() {
    MutableClock clock = new MutableClock(T0);
    ManualScheduler scheduler = new ManualScheduler(clock);
    ManualExecutor executor = new ManualExecutor();
    RotatingSource source = new RotatingSource();
    AtomicReference<Boolean> refuse = new AtomicReference<>(true);
    CredentialCache<String, String> cache = track(CredentialCache.<String, String>builder(key -> {
      int n = exchanges.incrementAndGet();
      if (refuse.get()) {
        source.rotate(); // while the request with the old token is out
        throw new CredentialExchangeException("the token is expired", "test", "ExpiredToken", 400, false,
            "wait for the kubelet to rotate it", true, null);
      }
      return Expiring.of(key + "-" + n, clock.instant().plus(TTL));
    }).name("rotating").clock(clock).scheduler(scheduler).executor(executor).rotationsOf(source).build());

    // A first load: nothing cached, so the refusal would make callers fail fast for the window.
    CompletableFuture<String> first = cache.getAsync("k");
    executor.runAll();
    assertThat(first).isCompletedExceptionally();
    refuse.set(false);
    CompletableFuture<String> again = cache.getAsync("k");
    assertThat(executor.queued()).as("a new attempt with the new token, not the old refusal").isEqualTo(1);
    executor.runAll();
    assertThat(again.join()).isEqualTo("k-2");

    // A refresh: the valid credential is served, and the retry is a timer.
    refuse.set(true);
    cache.refresh("k");
    executor.runAll();
    assertThat(cache.stateOf("k")).isInstanceOf(State.Backoff.class);
    refuse.set(false);
    scheduler.runDue();
    assertThat(executor.queued()).as("the retry starts now, not at the end of the window").isEqualTo(1);
    executor.runAll();
    assertThat(cache.get("k")).isEqualTo("k-4");
  }

  /** A token source whose rotations the test makes. */
  static class RotatingSource implements TokenSource {
    private final List<java.util.function.Consumer<ProjectedToken>> listeners =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    private int serial;

    void rotate() {
      ProjectedToken token = ProjectedToken.parse(
          SecretLeakGuard.secret(TestTokens.token(T0.plusSeconds(++serial), TTL, "a")));
      listeners.forEach(l -> l.accept(token));
    }

    @Override
    public ProjectedToken token() {
      throw new UnsupportedOperationException();
    }

    @Override
    public ProjectedToken refresh() {
      throw new UnsupportedOperationException();
    }

    @Override
    public Subscription onRotation(java.util.function.Consumer<ProjectedToken> listener) {
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }
  }

  /**
   * A listener's {@code onExchangeStarted} (or the exchange itself) reading the key being loaded
   * waited for the very exchange its own thread was about to run: it sat out the whole deadline,
   * and then the deadline failed the exchange for every caller.
   */
  @Test
  void aReadFromInsideTheKeysOwnExchangeFailsAtOnceInsteadOfWaitingForItself() {
    MutableClock clock = new MutableClock(T0);
    ManualScheduler scheduler = new ManualScheduler(clock);
    AtomicReference<CredentialCache<String, String>> self = new AtomicReference<>();
    AtomicReference<Throwable> inner = new AtomicReference<>();
    CredentialCache<String, String> cache = track(CredentialCache.builder(counting(clock)).name("self")
        .clock(clock).scheduler(scheduler).executor(Runnable::run).exchangeTimeout(Duration.ofSeconds(1))
        .listener(new CredentialCache.Listener<String>() {
          @Override
          public void onExchangeStarted(String key) {
            try {
              self.get().get(key);
            } catch (RuntimeException e) {
              inner.set(e);
            }
          }
        }).build());
    self.set(cache);
    long started = System.nanoTime();
    assertThat(cache.get("k")).isEqualTo("k-1");
    assertThat(inner.get()).isInstanceOf(IllegalStateException.class).hasMessageContaining("its own exchange");
    assertThat(Duration.ofNanos(System.nanoTime() - started)).as("nobody waited for the deadline")
        .isLessThan(Duration.ofSeconds(1));
    assertThat(exchanges).hasValue(1);
  }

  /**
   * With an inline executor the exchange runs on the caller's thread. The attempt's end cleared the
   * thread's interrupt status to keep its own deadline interrupt from leaking, but cleared the
   * caller's own interrupt too (and one the exchange had turned into an InterruptedException was
   * not restored): a caller asked to stop never learnt it.
   */
  @Test
  void aCallersOwnInterruptSurvivesAnExchangeRunOnItsThread() {
    MutableClock clock = new MutableClock(T0);
    ManualScheduler scheduler = new ManualScheduler(clock);
    CredentialCache<String, String> cache = track(CredentialCache.<String, String>builder(key -> {
      if (key.equals("blocking")) {
        new java.util.concurrent.CountDownLatch(1).await(10, TimeUnit.SECONDS); // throws: interrupted
      }
      return Expiring.of(key, clock.instant().plus(TTL));
    }).name("interrupt").clock(clock).scheduler(scheduler).executor(Runnable::run).build());
    try {
      Thread.currentThread().interrupt();
      assertThat(cache.get("quick")).isEqualTo("quick");
      assertThat(Thread.currentThread().isInterrupted()).as("after an exchange that ignored it").isTrue();
      assertThatThrownBy(() -> cache.get("blocking")).isInstanceOf(CredentialExchangeException.class);
      assertThat(Thread.currentThread().isInterrupted()).as("after an exchange it interrupted").isTrue();
    } finally {
      Thread.interrupted();
    }
  }

  /**
   * {@code close()} never throws, yet a token source whose subscription threw on close made it throw
   * before it had closed a single entry: timers stayed armed and the cache's threads ran on.
   */
  @Test
  void closeNeverThrowsEvenWhenTheTokenSourcesSubscriptionDoes() {
    MutableClock clock = new MutableClock(T0);
    ManualScheduler scheduler = new ManualScheduler(clock);
    TokenSource source = new RotatingSource() {
      @Override
      public Subscription onRotation(java.util.function.Consumer<ProjectedToken> listener) {
        return () -> {
          throw new IllegalStateException("already closed");
        };
      }
    };
    CredentialCache<String, String> cache = CredentialCache.builder(counting(clock)).name("subscription")
        .clock(clock).scheduler(scheduler).executor(Runnable::run).rotationsOf(source).build();
    cache.get("k");
    assertThat(scheduler.pending()).isEqualTo(1);
    cache.close();
    assertThat(scheduler.pending()).as("timers after close").isZero();
    assertThatThrownBy(() -> cache.get("k")).isInstanceOf(IllegalStateException.class);
  }

  /** A token source that refused the subscription made {@code build()} throw with its timer thread left ticking. */
  @Test
  void aFailedBuildLeavesNoThread() throws Exception {
    TokenSource source = new RotatingSource() {
      @Override
      public Subscription onRotation(java.util.function.Consumer<ProjectedToken> listener) {
        throw new IllegalStateException("closed source");
      }
    };
    assertThatThrownBy(() -> CredentialCache.<String, String>builder(k -> Expiring.of(k, Instant.now().plus(TTL)))
        .name("unbuilt").rotationsOf(source).build()).isInstanceOf(IllegalStateException.class);
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.getName().startsWith("workload-identity-unbuilt-")) {
        t.join(5_000);
        assertThat(t.isAlive()).as("thread %s after a failed build", t.getName()).isFalse();
      }
    }
  }

  /**
   * A user scheduler whose futures throw on {@code cancel}: the transition that left a state with a
   * timer had already been made when the cancel threw, so a read that began a refresh stopped half
   * way (Refreshing, its exchange never started) and {@code invalidate} and {@code close} threw.
   */
  @Test
  void aTimerWhoseCancelThrowsBreaksNoTransition() {
    MutableClock clock = new MutableClock(T0);
    ManualScheduler manual = new ManualScheduler(clock);
    CredentialCache.Scheduler scheduler = (task, delay, unit) -> {
      Future<?> f = manual.schedule(task, delay, unit);
      return new java.util.concurrent.CompletableFuture<Object>() {
        @Override
        public boolean cancel(boolean mayInterrupt) {
          f.cancel(mayInterrupt);
          throw new IllegalStateException("cannot cancel");
        }
      };
    };
    CredentialCache<String, String> cache = CredentialCache.builder(counting(clock)).name("cancel")
        .clock(clock).scheduler(scheduler).executor(Runnable::run).build();
    assertThat(cache.get("k")).isEqualTo("k-1");
    clock.advance(Duration.ofMinutes(50));
    assertThat(cache.get("k")).as("the read that starts the refresh").isEqualTo("k-1");
    assertThat(cache.get("k")).isEqualTo("k-2");
    cache.invalidate("k");
    assertThat(cache.get("k")).isEqualTo("k-3");
    cache.close();
    assertThat(manual.pending()).isZero();
  }
}
