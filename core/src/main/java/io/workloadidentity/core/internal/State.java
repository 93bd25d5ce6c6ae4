package io.workloadidentity.core.internal;

import io.workloadidentity.core.WorkloadIdentityException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.util.concurrent.Future;

/**
 * The whole state of one cache key, as one immutable value (but for its timer handle). An {@link
 * Entry} holds exactly one; every change is a compare-and-set from one state object to a new one, so
 * the object's identity is also its generation: a timer or exchange armed for a state does nothing
 * once the entry holds another.
 *
 * <pre>
 *   Empty ──read──▶ Loading ──ok──▶ Fresh ──refresh point──▶ Refreshing ──ok──▶ Fresh
 *     ▲               │  ▲                                     │    │
 *     └──fail─────────┘  └──read past hard expiry (joins)──────┘    └─fail──▶ Backoff ──retry point──▶ Refreshing
 *   any ──close / eviction──▶ Closed
 * </pre>
 *
 * <p>The hot read needs two fields: a reader may hand out {@link #value} without any transition
 * while the wall clock is before {@link #serveUntil}. Past it, the read takes the slow path, which
 * decides the transition.
 *
 * @param <C> the credential type
 */
public abstract sealed class State<C> {
  private static final VarHandle TIMER;
  private static final Future<?> DISARMED = new java.util.concurrent.CompletableFuture<>();

  static {
    try {
      TIMER = MethodHandles.lookup().findVarHandle(State.class, "timer", Future.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  /** Wall-clock millisecond before which {@link #value} is served as is; {@code Long.MIN_VALUE} if none. */
  public final long serveUntil;
  /** The credential a read may return before {@link #serveUntil}; null when there is none. */
  public final C value;
  @SuppressWarnings("unused") // through TIMER
  private volatile Future<?> timer;

  State(Lease<C> servable, long serveUntil) {
    this.value = servable == null ? null : servable.value();
    this.serveUntil = servable == null ? Long.MIN_VALUE : serveUntil;
  }

  /** The credential held (valid or not), or null. */
  public abstract Lease<C> lease();

  /** The exchange in flight, or null. */
  public Attempt<C> attempt() {
    return null;
  }

  /** Consecutive failed attempts so far. */
  public int failures() {
    return 0;
  }

  /**
   * Cancels a timer of the (possibly user-supplied) scheduler. A {@code cancel} that throws must not
   * break the transition that calls it half way, nor {@code invalidate} or {@code close}: the timer,
   * if it still fires, finds its state gone and does nothing.
   */
  static void cancel(Future<?> timer) {
    try {
      timer.cancel(false);
    } catch (RuntimeException ignored) {
      // see above: a stale timer is harmless
    }
  }

  /** Remembers this state's timer; if the state was already left, cancels the timer instead. */
  public void timer(Future<?> timer) {
    if (!TIMER.compareAndSet(this, null, timer)) {
      cancel(timer);
    }
  }

  /** Cancels this state's timer (the state is being left). Idempotent. */
  public void disarm() {
    Future<?> t = (Future<?>) TIMER.getAndSet(this, DISARMED);
    if (t != null) {
      cancel(t);
    }
  }

  /** Whether a timer was armed for this state and is still pending (for invariant checks). */
  public boolean timerPending() {
    Future<?> t = (Future<?>) TIMER.getVolatile(this);
    return t != null && t != DISARMED && !t.isDone();
  }

  /** Nothing cached; after a failure, callers get {@link #error} until {@link #retryAt}. */
  public static final class Empty<C> extends State<C> {
    public final WorkloadIdentityException error;
    public final int failures;
    public final long failedAt;
    public final long retryAt;

    public Empty(WorkloadIdentityException error, int failures, long failedAt, long retryAt) {
      super(null, 0);
      this.error = error;
      this.failures = failures;
      this.failedAt = failedAt;
      this.retryAt = retryAt;
    }

    @Override
    public Lease<C> lease() {
      return null;
    }

    @Override
    public int failures() {
      return failures;
    }
  }

  /** No valid credential; callers wait for {@link #attempt}. {@link #previous} is an expired one, if any. */
  public static final class Loading<C> extends State<C> {
    public final Attempt<C> attempt;
    public final int failures;
    public final Lease<C> previous;

    public Loading(Attempt<C> attempt, int failures, Lease<C> previous) {
      super(null, 0);
      this.attempt = attempt;
      this.failures = failures;
      this.previous = previous;
    }

    @Override
    public Lease<C> lease() {
      return previous;
    }

    @Override
    public Attempt<C> attempt() {
      return attempt;
    }

    @Override
    public int failures() {
      return failures;
    }
  }

  /** Serving {@link #lease}; a timer for its refresh point is pending. */
  public static final class Fresh<C> extends State<C> {
    public final Lease<C> lease;

    public Fresh(Lease<C> lease) {
      super(lease, lease.refreshAtMillis());
      this.lease = lease;
    }

    @Override
    public Lease<C> lease() {
      return lease;
    }
  }

  /** Serving {@link #lease} until its hard expiry while {@link #attempt} runs. */
  public static final class Refreshing<C> extends State<C> {
    public final Lease<C> lease;
    public final Attempt<C> attempt;
    public final int failures;

    public Refreshing(Lease<C> lease, Attempt<C> attempt, int failures) {
      super(lease, lease.hardExpiryMillis());
      this.lease = lease;
      this.attempt = attempt;
      this.failures = failures;
    }

    @Override
    public Lease<C> lease() {
      return lease;
    }

    @Override
    public Attempt<C> attempt() {
      return attempt;
    }

    @Override
    public int failures() {
      return failures;
    }
  }

  /**
   * The last attempt failed; a timer for {@link #retryAt} is pending. Serves {@link #lease} while it
   * is valid; once it is not, callers get {@link #error} until the retry point.
   */
  public static final class Backoff<C> extends State<C> {
    public final Lease<C> lease;
    public final WorkloadIdentityException error;
    public final int failures;
    public final long failedAt;
    public final long retryAt;

    public Backoff(Lease<C> lease, WorkloadIdentityException error, int failures, long failedAt, long retryAt) {
      super(lease, Math.min(retryAt, lease.hardExpiryMillis()));
      this.lease = lease;
      this.error = error;
      this.failures = failures;
      this.failedAt = failedAt;
      this.retryAt = retryAt;
    }

    @Override
    public Lease<C> lease() {
      return lease;
    }

    @Override
    public int failures() {
      return failures;
    }
  }

  /** The entry is out of the cache (closed, evicted or invalidated): look the key up again. */
  public static final class Closed<C> extends State<C> {
    public Closed() {
      super(null, 0);
    }

    @Override
    public Lease<C> lease() {
      return null;
    }
  }
}
