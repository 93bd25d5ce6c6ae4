package io.workloadidentity.core.internal;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenExpiredException;
import io.workloadidentity.core.TokenNotYetValidException;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.State.Backoff;
import io.workloadidentity.core.internal.State.Closed;
import io.workloadidentity.core.internal.State.Empty;
import io.workloadidentity.core.internal.State.Fresh;
import io.workloadidentity.core.internal.State.Loading;
import io.workloadidentity.core.internal.State.Refreshing;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * Every transition of every {@link Entry} of one cache, and nothing else: which state a read, a
 * timer, an exchange's outcome, a deadline, an invalidation or a close leads to, and the side effect
 * the winner of each compare-and-set performs. The cache around it only finds entries.
 *
 * <p>Rules that hold by construction: an entry in {@link Loading} or {@link Refreshing} has exactly
 * one attempt in flight and no timer; in {@link Fresh} or {@link Backoff} exactly one pending timer
 * and no attempt; a timer or an outcome meant for a state the entry no longer holds does nothing;
 * nothing waits without a deadline.
 *
 * @param <K> the key type
 * @param <C> the credential type
 */
public final class StateMachine<K, C> {
  private static final System.Logger LOG = System.getLogger(CredentialCache.class.getName());
  /** How long a waiter waits past the deadline for the scheduler's deadline timer before acting itself. */
  private static final long GRACE_NANOS = TimeUnit.MILLISECONDS.toNanos(50);
  /** The shortest retry delay while a valid credential is served (see {@link #fail}). */
  private static final long MIN_SERVING_RETRY_MILLIS = 100;

  private final String name;
  private final CredentialCache.Exchange<K, C> exchange;
  private final CredentialCache.Listener<? super K> listener;
  private final Clock clock;
  private final WallClock wallClock;
  private final RefreshPolicy policy;
  private final CredentialCache.Scheduler scheduler;
  private final Executor executor;
  private final long timeoutNanos;
  private final Consumer<Entry<K, C>> reweigh;
  /** Marks a lost compare-and-set in {@link #read}: read the new state. */
  private static final Object RETRY = new Object();
  private final AtomicBoolean lifetimeCapLogged = new AtomicBoolean();
  /** Token rotations seen so far: a refusal of the token by an attempt that began before one is stale. */
  private final AtomicLong rotations = new AtomicLong();
  private volatile boolean closed;

  public StateMachine(String name, CredentialCache.Exchange<K, C> exchange, CredentialCache.Listener<? super K> listener,
      Clock clock, WallClock wallClock, RefreshPolicy policy, CredentialCache.Scheduler scheduler, Executor executor,
      Duration exchangeTimeout, Consumer<Entry<K, C>> reweigh) {
    this.name = name;
    this.reweigh = reweigh;
    this.exchange = exchange;
    this.listener = listener;
    this.clock = clock;
    this.wallClock = wallClock;
    this.policy = policy;
    this.scheduler = scheduler;
    this.executor = executor;
    this.timeoutNanos = exchangeTimeout.toNanos();
  }

  /** The wall clock the hot path compares with {@link State#serveUntil}. */
  public long now() {
    return wallClock.millis();
  }

  public boolean isClosed() {
    return closed;
  }

  // ---- reads ---------------------------------------------------------------------------------

