package io.workloadidentity.testkit.internal;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/** Decoding of {@code application/x-www-form-urlencoded} bodies and query strings. */
public final class Forms {
  private Forms() {}

  /**
   * Decodes {@code a=1&b=2} into an unmodifiable map in field order; the first value of a repeated
   * field wins. {@code null} or empty input gives an empty map.
   */
  public static Map<String, String> decode(String encoded) {
    Map<String, String> out = new LinkedHashMap<>();
    if (encoded == null || encoded.isEmpty()) {
      return Collections.unmodifiableMap(out);
    }
    for (String pair : encoded.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      out.putIfAbsent(k, v);
    }
    return Collections.unmodifiableMap(out);
  }
}
