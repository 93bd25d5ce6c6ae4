package io.workloadidentity.core;

/**
 * The environment or the builder configuration is missing or inconsistent: a required variable is
 * unset, a value has the wrong shape, or a cloud was only partly configured (for example a role ARN
 * without a token file). The message names the variables involved and the fix.
 */
public class ConfigurationException extends WorkloadIdentityException {
  private static final long serialVersionUID = 1L;

  public ConfigurationException(String message) {
    super(message);
  }

  public ConfigurationException(String message, Throwable cause) {
    super(message, cause);
  }
}
