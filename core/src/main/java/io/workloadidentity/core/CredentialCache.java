package io.workloadidentity.core;

import com.github.benmanes.caffeine.cache.AsyncCacheLoader;
import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.workloadidentity.core.internal.Lease;
import io.workloadidentity.core.internal.Threads;
import io.workloadidentity.core.internal.WallClock;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * A refresh-ahead cache of cloud credentials, built on Caffeine. Every cloud module keeps its
 * credentials here; it is what makes a credential read cheap and an outage invisible.
 *
 * <p><b>Contract.</b>
 *
 * <ul>
 *   <li>The first {@link #get} for a key performs the {@link Exchange}; concurrent first callers wait
 *       for that one exchange.
 *   <li>Afterwards a background refresh starts at the point the {@link RefreshPolicy} computes
 *       (about 80% of the lifetime, jittered). Callers keep getting the cached credential meanwhile:
 *       no caller blocks on the network while a credential that is not hard-expired exists, and at
 *       most one exchange per key is in flight.
 *   <li>A failed refresh keeps the valid credential in service and is retried with capped
 *       exponential backoff and full jitter until it succeeds. Every failure is reported to the
 *       {@link Listener} and the log at once; a non-retryable one backs off with the maximum
 *       ceiling from the first failure (full jitter still applies, see {@link RefreshPolicy}).
 *   <li>After the hard expiry the credential is never returned: the next caller waits for a new
 *       exchange, and gets its typed {@link WorkloadIdentityException} if it fails. Within the
 *       backoff window after such a failure, callers get the same error without a new exchange.
 *   <li>Every read checks the injected {@link Clock} (wall time), so a host that was suspended past
 *       the expiry does not hand out a dead credential.
 * </ul>
 *
 * <p>The cache owns two small daemon thread pools (exchanges and timers); {@link #close()} stops
 * them. It is thread-safe.
 *
 * @param <K> the key: everything that distinguishes one credential from another (role, scopes, ...);
 *     its {@code toString()} appears in log lines, so it must not contain secrets
 * @param <C> the credential type
 */
public final class CredentialCache<K, C> implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(CredentialCache.class.getName());
  /** Delay of a timer that found a refresh still finishing: look again once its outcome is in. */

  private final Exchange<K, C> exchange;
  private final Clock clock;
  private final WallClock wallClock;
  private final RefreshPolicy policy;
  private final Listener<? super K> listener;
  private final String name;
  private final ExecutorService exchangeExecutor;
  private final ScheduledExecutorService timer;
  private final AsyncLoadingCache<K, Lease<C>> cache;
  private final ConcurrentHashMap<K, ScheduledFuture<?>> timers = new ConcurrentHashMap<>();
  /**
   * One read handle per key, so a read of a fresh credential is a map lookup plus a volatile read
   * rather than a trip through Caffeine's read path (which reads {@code System.nanoTime} and
   * records the access). The handles hold no state Caffeine does not also hold; they are dropped
   * with the entry.
   */
  private final ConcurrentHashMap<K, Bound> handles = new ConcurrentHashMap<>();
  /** The last failure per key while there is no valid credential: fail fast during backoff. */
  private final ConcurrentHashMap<K, Failure> failures = new ConcurrentHashMap<>();
  /**
   * The last exchange started per key. Caffeine forgets a refresh when its entry goes (hard expiry,
   * invalidate, eviction) but the exchange keeps running; the next one for the key waits for it.
   */
  private final ConcurrentHashMap<K, CompletableFuture<Lease<C>>> exchanges = new ConcurrentHashMap<>();
  private final AtomicInteger inFlight = new AtomicInteger();
  private final TokenSource.Subscription rotationSubscription;
  private volatile boolean closed;

  private CredentialCache(Builder<K, C> b) {
    this.exchange = b.exchange;
    this.clock = b.clock;
    this.policy = b.policy;
    this.listener = b.listener;
    this.name = b.name;
    this.exchangeExecutor = Threads.cachedPool("workload-identity-" + name + "-exchange");
    this.timer = Threads.scheduler("workload-identity-" + name + "-timer");
    this.wallClock = new WallClock(clock, timer);
    this.cache = Caffeine.newBuilder()
        // Caffeine hands maintenance and removal notifications to this executor; after close() the
        // pool is shut down, so run them inline rather than have Caffeine log the rejection.
        .executor(task -> {
          try {
            exchangeExecutor.execute(task);
          } catch (RejectedExecutionException e) {
            task.run();
          }
        })
        .maximumSize(b.maximumSize)
        .expireAfter(new HardExpiry<K, C>(clock))
        .removalListener((K key, Lease<C> lease, com.github.benmanes.caffeine.cache.RemovalCause cause) -> {
          if (key != null && cause.wasEvicted()) {
            cancelTimer(key);
            handles.remove(key);
          }
        })
        .buildAsync(new Loader());
    this.rotationSubscription = b.rotations == null ? null
        : b.rotations.onRotation(token -> tell(() -> listener.onTokenRotated(token)));
  }

  /** A builder for a cache that obtains credentials with {@code exchange}. */
  public static <K, C> Builder<K, C> builder(Exchange<K, C> exchange) {
    return new Builder<>(exchange);
  }

  /**
   * The credential for {@code key}. Returns the cached credential without blocking while it is
   * valid; blocks only when there is none (first call, or after hard expiry).
   *
   * @throws WorkloadIdentityException the typed failure of the exchange when no valid credential exists
   * @throws IllegalStateException after {@link #close()}
   */
  public C get(K key) {
    Bound b = handles.get(key);
    if (b == null) {
      checkOpen();
      b = handles.computeIfAbsent(key, Bound::new);
    }
    return b.get();
  }

  /**
   * Like {@link #get} but never blocks: the future is already complete when a valid credential is
   * cached.
   */
  public CompletableFuture<C> getAsync(K key) {
    checkOpen();
    // Only peek: a load started here would skip the fail-fast backoff that get() applies, and
    // getNow() on a failed load would throw instead of returning a failed future.
    CompletableFuture<Lease<C>> f = cache.getIfPresent(key);
    Lease<C> lease = f != null && f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
    if (lease != null) {
      long now = wallClock.millis();
      if (now < lease.hardExpiryMillis()) {
        maybeRefresh(key, lease, now);
        return CompletableFuture.completedFuture(lease.value());
      }
    }
    return CompletableFuture.supplyAsync(() -> get(key), exchangeExecutor);
  }

  /**
   * A handle bound to one key whose {@link Supplier#get()} is the hot path: while the credential is
   * fresh it is one volatile read, one clock read and a comparison, with no allocation and no lock.
   * Providers with a fixed key (one role, one audience) hold one of these.
   */
  public Supplier<C> bind(K key) {
    Objects.requireNonNull(key, "key");
    checkOpen();
    return handles.computeIfAbsent(key, Bound::new);
  }

  /**
   * Starts an exchange for {@code key} now (unless one is in flight) and returns its result; the
   * cached credential keeps being served meanwhile. Use after a cloud said the credential was revoked.
   * If the exchange fails, the future fails with its typed {@link WorkloadIdentityException} (the
   * valid credential, if any, stays cached).
   */
  public CompletableFuture<C> refresh(K key) {
    checkOpen();
    CompletableFuture<Lease<C>> f = cache.getIfPresent(key);
    Lease<C> lease = f != null && f.isDone() && !f.isCompletedExceptionally() ? f.join() : null;
    if (lease == null) {
      return CompletableFuture.supplyAsync(() -> get(key), exchangeExecutor);
    }
    if (lease.tryStartRefresh()) {
      cancelTimer(key);
      return startRefresh(key, lease).thenApply(Lease::value);
    }
    // A refresh is already running for this credential: its outcome is the answer.
    CompletableFuture<Lease<C>> running = exchanges.get(key);
    return running == null ? CompletableFuture.completedFuture(lease.value()) : running.thenApply(Lease::value);
  }

  /** Drops the credential for {@code key}; the next {@link #get} performs a new exchange. */
  public void invalidate(K key) {
    CompletableFuture<Lease<C>> f = cache.getIfPresent(key);
    Lease<C> lease = f == null ? null : f.getNow(null);
    if (lease != null) {
      lease.retire();
    }
    cancelTimer(key);
    failures.remove(key);
    handles.remove(key);
    cache.synchronous().invalidate(key);
  }

  /**
   * Stops background refreshes and the cache's threads. Afterwards {@link #get}, {@link #getAsync},
   * {@link #refresh} and {@linkplain #bind bound} suppliers throw {@link IllegalStateException}.
   * Idempotent.
   */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    if (rotationSubscription != null) {
      rotationSubscription.close();
    }
    // Bound handles read leases without the cache: retired, they fail like get() does.
    cache.synchronous().asMap().values().forEach(Lease::retire);
    cache.synchronous().invalidateAll();
    handles.clear();
    timers.values().forEach(t -> t.cancel(false));
    timers.clear();
    timer.shutdownNow();
    exchangeExecutor.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
      exchangeExecutor.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  @Override
  public String toString() {
    return "CredentialCache{" + name + ", entries=" + cache.synchronous().estimatedSize() + ", " + policy + "}";
  }

  // ------------------------------------------------------------------------------------------

  Lease<C> lease(K key) {
    checkOpen();
    CompletableFuture<Lease<C>> f = cache.getIfPresent(key);
    if (f != null && f.isCompletedExceptionally()) {
      cache.asMap().remove(key, f); // a failed load Caffeine has not removed yet
      f = null;
    }
    if (f == null) {
      failFastDuringBackoff(key);
      f = cache.get(key);
    }
    Lease<C> lease = join(f);
    long now = wallClock.millis();
    if (now >= lease.hardExpiryMillis()) {
      // Timers and Caffeine run on the monotonic clock; wall time says this one is dead (for
      // example the host was suspended). Remove exactly this entry, then load once, single flight.
      cache.asMap().remove(key, f);
      failFastDuringBackoff(key);
      lease = join(cache.get(key));
      if (clock.millis() >= lease.hardExpiryMillis()) {
        throw new CredentialExchangeException(
            "The " + name + " credential obtained just now is already expired at " + Instant.ofEpochMilli(lease.expiresAtMillis())
                + ": is this machine's clock correct?", name, null, -1, false, null);
      }
      return lease;
    }
    maybeRefresh(key, lease, now);
    return lease;
  }

  /** Starts a refresh if one is due and none is running for this lease; returns whether it claimed one. */
  private boolean maybeRefresh(K key, Lease<C> lease, long now) {
    if (now >= lease.nextAttemptAtMillis() && !closed && lease.tryStartRefresh()) {
      cancelTimer(key);
      startRefresh(key, lease);
      return true;
    }
    return false;
  }

  /**
   * Runs a refresh of {@code lease}, which the caller has claimed, and installs its result. The
   * exchange is ours, not Caffeine's {@code refresh(key)}: Caffeine installs a reloaded value only if
   * no other refresh call touched the key meanwhile and otherwise silently drops it, and it installs
   * after the reload's future completes, so nobody could tell when the new credential is served.
   */
  private CompletableFuture<Lease<C>> startRefresh(K key, Lease<C> lease) {
    inFlight.incrementAndGet();
    return exchangeAfterPrevious(key, lease).whenComplete((fresh, error) -> {
      try {
        if (fresh != null) {
          install(key, lease, fresh);
        }
        // On failure exchangeNow has already released the claim and armed the retry.
      } finally {
        inFlight.decrementAndGet();
      }
    });
  }

  /** Replaces {@code old} with {@code fresh} if the cache still holds {@code old}, then reports it. */
  private void install(K key, Lease<C> old, Lease<C> fresh) {
    CompletableFuture<Lease<C>> next = CompletableFuture.completedFuture(fresh);
    boolean[] installed = new boolean[1];
    cache.asMap().computeIfPresent(key, (k, f) -> {
      if (f.isDone() && !f.isCompletedExceptionally() && f.join() == old) {
        installed[0] = true;
        return next;
      }
      return f; // invalidated or replaced meanwhile: that decision stands
    });
    if (installed[0]) {
      old.retire();
      served(key, fresh);
    }
  }

  /** A lease is now served: arm its refresh timer and tell the listener. */
  private void served(K key, Lease<C> lease) {
    schedule(key, lease.refreshAtMillis() - clock.millis());
    tell(() -> listener.onRefreshed(key, Instant.ofEpochMilli(lease.expiresAtMillis())));
  }

  /** Exchanges currently running (tests wait for background refreshes with it). */
  int refreshesInFlight() {
    return inFlight.get();
  }

  /** Per-key bookkeeping outside Caffeine (tests check nothing is kept for keys that are gone). */
  int keysTracked() {
    return handles.size() + failures.size();
  }

  private void failFastDuringBackoff(K key) {
    Failure failure = failures.get(key);
    long now = clock.millis();
    // Before failedAt the wall clock went back: the window says nothing then, so try again.
    if (failure != null && now >= failure.failedAtMillis && now < failure.retryAtMillis) {
      throw failure.error;
    }
  }

  private Lease<C> join(CompletableFuture<Lease<C>> f) {
    try {
      return f.get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new WorkloadIdentityException("Interrupted while waiting for a " + name + " credential.", e);
    } catch (ExecutionException e) {
      throw asWorkloadIdentityException(e.getCause());
    }
  }

  private WorkloadIdentityException asWorkloadIdentityException(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof WorkloadIdentityException w) {
      return w;
    }
    boolean io = t instanceof IOException || t instanceof UncheckedIOException;
    return new CredentialExchangeException(
        "The " + name + " credential exchange failed: " + t.getClass().getSimpleName() + ": " + t.getMessage(),
        name, null, -1, io, t);
  }

  private Lease<C> exchangeNow(K key, Lease<C> previous) {
    long started = clock.millis();
    tell(() -> listener.onExchangeStarted(key));
    try {
      Expiring<C> result = Objects.requireNonNull(exchange.exchange(key), "exchange returned null");
      long now = clock.millis();
      long expiresAt = result.expiresAt().toEpochMilli();
      if (expiresAt <= now) {
        throw new CredentialExchangeException(
            "The " + name + " endpoint returned a credential that expired at " + result.expiresAt()
                + ", before it was received: check this machine's clock.", name, null, -1, false, null);
      }
      long refreshAt = policy.refreshAtMillis(now, expiresAt, ThreadLocalRandom.current().nextDouble(-1, 1));
      long hard = policy.hardExpiryMillis(now, expiresAt);
      if (result.refreshHint().isPresent()) {
        long hint = result.refreshHint().get().toEpochMilli();
        if (hint > now && hint < hard) { // ignore absent, epoch-zero and past hints
          refreshAt = Math.min(refreshAt, hint);
        }
      }
      Lease<C> lease = new Lease<>(result.value(), expiresAt, Math.min(refreshAt, hard), hard);
      failures.remove(key);
      if (previous == null) {
        // A first load: arm its refresh from the moment it was obtained (a refresh is armed by
        // install(), once it is served).
        schedule(key, lease.refreshAtMillis() - now);
      }
      LOG.log(Level.DEBUG, () -> name + " credential obtained for " + key + " in " + (clock.millis() - started)
          + " ms; expires " + result.expiresAt() + ", refresh at " + Instant.ofEpochMilli(lease.refreshAtMillis()));
      return lease; // the caller installs it (first load: Caffeine; refresh: install())
    } catch (Throwable t) {
      WorkloadIdentityException error = asWorkloadIdentityException(t);
      onFailure(key, previous, error);
      throw error;
    }
  }

  private void onFailure(K key, Lease<C> previous, WorkloadIdentityException error) {
    boolean retryable = !(error instanceof CredentialExchangeException c) || c.retryable();
    long now = clock.millis();
    Duration delay;
    if (previous != null && now < previous.hardExpiryMillis()) {
      int n = previous.recordFailure();
      // Never back off past half the remaining validity: the last attempts before the hard expiry
      // come closer together instead of one lone attempt at the moment the credential dies.
      long halfLeft = Math.max(100, (previous.hardExpiryMillis() - now) / 2);
      delay = Duration.ofMillis(Math.min(policy.backoff(n, retryable).toMillis(), halfLeft));
      long next = now + delay.toMillis();
      previous.finishFailedRefresh(next);
      schedule(key, next - now);
    } else {
      Failure prior = failures.get(key);
      int n = prior == null ? 1 : prior.count + 1;
      delay = policy.backoff(n, retryable);
      // Nothing is cached for the key: keep no read handle, and forget failures nobody retried
      // for a maximum backoff after their window (they no longer count as consecutive), or every
      // key that ever failed would be kept forever (the maximum size bounds only Caffeine).
      long forgetAfter = policy.backoffCeiling(Integer.MAX_VALUE, true).toMillis();
      failures.values().removeIf(f -> now >= f.retryAtMillis + forgetAfter || now < f.failedAtMillis);
      failures.put(key, new Failure(error, n, now, now + delay.toMillis()));
      handles.remove(key);
    }
    boolean serving = previous != null && now < previous.hardExpiryMillis();
    LOG.log(retryable ? Level.INFO : Level.WARNING, () -> name + " credential exchange failed"
        + (serving ? " (still serving the valid credential)" : "") + ", next attempt in " + delay.toMillis()
        + " ms: " + error.getMessage());
    tell(() -> listener.onRefreshFailed(key, error, delay));
  }

  /**
   * Calls the listener. Its exception must not turn a successful exchange into a failure (the
   * replaced lease is already retired: it would stay in service and never refresh again).
   */
  private void tell(Runnable event) {
    try {
      event.run();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "The " + name + " credential cache listener failed", e);
    }
  }

  private void schedule(K key, long delayMillis) {
    if (closed) {
      return;
    }
    // Atomic per key: a short timer can fire, and re-arm itself, before a put() after
    // timer.schedule() would have run, and that put() would then cancel the re-armed timer and
    // leave the key with none. compute() makes the firing timer's own re-arm wait for this one.
    timers.compute(key, (k, old) -> {
      if (old != null) {
        old.cancel(false);
      }
      try {
        return timer.schedule(() -> onTimer(key), Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        return null; // closed meanwhile
      }
    });
  }

  private void onTimer(K key) {
    CompletableFuture<Lease<C>> f = cache.getIfPresent(key);
    Lease<C> lease = f == null ? null : f.getNow(null);
    if (lease == null || closed) {
      return;
    }
    long now = clock.millis();
    if (now < lease.nextAttemptAtMillis()) {
      schedule(key, lease.nextAttemptAtMillis() - now); // fired early: timers use the monotonic clock
    } else {
      // A claim refused because a refresh runs needs nothing more: that refresh arms the next
      // timer when it ends (install or backoff).
      maybeRefresh(key, lease, now);
    }
  }

  private void cancelTimer(K key) {
    ScheduledFuture<?> t = timers.remove(key);
    if (t != null) {
      t.cancel(false);
    }
  }

  private void checkOpen() {
    if (closed) {
      throw new IllegalStateException("CredentialCache " + name + " is closed");
    }
  }

  /** Runs exchangeNow on the exchange pool once the previous exchange for {@code key} has ended. */
  private CompletableFuture<Lease<C>> exchangeAfterPrevious(K key, Lease<C> previous) {
    CompletableFuture<Lease<C>> result = new CompletableFuture<>();
    CompletableFuture<Lease<C>> before = exchanges.put(key, result);
    CompletableFuture<?> ready = before == null ? CompletableFuture.completedFuture(null) : before.handle((v, e) -> null);
    ready.thenRunAsync(() -> {
      try {
        result.complete(exchangeNow(key, previous));
      } catch (Throwable t) {
        result.completeExceptionally(t);
      }
    }, exchangeExecutor).exceptionally(e -> { // rejected: closed
      result.completeExceptionally(e);
      return null;
    });
    result.whenComplete((v, e) -> exchanges.remove(key, result));
    return result;
  }

  /** First loads (and loads after a hard expiry); refreshes go through {@link #startRefresh}. */
  private final class Loader implements AsyncCacheLoader<K, Lease<C>> {
    @Override
    public CompletableFuture<? extends Lease<C>> asyncLoad(K key, Executor executor) {
      CompletableFuture<Lease<C>> load = exchangeAfterPrevious(key, null);
      // The future is the cached value: once it completes, readers get the lease (its refresh
      // timer was armed by exchangeNow). Announce on another thread: a load that completes at
      // once would otherwise call the listener here, inside Caffeine's computation for this key,
      // where a listener reading the cache deadlocks.
      load.thenAcceptAsync(lease -> tell(() -> listener.onRefreshed(key, Instant.ofEpochMilli(lease.expiresAtMillis()))),
          exchangeExecutor);
      return load;
    }
  }

  private final class Bound implements Supplier<C> {
    private final K key;
    private volatile Lease<C> last;

    Bound(K key) {
      this.key = key;
    }

    @Override
    public C get() {
      Lease<C> l = last;
      if (l != null && wallClock.millis() < l.refreshAtMillis() && !l.isRetired()) {
        return l.value();
      }
      l = lease(key);
      last = l;
      return l.value();
    }
  }

  /** Hard expiry from wall-clock fields, converted to Caffeine's relative nanoseconds. */
  private static final class HardExpiry<K, C> implements Expiry<K, Lease<C>> {
    private final Clock clock;

    HardExpiry(Clock clock) {
      this.clock = clock;
    }

    @Override
    public long expireAfterCreate(K key, Lease<C> lease, long currentTime) {
      return TimeUnit.MILLISECONDS.toNanos(Math.max(0, lease.hardExpiryMillis() - clock.millis()));
    }

    @Override
    public long expireAfterUpdate(K key, Lease<C> lease, long currentTime, long currentDuration) {
      return expireAfterCreate(key, lease, currentTime);
    }

    @Override
    public long expireAfterRead(K key, Lease<C> lease, long currentTime, long currentDuration) {
      return currentDuration;
    }
  }

  private record Failure(WorkloadIdentityException error, int count, long failedAtMillis, long retryAtMillis) {}

  /**
   * Performs the credential exchange for a key. Called on the cache's exchange threads, at most once
   * at a time per key. Throw {@link CredentialExchangeException} with {@code retryable} set
   * correctly; other exceptions are wrapped (I/O errors as retryable). Use timeouts: the next
   * exchange for the key waits until this one returns.
   */
  @FunctionalInterface
  public interface Exchange<K, C> {
    /**
     * Obtains a new credential for {@code key} from the cloud.
     *
     * @return the credential and when it expires (in the cloud's words, not a lifetime guessed here)
     * @throws Exception preferably a {@link CredentialExchangeException} saying whether a retry can help
     */
    Expiring<C> exchange(K key) throws Exception;
  }

  /**
   * Receives cache events. Called on cache threads; implementations must be quick. An exception
   * thrown by a listener is logged and otherwise ignored. Every method has an empty default.
   */
  public interface Listener<K> {
    /**
     * An exchange for {@code key} is starting (a first load, a refresh or a retry); it ends with
     * {@link #onRefreshed} or {@link #onRefreshFailed}. Useful for metrics, and for tests that move
     * an injected clock only once background work has finished.
     */
    default void onExchangeStarted(K key) {}

    /**
     * A credential was obtained (first load or refresh) and the cache now serves it: a read made
     * from this callback sees the new credential.
     */
    default void onRefreshed(K key, Instant expiresAt) {}

    /** An exchange failed; the next attempt is in {@code retryIn} (a valid credential, if any, is still served). */
    default void onRefreshFailed(K key, WorkloadIdentityException error, Duration retryIn) {}

    /**
     * A token source given to {@link Builder#rotationsOf} rotated. Cached credentials stay valid
     * (they do not depend on the token that obtained them); the next exchange uses the new token.
     */
    default void onTokenRotated(ProjectedToken token) {}
  }

  /** Configures a {@link CredentialCache}. */
  public static final class Builder<K, C> {
    private final Exchange<K, C> exchange;
    private Clock clock = Clock.systemUTC();
    private RefreshPolicy policy = RefreshPolicy.defaults();
    private Listener<? super K> listener = new Listener<Object>() {};
    private String name = "credentials";
    private long maximumSize = 1_000;
    private TokenSource rotations;

    private Builder(Exchange<K, C> exchange) {
      this.exchange = Objects.requireNonNull(exchange, "exchange");
    }

    /** The wall clock for expiry decisions. Default {@link Clock#systemUTC()}. */
    public Builder<K, C> clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** When to refresh and how to back off. Default {@link RefreshPolicy#defaults()}. */
    public Builder<K, C> refreshPolicy(RefreshPolicy policy) {
      this.policy = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /** Receives refreshed / refresh-failed events. */
    public Builder<K, C> listener(Listener<? super K> listener) {
      this.listener = Objects.requireNonNull(listener, "listener");
      return this;
    }

    /** A short name used in thread names, log lines and messages, for example {@code aws}. */
    public Builder<K, C> name(String name) {
      this.name = Objects.requireNonNull(name, "name");
      return this;
    }

    /** The most keys kept (least recently used beyond it are dropped). Default 1000. */
    public Builder<K, C> maximumSize(long maximumSize) {
      if (maximumSize < 1) {
        throw new IllegalArgumentException("maximumSize must be positive: " + maximumSize);
      }
      this.maximumSize = maximumSize;
      return this;
    }

    /** Also reports the rotations of {@code source} to the {@link Listener}, until {@link #close()}. */
    public Builder<K, C> rotationsOf(TokenSource source) {
      this.rotations = Objects.requireNonNull(source, "source");
      return this;
    }

    /** A new cache; it owns threads until {@link CredentialCache#close()}. */
    public CredentialCache<K, C> build() {
      return new CredentialCache<>(this);
    }
  }
}
