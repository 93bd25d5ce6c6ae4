package io.workloadidentity.core;

/**
 * The environment or the builder configuration is missing or inconsistent: a required variable is
 * unset, a value has the wrong shape, or a cloud was only partly configured (for example a role ARN
 * without a token file). The message names the variables involved and the fix.
 */
public class ConfigurationException extends WorkloadIdentityException {
  private static final long serialVersionUID = 1L;

  /** An error whose message says what is wrong and what to do; never a token or secret. */
  public ConfigurationException(String message) {
    super(message);
  }

  /** Like the one-argument constructor, with the underlying cause. */
  public ConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