  /**
   * Makes the transition a read calls for and says what to answer: a valid {@link Lease}, the
   * {@link Attempt} to wait for, or null when the entry is closed and the key must be looked up
   * again. With {@code forced}, a valid lease is not an answer: a new attempt is started (or the
   * running one joined), except inside a backoff window.
   *
   * @throws WorkloadIdentityException inside a backoff window when no valid credential is held
   *     (for {@code forced}: inside any backoff window)
   * @throws IllegalStateException after close
   */
  public Object read(Entry<K, C> e, boolean forced) {
    while (true) {
      State<C> s = e.state();
      // The precise clock, not the hot path's coarse copy: a timer fires at its point by the
      // precise clock, when the copy (up to a tick old) is still before it; judged by the copy, the
      // timer would find nothing due and be gone without a transition. Off the hot path, so cheap.
      long now = clock.millis();
      Object answer = s instanceof Fresh<C> f ? readFresh(e, f, now, forced)
          : s instanceof Refreshing<C> r ? readRefreshing(e, r, now, forced)
          : s instanceof Loading<C> l ? l.attempt
          : s instanceof Backoff<C> b ? readBackoff(e, b, now, forced)
          : s instanceof Empty<C> m ? readEmpty(e, m, now)
          : closedEntry();
      if (answer != RETRY) {
        return answer;
      }
    }
  }


  private Object readFresh(Entry<K, C> e, Fresh<C> f, long now, boolean forced) {
    Lease<C> lease = f.lease;
    if (!lease.validAt(now)) {
      return startLoad(e, f, 0, lease); // e.g. the host was suspended past the expiry
    }
    if (now < lease.refreshAtMillis() && !forced) {
      return lease;
    }
    Attempt<C> a = newAttempt();
    if (!claim(e, f, new Refreshing<>(lease, a, 0))) {
      return RETRY;
    }
    start(e, a);
    return forced ? a : lease;
  }

  private Object readRefreshing(Entry<K, C> e, Refreshing<C> r, long now, boolean forced) {
    if (r.lease.validAt(now)) {
      return forced ? r.attempt : r.lease;
    }
    // Past the hard expiry: the refresh already running is the load; join it, do not start another.
    return e.advance(r, new Loading<>(r.attempt, r.failures, r.lease)) ? r.attempt : RETRY;
  }

  private Object readBackoff(Entry<K, C> e, Backoff<C> b, long now, boolean forced) {
    boolean valid = b.lease.validAt(now);
    if (inWindow(now, b.failedAt, b.retryAt)) {
      if (valid && !forced) {
        return b.lease;
      }
      throw b.error;
    }
    if (!valid) {
      return startLoad(e, b, b.failures, b.lease);
    }
    Attempt<C> a = newAttempt();
    if (!claim(e, b, new Refreshing<>(b.lease, a, b.failures))) {
      return RETRY;
    }
    start(e, a);
    return forced ? a : b.lease;
  }

  private Object readEmpty(Entry<K, C> e, Empty<C> m, long now) {
    if (m.error != null && inWindow(now, m.failedAt, m.retryAt)) {
      throw m.error;
    }
    return startLoad(e, m, m.failures, null);
  }

  private Object startLoad(Entry<K, C> e, State<C> from, int failures, Lease<C> previous) {
    Attempt<C> a = newAttempt();
    if (!claim(e, from, new Loading<>(a, failures, previous))) {
      return RETRY;
    }
    start(e, a);
    return a;
  }

  /**
   * The transition from {@code from} to {@code next}, a state with an attempt, pinned in the store
   * first: weighed 0 before the compare-and-set, the entry cannot be evicted between the two (had
   * the store evicted it already, it is closed and the compare-and-set fails).
   */
  private boolean claim(Entry<K, C> e, State<C> from, State<C> next) {
    e.pin();
    boolean won = false;
    try {
      reweigh.accept(e);
      won = e.advance(from, next);
      return won;
    } finally {
      e.unpin();
      if (!won) {
        reweigh.accept(e); // lost: weigh it as its state says again
      }
    }
  }

  private Object closedEntry() {
    if (closed) {
      throw new IllegalStateException("CredentialCache " + name + " is closed");
    }
    return null;
  }

  /** Before {@code failedAt} the wall clock went back: the window says nothing then. */
  private static boolean inWindow(long now, long failedAt, long retryAt) {
    return now >= failedAt && now < retryAt;
  }

