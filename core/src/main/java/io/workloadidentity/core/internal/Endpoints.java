package io.workloadidentity.core.internal;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;

/**
 * The transport policy every cloud module applies to every endpoint it sends a token to: https only,
 * except to loopback (the testkit, local emulators), unless plain http is explicitly allowed. An
 * endpoint is also refused when it hides its real host (user info such as {@code
 * googleapis.com@evil.example}), is not absolute, or carries control characters.
 *
 * <p>The opt-in is one switch for the whole process: the system property {@value #ALLOW_HTTP_PROPERTY}
 * or the environment variable {@value #ALLOW_HTTP_VARIABLE} set to {@code true} (each cloud's
 * builder has its own method too). It exists for test clusters behind a plain-http proxy; never for
 * production, where the token would travel in clear.
 */
public final class Endpoints {
  /** System property that allows plain http to non-loopback endpoints. */
  public static final String ALLOW_HTTP_PROPERTY = "workloadidentity.allowHttp";
  /** Environment variable that allows plain http to non-loopback endpoints. */
  public static final String ALLOW_HTTP_VARIABLE = "WORKLOAD_IDENTITY_ALLOW_HTTP";
  /** Longest endpoint accepted; real ones are well under 200 characters. */
  private static final int MAX_LENGTH = 2_048;

  private Endpoints() {}

  /**
   * Whether the environment allows plain http to non-loopback endpoints.
   *
   * @param env the environment
   * @return true when {@value #ALLOW_HTTP_PROPERTY} or {@value #ALLOW_HTTP_VARIABLE} is {@code true}
   */
  public static boolean httpAllowed(Environment env) {
    return env.get(ALLOW_HTTP_VARIABLE, ALLOW_HTTP_PROPERTY).map(v -> v.equalsIgnoreCase("true")).orElse(false);
  }

  /**
   * Parses and checks an endpoint a token will be sent to.
   *
   * @param url the endpoint as configured
   * @param what what it is, for the message (for example "The STS endpoint (AWS_ENDPOINT_URL_STS)")
   * @param allowHttp whether plain http to a non-loopback host was explicitly allowed
   * @param optIn how to allow it, for the message (for example the builder method)
   * @return the endpoint
   * @throws ConfigurationException if the endpoint is malformed, hides its host, or is plain http to
   *     a non-loopback host without the opt-in; the message names the host and the opt-in
   */
  public static URI requireSecure(String url, String what, boolean allowHttp, String optIn) {
    if (url == null || url.isEmpty() || url.length() > MAX_LENGTH || hasControl(url)) {
      throw new ConfigurationException(what + " is not a usable URL (" + (url == null ? "unset"
          : url.length() > MAX_LENGTH ? url.length() + " characters" : Redaction.message(url)) + ").");
    }
    URI uri;
    try {
      uri = new URI(url);
    } catch (URISyntaxException e) {
      throw new ConfigurationException(what + " is not a valid URL: " + Redaction.message(url) + ".");
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!scheme.equals("https") && !scheme.equals("http") || uri.getHost() == null) {
      throw new ConfigurationException(what + " must be an absolute https URL, not " + Redaction.message(url) + ".");
    }
    if (uri.getRawUserInfo() != null) {
      throw new ConfigurationException(what + " " + Redaction.message(url) + " contains user information before '@':"
          + " the request would go to " + uri.getHost() + ". Remove it.");
    }
    if (scheme.equals("http") && !isLoopback(uri.getHost()) && !allowHttp) {
      throw new ConfigurationException(what + " " + uri.getScheme() + "://" + uri.getHost() + " is plain http to a"
          + " host that is not loopback: the token would travel in clear. Use https, or allow plain http explicitly"
          + " (" + optIn + ", or " + ALLOW_HTTP_PROPERTY + "=true / " + ALLOW_HTTP_VARIABLE + "=true) where that is"
          + " intended.");
    }
    return uri;
  }

  /**
   * Whether {@code host} is this machine: {@code localhost}, 127.0.0.0/8 or {@code ::1}, judged from
   * the text alone (no DNS lookup: a name that resolves to loopback today may not tomorrow).
   *
   * @param host a host name or IP literal, possibly in brackets
   * @return true for loopback
   */
  public static boolean isLoopback(String host) {
    if (host == null) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    if (h.startsWith("[") && h.endsWith("]")) {
      h = h.substring(1, h.length() - 1);
    }
    if (h.equals("localhost") || h.equals("::1") || h.equals("0:0:0:0:0:0:0:1")) {
      return true;
    }
    String[] parts = h.split("\\.", -1);
    if (parts.length != 4 || !parts[0].equals("127")) {
      return false;
    }
    for (String p : parts) {
      if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(c -> c >= '0' && c <= '9') || Integer.parseInt(p) > 255) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasControl(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f || Character.isWhitespace(c)) {
        return true;
      }
    }
    return false;
  }
}
