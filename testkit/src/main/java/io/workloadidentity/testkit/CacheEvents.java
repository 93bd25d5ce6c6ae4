package io.workloadidentity.testkit;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A {@link CredentialCache.Listener} that records the cache's events so a test can wait for a
 * background refresh, with a deadline, instead of sleeping. Give it to a provider's {@code
 * listener(...)} builder method.
 *
 * <pre>{@code
 * CacheEvents events = CacheEvents.create();
 * AwsWebIdentityCredentialsProvider provider = builder.listener(events).build();
 * provider.resolveCredentials();
 * clock.advance(Duration.ofMinutes(50));          // past the refresh point
 * Instant expiresAt = events.awaitRefreshed();    // the first load
 * events.awaitRefreshed();                        // the background refresh (fails after 10 s)
 * assertThat(events.failures()).isEmpty();
 * }</pre>
 *
 * <p>Each {@code await} method consumes from its own queue: {@link #awaitRefreshed()} the
 * successful exchanges, {@link #awaitFailure()} the failed ones, {@link #awaitOutcome()} both in the
 * order they happened ({@link #pollOutcome(Duration)} too). The counts and {@link #failures()} see everything. Waits end after the
 * timeout given to {@link #withTimeout(Duration)} (10 seconds for {@link #create()}) with an {@link
 * AssertionError}.
 *
 * <p>Thread-safe: the cache calls it from its threads while the test waits.
 */
public final class CacheEvents implements CredentialCache.Listener<Object> {
  /** What an exchange ended with. */
  public enum Kind {
    /** A credential was obtained and is served. */
    REFRESHED,
    /** The exchange failed; the cache retries later. */
    FAILED
  }

  /**
   * The end of one exchange.
   *
   * @param kind refreshed or failed
   * @param key the cache key (the cloud module's key type)
   * @param expiresAt when the new credential expires ({@link Kind#REFRESHED}), else {@code null}
   * @param error why the exchange failed ({@link Kind#FAILED}), else {@code null}
   * @param retryIn when the cache tries again ({@link Kind#FAILED}), else {@code null}
   */
  public record Event(Kind kind, Object key, Instant expiresAt, WorkloadIdentityException error, Duration retryIn) {
    /**
     * The kind, and the expiry or the error's class and the retry delay; never the key or a message.
     *
     * @return a short description
     */
    @Override
    public String toString() {
      return kind == Kind.REFRESHED ? "refreshed, expires at " + expiresAt
          : "failed (" + error.getClass().getSimpleName() + "), retry in " + retryIn;
    }
  }

  private final Duration timeout;
  // All guarded by this.
  private final List<Event> outcomes = new ArrayList<>();
  private final List<ProjectedToken> rotations = new ArrayList<>();
  private int started;
  private int refreshesTaken;
  private int failuresTaken;
  private int outcomesTaken;

  private CacheEvents(Duration timeout) {
    this.timeout = timeout;
  }

  /**
   * A recorder whose waits give up after 10 seconds.
   *
   * @return a new recorder
   */
  public static CacheEvents create() {
    return withTimeout(Duration.ofSeconds(10));
  }

  /**
   * A recorder whose waits give up after {@code timeout}.
   *
   * @param timeout the longest wait, positive
   * @return a new recorder
   * @throws IllegalArgumentException if {@code timeout} is not positive
   */
  public static CacheEvents withTimeout(Duration timeout) {
    if (timeout.isNegative() || timeout.isZero()) {
      throw new IllegalArgumentException("timeout must be positive: " + timeout);
    }
    return new CacheEvents(timeout);
  }

  /** Records the start of an exchange. */
  @Override
  public synchronized void onExchangeStarted(Object key) {
    started++;
    notifyAll();
  }

  /** Records a successful exchange. */
  @Override
  public synchronized void onRefreshed(Object key, Instant expiresAt) {
    outcomes.add(new Event(Kind.REFRESHED, key, expiresAt, null, null));
    notifyAll();
  }

  /** Records a failed exchange. */
  @Override
  public synchronized void onRefreshFailed(Object key, WorkloadIdentityException error, Duration retryIn) {
    outcomes.add(new Event(Kind.FAILED, key, null, error, retryIn));
    notifyAll();
  }

  /** Records a rotation of the token source. */
  @Override
  public synchronized void onTokenRotated(ProjectedToken token) {
    rotations.add(token);
    notifyAll();
  }

  /**
   * Waits for the next successful exchange not yet awaited.
   *
   * @return when its credential expires
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError if none happens within the timeout
   */
  public Instant awaitRefreshed() throws InterruptedException {
    return take(Kind.REFRESHED, timeout).expiresAt();
  }

  /**
   * Waits at most {@code wait} for the next successful exchange not yet awaited, and consumes it if
   * it came.
   *
   * @param wait how long to wait; zero to only check
   * @return whether one came
   * @throws InterruptedException if interrupted while waiting
   */
  public boolean refreshedWithin(Duration wait) throws InterruptedException {
    synchronized (this) {
      long deadline = System.nanoTime() + wait.toNanos();
      while (nth(Kind.REFRESHED, refreshesTaken) == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      refreshesTaken++;
      return true;
    }
  }

  /**
   * Waits for the next failed exchange not yet awaited.
   *
   * @return its error
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError if none happens within the timeout
   */
  public WorkloadIdentityException awaitFailure() throws InterruptedException {
    return take(Kind.FAILED, timeout).error();
  }

  /**
   * Waits for the next exchange outcome, refreshed or failed, in the order they happened.
   *
   * @return the event
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError if none happens within the timeout
   */
  public Event awaitOutcome() throws InterruptedException {
    return take(null, timeout);
  }

  /**
   * Waits at most {@code wait} for the next exchange outcome not yet returned by this method or
   * {@link #awaitOutcome()}.
   *
   * @param wait how long to wait; zero to only check
   * @return the event, or empty if none came in time
   * @throws InterruptedException if interrupted while waiting
   */
  public Optional<Event> pollOutcome(Duration wait) throws InterruptedException {
    synchronized (this) {
      long deadline = System.nanoTime() + wait.toNanos();
      Event e;
      while ((e = nth(null, outcomesTaken)) == null) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return Optional.empty();
        }
        TimeUnit.NANOSECONDS.timedWait(this, left);
      }
      outcomesTaken++;
      return Optional.of(e);
    }
  }

  /**
   * Waits until {@code n} exchanges in total have ended, successfully or not (awaited or not).
   *
   * @param n how many
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError if fewer end within the timeout
   */
  public void awaitCompleted(int n) throws InterruptedException {
    await(() -> outcomes.size() >= n, n + " exchanges ended");
  }

  /**
   * Waits until {@code n} exchanges in total have started.
   *
   * @param n how many
   * @throws InterruptedException if interrupted while waiting
   * @throws AssertionError if fewer start within the timeout
   */
  public void awaitStarted(int n) throws InterruptedException {
    await(() -> started >= n, n + " exchanges started");
  }

  /**
   * The outcomes {@link #awaitOutcome()} has not returned yet.
   *
   * @return a snapshot, oldest first
   */
  public synchronized List<Event> pendingOutcomes() {
    return List.copyOf(outcomes.subList(outcomesTaken, outcomes.size()));
  }

  /**
   * Every failed exchange's error so far, awaited or not.
   *
   * @return a snapshot, oldest first
   */
  public synchronized List<WorkloadIdentityException> failures() {
    return outcomes.stream().filter(e -> e.kind() == Kind.FAILED).map(Event::error).toList();
  }

  /**
   * How many exchanges succeeded so far.
   *
   * @return the count
   */
  public synchronized int refreshCount() {
    return (int) outcomes.stream().filter(e -> e.kind() == Kind.REFRESHED).count();
  }

  /**
   * How many exchanges failed so far.
   *
   * @return the count
   */
  public synchronized int failureCount() {
    return outcomes.size() - refreshCount();
  }

  /**
   * How many exchanges started so far.
   *
   * @return the count
   */
  public synchronized int startedCount() {
    return started;
  }

  /**
   * The tokens the cache reported as rotated, oldest first.
   *
   * @return a snapshot
   */
  public synchronized List<ProjectedToken> rotations() {
    return List.copyOf(rotations);
  }

  @Override
  public synchronized String toString() {
    return "CacheEvents{started=" + started + ", refreshed=" + refreshCount() + ", failed=" + failureCount() + "}";
  }

  private synchronized Event take(Kind kind, Duration wait) throws InterruptedException {
    long deadline = System.nanoTime() + wait.toNanos();
    Event e;
    while ((e = kind == null ? nth(null, outcomesTaken) : nth(kind, kind == Kind.REFRESHED ? refreshesTaken : failuresTaken))
        == null) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        String what = kind == null ? "exchange outcome" : kind == Kind.REFRESHED ? "credential refresh" : "failed exchange";
        throw new AssertionError("No " + what + " within " + wait + " (" + this + ")");
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
    if (kind == null) {
      outcomesTaken++;
    } else if (kind == Kind.REFRESHED) {
      refreshesTaken++;
    } else {
      failuresTaken++;
    }
    return e;
  }

  /** The {@code index}-th outcome of {@code kind} (any kind for null), or null if there is none yet. */
  private Event nth(Kind kind, int index) {
    int seen = 0;
    for (Event e : outcomes) {
      if (kind == null || e.kind() == kind) {
        if (seen++ == index) {
          return e;
        }
      }
    }
    return null;
  }

  private synchronized void await(BooleanSupplier done, String what) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!done.getAsBoolean()) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("Fewer than " + what + " within " + timeout + " (" + this + ")");
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }
}
