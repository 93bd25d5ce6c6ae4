package io.workloadidentity.gcp.internal;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Values;

/**
 * Local checks of the values that end up in a request URL, header or body (service account, quota
 * project, metadata host, scopes), before anything is sent: a CR/LF in a quota project would forge
 * request headers and log lines, a '/' or '?' in a service account would change the IAM URL. Each
 * check is a linear scan of a bounded string and its message names the setting and quotes the value
 * escaped.
 */
public final class Checks {
  private static final int MAX_EMAIL = 254;
  private static final int MAX_PROJECT = 100;
  private static final int MAX_SCOPE = 1024;

  private Checks() {}

  /**
   * A service account to impersonate: an e-mail ({@code app@my-project.iam.gserviceaccount.com}) or
   * its numeric unique ID.
   *
   * @param value the value
   * @param what where it came from
   * @return the value
   * @throws ConfigurationException if it is neither
   */
  public static String serviceAccount(String value, String what) {
    Values.requireClean(value, what, MAX_EMAIL);
    if (isDigits(value) && value.length() <= 32) {
      return value;
    }
    int at = value.indexOf('@');
    boolean ok = at > 0 && at == value.lastIndexOf('@') && at <= 64 && Values.isDnsName(value.substring(at + 1))
        && value.indexOf('.', at) > 0;
    for (int i = 0; ok && i < at; i++) {
      char c = value.charAt(i);
      ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.'
          || c == '+';
    }
    if (!ok) {
      throw new ConfigurationException(what + " is \"" + Redaction.escape(value) + "\", which is not a service account:"
          + " expected its e-mail (NAME@PROJECT_ID.iam.gserviceaccount.com) or its numeric unique ID.");
    }
    return value;
  }

  /**
   * A quota project ({@code x-goog-user-project}): a project ID ({@code my-project}, or the legacy
   * domain-scoped {@code example.com:my-project}) or a project number.
   *
   * @param value the value
   * @param what where it came from
   * @return the value
   * @throws ConfigurationException if it is not
   */
  public static String quotaProject(String value, String what) {
    Values.requireClean(value, what, MAX_PROJECT);
    boolean ok = isLowerOrDigit(value.charAt(0)) && isLowerOrDigit(value.charAt(value.length() - 1));
    for (int i = 0; ok && i < value.length(); i++) {
      char c = value.charAt(i);
      ok = isLowerOrDigit(c) || c == '-' || c == '.' || c == ':';
    }
    if (!ok) {
      throw new ConfigurationException(what + " is \"" + Redaction.escape(value) + "\", which is not a Google Cloud"
          + " project: expected a project ID (lower-case letters, digits and hyphens, such as my-project) or a"
          + " project number.");
    }
    return value;
  }

  /**
   * The metadata server's {@code host[:port]} ({@code GCE_METADATA_HOST}): a DNS name or an IP
   * literal, optionally a port; nothing that changes the URL ({@code @}, {@code /}, {@code ?}).
   *
   * @param value the value
   * @param what where it came from
   * @return the value
   * @throws ConfigurationException if it is not
   */
  public static String metadataHost(String value, String what) {
    Values.requireClean(value, what, 300);
    String host = value;
    String port = null;
    if (value.startsWith("[")) {
      int close = value.indexOf(']');
      host = close < 0 ? "" : value.substring(0, close + 1);
      port = close < 0 || close == value.length() - 1 ? null
          : value.charAt(close + 1) == ':' ? value.substring(close + 2) : "x";
    } else if (value.indexOf(':') >= 0) {
      host = value.substring(0, value.indexOf(':'));
      port = value.substring(value.indexOf(':') + 1);
    }
    boolean ok = host.startsWith("[") ? isIpv6Literal(host) : Values.isDnsName(host) || isIpv4(host);
    if (ok && port != null) {
      ok = isDigits(port) && port.length() <= 5 && Integer.parseInt(port) > 0 && Integer.parseInt(port) <= 65535;
    }
    if (!ok) {
      throw new ConfigurationException(what + " is \"" + Redaction.escape(value) + "\", which is not a host[:port]"
          + " (for example metadata.google.internal or 169.254.169.254:80).");
    }
    return value;
  }

  /**
   * An OAuth scope: visible characters only.
   *
   * @param value the scope
   * @return the value
   * @throws ConfigurationException if it is empty, too long or has control characters or spaces
   */
  public static String scope(String value) {
    Values.requireClean(value, "scope", MAX_SCOPE);
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) == ' ') {
        throw new ConfigurationException("The scope \"" + Redaction.escape(value) + "\" contains a space: pass each"
            + " scope separately.");
      }
    }
    return value;
  }

  private static boolean isLowerOrDigit(char c) {
    return c >= 'a' && c <= 'z' || c >= '0' && c <= '9';
  }

  private static boolean isDigits(String s) {
    if (s.isEmpty()) {
      return false;
    }
    for (int i = 0; i < s.length(); i++) {
      if (s.charAt(i) < '0' || s.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpv4(String s) {
    String[] parts = s.split("\\.", -1);
    if (parts.length != 4) {
      return false;
    }
    for (String p : parts) {
      if (!isDigits(p) || p.length() > 3 || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  private static boolean isIpv6Literal(String s) {
    if (s.length() < 4 || !s.endsWith("]")) {
      return false;
    }
    for (int i = 1; i < s.length() - 1; i++) {
      char c = s.charAt(i);
      if (!(Character.digit(c, 16) >= 0 || c == ':' || c == '.')) {
        return false;
      }
    }
    return true;
  }
}