  /**
   * Waits for {@code a} until its deadline and returns its lease.
   *
   * @throws WorkloadIdentityException the attempt's typed failure, or a timeout
   * @throws IllegalStateException if the cache was closed meanwhile, or if the caller is the
   *     attempt's own exchange thread
   */
  public Lease<C> await(Entry<K, C> e, Attempt<C> a) {
    if (a.runBy(Thread.currentThread())) {
      // The exchange, or a listener it calls (onExchangeStarted), reads its own key: waiting would
      // hold this thread, the one the answer needs, until the deadline fails the exchange for all.
      throw new IllegalStateException("The " + name + " credential for " + e.key() + " was requested from inside"
          + " its own exchange (by the exchange or by a listener's onExchangeStarted), which would wait for itself:"
          + " use getAsync there, or read it after the exchange.");
    }
    try {
      long wait = Math.max(0, a.deadlineNanos - System.nanoTime()) + GRACE_NANOS;
      return a.future.get(wait, TimeUnit.NANOSECONDS);
    } catch (TimeoutException t) {
      onDeadline(e, a); // the scheduler is late: the waiter's own deadline decides
      return await(e, a);
    } catch (InterruptedException x) {
      Thread.currentThread().interrupt();
      throw new WorkloadIdentityException("Interrupted while waiting for a " + name + " credential.", x);
    } catch (ExecutionException x) {
      return rethrow(x.getCause());
    }
  }

  /** The failure of an attempt's future, for a waiter: rethrown as is (a closed cache: a new ISE). */
  public Lease<C> rethrow(Throwable t) {
    if (t instanceof CompletionException && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof IllegalStateException) {
      throw new IllegalStateException(t.getMessage());
    }
    throw (WorkloadIdentityException) t;
  }

  // ---- exchanges ---------------------------------------------------------------------------------

  private Attempt<C> newAttempt() {
    return new Attempt<>(System.nanoTime() + timeoutNanos);
  }

  /** Arms the deadline and hands the attempt to the executor. The caller won the transition to it. */
  private void start(Entry<K, C> e, Attempt<C> a) {
    try {
      a.deadlineTimer(scheduler.schedule(() -> onDeadline(e, a), timeoutNanos, TimeUnit.NANOSECONDS));
      executor.execute(new ExchangeTask(e, a));
    } catch (RuntimeException x) {
      // Refused (RejectedExecutionException), or a user scheduler or executor that throws anything
      // else: either way the attempt never runs, so it must fail now. Left in place it would hold
      // the entry until its deadline, and an escaping exception would reach the reader untyped.
      a.stop();
      if (!closed) {
        fail(e, a, new CredentialExchangeException("The " + name + " credential exchange could not be started: its"
            + " scheduler or executor refused the task (" + Redaction.describe(x) + "). Check the scheduler and"
            + " executor given to the cache.", name, null, -1, true, null));
      }
    }
    if (closed) {
      close(e); // lost a race with close(): it may not have seen this entry's new state
    }
  }

  /** What the executor runs: one attempt for one key (named, so that a thread dump or a test can tell). */
  public final class ExchangeTask implements Runnable {
    private final Entry<K, C> entry;
    private final Attempt<C> attempt;

    ExchangeTask(Entry<K, C> entry, Attempt<C> attempt) {
      this.entry = entry;
      this.attempt = attempt;
    }

    /** The key this attempt is for. */
    public K key() {
      return entry.key();
    }

    /** Whether running it would still call the exchange (it was neither stopped nor run). */
    public boolean live() {
      return attempt.inFlight();
    }

    @Override
    public void run() {
      StateMachine.this.run(entry, attempt);
    }

    @Override
    public String toString() {
      return name + " exchange for " + entry.key();
    }
  }

