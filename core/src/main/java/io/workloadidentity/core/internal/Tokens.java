package io.workloadidentity.core.internal;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenExpiredException;
import io.workloadidentity.core.TokenNotYetValidException;
import java.time.Duration;
import java.time.Instant;

/** Small helpers shared by token sources. */
public final class Tokens {
  /**
   * How far in the future a token's {@code nbf} may be and the token still be handed out: room for a
   * small difference between the issuer's clock and this machine's (the usual JWT validation leeway).
   * A token whose {@code nbf} is further ahead would be refused by the cloud anyway. The one place
   * this number lives.
   */
  public static final Duration NOT_BEFORE_SKEW = Duration.ofSeconds(60);

  private Tokens() {}

  /**
   * Checks that {@code token} may be sent at {@code now}: not expired, and its {@code nbf} (if any)
   * no later than {@code now} plus {@link #NOT_BEFORE_SKEW}. Token sources call this before handing a
   * token out, so a token is never sent before it is valid nor after it expired.
   *
   * @param token the token about to be handed out
   * @param now the current time
   * @param where where the token came from, for the message (a file path, "a fixed token")
   * @throws TokenExpiredException if the token expired at or before {@code now}
   * @throws TokenNotYetValidException if the token's {@code nbf} is more than the skew after {@code now}
   */
  public static void requireUsable(ProjectedToken token, Instant now, String where) {
    if (token.isExpiredAt(now)) {
      Duration ago = Duration.between(token.expiresAt(), now);
      throw new TokenExpiredException(
          "The projected token from " + Redaction.escape(where) + " expired at " + token.expiresAt() + " ("
              + human(ago) + " ago; sub=" + Redaction.escape(token.subject()) + "). The kubelet rotates projected"
              + " tokens at 80% of their lifetime, so it has stopped rotating this one, or this machine's clock is"
              + " wrong. Check the kubelet on the node and the pod's projected volume; restarting the pod mints a"
              + " new token.",
          token.expiresAt());
    }
    Instant nbf = token.notBefore().orElse(null);
    if (nbf != null && nbf.isAfter(now.plus(NOT_BEFORE_SKEW))) {
      throw new TokenNotYetValidException(
          "The projected token from " + Redaction.escape(where) + " is not valid until " + nbf + " (in "
              + human(Duration.between(now, nbf)) + "; nbf claim, sub=" + Redaction.escape(token.subject())
              + "), more than the " + NOT_BEFORE_SKEW.toSeconds() + " s of clock skew allowed, so it is not sent. This"
              + " machine's clock is probably behind (check NTP or chrony on the node), or the issuer's clock is"
              + " ahead. It becomes usable at " + nbf.minus(NOT_BEFORE_SKEW) + " by this machine's clock.",
          nbf);
    }
  }

  /**
   * Same as {@link #requireUsable}: besides expiry, it also refuses a token before its {@code nbf}.
   * Kept for the callers written before the {@code nbf} check.
   *
   * @param token the token about to be handed out
   * @param now the current time
   * @param where where the token came from, for the message
   * @throws TokenExpiredException if the token expired at or before {@code now}
   * @throws TokenNotYetValidException if the token's {@code nbf} is more than the skew after {@code now}
   */
  public static void requireUnexpired(ProjectedToken token, Instant now, String where) {
    requireUsable(token, now, where);
  }

  /**
   * "3m 20s", "2h 5m", "45s": durations for people.
   *
   * @param d the duration
   * @return the duration in at most two units, negative durations with a leading "-"
   */
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

  /**
   * Re-reads {@code tokens} after a cloud refused {@code sent}: a kubelet rotation the watcher has
   * not reported yet is published now (and a key backing off from the refusal then retries at once
   * with the new token). Never throws: the refusal is what the caller reports.
   *
   * @param tokens the source the exchange read
   * @param sent the token the cloud refused
   * @return a sentence for the failure's advice: whether a newer token was found
   */
  public static String rereadAfterRejection(io.workloadidentity.core.TokenSource tokens, ProjectedToken sent) {
    try {
      ProjectedToken now = tokens.refresh();
      return now.value().equals(sent.value())
          ? "The token file was re-read and still holds the same token; a new one is sent as soon as the kubelet"
              + " rotates it."
          : "The token file was re-read and holds a newer token (sha256 " + now.fingerprint() + "), which the next"
              + " attempt sends at once.";
    } catch (io.workloadidentity.core.WorkloadIdentityException e) {
      return "Re-reading the token file failed: " + Redaction.message(e.getMessage());
    }
  }
}
