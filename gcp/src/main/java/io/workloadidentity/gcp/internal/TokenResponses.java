package io.workloadidentity.gcp.internal;

import com.google.api.client.json.GenericJson;
import com.google.api.client.json.gson.GsonFactory;
import com.google.api.client.util.Data;
import com.google.auth.oauth2.AccessToken;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.internal.Tokens;
import java.io.IOException;
import java.math.BigDecimal;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeFormatter;
import java.util.Date;

/**
 * Our own reading of Google's successful token responses, checked before google-auth sees them (it
 * reads the same bytes): the token must be there and usable in an {@code Authorization} header, and
 * the expiry must be there and sensible. google-auth takes a response without {@code expires_in} for
 * a token that never expires, and would carry a 10 MB token; here each defect is a {@link Unusable}
 * naming the field.
 *
 * <ul>
 *   <li>STS ({@code POST /v1/token}) and the metadata server: {@code {"access_token": "...",
 *       "expires_in": 3599, ...}}; {@code expires_in} a whole number of seconds, 1 to 2<sup>31</sup>-1.
 *   <li>IAM Credentials {@code generateAccessToken}: {@code {"accessToken": "...", "expireTime":
 *       "2026-01-01T00:00:00Z"}}; an RFC 3339 time after now.
 * </ul>
 *
 * <p>A lifetime longer than the core's maximum is accepted here and capped by the credential cache.
 * The body's size is capped before it gets here ({@link GuardedTransport}) and its nesting depth is
 * checked before any JSON parser sees it (a recursive parser overflows its stack on a deep one).
 * Everything is linear in the body's length; nothing throws but {@link Unusable}.
 */
final class TokenResponses {
  /** Longest token accepted: Google documents up to 12288 bytes for STS tokens. */
  static final int MAX_TOKEN_CHARS = 16 * 1024;
  /** Deepest JSON nesting accepted; Google's token responses have depth 1. */
  static final int MAX_DEPTH = 16;
  private static final int MAX_TIME_CHARS = 64;

  private TokenResponses() {}

  /** A usable token and when it expires. */
  record Parsed(String token, Instant expiresAt) {
    @Override
    public String toString() {
      return "Parsed{token=(" + token.length() + " characters), expiresAt=" + expiresAt + "}";
    }
  }

  /** Why a 200 response cannot be used; {@link #clock()} when this machine's clock is the likely cause. */
  static final class Unusable extends Exception {
    private static final long serialVersionUID = 1L;
    private final boolean clock;

    Unusable(String message, boolean clock) {
      super(message, null, false, false);
      this.clock = clock;
    }

    boolean clock() {
      return clock;
    }
  }

  /**
   * Reads an OAuth-shaped response (STS, metadata server).
   *
   * @param body the body (already capped)
   * @param receivedAt when it was received, by the credentials' clock
   * @return the token and its expiry
   * @throws Unusable naming the missing or wrong field
   */
  static Parsed oauth(String body, Instant receivedAt) throws Unusable {
    GenericJson json = object(body);
    String token = token(json, "access_token");
    Object expiresIn = json.get("expires_in");
    if (absent(expiresIn)) {
      throw new Unusable("it has no \"expires_in\", so when the token expires is unknown (it is not assumed to last"
          + " an hour)", false);
    }
    long seconds = wholeSeconds(expiresIn);
    if (seconds <= 0) {
      throw new Unusable("its \"expires_in\" is " + describeNumber(expiresIn) + ": not a positive whole number of"
          + " seconds up to " + Integer.MAX_VALUE, false);
    }
    return new Parsed(token, receivedAt.plusSeconds(seconds));
  }

  /**
   * Reads an IAM Credentials {@code generateAccessToken} response.
   *
   * @param body the body (already capped)
   * @param receivedAt when it was received, by the credentials' clock
   * @param requested the lifetime that was asked for (to judge whether a past expiry means a wrong clock)
   * @return the token and its expiry
   * @throws Unusable naming the missing or wrong field
   */
  static Parsed iam(String body, Instant receivedAt, Duration requested) throws Unusable {
    GenericJson json = object(body);
    String token = token(json, "accessToken");
    Object value = json.get("expireTime");
    if (absent(value)) {
      throw new Unusable("it has no \"expireTime\", so when the token expires is unknown", false);
    }
    if (!(value instanceof String text) || text.length() > MAX_TIME_CHARS) {
      throw new Unusable("its \"expireTime\" is not an RFC 3339 time string", false);
    }
    Instant expiresAt;
    try {
      expiresAt = OffsetDateTime.parse(text, DateTimeFormatter.ISO_OFFSET_DATE_TIME).toInstant();
    } catch (DateTimeException e) {
      throw new Unusable("its \"expireTime\" \"" + io.workloadidentity.core.internal.Redaction.escape(text)
          + "\" is not an RFC 3339 time", false);
    }
    if (!expiresAt.isAfter(receivedAt)) {
      Duration behind = Duration.between(expiresAt, receivedAt);
      // Google set expireTime = its now + the lifetime asked for: an expiry that is past by less than a
      // day means this machine's clock is ahead of Google's by more than that lifetime.
      boolean clock = behind.compareTo(Duration.ofDays(1)) < 0;
      throw new Unusable("its \"expireTime\" " + expiresAt + " is " + Tokens.human(behind) + " before this machine's"
          + " time " + receivedAt + (clock ? ", although " + Tokens.human(requested) + " were asked for: check this"
          + " machine's clock (NTP), it seems to be ahead of Google's" : ": not a plausible expiry"), clock);
    }
    return new Parsed(token, expiresAt);
  }

