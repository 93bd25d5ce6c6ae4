package io.workloadidentity.reliability;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

/**
 * A cache listener that records each exchange's start and outcome with the (injected) clock's time, so that a
 * scenario can let every started exchange finish before it moves the clock on ({@link #settle}), and check the
 * backoff (a start never comes before the previous failure's retry point). Every error it hears goes to {@link
 * Leaks} for the secret scan.
 */
final class Recorder implements CredentialCache.Listener<Object> {
  /** One outcome: a failure has an error and a retry delay; a success an expiry. */
  static final class Outcome {
    final Instant at;
    final WorkloadIdentityException error;
    final Duration retryIn;

    Outcome(Instant at, WorkloadIdentityException error, Duration retryIn) {
      this.at = at;
      this.error = error;
      this.retryIn = retryIn;
    }

    boolean failed() {
      return error != null;
    }
  }

  private final Clock clock;
  private final List<Instant> starts = new ArrayList<>();
  private final List<Outcome> outcomes = new ArrayList<>();
  private final List<ProjectedToken> rotations = new ArrayList<>();

  Recorder(Clock clock) {
    this.clock = clock;
  }

  @Override
  public synchronized void onExchangeStarted(Object key) {
    starts.add(clock.instant());
    notifyAll();
  }

  @Override
  public synchronized void onRefreshed(Object key, Instant expiresAt) {
    outcomes.add(new Outcome(clock.instant(), null, null));
    notifyAll();
  }

  @Override
  public synchronized void onRefreshFailed(Object key, WorkloadIdentityException error, Duration retryIn) {
    Leaks.scan(error);
    outcomes.add(new Outcome(clock.instant(), error, retryIn));
    notifyAll();
  }

  @Override
  public synchronized void onTokenRotated(ProjectedToken token) {
    rotations.add(token);
    notifyAll();
  }

  synchronized int started() {
    return starts.size();
  }

  synchronized List<Instant> starts() {
    return List.copyOf(starts);
  }

  synchronized List<Outcome> outcomes() {
    return List.copyOf(outcomes);
  }

  synchronized int refreshed() {
    return (int) outcomes.stream().filter(o -> !o.failed()).count();
  }

  synchronized int failed() {
    return (int) outcomes.stream().filter(Outcome::failed).count();
  }

  synchronized int rotationsSeen() {
    return rotations.size();
  }

  synchronized boolean rotatedTo(String token) {
    return rotations.stream().anyMatch(t -> t.value().equals(token));
  }

  /** Waits (at most {@code deadline}) until every exchange that started has an outcome. */
  void settle(Duration deadline) throws InterruptedException {
    await(() -> outcomes.size() >= starts.size(), deadline, "every started exchange to end");
  }

  /** Waits (at most {@code deadline}) until {@code n} outcomes were recorded. */
  void awaitOutcomes(int n, Duration deadline) throws InterruptedException {
    await(() -> outcomes.size() >= n, deadline, n + " exchange outcomes");
  }

  /** Waits (at most {@code deadline}) until {@code n} rotations were heard. */
  void awaitRotations(int n, Duration deadline) throws InterruptedException {
    await(() -> rotations.size() >= n, deadline, n + " token rotations");
  }

  synchronized void await(BooleanSupplier condition, Duration deadline, String what) throws InterruptedException {
    long end = System.nanoTime() + deadline.toNanos();
    while (!condition.getAsBoolean()) {
      long left = end - System.nanoTime();
      if (left <= 0) {
        throw new AssertionError("Timed out after " + deadline + " waiting for " + what + " (started "
            + starts.size() + ", outcomes " + outcomes.size() + ")");
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }
}
