package io.workloadidentity.testkit;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A {@link TokenSource} that counts how often it is read, around another source. Each cloud
 * exchange starts by reading the token, so {@link #reads()} counts the exchanges a provider started
 * (retries included) without looking at the network.
 *
 * <pre>{@code
 * CountingTokenSource tokens = CountingTokenSource.of(FileTokenSource.builder(volume.tokenFile()).clock(clock).build());
 * // ... give `tokens` to the provider, cause an outage ...
 * assertThat(tokens.reads()).isEqualTo(sts.requestCount());
 * }</pre>
 *
 * <p>Thread-safe if the wrapped source is.
 */
public final class CountingTokenSource implements TokenSource {
  private final TokenSource delegate;
  private final AtomicInteger reads = new AtomicInteger();
  private final AtomicInteger refreshes = new AtomicInteger();

  private CountingTokenSource(TokenSource delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /**
   * Counts the reads of {@code delegate}.
   *
   * @param delegate the source that provides the tokens
   * @return the counting source
   */
  public static CountingTokenSource of(TokenSource delegate) {
    return new CountingTokenSource(delegate);
  }

  /**
   * How many times {@link #token()} was called.
   *
   * @return the count
   */
  public int reads() {
    return reads.get();
  }

  /**
   * How many times {@link #refresh()} was called (a cloud rejected the token and the provider
   * re-read it).
   *
   * @return the count
   */
  public int refreshes() {
    return refreshes.get();
  }

  /** Counts the read, then returns the wrapped source's token. */
  @Override
  public ProjectedToken token() {
    reads.incrementAndGet();
    return delegate.token();
  }

  /** Counts the refresh, then refreshes the wrapped source. */
  @Override
  public ProjectedToken refresh() {
    refreshes.incrementAndGet();
    return delegate.refresh();
  }

  /** Registers the listener on the wrapped source. */
  @Override
  public Subscription onRotation(Consumer<ProjectedToken> listener) {
    return delegate.onRotation(listener);
  }

  /** The wrapped source's description. */
  @Override
  public String description() {
    return delegate.description();
  }

  @Override
  public String toString() {
    return "CountingTokenSource{reads=" + reads + ", refreshes=" + refreshes + ", of " + delegate.description() + "}";
  }
}