  /**
   * The cache's value for a token: the {@link AccessToken} handed to google-auth and its callers
   * carries an expiry no later than {@code now + maximum}, since the cache stops serving it then (a
   * caller reading {@code getAccessToken()} must not keep a ten-year token ten years). The returned
   * expiry stays the server's: the cache applies (and logs) the same cap itself.
   *
   * @param token the token value
   * @param expiresAt the expiry the server gave
   * @param clock the credentials' clock
   * @param policy the refresh policy (its maximum lifetime)
   * @return the value and its expiry for the cache
   */
  static Expiring<AccessToken> expiring(String token, Instant expiresAt, Clock clock, RefreshPolicy policy) {
    Instant shown = policy.cappedExpiry(expiresAt, clock.instant());
    return Expiring.of(new AccessToken(token, Date.from(shown)), expiresAt);
  }

  /**
   * Whether {@code text} nests JSON arrays and objects at most {@code max} deep (brackets inside
   * strings do not count). Linear; tolerates any input.
   *
   * @param text the body
   * @param max the deepest nesting allowed
   * @return true when within the limit
   */
  static boolean depthWithin(String text, int max) {
    int depth = 0;
    boolean inString = false;
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (inString) {
        if (c == '\\') {
          i++;
        } else if (c == '"') {
          inString = false;
        }
      } else if (c == '"') {
        inString = true;
      } else if (c == '{' || c == '[') {
        if (++depth > max) {
          return false;
        }
      } else if (c == '}' || c == ']') {
        depth--;
      }
    }
    return true;
  }

  private static GenericJson object(String body) throws Unusable {
    if (body == null || body.isBlank()) {
      throw new Unusable("its body is empty", false);
    }
    if (!depthWithin(body, MAX_DEPTH)) {
      throw new Unusable("its body nests JSON deeper than " + MAX_DEPTH + " levels", false);
    }
    GenericJson json;
    try {
      json = GsonFactory.getDefaultInstance().fromString(body, GenericJson.class);
    } catch (IOException | RuntimeException e) {
      throw new Unusable("its body is not a JSON object", false);
    }
    if (json == null) {
      throw new Unusable("its body is not a JSON object", false);
    }
    return json;
  }

  private static String token(GenericJson json, String field) throws Unusable {
    Object value = json.get(field);
    if (absent(value)) {
      throw new Unusable("it has no \"" + field + "\"", false);
    }
    if (!(value instanceof String token)) {
      throw new Unusable("its \"" + field + "\" is not a string", false);
    }
    if (token.isEmpty()) {
      throw new Unusable("its \"" + field + "\" is empty", false);
    }
    if (token.length() > MAX_TOKEN_CHARS) {
      throw new Unusable("its \"" + field + "\" is " + token.length() + " characters long, more than the "
          + MAX_TOKEN_CHARS + " a Google access token can have", false);
    }
    for (int i = 0; i < token.length(); i++) {
      char c = token.charAt(i);
      if (c < 0x21 || c > 0x7e) {
        // Never echo any part of the token: only what is wrong and where.
        throw new Unusable("its \"" + field + "\" contains " + (c == ' ' ? "a space" : c < 0x20 || c == 0x7f
            ? "a control character" : "a non-ASCII character") + " at position " + i + ", which cannot be sent in an"
            + " Authorization header", false);
      }
    }
    return token;
  }

  /** A JSON number or digit string that is a whole number of seconds in 1..2^31-1; else 0 or less. */
  private static long wholeSeconds(Object value) {
    BigDecimal n;
    if (value instanceof BigDecimal b) {
      n = b;
    } else if (value instanceof String s && !s.isEmpty() && s.length() <= 10 && s.chars().allMatch(c -> c >= '0' && c <= '9')) {
      n = new BigDecimal(s);
    } else {
      return 0;
    }
    if (n.signum() <= 0 || n.precision() - n.scale() > 10 || n.stripTrailingZeros().scale() > 0) {
      return 0;
    }
    long v = n.longValue();
    return v > Integer.MAX_VALUE ? 0 : v;
  }

  private static String describeNumber(Object value) {
    if (value instanceof BigDecimal b) {
      String s = b.toString();
      return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }
    if (value instanceof String s) {
      return "the string \"" + io.workloadidentity.core.internal.Redaction.escape(s.length() > 40
          ? s.substring(0, 40) + "..." : s) + "\"";
    }
    return "a " + (value instanceof Boolean ? "boolean" : value instanceof java.util.Map ? "JSON object"
        : value instanceof java.util.Collection ? "JSON array" : "non-number");
  }

  private static boolean absent(Object v) {
    return v == null || Data.isNull(v);
  }
}
