package io.workloadidentity.azure.internal;

import java.util.HashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Entra ID's successful token response, checked before MSAL sees it: MSAL turns a missing {@code
 * access_token} into a null token and a missing or non-positive {@code expires_in} into a token that
 * expires on arrival, and it reads the body with {@code Long.parseLong} on fields of any type. This
 * parser decides first, with a precise reason for each refusal.
 *
 * <p>Required: a JSON object with {@code access_token}, a non-empty string of bearer-token
 * characters (RFC 6750 {@code b64token}: letters, digits, {@code -._~+/}, trailing {@code =}: a CR,
 * LF or space would let a response forge request headers later), and {@code expires_in}, a whole
 * positive number of seconds (a JSON number or a string of digits, as Entra's v1 endpoint and ADFS
 * send it) up to {@link #MAX_EXPIRES_IN}. Optional, but a whole number when present (MSAL parses
 * them too): {@code ext_expires_in}, {@code refresh_in}. {@code token_type}, when present, is
 * {@code Bearer} (any case). {@code expires_on} (epoch seconds, v1 and ADFS) is read only to
 * recognise a skewed clock. Any of these fields appearing twice is refused: MSAL would take another
 * occurrence than this check did. Other members are skipped (their syntax is still checked).
 *
 * <p>Bound on work: one left-to-right pass over the body (capped at {@code
 * HttpDefaults.MAX_RESPONSE_BYTES} before it gets here), each character looked at a constant number
 * of times; nesting is tracked with a counter (at most {@link #MAX_DEPTH} levels), never by
 * recursion; no regular expression. Never throws anything but {@link Invalid} on any input.
 *
 * @param accessToken the access token
 * @param expiresInSeconds its lifetime in seconds, positive
 * @param refreshInSeconds Entra's refresh hint in seconds, or -1 when absent
 * @param expiresOnEpochSecond the absolute expiry Entra stated, or -1 when absent or unreadable
 */
public record EntraTokenResponse(String accessToken, long expiresInSeconds, long refreshInSeconds,
    long expiresOnEpochSecond) {

  /** Longest lifetime read as one (68 years): anything longer is not a lifetime but a broken response. */
  public static final long MAX_EXPIRES_IN = Integer.MAX_VALUE;
  /** Deepest nesting of arrays and objects skipped inside the response. */
  public static final int MAX_DEPTH = 32;
  /** Members checked for duplicates and types. */
  private static final String[] KNOWN = {"access_token", "expires_in", "ext_expires_in", "refresh_in", "token_type",
      "expires_on"};
  /** Members of an error answer looked at. */
  private static final String[] ERROR_MEMBERS = {"error"};

  /** Never prints the token. */
  @Override
  public String toString() {
    return "EntraTokenResponse{expires_in=" + expiresInSeconds + ", refresh_in=" + refreshInSeconds + "}";
  }

  /**
   * Why a response body is refused: a sentence that names the field and what is wrong with it,
   * never a value that could be a secret.
   */
  public static final class Invalid extends Exception {
    private static final long serialVersionUID = 1L;

    Invalid(String problem) {
      super(problem, null, false, false);
    }
  }

  /**
   * Parses and checks a 200 response body of the token endpoint.
   *
   * @param body the body as text
   * @return the checked response
   * @throws Invalid with the reason when it is not a usable token response
   */
  public static EntraTokenResponse parse(String body) throws Invalid {
    if (body == null || body.isBlank()) {
      throw new Invalid("the body is empty");
    }
    Map<String, Value> members = new Scanner(body, KNOWN).topLevelObject();
    String token = token(members.get("access_token"));
    long expiresIn = expiresIn(members.get("expires_in"));
    wholeOrAbsent(members.get("ext_expires_in"), "ext_expires_in");
    long refreshIn = wholeOrAbsent(members.get("refresh_in"), "refresh_in");
    Value type = members.get("token_type");
    if (type != null && type.kind != Kind.NULL) {
      if (type.kind != Kind.STRING) {
        throw new Invalid("token_type is " + type.kind.description + ", not a string");
      }
      if (!type.text.equalsIgnoreCase("bearer")) {
        throw new Invalid("token_type is " + quoteShort(type.text) + ", not Bearer: only bearer tokens were requested");
      }
    }
    long expiresOn = -1;
    Value on = members.get("expires_on");
    if (on != null && (on.kind == Kind.NUMBER || on.kind == Kind.STRING)) {
      long v = wholeNumber(on.text);
      expiresOn = v > 0 ? v : -1;
    }
    return new EntraTokenResponse(token, expiresIn, refreshIn > 0 ? refreshIn : -1, expiresOn);
  }

  /**
   * Whether an error answer's body is Entra's error JSON: an object whose {@code error} is a
   * string. Anything else (an HTML page, a proxy's text, JSON of another shape) came from something
   * between this pod and Entra, and MSAL would misread it (as an error without a status). The same
   * linear scan as {@link #parse}.
   *
   * @param body the body of an answer with an error status
   * @return true for Entra's error format
   */
  public static boolean isEntraError(String body) {
    if (body == null || body.isBlank()) {
      return false;
    }
    try {
      Value error = new Scanner(body, ERROR_MEMBERS).topLevelObject().get("error");
      return error != null && error.kind == Kind.STRING && !error.text.isEmpty();
    } catch (Invalid notJson) {
      return false;
    }
  }

  /**
   * A sentence when {@code expires_on} disagrees with {@code expires_in} by more than five minutes
   * on this machine's clock, the one case where the clock is the likely cause; else empty.
   *
   * @param receivedAtEpochSecond when the response arrived, by this machine's clock
   * @return the warning, naming both times
   */
  public Optional<String> clockSkew(long receivedAtEpochSecond) {
    if (expiresOnEpochSecond < 0) {
      return Optional.empty();
    }
    long expected = receivedAtEpochSecond + expiresInSeconds;
    long skew = expected - expiresOnEpochSecond;
    if (Math.abs(skew) <= 300) {
      return Optional.empty();
    }
    return Optional.of("Entra ID's token response says the token expires at " + java.time.Instant.ofEpochSecond(
        expiresOnEpochSecond) + " (expires_on) and in " + expiresInSeconds + " s (expires_in): by this machine's clock"
        + " that is " + java.time.Instant.ofEpochSecond(expected) + ", " + Math.abs(skew) + " s " + (skew > 0 ? "later"
        : "earlier") + ". This machine's clock is probably " + (skew > 0 ? "ahead" : "behind") + ": check NTP or chrony"
        + " on the node. The token's lifetime is taken from expires_in.");
  }

  private static String token(Value v) throws Invalid {
    if (v == null) {
      throw new Invalid("Entra's response has no access_token");
    }
    if (v.kind != Kind.STRING) {
      throw new Invalid("access_token is " + v.kind.description + ", not a string");
    }
    String t = v.text;
    if (t.isEmpty()) {
      throw new Invalid("access_token is empty");
    }
    int end = t.length();
    while (end > 0 && t.charAt(end - 1) == '=') {
      end--;
    }
    if (end == 0) {
      throw new Invalid("access_token has no characters but '='");
    }
    for (int i = 0; i < end; i++) {
      char c = t.charAt(i);
      boolean ok = c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '.'
          || c == '_' || c == '~' || c == '+' || c == '/';
      if (!ok) {
        throw new Invalid("access_token contains a character a bearer token cannot have (" + describe(c)
            + " at position " + i + " of " + t.length() + ")");
      }
    }
    return t;
  }

  private static long expiresIn(Value v) throws Invalid {
    if (v == null || v.kind == Kind.NULL) {
      throw new Invalid("Entra's response has no expires_in" + (v == null ? "" : " (it is null)") + ": the token's"
          + " lifetime is unknown, so it is not used (it is never assumed to last an hour)");
    }
    if (v.kind != Kind.NUMBER && v.kind != Kind.STRING) {
      throw new Invalid("expires_in is " + v.kind.description + ", not a number of seconds");
    }
    String text = v.text;
    long seconds = wholeNumber(text);
    if (seconds == NOT_WHOLE) {
      throw new Invalid("expires_in " + quoteShort(v.text) + " is not a whole number of seconds");
    }
    if (seconds == TOO_LARGE || seconds > MAX_EXPIRES_IN) {
      throw new Invalid("expires_in " + quoteShort(v.text) + " is not a plausible lifetime (more than "
          + MAX_EXPIRES_IN + " s)");
    }
    if (seconds <= 0) {
      throw new Invalid("expires_in " + seconds + " is not positive: the token would be expired on arrival");
    }
    return seconds;
  }

  /** An optional whole-number field: its value, or -1 when absent or null. */
  private static long wholeOrAbsent(Value v, String name) throws Invalid {
    if (v == null || v.kind == Kind.NULL) {
      return -1;
    }
    if (v.kind != Kind.NUMBER && v.kind != Kind.STRING) {
      throw new Invalid(name + " is " + v.kind.description + ", not a number of seconds");
    }
    long n = wholeNumber(v.text);
    if (n == NOT_WHOLE || n == TOO_LARGE) {
      throw new Invalid(name + " " + quoteShort(v.text) + " is not a whole number of seconds");
    }
    return n;
  }

  private static final long NOT_WHOLE = Long.MIN_VALUE;
  private static final long TOO_LARGE = Long.MIN_VALUE + 1;

  /**
   * An optional minus sign and 1-18 decimal digits as a long; {@link #TOO_LARGE} for more digits,
   * {@link #NOT_WHOLE} for anything else (fractions, exponents, signs, spaces, empty).
   */
  static long wholeNumber(String s) {
    int i = 0;
    boolean negative = false;
    if (!s.isEmpty() && s.charAt(0) == '-') {
      negative = true;
      i = 1;
    }
    if (i == s.length()) {
      return NOT_WHOLE;
    }
    long value = 0;
    int digits = 0;
    for (; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c < '0' || c > '9') {
        return NOT_WHOLE;
      }
      if (digits > 0 || c != '0') {
        digits++;
      }
      if (digits > 18) {
        // keep scanning: "1e5" after 19 digits is still not whole
        for (int k = i; k < s.length(); k++) {
          if (s.charAt(k) < '0' || s.charAt(k) > '9') {
            return NOT_WHOLE;
          }
        }
        return TOO_LARGE;
      }
      value = value * 10 + (c - '0');
    }
    return negative ? -value : value;
  }

  /** A short value for a message: numbers and words, escaped, at most 40 characters. */
  private static String quoteShort(String s) {
    String cut = s.length() > 40 ? s.substring(0, 40) + "..." : s;
    return "\"" + io.workloadidentity.core.internal.Redaction.escape(cut) + "\"";
  }

  private static String describe(char c) {
    return c == ' ' ? "a space" : c == '\r' ? "CR" : c == '\n' ? "LF" : "U+" + String.format(Locale.ROOT, "%04X", (int) c);
  }

  // ------------------------------------------------------------------------------------------

  private enum Kind {
    STRING("a string"), NUMBER("a number"), BOOLEAN("a boolean"), NULL("null"), OBJECT("an object"), ARRAY("an array");

    final String description;

    Kind(String description) {
      this.description = description;
    }
  }

  /** A top-level member's value: its kind, and its text for strings (decoded) and numbers (as written). */
  private static final class Value {
    final Kind kind;
    final String text;

    Value(Kind kind, String text) {
      this.kind = kind;
      this.text = text;
    }
  }

  /** A strict RFC 8259 scanner for one object; positions in messages are character offsets. */
  private static final class Scanner {
    private final String s;
    private final String[] recorded;
    private int i;

    /** A scanner of {@code s} that records the top-level members named {@code recorded}, refusing them twice. */
    Scanner(String s, String[] recorded) {
      this.s = s;
      this.recorded = recorded;
    }

    Map<String, Value> topLevelObject() throws Invalid {
      skipSpace();
      if (i < s.length() && s.charAt(i) == '\uFEFF') {
        i++; // a byte-order mark some gateways add
        skipSpace();
      }
      if (i >= s.length() || s.charAt(i) != '{') {
        throw new Invalid("the body is not a JSON object (it starts with " + (i >= s.length() ? "nothing"
            : describeAt(i)) + ")");
      }
      i++;
      Map<String, Value> members = new HashMap<>();
      skipSpace();
      if (peek() == '}') {
        i++;
      } else {
        while (true) {
          skipSpace();
          if (peek() != '"') {
            throw unexpected("a member name");
          }
          String name = string();
          skipSpace();
          expect(':');
          skipSpace();
          Value v = value();
          for (String known : recorded) {
            if (known.equals(name) && members.put(name, v) != null) {
              throw new Invalid(name + " appears twice in the response");
            }
          }
          skipSpace();
          char c = peek();
          i++;
          if (c == '}') {
            break;
          }
          if (c != ',') {
            i--;
            throw unexpected("',' or '}'");
          }
        }
      }
      skipSpace();
      if (i < s.length()) {
        throw new Invalid("the JSON object is followed by more text at position " + i);
      }
      return members;
    }

    /** A member's value; arrays and objects are checked and skipped (only top-level members matter). */
    private Value value() throws Invalid {
      char c = peek();
      if (c == '"') {
        return new Value(Kind.STRING, string());
      }
      if (c == '-' || c >= '0' && c <= '9') {
        return new Value(Kind.NUMBER, number());
      }
      if (c == '{' || c == '[') {
        skipNested();
        return new Value(c == '{' ? Kind.OBJECT : Kind.ARRAY, null);
      }
      if (literal("true") || literal("false")) {
        return new Value(Kind.BOOLEAN, null);
      }
      if (literal("null")) {
        return new Value(Kind.NULL, null);
      }
      throw unexpected("a JSON value");
    }

    /**
     * Skips one array or object with everything in it, checking its syntax: a loop over a stack of
     * open brackets kept as a bit per level (depth at most {@link #MAX_DEPTH}).
     */
    private void skipNested() throws Invalid {
      long objects = 0; // bit d set: the container at depth d is an object, else an array
      int depth = 0;
      boolean needValue = true; // the first value is the opening bracket itself
      while (true) {
        skipSpace();
        char c = peek();
        if (needValue) {
          if (c == '{' || c == '[') {
            if (depth == MAX_DEPTH) {
              throw new Invalid("the response nests arrays and objects more than " + MAX_DEPTH + " levels deep");
            }
            objects = c == '{' ? objects | (1L << depth) : objects & ~(1L << depth);
            depth++;
            i++;
            skipSpace();
            if (peek() == (c == '{' ? '}' : ']')) { // empty
              i++;
              depth--;
              needValue = false;
            } else if (c == '{') {
              memberName();
            }
          } else {
            value(); // a scalar: c is no bracket, so this does not come back here
            needValue = false;
          }
        } else {
          if (depth == 0) {
            return;
          }
          boolean object = (objects >>> (depth - 1) & 1L) != 0;
          if (c == ',') {
            i++;
            if (object) {
              skipSpace();
              memberName();
            }
            needValue = true;
          } else if (c == (object ? '}' : ']')) {
            i++;
            depth--;
          } else {
            throw unexpected(object ? "',' or '}'" : "',' or ']'");
          }
        }
      }
    }

    /** Inside a nested object: {@code "name" :}. */
    private void memberName() throws Invalid {
      if (peek() != '"') {
        throw unexpected("a member name");
      }
      string();
      skipSpace();
      expect(':');
    }

    private String string() throws Invalid {
      int start = i;
      i++; // the opening quote
      StringBuilder out = null;
      int runStart = i;
      while (true) {
        if (i >= s.length()) {
          throw new Invalid("the body ends inside a string that starts at position " + start + " (truncated?)");
        }
        char c = s.charAt(i);
        if (c == '"') {
          String text = out == null ? s.substring(runStart, i) : out.append(s, runStart, i).toString();
          i++;
          return text;
        }
        if (c < 0x20) {
          throw new Invalid("a string has a raw control character (" + describe(c) + ") at position " + i);
        }
        if (c != '\\') {
          i++;
          continue;
        }
        if (out == null) {
          out = new StringBuilder();
        }
        out.append(s, runStart, i);
        if (i + 1 >= s.length()) {
          throw new Invalid("the body ends inside a string that starts at position " + start + " (truncated?)");
        }
        char e = s.charAt(i + 1);
        switch (e) {
          case '"', '\\', '/' -> out.append(e);
          case 'b' -> out.append('\b');
          case 'f' -> out.append('\f');
          case 'n' -> out.append('\n');
          case 'r' -> out.append('\r');
          case 't' -> out.append('\t');
          case 'u' -> {
            if (i + 6 > s.length()) {
              throw new Invalid("the body ends inside a \\u escape at position " + i + " (truncated?)");
            }
            int cp = 0;
            for (int k = i + 2; k < i + 6; k++) {
              int d = Character.digit(s.charAt(k), 16);
              if (d < 0) {
                throw new Invalid("a \\u escape at position " + i + " is not four hexadecimal digits");
              }
              cp = cp * 16 + d;
            }
            out.append((char) cp);
            i += 4;
          }
          default -> throw new Invalid("a string has an invalid escape (\\" + (e > 0x20 && e < 0x7f ? String.valueOf(e)
              : describe(e)) + ") at position " + i);
        }
        i += 2;
        runStart = i;
      }
    }

    private String number() throws Invalid {
      int start = i;
      if (peek() == '-') {
        i++;
      }
      if (peek() == '0') {
        i++;
      } else if (isDigit(peek())) {
        while (isDigit(peek())) {
          i++;
        }
      } else {
        throw unexpected("a digit");
      }
      if (peek() == '.') {
        i++;
        if (!isDigit(peek())) {
          throw unexpected("a digit");
        }
        while (isDigit(peek())) {
          i++;
        }
      }
      if (peek() == 'e' || peek() == 'E') {
        i++;
        if (peek() == '+' || peek() == '-') {
          i++;
        }
        if (!isDigit(peek())) {
          throw unexpected("a digit");
        }
        while (isDigit(peek())) {
          i++;
        }
      }
      return s.substring(start, i);
    }

    private boolean literal(String word) {
      if (s.startsWith(word, i)) {
        i += word.length();
        return true;
      }
      return false;
    }

    private void expect(char c) throws Invalid {
      if (peek() != c) {
        throw unexpected("'" + c + "'");
      }
      i++;
    }

    /** The character at the position, or NUL at the end (never valid where it is checked). */
    private char peek() {
      return i < s.length() ? s.charAt(i) : '\0';
    }

    private void skipSpace() {
      while (i < s.length()) {
        char c = s.charAt(i);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
          return;
        }
        i++;
      }
    }

    private Invalid unexpected(String what) {
      if (i >= s.length()) {
        return new Invalid("the body ends at position " + i + " where " + what + " was expected (truncated?)");
      }
      return new Invalid("expected " + what + " at position " + i + " but found " + describeAt(i));
    }

    private String describeAt(int k) {
      return describeChar(s.charAt(k));
    }

    private static String describeChar(char c) {
      return c > 0x20 && c < 0x7f ? "'" + c + "'" : describe(c);
    }

    private static boolean isDigit(char c) {
      return c >= '0' && c <= '9';
    }
  }
}
