package io.workloadidentity.aws.internal;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Tokens;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * The token given inline in {@code AWS_CONTAINER_AUTHORIZATION_TOKEN}: one token, parsed when the
 * settings were resolved, never rotating (the environment of a running process does not change).
 * It is handed out only while usable (not expired, {@code nbf} reached) by the session's clock.
 *
 * <p>Equal to another inline source of the same token, variable and clock, so that providers built
 * from the same environment share one session, as they do for a token file.
 */
final class InlineTokenSource implements TokenSource {
  private final ProjectedToken token;
  private final String variable;
  private final Clock clock;

  InlineTokenSource(ProjectedToken token, String variable, Clock clock) {
    this.token = Objects.requireNonNull(token, "token");
    this.variable = Objects.requireNonNull(variable, "variable");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public ProjectedToken token() {
    Tokens.requireUsable(token, clock.instant(), description());
    return token;
  }

  @Override
  public ProjectedToken refresh() {
    return token();
  }

  @Override
  public Subscription onRotation(Consumer<ProjectedToken> listener) {
    Objects.requireNonNull(listener, "listener");
    return () -> { };
  }

  /** The variable's name, never the token. */
  @Override
  public String description() {
    return variable + " (inline token)";
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof InlineTokenSource s && token.equals(s.token) && variable.equals(s.variable)
        && clock.equals(s.clock);
  }

  @Override
  public int hashCode() {
    return Objects.hash(token, variable, clock);
  }

  @Override
  public String toString() {
    return "InlineTokenSource{" + description() + "}";
  }
}
