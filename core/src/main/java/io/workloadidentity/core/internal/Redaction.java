package io.workloadidentity.core.internal;

import java.util.Locale;
import java.util.Set;

/**
 * The one place text we did not write passes through before it reaches our exception messages, logs
 * or reports: messages of third-party exceptions, server responses, claims and IDs.
 *
 * <p>{@link #message(String)} does three things, in this order:
 *
 * <ol>
 *   <li><b>truncates</b> the input to {@link #MAX_INPUT_LENGTH} characters (noting the original length),
 *       so that every later step does a bounded amount of work whatever the input;
 *   <li><b>redacts</b> secrets, replacing them with {@value #REDACTED}:
 *       <ul>
 *         <li>any run of base64url characters and dots that contains {@code eyJ} (base64url of
 *             <code>{"</code>: the header or payload of a JWT or JWE) or a 40+ character segment mixing
 *             upper case, lower case and digits (a signature, an opaque access token such as Google's
 *             {@code ya29.…}); UUIDs, hex digests, host names, paths and class names are kept;
 *         <li>the value after a known label: {@code Bearer xyz}, {@code "access_token":"…"},
 *             {@code assertion=…}, {@code client_assertion=…}, {@code subject_token=…},
 *             {@code X-Amz-Security-Token=…}, {@code <SessionToken>…}, {@code "SecretAccessKey":"…"},
 *             {@code "Token":"…"}, {@code Authorization: …}, {@code client_secret=…}, {@code password=…};
 *       </ul>
 *   <li><b>escapes</b> control characters as visible escapes ({@link #escape(String)}), so that untrusted
 *       text cannot forge log lines or drive a terminal, and bounds the result to {@link #MAX_LENGTH}.
 * </ol>
 *
 * <p>Every method runs in time linear in its input (a hand-written scanner: no regular expression
 * touches untrusted text) and never throws on any input, {@code null} included.
 *
 * <p>Redaction is a safety net, not permission: code must still never put a token into a message
 * on purpose.
 */
public final class Redaction {
  /** The marker that replaces a redacted secret. */
  public static final String REDACTED = "[redacted]";

  /** Untrusted text is cut to this many characters before any matching. */
  public static final int MAX_INPUT_LENGTH = 2_000;

  /** Upper bound on the length of anything {@link #message(String)} returns. */
  public static final int MAX_LENGTH = 4_096;

  /** How many causes {@link #describe(Throwable)} follows below the throwable itself. */
  public static final int MAX_CAUSES = 3;

  /**
   * Labels whose value is a secret (compared ignoring case). A label must be a whole run of letters,
   * digits, {@code _} and {@code -}, followed by an optional closing quote, then {@code :}, {@code =}
   * or {@code >} (XML), then the value; {@code Bearer} is followed by spaces instead.
   */
  private static final Set<String> LABELS = Set.of(
      "access_token", "refresh_token", "id_token", "subject_token", "actor_token",
      "assertion", "client_assertion", "client_secret", "password",
      "token", "sessiontoken", "session_token", "aws_session_token", "x-amz-security-token",
      "secretaccesskey", "secret_access_key", "aws_secret_access_key",
      "authorization", "aws_container_authorization_token", "x-aws-ec2-metadata-token");

  /**
   * Labels common in prose ("invalid token: expired"): their value is taken only after a quoted key
   * ({@code "Token":}), {@code =} or XML {@code >}, not after a bare colon.
   */
  private static final Set<String> PROSE_LABELS = Set.of("token", "password");

  /** Room kept at the end of {@link #MAX_LENGTH} for the truncation note. */
  private static final int NOTE_ROOM = 64;
  /** A segment at least this long that mixes upper case, lower case and digits is taken for a secret. */
  private static final int OPAQUE_SECRET_MIN = 40;

  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private Redaction() {}

  /**
   * Makes untrusted text safe to put into a message or log line: truncated to {@link
   * #MAX_INPUT_LENGTH} characters (with a note of the original length), secrets replaced with
   * {@value #REDACTED}, control characters escaped.
   *
   * @param untrusted text from a third party (an exception message, a response body); may be null
   * @return the safe text, never longer than {@link #MAX_LENGTH}; {@code "null"} for {@code null}
   */
  public static String message(String untrusted) {
    if (untrusted == null) {
      return "null";
    }
    int length = untrusted.length();
    int cut = Math.min(length, MAX_INPUT_LENGTH);
    if (cut < length && Character.isHighSurrogate(untrusted.charAt(cut - 1))) {
      cut--; // do not leave half a surrogate pair
    }
    String redacted = redact(untrusted.substring(0, cut));
    StringBuilder out = new StringBuilder(Math.min(MAX_LENGTH, redacted.length() + NOTE_ROOM));
    boolean complete = escapeInto(out, redacted, MAX_LENGTH - NOTE_ROOM);
    if (cut < length || !complete) {
      out.append("... (truncated; ").append(length).append(" characters in all)");
    }
    return out.toString();
  }

