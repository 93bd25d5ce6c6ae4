package io.workloadidentity.spring.boot;

import io.workloadidentity.core.ConfigurationException;
import java.util.Objects;

/**
 * A cloud is enabled (explicitly, or because its variables are set) but its credentials cannot be
 * configured. Startup fails with it; {@link WorkloadIdentityFailureAnalyzer} prints the reason, the
 * detection report and the fix. Its message never contains a token.
 */
public class CloudMisconfiguredException extends ConfigurationException {
  private static final long serialVersionUID = 1L;

  /** The cloud's short name. */
  private final String cloud;
  /** What is wrong, in the cloud module's words. */
  private final String reason;
  /** The detection report (claims and paths, never a token). */
  private final String report;

  /**
   * A misconfigured cloud.
   *
   * @param cloud {@code aws}, {@code azure} or {@code gcp}
   * @param reason what is wrong and how to fix it
   * @param report the detection report
   * @param cause the builder's exception, or {@code null}
   */
  public CloudMisconfiguredException(String cloud, String reason, String report, Throwable cause) {
    super("Workload identity for " + Objects.requireNonNull(cloud, "cloud") + " is enabled but cannot be configured: "
        + reason + " (set workload-identity." + cloud + ".enabled=false to start without it)", cause);
    this.cloud = cloud;
    this.reason = reason;
    this.report = report == null ? "" : report;
  }

  /**
   * The cloud.
   *
   * @return {@code aws}, {@code azure} or {@code gcp}
   */
  public String cloud() {
    return cloud;
  }

  /**
   * What is wrong and how to fix it.
   *
   * @return one or more sentences
   */
  public String reason() {
    return reason;
  }

  /**
   * The detection report of every cloud.
   *
   * @return the report, possibly empty
   */
  public String report() {
    return report;
  }
}
