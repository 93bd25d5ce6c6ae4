package io.workloadidentity.spring.boot.internal;

import io.workloadidentity.spring.boot.WorkloadIdentityProperties;

/** The per-cloud view of the properties. */
public final class Clouds {
  private Clouds() {}

  /**
   * One cloud's settings.
   *
   * @param properties the properties
   * @param cloud {@code aws}, {@code azure} or {@code gcp}
   * @return its settings
   * @throws IllegalArgumentException for another name
   */
  public static WorkloadIdentityProperties.Cloud settings(WorkloadIdentityProperties properties, String cloud) {
    switch (cloud) {
      case "aws":
        return properties.getAws();
      case "azure":
        return properties.getAzure();
      case "gcp":
        return properties.getGcp();
      default:
        throw new IllegalArgumentException("Not a cloud: " + cloud);
    }
  }

  /**
   * Whether the properties configure the cloud in a way detection cannot see (it reads variables;
   * a Google audience, service account or token file has no variable).
   *
   * @param properties the properties
   * @param cloud the cloud
   * @return true if the cloud is configured by properties alone
   */
  public static boolean configuredByProperties(WorkloadIdentityProperties properties, String cloud) {
    if (!cloud.equals("gcp")) {
      return false; // their properties become variables, which detection sees
    }
    WorkloadIdentityProperties.Gcp gcp = properties.getGcp();
    return gcp.getAudience() != null || gcp.getServiceAccount() != null || gcp.getTokenFile() != null;
  }
}