  /**
   * Escapes control characters only, for text that is not secret but is not ours either: claims,
   * IDs, paths, names printed in messages and reports. CR, LF and TAB become {@code \r}, {@code \n},
   * {@code \t}; other C0 and C1 controls, DEL, line and paragraph separators (U+2028, U+2029),
   * format characters (zero-width, bidirectional controls, the byte-order mark, tag characters) and
   * unpaired surrogates become {@code \}{@code uXXXX} (upper-case hex; a supplementary character as
   * its two surrogates). Nothing is truncated or redacted.
   *
   * @param text the text; may be null
   * @return the escaped text; {@code "null"} for {@code null}
   */
  public static String escape(String text) {
    if (text == null) {
      return "null";
    }
    if (!needsEscape(text)) {
      return text;
    }
    StringBuilder out = new StringBuilder(text.length() + 16);
    escapeInto(out, text, Integer.MAX_VALUE);
    return out.toString();
  }

  /**
   * Describes a throwable for a message or log line: its class's simple name and its {@linkplain
   * #message redacted} message, then the same for up to {@link #MAX_CAUSES} causes ("IOException:
   * ...; caused by SSLHandshakeException: ..."). Never a stack trace.
   *
   * @param t the throwable; may be null
   * @return the description; {@code "null"} for {@code null}
   */
  public static String describe(Throwable t) {
    if (t == null) {
      return "null";
    }
    StringBuilder sb = new StringBuilder();
    Throwable current = t;
    for (int level = 0; current != null && level <= MAX_CAUSES; level++) {
      if (level > 0) {
        sb.append("; caused by ");
      }
      String name = current.getClass().getSimpleName();
      sb.append(name.isEmpty() ? current.getClass().getName() : name);
      String m = current.getMessage();
      Throwable cause = current.getCause();
      // new Exception(cause) copies cause.toString() into the message: say it once, at the cause.
      boolean copied = m != null && cause != null && m.equals(cause.toString());
      if (m != null && !m.isEmpty() && !copied) {
        sb.append(": ").append(message(m));
      }
      if (cause == current) {
        break;
      }
      current = cause;
    }
    return sb.toString();
  }

  // ------------------------------------------------------------------------------------------

  /** Replaces secrets; one left-to-right pass, every character looked at a bounded number of times. */
  static String redact(String s) {
    int n = s.length();
    StringBuilder out = new StringBuilder(n + 16);
    int i = 0;
    while (i < n) {
      if (!isRunChar(s.charAt(i))) {
        out.append(s.charAt(i));
        i++;
        continue;
      }
      int end = i;
      while (end < n && isRunChar(s.charAt(end))) {
        end++;
      }
      if (looksSecret(s, i, end)) {
        out.append(REDACTED);
        i = end;
        continue;
      }
      out.append(s, i, end);
      int valueStart = labelValueStart(s, i, end);
      if (valueStart < 0) {
        i = end;
        continue;
      }
      boolean bearer = isBearer(s, i, end);
      boolean wholeHeader = end - i == 13 && s.regionMatches(true, i, "authorization", 0, 13);
      int valueEnd = valueEnd(s, valueStart, wholeHeader);
      if (valueEnd == valueStart || isHarmlessValue(s, valueStart, valueEnd, bearer)) {
        i = end;
        continue;
      }
      out.append(s, end, valueStart).append(REDACTED);
      i = valueEnd;
    }
    return out.toString();
  }

  /** Base64url characters and the dot: what JWTs, opaque tokens, host names and class names are made of. */
  private static boolean isRunChar(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' || c == '.';
  }

  /** Whether the run [from, to) holds base64url JSON ({@code eyJ}) or a long mixed-case opaque segment. */
  private static boolean looksSecret(String s, int from, int to) {
    int segmentLength = 0;
    boolean upper = false;
    boolean lower = false;
    boolean digit = false;
    for (int k = from; k < to; k++) {
      char c = s.charAt(k);
      if (c == 'e' && k + 2 < to && s.charAt(k + 1) == 'y' && s.charAt(k + 2) == 'J') {
        return true;
      }
      if (c == '.') {
        segmentLength = 0;
        upper = lower = digit = false;
        continue;
      }
      segmentLength++;
      upper |= c >= 'A' && c <= 'Z';
      lower |= c >= 'a' && c <= 'z';
      digit |= c >= '0' && c <= '9';
      if (segmentLength >= OPAQUE_SECRET_MIN && upper && lower && digit) {
        return true;
      }
    }
    return false;
  }