  private void run(Entry<K, C> e, Attempt<C> a) {
    if (!a.begin(rotations.get())) {
      return; // stopped (deadline, close, eviction) before it could run
    }
    long started = clock.millis();
    boolean interrupted = false;
    try {
      tell(() -> listener.onExchangeStarted(e.key()));
      Expiring<C> result = Objects.requireNonNull(exchange.exchange(e.key()), "exchange returned null");
      Lease<C> lease = lease(result);
      LOG.log(Level.DEBUG, () -> name + " credential obtained for " + e.key() + " in " + (clock.millis() - started)
          + " ms; expires " + Instant.ofEpochMilli(lease.expiresAtMillis()) + ", refresh at "
          + Instant.ofEpochMilli(lease.refreshAtMillis()));
      succeed(e, a, lease);
    } catch (Throwable t) {
      interrupted = t instanceof InterruptedException;
      fail(e, a, classify(t));
    } finally {
      a.end(interrupted);
    }
  }

  private Lease<C> lease(Expiring<C> result) {
    long now = clock.millis();
    long expiresAt = result.expiresAt().toEpochMilli();
    if (expiresAt <= now) {
      throw new CredentialExchangeException("The " + name + " endpoint returned a credential that expired at "
          + result.expiresAt() + ", before it was received: check this machine's clock.", name, null, -1, false, null);
    }
    long cap = now + policy.maximumLifetime().toMillis();
    if (expiresAt > cap) {
      if (lifetimeCapLogged.compareAndSet(false, true)) {
        LOG.log(Level.INFO, () -> "The " + name + " endpoint reported a credential valid until " + result.expiresAt()
            + ", longer than the maximum lifetime " + policy.maximumLifetime() + "; it is refreshed as if it expired"
            + " then, so that rotation and revocation are picked up (logged once).");
      }
      expiresAt = cap;
    }
    long hard = policy.hardExpiryMillis(now, expiresAt);
    long refreshAt = policy.refreshAtMillis(now, expiresAt, ThreadLocalRandom.current().nextDouble(-1, 1));
    if (result.refreshHint().isPresent()) {
      long hint = result.refreshHint().get().toEpochMilli();
      if (hint > now && hint < hard) { // ignore absent, epoch-zero and past hints
        refreshAt = Math.min(refreshAt, hint);
      }
    }
    return new Lease<>(result.value(), expiresAt, Math.min(refreshAt, hard), hard);
  }

  private void succeed(Entry<K, C> e, Attempt<C> a, Lease<C> lease) {
    while (true) {
      State<C> s = e.state();
      if (s.attempt() != a) {
        a.future.complete(lease); // evicted meanwhile: its waiters still get it (timed out, closed: no-op)
        return;
      }
      Fresh<C> next = new Fresh<>(lease);
      if (e.advance(s, next)) {
        reweigh.accept(e);
        arm(e, next, lease.refreshAtMillis());
        // The listener hears it before the waiters go on: when get() returns, metrics and health
        // already know (and the waiters still see the new lease if the listener reads the cache).
        tell(() -> listener.onRefreshed(e.key(), Instant.ofEpochMilli(lease.expiresAtMillis())));
        a.future.complete(lease);
        return;
      }
    }
  }

