package io.workloadidentity.testkit;

import java.util.Objects;
import java.util.Optional;

/**
 * One injected failure of a fake endpoint, queued on its {@link Faults}.
 *
 * <p>{@link Kind#CONNECTION_RESET} and {@link Kind#MALFORMED_BODY} are applied the same way by every
 * fake server. {@link Kind#ERROR}, {@link Kind#THROTTLED} and {@link Kind#SERVER_ERROR} are rendered
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
    MALFORMED_BODY
  }

  private static final Fault THROTTLED = new Fault(Kind.THROTTLED, 429, null, null);
  private static final Fault RESET = new Fault(Kind.CONNECTION_RESET, 0, null, null);
  private static final Fault MALFORMED = new Fault(Kind.MALFORMED_BODY, 200, null, null);

  private final Kind kind;
  private final int status;
  private final String code;
  private final String message;

  private Fault(Kind kind, int status, String code, String message) {
    this.kind = kind;
    this.status = status;
    this.code = code;
    this.message = message;
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

  @Override
  public boolean equals(Object o) {
    return o instanceof Fault f && kind == f.kind && status == f.status
        && Objects.equals(code, f.code) && Objects.equals(message, f.message);
  }

  @Override
  public int hashCode() {
    return Objects.hash(kind, status, code, message);
  }

  @Override
  public String toString() {
    return switch (kind) {
      case ERROR -> "Fault.error(" + status + ", " + code + ", " + message + ")";
      case SERVER_ERROR -> "Fault.serverError(" + status + ")";
      case THROTTLED -> "Fault.throttled()";
      case CONNECTION_RESET -> "Fault.connectionReset()";
      case MALFORMED_BODY -> "Fault.malformedBody()";
    };
  }
}
