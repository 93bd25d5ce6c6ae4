package io.workloadidentity.core;

import io.workloadidentity.core.internal.Attempt;
import io.workloadidentity.core.internal.Entry;
import io.workloadidentity.core.internal.EntryStore;
import io.workloadidentity.core.internal.Lease;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.State;
import io.workloadidentity.core.internal.StateMachine;
import io.workloadidentity.core.internal.Threads;
import io.workloadidentity.core.internal.WallClock;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executor;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * A refresh-ahead cache of cloud credentials. Every cloud module keeps its credentials here; it is
 * what makes a credential read cheap and an outage invisible.
 *
 * <p><b>Contract.</b>
 *
 * <ul>
 *   <li>At most one {@link Exchange} per key is in flight. The first {@link #get} for a key performs
 *       it; concurrent callers wait for that one exchange, and {@link #getAsync} returns its future
 *       without occupying a thread.
 *   <li>A background refresh starts at the point the {@link RefreshPolicy} computes (about 80% of
 *       the lifetime, jittered), whether or not anyone reads. Callers keep getting the cached
 *       credential meanwhile: no caller waits on the network while a credential that is not
 *       hard-expired exists. A refresh still running when the credential hard-expires is joined by
 *       the callers that then need one, never discarded.
 *   <li>A failed refresh keeps the valid credential in service and is retried with capped
 *       exponential backoff and full jitter until it succeeds. No caller starts an attempt inside a
 *       backoff window: when nothing valid is cached, callers fail fast with the last typed error
 *       until the window ends.
 *   <li>Every exchange has a deadline ({@link Builder#exchangeTimeout}, default 30 s): at the
 *       deadline its waiters get a retryable {@link CredentialExchangeException}, the exchange's
 *       thread is interrupted, and the next attempt does not queue behind it.
 *   <li>After the hard expiry the credential is never returned; every read checks the injected
 *       {@link Clock} (wall time), so a host that was suspended past the expiry does not hand out a
 *       dead credential.
 *   <li>Each failed attempt is one log line (INFO while a valid credential is served, WARNING
 *       otherwise) and one {@link Listener#onRefreshFailed} event; never a stack trace.
 * </ul>
 *
 * <p><b>Threads and time.</b> Exchanges run on the {@linkplain Builder#executor executor} and timers
 * on the {@linkplain Builder#scheduler scheduler}; by default the cache owns a bounded pool of daemon
 * threads and one daemon timer thread, both stopped by {@link #close()}. Tests inject a
 * deterministic scheduler and clock instead of waiting for time to pass.
 *
 * <p>Thread-safe. {@link #invalidate} and {@link #close} never throw.
 *
 * @param <K> the key: everything that distinguishes one credential from another (role, scopes, ...);
 *     its {@code toString()} appears in log lines, so it must not contain secrets
 * @param <C> the credential type
 */
public final class CredentialCache<K, C> implements AutoCloseable {
  /** Most threads the default executor runs exchanges on; more exchanges queue. */
  private static final int DEFAULT_EXCHANGE_THREADS = 4;
  /** The longest {@link #close()} waits for the threads it owns to end. */
  private static final long CLOSE_WAIT_MILLIS = 1_000;

  private final String name;
  private final RefreshPolicy policy;
  private final StateMachine<K, C> machine;
  private final EntryStore<K, C> entries;
  private final WallClock wallClock;
  private final List<ExecutorService> owned;
  private final TokenSource.Subscription rotations;

  private CredentialCache(Builder<K, C> b) {
    this.name = b.name;
    this.policy = b.policy;
    ScheduledExecutorService timerThread = b.scheduler == null ? Threads.scheduler("workload-identity-" + name + "-timer") : null;
    ExecutorService pool = b.executor == null
        ? Threads.boundedPool("workload-identity-" + name + "-exchange", DEFAULT_EXCHANGE_THREADS) : null;
    this.owned = timerThread == null && pool == null ? List.of()
        : pool == null ? List.of(timerThread) : timerThread == null ? List.of(pool) : List.of(timerThread, pool);
    Scheduler scheduler = b.scheduler != null ? b.scheduler : Scheduler.of(timerThread);
    this.wallClock = new WallClock(b.clock, scheduler);
    // Caffeine is the bounded store of entries and nothing more (EntryStore says why, and how
    // pinning keeps an entry with an exchange from being evicted).
    this.entries = new EntryStore<>(b.maximumSize, this::evicted);
    this.machine = new StateMachine<>(name, b.exchange, b.listener, b.clock, wallClock, b.policy, scheduler,
        b.executor != null ? b.executor : pool, b.exchangeTimeout, entries::reweigh);
    this.rotations = b.rotations == null ? null : subscribe(b);
  }

  /** Subscribes to the rotations of the builder's token source; if that throws, stops the threads just made. */
  private TokenSource.Subscription subscribe(Builder<K, C> b) {
    try {
      return b.rotations.onRotation(token -> {
        machine.rotationSeen(); // first: an attempt in flight now must see it when it fails
        entries.entries().forEach(machine::tokenRotated);
        try {
          b.listener.onTokenRotated(token);
        } catch (RuntimeException e) {
          System.getLogger(CredentialCache.class.getName()).log(System.Logger.Level.WARNING,
              "The " + name + " credential cache listener failed: " + Redaction.describe(e));
        }
      });
    } catch (RuntimeException e) {
      wallClock.close();
      owned.forEach(ExecutorService::shutdownNow);
      throw e;
    }
  }

  /**
   * A builder for a cache that obtains credentials with {@code exchange}.
   *
   * @param exchange performs one exchange for a key
   * @param <K> the key type
   * @param <C> the credential type
   * @return a builder with the defaults
   */
  public static <K, C> Builder<K, C> builder(Exchange<K, C> exchange) {
    return new Builder<>(exchange);
  }

  /**
   * The credential for {@code key}. Returns the cached credential without blocking while it is
   * valid; blocks only when there is none (first call, or after hard expiry), and never past the
   * exchange deadline.
   *
   * @param key the key
   * @return a credential that is not hard-expired
   * @throws WorkloadIdentityException the typed failure of the exchange when no valid credential
   *     exists (within a backoff window, the last one, without a new exchange)
   * @throws IllegalStateException after {@link #close()}, or when called from inside the key's own
   *     exchange (which it would wait for)
   */
  public C get(K key) {
    Entry<K, C> e = entries.getIfPresent(key);
    if (e != null) {
      State<C> s = e.state();
      if (machine.now() < s.serveUntil) {
        return s.value;
      }
    }
    return load(key, e);
  }

  /**
   * Like {@link #get} but never blocks and never occupies a thread while waiting: the future is
   * already complete when a valid credential is cached, else it is the running exchange's.
   *
   * @param key the key
   * @return the credential, or its typed {@link WorkloadIdentityException} failure
   * @throws IllegalStateException after {@link #close()}
   */
  public CompletableFuture<C> getAsync(K key) {
    return async(key, false);
  }

  /**
   * A handle bound to one key whose {@link Supplier#get()} is the hot path: while the credential is
   * fresh it is one volatile read, one clock read and a comparison, with no allocation and no lock.
   * Otherwise it behaves as {@link #get}. Providers with a fixed key (one role, one audience) hold
   * one of these.
   *
   * @param key the key
   * @return a supplier of the key's credential
   * @throws IllegalStateException after {@link #close()}
   */
  public Supplier<C> bind(K key) {
    Objects.requireNonNull(key, "key");
    return new Bound(key, entry(key));
  }

  /**
   * Starts an exchange for {@code key} now, unless one is in flight (then its outcome is the
   * answer) or the key is inside a backoff window (then the last error is); the cached credential
   * keeps being served meanwhile. Use after a cloud said the credential was revoked.
   *
   * @param key the key
   * @return the new credential, or the exchange's typed {@link WorkloadIdentityException} (the
   *     valid credential, if any, stays cached)
   * @throws IllegalStateException after {@link #close()}
   */
  public CompletableFuture<C> refresh(K key) {
    return async(key, true);
  }

  /**
   * Drops the credential for {@code key}; the next {@link #get} performs a new exchange, or waits
   * for the one in flight (which started before this call). Never throws.
   *
   * @param key the key
   */
  public void invalidate(K key) {
    Entry<K, C> e = entries.getIfPresent(key);
    if (e != null && machine.invalidate(e)) {
      entries.remove(e);
    }
  }

  /**
   * Stops background refreshes and the cache's own threads, within about a second even with
   * exchanges hung: exchanges in flight are interrupted and their waiters get an {@link
   * IllegalStateException}. Afterwards {@link #get}, {@link #getAsync}, {@link #refresh} and
   * {@linkplain #bind bound} suppliers throw {@link IllegalStateException}. Idempotent; never throws.
   */
  @Override
  public void close() {
    if (machine.isClosed()) {
      return;
    }
    machine.shutdown();
    if (rotations != null) {
      try {
        rotations.close();
      } catch (RuntimeException e) { // a user's token source: it must not stop the rest of close()
        System.getLogger(CredentialCache.class.getName()).log(System.Logger.Level.WARNING,
            "The " + name + " credential cache could not unsubscribe from its token source: " + Redaction.describe(e));
      }
    }
    entries.entries().forEach(machine::close);
    entries.clear();
    wallClock.close();
    owned.forEach(ExecutorService::shutdownNow);
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
    try {
      for (ExecutorService pool : owned) {
        pool.awaitTermination(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** The name, the number of keys and the policy; never a credential. */
  @Override
  public String toString() {
    return "CredentialCache{" + name + ", entries=" + entries.estimatedSize() + ", " + policy + "}";
  }

  // ------------------------------------------------------------------------------------------

  /** An entry the store evicted: its state ends (called inside the removal). */
  private void evicted(Entry<K, C> e) {
    machine.evicted(e);
  }

  /** The key's entry, created if absent; an entry closed by invalidation or eviction is replaced. */
  private Entry<K, C> entry(K key) {
    if (machine.isClosed()) {
      throw new IllegalStateException("CredentialCache " + name + " is closed");
    }
    return entries.open(key);
  }

  /** The slow path of a blocking read, from the entry the fast path saw (or null). */
  @SuppressWarnings("unchecked") // read() answers a Lease<C> or an Attempt<C> of this entry
  private C load(K key, Entry<K, C> e) {
    while (true) {
      if (e == null || e.isClosed()) {
        e = entry(key);
      }
      Object answer = machine.read(e, false);
      if (answer != null) {
        Lease<C> lease = answer instanceof Attempt<?> ? machine.await(e, (Attempt<C>) answer) : (Lease<C>) answer;
        if (!lease.validAt(machine.now())) {
          throw new CredentialExchangeException("The " + name + " credential obtained just now expired at "
              + Instant.ofEpochMilli(lease.expiresAtMillis()) + ", before it could be used: is this machine's clock"
              + " correct?", name, null, -1, false, null);
        }
        return lease.value();
      }
      e = null; // closed by invalidation or eviction meanwhile: look the key up again
    }
  }

  @SuppressWarnings("unchecked")
  private CompletableFuture<C> async(K key, boolean forced) {
    Object answer;
    Entry<K, C> e = null;
    do {
      e = entry(key);
      try {
        answer = machine.read(e, forced);
      } catch (WorkloadIdentityException failure) {
        return CompletableFuture.failedFuture(failure);
      }
    } while (answer == null);
    if (answer instanceof Lease<?> lease) {
      return CompletableFuture.completedFuture((C) lease.value());
    }
    Attempt<C> attempt = (Attempt<C>) answer;
    CompletableFuture<C> result = new CompletableFuture<>();
    attempt.future.whenComplete((lease, failure) -> {
      if (lease != null) {
        result.complete(lease.value());
      } else {
        try {
          machine.rethrow(failure);
        } catch (RuntimeException typed) {
          result.completeExceptionally(typed);
        }
      }
    });
    return result;
  }

  /** The state of every entry, for invariant checks in tests. */
  List<State<C>> states() {
    return entries.states();
  }

  /** The state of {@code key}'s entry, or null, for tests. */
  State<C> stateOf(K key) {
    Entry<K, C> e = entries.getIfPresent(key);
    return e == null ? null : e.state();
  }

  private final class Bound implements Supplier<C> {
    private final K key;
    private volatile Entry<K, C> entry;

    Bound(K key, Entry<K, C> entry) {
      this.key = key;
      this.entry = entry;
    }

    @Override
    public C get() {
      Entry<K, C> e = entry;
      State<C> s = e.state();
      if (machine.now() < s.serveUntil) {
        return s.value;
      }
      if (e.isClosed()) {
        entry = e = entry(key);
      }
      return load(key, e);
    }

    @Override
    public String toString() {
      return "CredentialCache.bind(" + key + ")";
    }
  }

  /**
   * Performs the credential exchange for a key: one attempt. Called on the cache's executor, at
   * most once at a time per key. Throw {@link CredentialExchangeException} with {@code retryable}
   * set correctly; other exceptions are wrapped (I/O errors as retryable). Respond to interruption:
   * at the deadline, and on {@link #close()}, the thread running it is interrupted.
   *
   * @param <K> the key type
   * @param <C> the credential type
   */
  @FunctionalInterface
  public interface Exchange<K, C> {
    /**
     * Obtains a new credential for {@code key} from the cloud.
     *
     * @param key the key
     * @return the credential and when it expires (in the cloud's words, not a lifetime guessed here)
     * @throws Exception preferably a {@link CredentialExchangeException} saying whether a retry can help
     */
    Expiring<C> exchange(K key) throws Exception;
  }

  /**
   * Runs the cache's delayed tasks: refresh timers, retry timers and exchange deadlines, all short.
   * In Caffeine's manner: the default is one daemon timer thread; tests inject a deterministic one.
   */
  @FunctionalInterface
  public interface Scheduler {
    /**
     * Runs {@code task} once after {@code delay}, on a thread other than the caller's.
     *
     * @param task what to run; it is quick and does not block
     * @param delay how long to wait, not negative
     * @param unit the unit of {@code delay}
     * @return a handle whose {@link Future#cancel} withdraws the task
     */
    Future<?> schedule(Runnable task, long delay, TimeUnit unit);

    /**
     * A scheduler backed by {@code executor}; the cache does not shut it down.
     *
     * @param executor the executor that runs the tasks
     * @return the scheduler
     */
    static Scheduler of(ScheduledExecutorService executor) {
      Objects.requireNonNull(executor, "executor");
      return executor::schedule;
    }
  }

  /**
   * Receives cache events. Called on cache threads; implementations must be quick. An exception
   * thrown by a listener is logged and otherwise ignored. Every method has an empty default.
   *
   * @param <K> the key type
   */
  public interface Listener<K> {
    /**
     * An exchange for {@code key} is starting (a first load, a refresh or a retry); it ends with
     * {@link #onRefreshed} or {@link #onRefreshFailed}. Useful for metrics, and for tests that move
     * an injected clock only once background work has finished. It runs on the exchange's own
     * thread: a blocking {@link CredentialCache#get} of the same key here throws {@link
     * IllegalStateException} (it would wait for itself).
     *
     * @param key the key
     */
    default void onExchangeStarted(K key) {}

    /**
     * A credential was obtained (first load or refresh) and the cache now serves it: a read made
     * from this callback sees the new credential. Called before the callers waiting for it go on,
     * so when a {@link CredentialCache#get} that waited returns, the event has been delivered.
     *
     * @param key the key
     * @param expiresAt when the credential expires (capped by the policy's maximum lifetime)
     */
    default void onRefreshed(K key, Instant expiresAt) {}

    /**
     * An exchange failed, or passed its deadline; a valid credential, if any, is still served.
     * Called before the callers waiting for the exchange get the error.
     *
     * @param key the key
     * @param error the typed failure
     * @param retryIn when the next attempt may start
     */
    default void onRefreshFailed(K key, WorkloadIdentityException error, Duration retryIn) {}

    /**
     * A token source given to {@link Builder#rotationsOf} rotated. Cached credentials stay valid
     * (they do not depend on the token that obtained them); the next exchange uses the new token.
     *
     * @param token the new token
     */
    default void onTokenRotated(ProjectedToken token) {}
  }

  /**
   * Configures a {@link CredentialCache}. Not thread-safe.
   *
   * @param <K> the key type
   * @param <C> the credential type
   */
  public static final class Builder<K, C> {
    private final Exchange<K, C> exchange;
    private Clock clock = Clock.systemUTC();
    private RefreshPolicy policy = RefreshPolicy.defaults();
    private Listener<? super K> listener = new Listener<Object>() {};
    private String name = "credentials";
    private long maximumSize = 1_000;
    private TokenSource rotations;
    private Duration exchangeTimeout = Duration.ofSeconds(30);
    private Scheduler scheduler;
    private Executor executor;

    private Builder(Exchange<K, C> exchange) {
      this.exchange = Objects.requireNonNull(exchange, "exchange");
    }

    /**
     * The wall clock for expiry decisions.
     *
     * @param clock the clock; default {@link Clock#systemUTC()}
     * @return this builder
     */
    public Builder<K, C> clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * When to refresh and how to back off.
     *
     * @param policy the policy; default {@link RefreshPolicy#defaults()}
     * @return this builder
     */
    public Builder<K, C> refreshPolicy(RefreshPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Receives exchange, refresh and rotation events.
     *
     * @param listener the listener
     * @return this builder
     */
    public Builder<K, C> listener(Listener<? super K> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /**
     * A short name used in thread names, log lines and messages, for example {@code aws}.
     *
     * @param name the name; default {@code credentials}
     * @return this builder
     */
    public Builder<K, C> name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /**
     * The most keys kept; beyond it, the least valuable are evicted (their exchanges stop).
     *
     * @param maximumSize a positive count; default 1000
     * @return this builder
     */
    public Builder<K, C> maximumSize(long maximumSize) {
      if (maximumSize < 1) {
        throw new IllegalArgumentException("maximumSize must be positive: " + maximumSize);
      }
      this.maximumSize = maximumSize;
      return this;
    }

    /**
     * Also reports the rotations of {@code source} to the {@link Listener}, until {@link #close()};
     * a key backing off because the cloud {@linkplain CredentialExchangeException#tokenRejected()
     * refused the token} retries as soon as a new token is seen.
     *
     * @param source the token source the exchange reads
     * @return this builder
     */
    public Builder<K, C> rotationsOf(TokenSource source) {
      this.rotations = Objects.requireNonNull(source, "source");
      return this;
    }

    /**
     * The deadline of one exchange; its waiters get a retryable {@link CredentialExchangeException}
     * then, and the exchange is interrupted.
     *
     * @param timeout positive; default 30 s
     * @return this builder
     */
    public Builder<K, C> exchangeTimeout(Duration timeout) {
      Objects.requireNonNull(timeout, "timeout");
      if (timeout.isNegative() || timeout.isZero()) {
        throw new IllegalArgumentException("exchangeTimeout must be positive: " + timeout);
      }
      this.exchangeTimeout = timeout;
      return this;
    }

    /**
     * Runs timers and deadlines; the cache does not shut a given scheduler down.
     *
     * @param scheduler the scheduler; default a daemon timer thread the cache owns
     * @return this builder
     */
    public Builder<K, C> scheduler(Scheduler scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Runs exchanges; the cache does not shut a given executor down. One that runs tasks on the
     * calling thread ({@code Runnable::run}) runs an exchange that a timer starts on the timer
     * thread: give such a cache a {@linkplain #scheduler scheduler} of its own too, since with the
     * default single timer thread a hung exchange would hold up every timer, every deadline
     * (its own included) and the tick of the system clock's copy.
     *
     * @param executor the executor; default a bounded pool of daemon threads the cache owns
     * @return this builder
     */
    public Builder<K, C> executor(Executor executor) {
      this.executor = Objects.requireNonNull(executor, "executor");
      return this;
    }

    /**
     * A new cache; it owns threads until {@link CredentialCache#close()}.
     *
     * @return the cache
     */
    public CredentialCache<K, C> build() {
      return new CredentialCache<>(this);
    }
  }
}
