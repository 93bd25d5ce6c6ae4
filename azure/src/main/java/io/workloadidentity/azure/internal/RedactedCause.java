package io.workloadidentity.azure.internal;

import io.workloadidentity.core.internal.Redaction;

/**
 * What a third-party exception behind one of our failures becomes before it is attached as the
 * cause: its class name and its message {@linkplain Redaction#message redacted} (MSAL's message is
 * the server's text, or the whole body of an answer that is not Entra's JSON, which may hold a token
 * or control characters), with its stack trace, and its causes the same way (at most {@link
 * #MAX_DEPTH}). So a caller that logs our exception with its causes prints nothing we did not clean,
 * and serializing it writes no MSAL object (MSAL's exception carries the response headers).
 */
final class RedactedCause extends RuntimeException {
  private static final long serialVersionUID = 1L;
  /** Causes followed below the first; deeper ones are dropped. */
  static final int MAX_DEPTH = 4;

  private RedactedCause(String message, Throwable cause, StackTraceElement[] stack) {
    super(message, cause, false, true);
    setStackTrace(stack);
  }

  /**
   * The redacted copy of {@code t} and its causes.
   *
   * @param t the third-party exception, or null
   * @return its copy, or null for null; one of ours ({@code WorkloadIdentityException}) as it is
   */
  static Throwable of(Throwable t) {
    return of(t, 0);
  }

  private static Throwable of(Throwable t, int depth) {
    if (t == null || depth > MAX_DEPTH) {
      return null;
    }
    if (t instanceof io.workloadidentity.core.WorkloadIdentityException || t instanceof RedactedCause) {
      return t; // ours: already clean
    }
    Throwable cause = t.getCause() == t ? null : of(t.getCause(), depth + 1);
    String message = t.getMessage() == null ? t.getClass().getName()
        : t.getClass().getName() + ": " + Redaction.message(t.getMessage());
    return new RedactedCause(message, cause, t.getStackTrace());
  }

  /** The original class name and the redacted message, as the original's {@code toString()} would read. */
  @Override
  public String toString() {
    return getMessage();
  }
}
