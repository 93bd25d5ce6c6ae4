package io.workloadidentity.core.internal;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenExpiredException;
import java.time.Duration;
import java.time.Instant;

/** Small helpers shared by token sources. */
public final class Tokens {
  private Tokens() {}

  /** Throws {@link TokenExpiredException} with an actionable message if {@code token} is expired. */
  public static void requireUnexpired(ProjectedToken token, Instant now, String where) {
    if (token.isExpiredAt(now)) {
      Duration ago = Duration.between(token.expiresAt(), now);
      throw new TokenExpiredException(
          "The projected token from " + where + " expired at " + token.expiresAt() + " (" + human(ago)
              + " ago; sub=" + token.subject() + "). The kubelet rotates projected tokens at 80% of their"
              + " lifetime, so it has stopped rotating this one, or this machine's clock is wrong. Check the"
              + " kubelet on the node and the pod's projected volume; restarting the pod mints a new token.",
          token.expiresAt());
    }
  }

  /** "3m 20s", "2h 5m", "45s": durations for people. */
  public static String human(Duration d) {
    long s = Math.abs(d.getSeconds());
    String sign = d.isNegative() ? "-" : "";
    if (s < 60) {
      return sign + s + "s";
    }
    if (s < 3600) {
      return sign + (s / 60) + "m " + (s % 60) + "s";
    }
    if (s < 86400) {
      return sign + (s / 3600) + "h " + ((s % 3600) / 60) + "m";
    }
    return sign + (s / 86400) + "d " + ((s % 86400) / 3600) + "h";
  }
}
