package io.workloadidentity.aws.internal;

/**
 * The parts of the EKS Pod Identity agent's error text, {@code [request-id]: (Code): message, fault:
 * client}, found by bounded left-to-right scans (no regular expression on the server's text).
 */
final class AgentErrors {
  /** Longer than any request ID or error code the agent sends. */
  private static final int MAX_PART = 100;

  private AgentErrors() {}

  /**
   * The error code: the first parenthesised run of letters, digits and underscores.
   *
   * @param text the (already cut) error text
   * @return the code, or null
   */
  static String code(String text) {
    int i = text.indexOf('(');
    while (i >= 0) {
      int j = i + 1;
      while (j < text.length() && j - i <= MAX_PART && isWord(text.charAt(j))) {
        j++;
      }
      if (j > i + 1 && j < text.length() && text.charAt(j) == ')') {
        return text.substring(i + 1, j);
      }
      i = text.indexOf('(', i + 1);
    }
    return null;
  }

  /**
   * The request ID: what the body starts with in square brackets.
   *
   * @param body the error body
   * @return the ID, redacted and escaped ({@link StsErrors#safeId}), or null
   */
  static String requestId(String body) {
    if (!body.startsWith("[")) {
      return null;
    }
    int end = body.indexOf(']');
    if (end < 2 || end > MAX_PART + 1) {
      return null;
    }
    return StsErrors.safeId(body.substring(1, end));
  }

  private static boolean isWord(char c) {
    return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_';
  }
}
