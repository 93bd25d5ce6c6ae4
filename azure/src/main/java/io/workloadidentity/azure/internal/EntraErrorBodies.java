package io.workloadidentity.azure.internal;

import com.azure.json.JsonProviders;
import com.azure.json.JsonReader;
import com.azure.json.JsonWriter;
import io.workloadidentity.core.internal.Redaction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Entra's error JSON as MSAL gets to read it: every string value passed through {@link
 * Redaction#message} (JWT- and bearer-shaped values redacted, control characters escaped, cut at 4
 * KiB), so that what MSAL and azure-identity log of it (they log errors themselves, at WARN and
 * ERROR) carries no echoed token and cannot forge log lines. Codes, IDs and numbers keep their
 * values, so MSAL and {@link EntraErrors} classify the error as before.
 */
final class EntraErrorBodies {
  /** Nesting deeper than this is not Entra's error format; the body is reduced to its error code. */
  private static final int MAX_DEPTH = 8;

  private EntraErrorBodies() {}

  /**
   * The body to hand to MSAL.
   *
   * @param text an error body {@link EntraTokenResponse#isEntraError} accepted (at most the
   *     response cap)
   * @return the same JSON with every string redacted and escaped
   */
  static byte[] sanitized(String text) {
    Object parsed;
    try (JsonReader reader = JsonProviders.createReader(text)) {
      parsed = clean(reader.readUntyped(), 0);
    } catch (IOException | RuntimeException | StackOverflowError e) {
      parsed = Map.of("error", "invalid_request", "error_description",
          "Entra's error answer could not be read (" + e.getClass().getSimpleName() + ")");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(text.length() + 64);
    try (JsonWriter writer = JsonProviders.createWriter(out)) {
      writer.writeUntyped(parsed);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  private static Object clean(Object value, int depth) {
    if (depth > MAX_DEPTH) {
      return null;
    }
    if (value instanceof String s) {
      return Redaction.message(s);
    }
    if (value instanceof Map<?, ?> m) {
      Map<String, Object> copy = new LinkedHashMap<>();
      m.forEach((k, v) -> copy.put(Redaction.message(String.valueOf(k)), clean(v, depth + 1)));
      return copy;
    }
    if (value instanceof List<?> l) {
      List<Object> copy = new ArrayList<>(l.size());
      l.forEach(v -> copy.add(clean(v, depth + 1)));
      return copy;
    }
    return value; // numbers, booleans, null
  }
}
