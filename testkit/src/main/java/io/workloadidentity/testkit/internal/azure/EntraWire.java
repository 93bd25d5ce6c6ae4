package io.workloadidentity.testkit.internal.azure;

import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Entra ID's error JSON, as the v2.0 token endpoint writes it:
 *
 * <pre>{@code
 * {"error":"invalid_request",
 *  "error_description":"AADSTS70021: No matching federated identity record found ... Trace ID: ... Correlation ID: ... Timestamp: ...",
 *  "error_codes":[70021],"timestamp":"2022-10-27 23:39:22Z","trace_id":"...","correlation_id":"...",
 *  "error_uri":"https://login.microsoftonline.com/error?code=70021"}
 * }</pre>
 */
public final class EntraWire {
  private static final DateTimeFormatter TIMESTAMP =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss'Z'").withZone(ZoneOffset.UTC);
  /** Entra's own format of times inside error descriptions (seven fractional digits). */
  private static final DateTimeFormatter DESCRIPTION_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSS'Z'").withZone(ZoneOffset.UTC);
  private static final Pattern AADSTS = Pattern.compile("AADSTS(\\d+)");

  private EntraWire() {}

  /** One Entra error: HTTP status, OAuth {@code error}, numeric {@code AADSTS} code and text. */
  public record Error(int status, String error, int code, String text) {}

  /** The OAuth {@code error} and HTTP status Entra uses with a given AADSTS code. */
  public static Error forCode(int code, String text) {
    return switch (code) {
      case 700024, 700027, 7000215, 7000218, 50166 -> new Error(401, "invalid_client", code, text);
      case 700016 -> new Error(400, "unauthorized_client", code, text);
      case 70011 -> new Error(400, "invalid_scope", code, text);
      case 70003 -> new Error(400, "unsupported_grant_type", code, text);
      case 90055 -> new Error(429, "temporarily_unavailable", code, text);
      case 90006, 90033, 90024 -> new Error(503, "temporarily_unavailable", code, text);
      default -> new Error(400, "invalid_request", code, text);
    };
  }

  /**
   * An error given by a test as {@code (status, code, message)}: a code such as {@code AADSTS70021}
   * becomes {@code error_codes} (with the usual OAuth error for it); anything else is taken as the
   * OAuth {@code error}.
   */
  public static Error fromFault(int status, String code, String message) {
    Matcher m = AADSTS.matcher(code);
    if (m.matches()) {
      int n = Integer.parseInt(m.group(1));
      return new Error(status, forCode(n, message).error(), n, message);
    }
    return new Error(status, code, -1, message);
  }

  /** The JSON body of {@code e}, with a fresh trace and correlation ID. */
  public static Map<String, Object> body(Error e, Clock clock) {
    Instant now = clock.instant();
    String trace = UUID.randomUUID().toString();
    String correlation = UUID.randomUUID().toString();
    String stamp = TIMESTAMP.format(now);
    String prefix = e.code() >= 0 ? "AADSTS" + e.code() + ": " : "";
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", e.error());
    body.put("error_description", prefix + e.text() + " Trace ID: " + trace + " Correlation ID: " + correlation
        + " Timestamp: " + stamp);
    if (e.code() >= 0) {
      body.put("error_codes", List.of(e.code()));
    }
    body.put("timestamp", stamp);
    body.put("trace_id", trace);
    body.put("correlation_id", correlation);
    if (e.code() >= 0) {
      body.put("error_uri", "https://login.microsoftonline.com/error?code=" + e.code());
    }
    return body;
  }

  /** A time as Entra writes it in error descriptions. */
  public static String time(Instant instant) {
    return DESCRIPTION_TIME.format(instant);
  }
}
