package io.workloadidentity.aws.internal;

import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.RefreshPolicy;
import java.time.Duration;
import java.time.Instant;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Optional;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * The checks STS's and the Pod Identity agent's credentials answers pass before they are used: each
 * required member present, a non-empty string without control characters (it becomes a header of
 * every signed request), and the expiry in the future. The caches would refuse a past expiry too,
 * but only here can the message say which member and whether this machine's clock is the likely
 * cause. Pure functions; the problems they describe never quote a secret member.
 */
final class ResponseChecks {
  /** Longer than any AWS access key ID (20 today) or secret key (40 today) by far. */
  static final int MAX_KEY_LENGTH = 256;
  /** How far apart this machine's and the server's clocks may be before the clock is blamed. */
  static final Duration CLOCK_SKEW = Duration.ofMinutes(5);
  /** The longest AWS session: a credential expired by less than this may well be a fast clock. */
  static final Duration LONGEST_SESSION = Duration.ofHours(12);

  private ResponseChecks() {}

  /**
   * What is wrong with a required string member, or null when it is usable. The value itself is never
   * described: it may be a secret.
   *
   * @param name the member's name, for the problem
   * @param value the member's value, or null when absent
   * @param maxLength the longest sensible value
   * @return the problem, or null
   */
  static String memberProblem(String name, String value, int maxLength) {
    if (value == null) {
      return "has no " + name;
    }
    if (value.isBlank()) {
      return "has an empty " + name;
    }
    if (value.length() > maxLength) {
      return "has a " + name + " of " + value.length() + " characters (at most " + maxLength + " expected)";
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x21 || c == 0x7f || c > 0x7e) {
        // Session credentials are printable ASCII: anything else would corrupt (or forge) a request header.
        return "has a " + name + " with a character that is not printable ASCII (U+" + String.format("%04X", (int) c)
            + " at position " + i + ")";
      }
    }
    return null;
  }

  /**
   * What is wrong with an expiry, or null when it is in the future. Blames this machine's clock only
   * when that is the likely cause: the server's {@code Date} header disagrees with our clock by more
   * than {@link #CLOCK_SKEW}, or (without one) the expiry is past by less than the longest session.
   *
   * @param expiration the credentials' expiry
   * @param now this machine's time
   * @param serverDate the response's {@code Date} header, or null
   * @return the problem, or null
   */
  static String expiryProblem(Instant expiration, Instant now, Instant serverDate) {
    if (expiration.isAfter(now)) {
      return null;
    }
    String past = "has an Expiration of " + expiration + ", already past (this machine's time is " + now + ")";
    if (serverDate != null) {
      Duration skew = Duration.between(serverDate, now);
      if (skew.abs().compareTo(CLOCK_SKEW) > 0) {
        return past + ", and this machine's clock is " + human(skew.abs()) + (skew.isNegative() ? " behind" : " ahead of")
            + " the server's (Date: " + serverDate + "): check this machine's clock (NTP or chrony on the node)";
      }
      return past + ", and the server's Date header (" + serverDate + ") agrees: the server handed out expired"
          + " credentials";
    }
    if (!expiration.isBefore(now.minus(LONGEST_SESSION))) {
      return past + ". AWS issues credentials for 15 minutes to 12 hours, so this machine's clock is probably ahead:"
          + " check it (NTP or chrony on the node)";
    }
    return past + ", " + human(Duration.between(expiration, now)) + " ago: that is no expiry of freshly issued"
        + " credentials";
  }

  /**
   * The instant of an HTTP {@code Date} header.
   *
   * @param value the header value, or null
   * @return the instant, or null when absent or unparseable
   */
  static Instant httpDate(Optional<String> value) {
    if (value.isEmpty() || value.get().length() > 64) {
      return null;
    }
    try {
      return ZonedDateTime.parse(value.get(), DateTimeFormatter.RFC_1123_DATE_TIME).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  static String human(Duration d) {
    long s = d.getSeconds();
    if (s < 120) {
      return s + " s";
    }
    if (s < 2 * 3600) {
      return s / 60 + " min";
    }
    if (s < 2 * 86_400) {
      return s / 3600 + " h";
    }
    return s / 86_400 + " days";
  }

  /**
   * The cache's value for credentials: what the SDK and its callers see as {@code expirationTime} is
   * no later than {@code now + maximum}, since the cache stops serving them then (a caller must not
   * keep ten-year credentials ten years). The returned expiry stays the server's: the cache applies
   * (and logs) the same cap itself.
   *
   * @param credentials as the server gave them
   * @param expiresAt the server's expiry
   * @param now this machine's time
   * @param policy the refresh policy (its maximum lifetime)
   * @return the value and its expiry for the cache
   */
  static Expiring<AwsSessionCredentials> capped(AwsSessionCredentials credentials, Instant expiresAt, Instant now,
      RefreshPolicy policy) {
    Instant shownExpiry = policy.cappedExpiry(expiresAt, now);
    AwsSessionCredentials shown = shownExpiry.equals(expiresAt)
        ? credentials : credentials.toBuilder().expirationTime(shownExpiry).build();
    return Expiring.of(shown, expiresAt);
  }
}
