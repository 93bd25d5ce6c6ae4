package io.workloadidentity.aws;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/** Counts the token reads of a source: each STS exchange starts with one, so this counts exchanges started. */
final class CountingTokenSource implements TokenSource {
  private final TokenSource delegate;
  private final AtomicInteger reads = new AtomicInteger();

  CountingTokenSource(TokenSource delegate) {
    this.delegate = delegate;
  }

  int reads() {
    return reads.get();
  }

  @Override
  public ProjectedToken token() {
    reads.incrementAndGet();
    return delegate.token();
  }

  @Override
  public ProjectedToken refresh() {
    return delegate.refresh();
  }

  @Override
  public Subscription onRotation(Consumer<ProjectedToken> listener) {
    return delegate.onRotation(listener);
  }

  @Override
  public String description() {
    return delegate.description();
  }
}
