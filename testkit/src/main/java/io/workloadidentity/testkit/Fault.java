package io.workloadidentity.testkit;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * One injected failure of a fake endpoint, queued on its {@link Faults}.
 *
 * <p>{@link Kind#CONNECTION_RESET}, {@link Kind#MALFORMED_BODY}, {@link Kind#RESPONSE} and {@link
 * Kind#SLOW_BODY} are applied the same way by every fake server. {@link Kind#ERROR}, {@link Kind#THROTTLED} and {@link Kind#SERVER_ERROR} are rendered
 * by each fake cloud in its own wire format (an AWS {@code ErrorResponse} XML document, an Entra
 * {@code AADSTS} JSON error, a Google error JSON...), using {@link #status()}, {@link #code()} and
 * {@link #message()}.
 *
 * <p>Immutable and thread-safe.
 */
public final class Fault {
  /** What kind of failure to inject. */
  public enum Kind {
    /** An error response with a chosen HTTP status, cloud error code and message. */
    ERROR,
    /** The cloud's own throttling response ({@code Throttling}, HTTP 429, ...). */
    THROTTLED,
    /** A 5xx response in the cloud's format. */
    SERVER_ERROR,
    /** The server closes the connection without answering; clients see an {@code IOException}. */
    CONNECTION_RESET,
    /** A 200 response whose body is cut short, so it does not parse. */
    MALFORMED_BODY,
    /**
     * A response with exactly the status, content type and body chosen by the test ({@link
     * #response(int, String, String)}): a body missing a field, with wrong types, absurd values, huge.
     */
    RESPONSE,
    /**
     * The normal answer, its body sent one byte at a time with a pause after each ({@link
     * #slowBody(Duration)}): a server that never trips a read timeout yet never finishes.
     */
    SLOW_BODY
  }

  private static final Fault THROTTLED = new Fault(Kind.THROTTLED, 429, null, null);
  private static final Fault RESET = new Fault(Kind.CONNECTION_RESET, 0, null, null);
  private static final Fault MALFORMED = new Fault(Kind.MALFORMED_BODY, 200, null, null);

  private final Kind kind;
  private final int status;
  private final String code;
  private final String message;
  private final String contentType;
  private final String body;
  private final Duration pause;

  private Fault(Kind kind, int status, String code, String message) {
    this(kind, status, code, message, null, null, null);
  }

  private Fault(Kind kind, int status, String code, String message, String contentType, String body, Duration pause) {
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.message = message;
    this.contentType = contentType;
    this.body = body;
    this.pause = pause;
  }

  /**
   * An error response in the cloud's format, for instance {@code error(400, "InvalidIdentityToken",
   * "...")} for AWS or {@code error(400, "invalid_grant", "...")} for Google.
   *
   * @param httpStatus the HTTP status, 400-599
   * @param code the cloud's error code
   * @param message the human-readable error text
   * @return a fault of kind {@link Kind#ERROR}
   * @throws IllegalArgumentException if {@code httpStatus} is not an error status
   */
  public static Fault error(int httpStatus, String code, String message) {
    if (httpStatus < 400 || httpStatus > 599) {
      throw new IllegalArgumentException("An error fault needs an HTTP status in 400-599, got " + httpStatus);
    }
    return new Fault(Kind.ERROR, httpStatus, Objects.requireNonNull(code, "code"),
        Objects.requireNonNull(message, "message"));
  }

  /**
   * The cloud's throttling response. {@link #status()} is 429 as a hint; a cloud that throttles
   * with another status (AWS STS answers {@code Throttling} with 400) renders its own.
   *
   * @return the throttling fault (one shared instance)
   */
  public static Fault throttled() {
    return THROTTLED;
  }

  /**
   * A server error in the cloud's format.
   *
   * @param status the HTTP status, 500-599
   * @return a fault of kind {@link Kind#SERVER_ERROR}
   * @throws IllegalArgumentException if {@code status} is not a 5xx status
   */
  public static Fault serverError(int status) {
    if (status < 500 || status > 599) {
      throw new IllegalArgumentException("A server error needs an HTTP status in 500-599, got " + status);
    }
    return new Fault(Kind.SERVER_ERROR, status, null, null);
  }

  /**
   * The connection is closed before any response byte is sent.
   *
   * @return the reset fault (one shared instance)
   */
  public static Fault connectionReset() {
    return RESET;
  }

  /**
   * A 200 response with the normal headers whose body is truncated.
   *
   * @return the malformed-body fault (one shared instance)
   */
  public static Fault malformedBody() {
    return MALFORMED;
  }

  /**
   * A response written exactly as given, whatever the fake would have answered: for testing how a
   * client copes with a body that lacks a field, has wrong types or absurd values, or is huge.
   * Every fake server applies it the same way. A token in {@code body} is the test's own: register
   * it with {@link SecretLeakGuard#secret(String)} so the leak guard looks for it.
   *
   * @param httpStatus the HTTP status, 100-599 (a 200 with a bad body is the usual case)
   * @param contentType the {@code Content-Type}, for example {@code application/json}
   * @param body the body, sent as UTF-8
   * @return a fault of kind {@link Kind#RESPONSE}
   * @throws IllegalArgumentException if {@code httpStatus} is not in 100-599
   */
  public static Fault response(int httpStatus, String contentType, String body) {
    if (httpStatus < 100 || httpStatus > 599) {
      throw new IllegalArgumentException("A response needs an HTTP status in 100-599, got " + httpStatus);
    }
    return new Fault(Kind.RESPONSE, httpStatus, null, null, Objects.requireNonNull(contentType, "contentType"),
        Objects.requireNonNull(body, "body"), null);
  }

  /**
   * The fake's normal answer, with its headers sent at once and its body one byte at a time, with
   * {@code pause} after each byte: no single read waits long enough to time out, so only an overall
   * deadline ends the request. Every fake server applies it the same way.
   *
   * @param pause the pause after each byte of the body, positive
   * @return a fault of kind {@link Kind#SLOW_BODY}
   * @throws IllegalArgumentException if {@code pause} is zero or negative
   */
  public static Fault slowBody(Duration pause) {
    if (pause.isZero() || pause.isNegative()) {
      throw new IllegalArgumentException("A slow body needs a positive pause, got " + pause);
    }
    return new Fault(Kind.SLOW_BODY, 200, null, null, null, null, pause);
  }

  /**
   * The kind of failure.
   *
   * @return the kind, which decides how the fake server answers
   */
  public Kind kind() {
    return kind;
  }

  /**
   * The HTTP status to answer with.
   *
   * @return the chosen one for an error or server error, 429 for throttling, 200 for a malformed body,
   *     0 for a reset (no response at all)
   */
  public int status() {
    return status;
  }

  /**
   * The cloud error code.
   *
   * @return the code; present only for {@link Kind#ERROR}
   */
  public Optional<String> code() {
    return Optional.ofNullable(code);
  }

  /**
   * The error text.
   *
   * @return the text; present only for {@link Kind#ERROR}
   */
  public Optional<String> message() {
    return Optional.ofNullable(message);
  }

  /**
   * The body of a {@link #response(int, String, String)} fault.
   *
   * @return the body; present only for {@link Kind#RESPONSE}
   */
  public Optional<String> body() {
    return Optional.ofNullable(body);
  }

  /**
   * The content type of a {@link #response(int, String, String)} fault.
   *
   * @return the content type; present only for {@link Kind#RESPONSE}
   */
  public Optional<String> contentType() {
    return Optional.ofNullable(contentType);
  }

  /**
   * The pause after each body byte of a {@link #slowBody(Duration)} fault.
   *
   * @return the pause; present only for {@link Kind#SLOW_BODY}
   */
  public Optional<Duration> pause() {
    return Optional.ofNullable(pause);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Fault f && kind == f.kind && status == f.status
        && Objects.equals(code, f.code) && Objects.equals(message, f.message)
        && Objects.equals(contentType, f.contentType) && Objects.equals(body, f.body) && Objects.equals(pause, f.pause);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, status, code, message, contentType, body, pause);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case ERROR -> "Fault.error(" + status + ", " + code + ", " + message + ")";
      case SERVER_ERROR -> "Fault.serverError(" + status + ")";
      case THROTTLED -> "Fault.throttled()";
      case CONNECTION_RESET -> "Fault.connectionReset()";
      case MALFORMED_BODY -> "Fault.malformedBody()";
      // The body may hold a token: its length only.
      case RESPONSE -> "Fault.response(" + status + ", " + contentType + ", " + body.length() + " characters)";
      case SLOW_BODY -> "Fault.slowBody(" + pause + ")";
    };
  }
}