  /**
   * If the run [from, to) is a known label followed by its separator, where its value starts;
   * otherwise -1.
   */
  private static int labelValueStart(String s, int from, int to) {
    int n = s.length();
    if (isBearer(s, from, to)) {
      int k = skipSpaces(s, to);
      return k > to ? k : -1;
    }
    if (to - from > 40) {
      return -1; // longer than any label: do not copy it
    }
    String label = s.substring(from, to).toLowerCase(Locale.ROOT);
    if (!LABELS.contains(label)) {
      return -1;
    }
    int k = to;
    boolean quoted = k < n && (s.charAt(k) == '"' || s.charAt(k) == '\'');
    if (quoted) {
      k++;
    }
    k = skipSpaces(s, k);
    if (k >= n) {
      return -1;
    }
    char separator = s.charAt(k);
    boolean proseColon = separator == ':' && !quoted && PROSE_LABELS.contains(label);
    if (separator != ':' && separator != '=' && separator != '>' || proseColon) {
      return -1;
    }
    k = skipSpaces(s, k + 1);
    if (k < n && (s.charAt(k) == '"' || s.charAt(k) == '\'')) {
      k++;
    }
    return k;
  }

  private static boolean isBearer(String s, int from, int to) {
    return to - from == 6 && s.regionMatches(true, from, "bearer", 0, 6);
  }

  private static int skipSpaces(String s, int k) {
    while (k < s.length() && (s.charAt(k) == ' ' || s.charAt(k) == '\t')) {
      k++;
    }
    return k;
  }

  /**
   * The end of a secret value: the first quote, whitespace, control character or delimiter of
   * query strings, headers, JSON and XML. An Authorization header's value runs to the end of the line
   * (it has a scheme word, a space and the credential).
   */
  private static int valueEnd(String s, int start, boolean wholeHeader) {
    int k = start;
    while (k < s.length()) {
      char c = s.charAt(k);
      boolean space = c == ' ' || c == '\t';
      if (c < 0x20 || c == 0x7f || c == '"' || c == '\'' || c == '&' || c == ',' || c == ';' || c == '<' || c == '>'
          || c == ')' || c == ']' || c == '}' || (space && !wholeHeader)) {
        break;
      }
      k++;
    }
    return k;
  }

  /**
   * Values that are certainly not secrets and say something useful: JSON literals
   * ({@code "access_token": null}), and a lower-case word after "Bearer" ({@code Bearer realm=...},
   * {@code Bearer error="invalid_token"} in WWW-Authenticate).
   */
  private static boolean isHarmlessValue(String s, int from, int to, boolean afterBearer) {
    int len = to - from;
    if (len == 4 && (s.startsWith("null", from) || s.startsWith("true", from)) || len == 5 && s.startsWith("false", from)) {
      return true;
    }
    if (!afterBearer) {
      return false;
    }
    for (int k = from; k < to; k++) {
      char c = s.charAt(k);
      if (c < 'a' || c > 'z') {
        return c == '=' && k > from; // an auth-param name: Bearer realm="...", error="invalid_token"
      }
    }
    return true;
  }

  private static boolean needsEscape(String s) {
    for (int k = 0; k < s.length(); k++) {
      char c = s.charAt(k);
      // Fast path: printable ASCII never needs an escape.
      if ((c < 0x20 || c > 0x7e) && escapeOf(s, k) != null) {
        return true;
      }
    }
    return false;
  }

  /**
   * Appends {@code s} to {@code out} with control characters escaped, as long as {@code out} stays
   * within {@code limit} characters; returns whether all of {@code s} fitted. Never cuts an escape or
   * a surrogate pair in half.
   */
  private static boolean escapeInto(StringBuilder out, String s, int limit) {
    int k = 0;
    while (k < s.length()) {
      String esc = escapeOf(s, k);
      int units = Character.charCount(s.codePointAt(k));
      int need = esc != null ? esc.length() : units;
      if (out.length() + need > limit) {
        return false;
      }
      if (esc != null) {
        out.append(esc);
      } else {
        out.append(s, k, k + units);
      }
      k += units;
    }
    return true;
  }

  /**
   * The escape for the code point at {@code k}, or null when it is printed as it is. Escaped: controls
   * (C0, DEL, C1), format characters (zero-width, bidirectional controls, the byte-order mark,
   * invisible tag characters), line and paragraph separators, and unpaired surrogates.
   */
  private static String escapeOf(String s, int k) {
    char c = s.charAt(k);
    switch (c) {
      case '\n':
        return "\\n";
      case '\r':
        return "\\r";
      case '\t':
        return "\\t";
      default:
        break;
    }
    int cp = s.codePointAt(k);
    int type = Character.getType(cp);
    boolean escape = type == Character.CONTROL || type == Character.FORMAT || type == Character.LINE_SEPARATOR
        || type == Character.PARAGRAPH_SEPARATOR || type == Character.SURROGATE; // SURROGATE: an unpaired half
    if (!escape) {
      return null;
    }
    return Character.isSupplementaryCodePoint(cp)
        ? hex(Character.highSurrogate(cp)) + hex(Character.lowSurrogate(cp))
        : hex(c);
  }

  private static String hex(char c) {
    return new String(new char[] {'\\', 'u', HEX[c >> 12], HEX[(c >> 8) & 0xf], HEX[(c >> 4) & 0xf], HEX[c & 0xf]});
  }
}
