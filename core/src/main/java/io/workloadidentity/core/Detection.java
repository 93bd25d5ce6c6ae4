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

  public Detection {
    Objects.requireNonNull(cloud, "cloud");
    Objects.requireNonNull(status, "status");
    reasons = List.copyOf(reasons);
    expectedAudiences = Set.copyOf(expectedAudiences);
    Objects.requireNonNull(tokenFile, "tokenFile");
  }

  /** A fully configured cloud. */
  public static Detection detected(String cloud, List<String> reasons, Set<String> expectedAudiences, Path tokenFile) {
    return new Detection(cloud, Status.DETECTED, reasons, expectedAudiences, Optional.ofNullable(tokenFile));
  }

  /** A cloud none of whose variables are set. */
  public static Detection notConfigured(String cloud, String reason) {
    return new Detection(cloud, Status.NOT_CONFIGURED, List.of(reason), Set.of(), Optional.empty());
  }

  /** A half-configured cloud; {@code reasons} must say what is wrong and how to fix it. */
  public static Detection misconfigured(String cloud, List<String> reasons, Set<String> expectedAudiences, Path tokenFile) {
    return new Detection(cloud, Status.MISCONFIGURED, reasons, expectedAudiences, Optional.ofNullable(tokenFile));
  }

  /** Whether credentials can be built for this cloud. */
  public boolean isDetected() {
    return status == Status.DETECTED;
  }
}
