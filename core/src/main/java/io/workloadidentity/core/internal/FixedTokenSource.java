package io.workloadidentity.core.internal;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import java.time.Clock;
import java.util.Objects;
import java.util.function.Consumer;

/**
 * A {@link TokenSource} over one token that never rotates: {@link TokenSource#of}, and a token given
 * inline in the environment (AWS's {@code AWS_CONTAINER_AUTHORIZATION_TOKEN}). The token is handed
 * out only while usable (not expired, {@code nbf} reached) by the clock.
 *
 * <p>Equal to another fixed source of the same token, description and clock, so that credentials
 * built from the same environment share one session, as they do for a token file.
 */
public final class FixedTokenSource implements TokenSource {
  private final ProjectedToken token;
  private final String description;
  private final Clock clock;

  /**
   * A source over {@code token}.
   *
   * @param token the token
   * @param description where it came from, for messages (never token content)
   * @param clock judges expiry and {@code nbf}
   */
  public FixedTokenSource(ProjectedToken token, String description, Clock clock) {
    this.token = Objects.requireNonNull(token, "token");
    this.description = Objects.requireNonNull(description, "description");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public ProjectedToken token() {
    Tokens.requireUsable(token, clock.instant(), description);
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

  @Override
  public String description() {
    return description;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof FixedTokenSource s && token.equals(s.token) && description.equals(s.description)
        && clock.equals(s.clock);
  }

  @Override
  public int hashCode() {
    return Objects.hash(token, description, clock);
  }

  @Override
  public String toString() {
    return "FixedTokenSource{" + description + "}";
  }
}
