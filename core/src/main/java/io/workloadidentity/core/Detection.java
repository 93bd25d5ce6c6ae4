package io.workloadidentity.core;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * What a cloud provider found in the environment, and why. Immutable.
 *
 * @param cloud short cloud name ({@code aws}, {@code azure}, {@code gcp})
 * @param status whether the cloud is configured, not configured, or half configured
 * @param reasons human-readable sentences naming the variables involved; for {@link
 *     Status#MISCONFIGURED} they include the fix
 * @param expectedAudiences the token audiences this cloud accepts (for the audience check)
 * @param tokenFile the projected token file this cloud would use, if one is configured
 */
public record Detection(
    String cloud, Status status, List<String> reasons, Set<String> expectedAudiences, Optional<Path> tokenFile) {

  /** Outcome of detection. */
  public enum Status {
    /** Fully configured: credentials can be built. */
    DETECTED,
    /** None of this cloud's variables are set: silently not used. */
    NOT_CONFIGURED,
    /** Some variables are set but the configuration cannot work; never skipped silently. */
    MISCONFIGURED
  }

  /**
   * Checks and copies the components, so later changes to the collections given do not show. Providers use
   * {@link #detected}, {@link #notConfigured} or {@link #misconfigured} instead.
   *
   * @param cloud short cloud name ({@code aws}, {@code azure}, {@code gcp})
   * @param status the outcome
   * @param reasons sentences for the report, copied; for {@link Status#MISCONFIGURED} they include the fix
   * @param expectedAudiences the token audiences this cloud accepts, copied; empty to skip the audience check
   * @param tokenFile the projected token file this cloud would use, or empty
   * @throws NullPointerException if any component is {@code null} or a collection holds a {@code null}
   *     element; use {@link Optional#empty()} for no token file
   */
  public Detection {
    Objects.requireNonNull(cloud, "cloud");
    Objects.requireNonNull(status, "status");
    reasons = List.copyOf(reasons);
    expectedAudiences = Set.copyOf(expectedAudiences);
    Objects.requireNonNull(tokenFile, "tokenFile");
  }

  /**
   * A fully configured cloud.
   *
   * @param cloud short cloud name ({@code aws}, {@code azure}, {@code gcp})
   * @param reasons what was found, for the report (for example which variables configure the cloud)
   * @param expectedAudiences the token audiences the cloud accepts; empty to skip the audience check
   * @param tokenFile the projected token file the cloud will use, or {@code null} if it uses none
   * @return a detection with status {@link Status#DETECTED}
   */
  public static Detection detected(String cloud, List<String> reasons, Set<String> expectedAudiences, Path tokenFile) {
    return new Detection(cloud, Status.DETECTED, reasons, expectedAudiences, Optional.ofNullable(tokenFile));
  }

  /**
   * A cloud none of whose variables are set.
   *
   * @param cloud short cloud name ({@code aws}, {@code azure}, {@code gcp})
   * @param reason one sentence for the report, typically the variables that were looked for
   * @return a detection with status {@link Status#NOT_CONFIGURED}, no audiences and no token file
   */
  public static Detection notConfigured(String cloud, String reason) {
    return new Detection(cloud, Status.NOT_CONFIGURED, List.of(reason), Set.of(), Optional.empty());
  }

  /**
   * A half-configured cloud.
   *
   * @param cloud short cloud name ({@code aws}, {@code azure}, {@code gcp})
   * @param reasons what is wrong and how to fix it, naming the variables involved; never a secret value
   * @param expectedAudiences the token audiences the cloud would accept, empty if not known
   * @param tokenFile the projected token file that is configured, or {@code null} if none is
   * @return a detection with status {@link Status#MISCONFIGURED}
   */
  public static Detection misconfigured(String cloud, List<String> reasons, Set<String> expectedAudiences, Path tokenFile) {
    return new Detection(cloud, Status.MISCONFIGURED, reasons, expectedAudiences, Optional.ofNullable(tokenFile));
  }

  /**
   * Whether credentials can be built for this cloud.
   *
   * @return true if the status is {@link Status#DETECTED}
   */
  public boolean isDetected() {
    return status == Status.DETECTED;
  }
}
