package io.workloadidentity.aws.internal;

import com.nimbusds.jose.util.JSONObjectUtils;
import java.text.ParseException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * The EKS Pod Identity agent's success body, checked and turned into session credentials:
 * {@code {"AccessKeyId": ..., "SecretAccessKey": ..., "Token": ..., "AccountId": ..., "Expiration":
 * "2026-11-26T16:00:00Z"}}. A pure function of the body and the time, so that property tests can
 * drive it with any input: it either returns usable credentials or throws {@link Malformed} with a
 * sentence saying what is wrong (never a secret member's value; other members only escaped and cut).
 */
final class PodIdentityResponses {
  /** The longest Expiration text parsed; ISO-8601 with fractions and an offset is under 40. */
  private static final int MAX_EXPIRATION = 64;

  private PodIdentityResponses() {}

  /** Parsed credentials and their expiry. */
  record Parsed(AwsSessionCredentials credentials, Instant expiresAt) {}

  /** The body is not usable credentials; the message completes "The response from X ...". */
  static final class Malformed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Malformed(String problem) {
      super(problem, null, false, false);
    }
  }

  /**
   * Checks and parses a 200 answer.
   *
   * @param body the body, already capped in size
   * @param now this machine's time
   * @param serverDate the response's {@code Date} header, or null
   * @param providerName the credentials' provider name
   * @return the credentials
   * @throws Malformed if the body is not complete, usable credentials
   */
  static Parsed parse(String body, Instant now, Instant serverDate, String providerName) {
    Map<String, Object> json;
    try {
      json = JSONObjectUtils.parse(body);
    } catch (ParseException | RuntimeException e) {
      // Never quote the body: it may hold the secret key. The parser's message can quote it as well.
      throw new Malformed("is not a JSON object (" + e.getClass().getSimpleName() + ")");
    }
    if (json == null) {
      throw new Malformed("is not a JSON object (it is null)");
    }
    String accessKeyId = required(json, "AccessKeyId", ResponseChecks.MAX_KEY_LENGTH);
    String secret = required(json, "SecretAccessKey", ResponseChecks.MAX_KEY_LENGTH);
    String token = required(json, "Token", Integer.MAX_VALUE);
    String expirationText = required(json, "Expiration", MAX_EXPIRATION);
    Instant expiresAt;
    try {
      expiresAt = OffsetDateTime.parse(expirationText.endsWith("+0000")
          ? expirationText.substring(0, expirationText.length() - 5) + "Z" : expirationText).toInstant();
    } catch (DateTimeParseException e) {
      throw new Malformed("has an Expiration that is not an ISO-8601 time: " + AwsValues.quote(expirationText));
    }
    String problem = ResponseChecks.expiryProblem(expiresAt, now, serverDate);
    if (problem != null) {
      throw new Malformed(problem);
    }
    Object account = json.get("AccountId");
    AwsSessionCredentials credentials = AwsSessionCredentials.builder()
        .accessKeyId(accessKeyId)
        .secretAccessKey(secret)
        .sessionToken(token)
        .expirationTime(expiresAt)
        // Optional, and only a 12-digit ID: the SDK builds account-based endpoint host names from it.
        .accountId(account instanceof String a && a.length() == 12 && AwsValues.allDigits(a, 0, 12) ? a : null)
        .providerName(providerName)
        .build();
    return new Parsed(credentials, expiresAt);
  }

  private static String required(Map<String, Object> json, String name, int maxLength) {
    Object v = json.get(name);
    if (v != null && !(v instanceof String)) {
      throw new Malformed("has a " + name + " that is " + type(v) + ", not a string");
    }
    String problem = ResponseChecks.memberProblem(name, (String) v, maxLength);
    if (problem != null) {
      throw new Malformed(problem);
    }
    return (String) v;
  }

  private static String type(Object v) {
    if (v instanceof Number) {
      return "a number";
    }
    if (v instanceof Boolean) {
      return "a boolean";
    }
    if (v instanceof Map) {
      return "an object";
    }
    return v instanceof java.util.List ? "an array" : "a " + v.getClass().getSimpleName();
  }
}