  /**
   * Records a failed attempt as one transition: to {@link Backoff} (a retry timer) when the key has
   * a credential, valid or not, else to {@link Empty} (callers retry after the window). While a valid
   * credential is served, never back off past half its remaining validity: the last attempts before
   * the hard expiry come closer together instead of one lone attempt at the moment it dies.
   */
  private void fail(Entry<K, C> e, Attempt<C> a, WorkloadIdentityException error) {
    boolean retryable = !(error instanceof CredentialExchangeException c) || c.retryable();
    // The cloud refused a token that rotated while the attempt was out: the new one may well be
    // accepted, and no backoff exists yet for the rotation to cut short, so this one must not wait.
    boolean staleToken = rejectsToken(error) && a.rotationsAtBegin() >= 0;
    while (true) {
      State<C> s = e.state();
      if (s.attempt() != a) {
        a.future.completeExceptionally(error); // evicted meanwhile (timed out, closed: no-op)
        return;
      }
      long now = clock.millis();
      int n = s.failures() + 1;
      Lease<C> lease = s.lease();
      boolean serving = lease != null && lease.validAt(now);
      boolean rotatedSince = staleToken && rotations.get() != a.rotationsAtBegin();
      long delay = rotatedSince ? 0 : policy.backoff(n, retryable).toMillis();
      if (serving) {
        delay = Math.min(delay, Math.max(MIN_SERVING_RETRY_MILLIS, (lease.hardExpiryMillis() - now) / 2));
      }
      State<C> next = lease == null ? new Empty<>(error, n, now, now + delay)
          : new Backoff<>(lease, error, n, now, now + delay);
      if (e.advance(s, next)) {
        reweigh.accept(e);
        if (next instanceof Backoff) {
          arm(e, next, now + delay);
        }
        long retryIn = delay;
        LOG.log(serving ? Level.INFO : Level.WARNING, () -> name + " credential exchange for " + e.key() + " failed"
            + (serving ? " (still serving the valid credential)" : "") + ", next attempt in " + retryIn + " ms: "
            + Redaction.message(error.getMessage()));
        tell(() -> listener.onRefreshFailed(e.key(), error, Duration.ofMillis(retryIn)));
        a.future.completeExceptionally(error); // after the event, as for a success
        if (staleToken && delay > 0 && rotations.get() != a.rotationsAtBegin()) {
          tokenRotated(e); // a rotation raced this backoff's recording, and may not have seen it
        }
        return;
      }
    }
  }

  private void onDeadline(Entry<K, C> e, Attempt<C> a) {
    if (!a.future.isDone()) {
      CredentialExchangeException timeout = new CredentialExchangeException("The " + name + " credential exchange"
          + " did not finish within " + Duration.ofNanos(timeoutNanos).toMillis() + " ms; it was interrupted and will"
          + " be retried. Check that the endpoint is reachable from this pod, or raise exchangeTimeout.",
          name, null, -1, true, null);
      fail(e, a, timeout);
      a.stop();
      a.future.completeExceptionally(timeout); // the entry had moved on (closed, evicted): its waiters stop too
    }
  }

