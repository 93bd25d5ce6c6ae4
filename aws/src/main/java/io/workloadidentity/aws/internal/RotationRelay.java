package io.workloadidentity.aws.internal;

import io.workloadidentity.aws.AwsCredentialKey;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Redaction;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * Sits between a session's token source and its cache, in both directions: it is the source the
 * cache's {@code rotationsOf} watches, and the listener the cache reports to (it passes every event
 * on to {@code next}, the sharers' fan-out).
 *
 * <p><b>Why.</b> The cache ends a token-rejection backoff early when it hears of a rotation, but
 * only a rotation heard <em>while</em> it backs off. The likeliest moment to notice a rotation is
 * inside the exchange itself: AWS says "expired", the exchange re-reads the file ({@link
 * TokenSource#refresh()}) and finds the kubelet's new token. That rotation is announced while the
 * exchange still runs, so the cache ignores it, and the attempt with the new token would wait for
 * the backoff timer. This relay holds a rotation announced during an exchange and delivers it as
 * soon as the exchange's outcome is recorded, so the cache retries at once with the new token.
 * Every rotation is delivered exactly once, and in order. (A core change would make this class
 * unnecessary: remember a rotation seen during an attempt when recording its failure.)
 */
final class RotationRelay implements TokenSource, CredentialCache.Listener<AwsCredentialKey> {
  private final TokenSource source;
  private final CredentialCache.Listener<AwsCredentialKey> next;
  private volatile Consumer<ProjectedToken> cache; // set once, by rotationsOf at build time
  private final Object lock = new Object();
  /**
   * Exchanges between their start and their outcome. A count, not a flag: the cache reports an
   * outcome to listeners after it has moved on, so the next attempt may start before the previous
   * one's outcome has been reported here.
   */
  private int exchanging; // guarded by lock
  private ProjectedToken held; // guarded by lock

  RotationRelay(TokenSource source, CredentialCache.Listener<AwsCredentialKey> next) {
    this.source = Objects.requireNonNull(source, "source");
    this.next = Objects.requireNonNull(next, "next");
  }

  /**
   * Re-reads {@code tokens} after AWS refused {@code sent}, which publishes a kubelet rotation (and
   * so, through the relay, ends the cache's backoff at once), and says what was found, for the
   * failure's advice. Never throws: the refusal is what the caller reports.
   */
  static String rereadAfterRejection(TokenSource tokens, ProjectedToken sent) {
    try {
      ProjectedToken now = tokens.refresh();
      return now.value().equals(sent.value())
          ? "The token file was re-read and still holds the same token; a new one is sent as soon as the kubelet"
              + " rotates it."
          : "The token file was re-read and holds a newer token (sha256 " + now.fingerprint() + "), which the next"
              + " attempt sends at once.";
    } catch (WorkloadIdentityException e) {
      return "Re-reading the token file failed: " + Redaction.message(e.getMessage());
    }
  }

  @Override
  public ProjectedToken token() {
    return source.token();
  }

  @Override
  public ProjectedToken refresh() {
    return source.refresh();
  }

  @Override
  public Subscription onRotation(Consumer<ProjectedToken> listener) {
    this.cache = Objects.requireNonNull(listener, "listener");
    return source.onRotation(this::rotated);
  }

  @Override
  public String description() {
    return source.description();
  }

  private void rotated(ProjectedToken token) {
    synchronized (lock) {
      if (exchanging > 0) {
        held = token; // only the newest matters, as for the source's own announcements
        return;
      }
    }
    deliver(token);
  }

  private void deliver(ProjectedToken token) {
    Consumer<ProjectedToken> c = cache;
    if (c != null && token != null) {
      c.accept(token);
    }
  }

  /** The exchange's outcome is recorded (the cache calls listeners after its state changed). */
  private void exchangeEnded() {
    ProjectedToken token;
    synchronized (lock) {
      // At most one outcome per start; an attempt stopped at its deadline before it ran reports an
      // outcome without a start, hence the floor.
      exchanging = Math.max(0, exchanging - 1);
      if (exchanging > 0) {
        return; // another exchange still runs: the rotation waits for its outcome too
      }
      token = held;
      held = null;
    }
    deliver(token);
  }

  @Override
  public void onExchangeStarted(AwsCredentialKey key) {
    synchronized (lock) {
      exchanging++;
    }
    next.onExchangeStarted(key);
  }

  @Override
  public void onRefreshed(AwsCredentialKey key, Instant expiresAt) {
    try {
      next.onRefreshed(key, expiresAt);
    } finally {
      exchangeEnded();
    }
  }

  @Override
  public void onRefreshFailed(AwsCredentialKey key, WorkloadIdentityException error,
      Duration retryIn) {
    try {
      next.onRefreshFailed(key, error, retryIn);
    } finally {
      exchangeEnded();
    }
  }

  @Override
  public void onTokenRotated(ProjectedToken token) {
    next.onTokenRotated(token);
  }
}
