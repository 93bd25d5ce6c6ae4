package io.workloadidentity.core.internal;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Consumer;

/** A {@link TokenSource} over one token; it never rotates. */
public final class FixedTokenSource implements TokenSource {
  private final ProjectedToken token;
  private final Clock clock;

  public FixedTokenSource(ProjectedToken token, Clock clock) {
    this.token = Objects.requireNonNull(token, "token");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public ProjectedToken token() {
    Tokens.requireUnexpired(token, clock.instant(), "a fixed token");
    return token;
  }

  @Override
  public ProjectedToken refresh() {
    return token();
  }

  @Override
  public Subscription onRotation(Consumer<ProjectedToken> listener) {
    return () -> {};
  }

  @Override
  public String description() {
    return "fixed token";
  }
}
