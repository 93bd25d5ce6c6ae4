package io.workloadidentity.core.internal;

import io.workloadidentity.core.ConfigurationException;

/**
 * Local checks of configuration values before they are used in a request, a log line or a message:
 * bounded, no control characters (a CR/LF in a client ID forges log lines and request headers), and
 * shape checks as linear scans (never a regex with nested quantifiers on untrusted text).
 */
public final class Values {
  private Values() {}

  /**
   * Checks a configured value: non-empty, at most {@code maxLength} characters, no control or
   * format characters.
   *
   * @param value the value (already trimmed by {@code Environment})
   * @param name where it came from, for the message (for example {@code AZURE_CLIENT_ID})
   * @param maxLength the longest sensible value
   * @return {@code value}
   * @throws ConfigurationException naming the setting and the position of the offending character
   *     (the value itself is quoted only escaped)
   */
  public static String requireClean(String value, String name, int maxLength) {
    if (value == null || value.isEmpty()) {
      throw new ConfigurationException(name + " is empty.");
    }
    if (value.length() > maxLength) {
      throw new ConfigurationException(name + " is " + value.length() + " characters long; at most " + maxLength
          + " are expected. Check the value.");
    }
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT || c == '\u2028' || c == '\u2029') {
        throw new ConfigurationException(name + " contains a control character (U+"
            + String.format("%04X", (int) c) + ") at position " + i + ": " + Redaction.escape(value)
            + ". Remove it (a stray line break from a Secret or ConfigMap, for example).");
      }
    }
    return value;
  }

  /**
   * Whether {@code value} is a GUID in its canonical 8-4-4-4-12 hexadecimal form.
   *
   * @param value the value
   * @return true for a GUID
   */
  public static boolean isGuid(String value) {
    if (value == null || value.length() != 36) {
      return false;
    }
    for (int i = 0; i < 36; i++) {
      char c = value.charAt(i);
      boolean dash = i == 8 || i == 13 || i == 18 || i == 23;
      if (dash ? c != '-' : Character.digit(c, 16) < 0) {
        return false;
      }
    }
    return true;
  }

  /**
   * Whether {@code value} is a DNS name: dot-separated labels of letters, digits and inner hyphens,
   * each at most 63 characters, at most 253 in all.
   *
   * @param value the value
   * @return true for a plain DNS name (no port, no user info, no path)
   */
  public static boolean isDnsName(String value) {
    if (value == null || value.isEmpty() || value.length() > 253) {
      return false;
    }
    int labelStart = 0;
    for (int i = 0; i <= value.length(); i++) {
      if (i == value.length() || value.charAt(i) == '.') {
        int len = i - labelStart;
        if (len < 1 || len > 63 || value.charAt(labelStart) == '-' || value.charAt(i - 1) == '-') {
          return false;
        }
        labelStart = i + 1;
      } else {
        char c = value.charAt(i);
        if (!(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-')) {
          return false;
        }
      }
    }
    return true;
  }
}