  private WorkloadIdentityException classify(Throwable t) {
    while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
      t = t.getCause();
    }
    if (t instanceof WorkloadIdentityException w) {
      return w;
    }
    boolean io = t instanceof IOException || t instanceof UncheckedIOException || t instanceof InterruptedException;
    return new CredentialExchangeException("The " + name + " credential exchange failed: " + Redaction.describe(t),
        name, null, -1, io, t);
  }

  // ---- timers ------------------------------------------------------------------------------

  private void arm(Entry<K, C> e, State<C> s, long atMillis) {
    try {
      s.timer(scheduler.schedule(() -> onTimer(e, s), Math.max(0, atMillis - clock.millis()), TimeUnit.MILLISECONDS));
    } catch (RuntimeException x) {
      // Refused, or a user scheduler that throws: the transition is made and must stay whole (its
      // waiters answered, its listener told), so the failure ends here; a read past the point acts.
      if (!closed) {
        LOG.log(Level.WARNING, name + " credential cache: the scheduler refused a refresh timer ("
            + Redaction.describe(x) + "); the credential is refreshed when it is next read.");
      }
    }
  }

  private void onTimer(Entry<K, C> e, State<C> s) {
    if (e.state() != s || closed) {
      return;
    }
    long now = clock.millis();
    long due = s instanceof Fresh<C> f ? f.lease.refreshAtMillis() : ((Backoff<C>) s).retryAt;
    boolean clockWentBack = s instanceof Backoff<C> b && now < b.failedAt;
    if (now < due && !clockWentBack) {
      // Fired early: timers run on the monotonic clock, expiry on the wall clock. Re-arm as a new
      // state, so that exactly one timer belongs to the state the entry holds.
      State<C> again = s instanceof Fresh<C> f ? new Fresh<>(f.lease) : copy((Backoff<C>) s);
      if (e.advance(s, again)) {
        arm(e, again, due);
      }
      return;
    }
    try {
      read(e, false); // the transition a read at this moment makes: refresh, retry or reload
    } catch (WorkloadIdentityException | IllegalStateException ignored) {
      // cannot happen for a due timer (its window is over); the entry decides again on the next read
    }
  }

  private static <C> Backoff<C> copy(Backoff<C> b) {
    return new Backoff<>(b.lease, b.error, b.failures, b.failedAt, b.retryAt);
  }

  /** A newer projected token was seen; call before {@link #tokenRotated} for its entries. */
  public void rotationSeen() {
    rotations.incrementAndGet();
  }

  /**
   * A newer projected token was seen: an entry backing off because the cloud refused the token
   * retries now instead of at the end of its window (the new token may well be accepted).
   */
  public void tokenRotated(Entry<K, C> e) {
    State<C> s = e.state();
    long now = clock.millis();
    if (s instanceof Backoff<C> b && rejectsToken(b.error) && now < b.retryAt) {
      Backoff<C> due = new Backoff<>(b.lease, b.error, b.failures, b.failedAt, now);
      if (e.advance(b, due)) {
        arm(e, due, now);
      }
    } else if (s instanceof Empty<C> m && m.error != null && rejectsToken(m.error) && now < m.retryAt) {
      e.advance(m, new Empty<>(m.error, m.failures, m.failedAt, now));
    }
  }

  private static boolean rejectsToken(WorkloadIdentityException error) {
    return error instanceof CredentialExchangeException c ? c.tokenRejected()
        : error instanceof TokenExpiredException || error instanceof TokenNotYetValidException;
  }

  // ---- invalidate and close -------------------------------------------------------------------

  /**
   * Drops the entry's credential. An exchange in flight is kept (it is already a new one) and the
   * next read waits for it; otherwise the entry closes and returns true (remove it from the store).
   */
  public boolean invalidate(Entry<K, C> e) {
    while (true) {
      State<C> s = e.state();
      if (s instanceof Loading || s instanceof Closed) {
        return false;
      }
      State<C> next = s instanceof Refreshing<C> r ? new Loading<>(r.attempt, r.failures, null) : new Closed<>();
      if (e.advance(s, next)) {
        return next instanceof Closed;
      }
    }
  }

  /** Marks the whole machine closed: from now on reads throw and no attempt starts. */
  public void shutdown() {
    closed = true;
  }

  /** Closes one entry: its timer is cancelled, its waiters told, and its attempt stopped. */
  public void close(Entry<K, C> e) {
    while (true) {
      State<C> s = e.state();
      if (s instanceof Closed) {
        return;
      }
      if (e.advance(s, new Closed<>())) {
        Attempt<C> a = s.attempt();
        if (a != null) {
          // Waiters first: the interrupted exchange must not answer them with its interruption.
          a.future.completeExceptionally(new IllegalStateException("CredentialCache " + name + " is closed"));
          a.stop();
        }
        return;
      }
    }
  }

  /**
   * Closes an entry the store evicted (never one whose exchange runs: those are pinned). Runs inside
   * the store's atomic removal, so it only changes the entry's state.
   */
  public void evicted(Entry<K, C> e) {
    while (true) {
      State<C> s = e.state();
      if (s instanceof Closed || e.advance(s, new Closed<>())) {
        return;
      }
    }
  }

  /**
   * Calls the listener. Its exception must not turn a successful exchange into a failure, nor stop
   * a transition half-way.
   */
  private void tell(Runnable event) {
    try {
      event.run();
    } catch (RuntimeException x) {
      LOG.log(Level.WARNING, "The " + name + " credential cache listener failed: " + Redaction.describe(x));
    }
  }
}
