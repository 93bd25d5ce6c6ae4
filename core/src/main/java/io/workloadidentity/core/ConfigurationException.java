package io.workloadidentity.core;

/**
 * The environment or the builder configuration is missing or inconsistent: a required variable is
 * unset, a value has the wrong shape, or a cloud was only partly configured (for example a role ARN
 * without a token file). The message names the variables involved and the fix.
 */
public class ConfigurationException extends WorkloadIdentityException {
  private static final long serialVersionUID = 1L;

  /**
   * An error whose message says what is wrong and what to do.
   *
   * @param message names the variables or builder settings involved and the fix; never a value that
   *     may be secret
   */
  public ConfigurationException(String message) {
    super(message);
  }

  /**
   * Like the one-argument constructor, with the underlying cause.
   *
   * @param message names the variables or builder settings involved and the fix; never a value that
   *     may be secret
   * @param cause the failure that revealed the problem (for example the parse error of a URL), or {@code null}
   */
  public ConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
