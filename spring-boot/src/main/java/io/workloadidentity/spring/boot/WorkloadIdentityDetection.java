package io.workloadidentity.spring.boot;

import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentity;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.stream.Collectors;

/**
 * What {@link WorkloadIdentity#detect(Environment)} found at startup, as a bean: each cloud's {@link
 * Detection} and the human-readable report (the failure analyzer prints it when a cloud cannot be
 * configured). Immutable and thread-safe; holds no credentials.
 */
public final class WorkloadIdentityDetection {
  private static final System.Logger LOG = System.getLogger(WorkloadIdentityDetection.class.getName());

  private final Environment environment;
  private final Clock clock;
  private final List<Detection> detections;
  private final String report;

  private WorkloadIdentityDetection(Environment environment, Clock clock, List<Detection> detections, String report) {
    this.environment = environment;
    this.clock = clock;
    this.detections = List.copyOf(detections);
    this.report = report;
  }

  /**
   * Runs detection (local checks only, no network) and logs one line with each cloud's status.
   *
   * @param environment the environment to read, built from the Spring environment and properties
   * @param clock the clock the credentials will use
   * @return the result
   */
  static WorkloadIdentityDetection run(Environment environment, Clock clock) {
    // detect() also builds credentials for the detected clouds; closed at once: the beans are built
    // with the application's listeners and policy. Building makes no network call.
    try (WorkloadIdentity identity = WorkloadIdentity.detect(environment)) {
      WorkloadIdentityDetection d = new WorkloadIdentityDetection(environment, clock, identity.detections(),
          identity.report());
      LOG.log(Level.INFO, "Workload identity: " + d.detections.stream()
          .map(x -> x.cloud() + " " + x.status().name().toLowerCase(Locale.ROOT).replace('_', ' '))
          .collect(Collectors.joining(", ")));
      return d;
    }
  }

  /**
   * What each cloud module on the class path found, sorted by cloud name.
   *
   * @return the detections
   */
  public List<Detection> detections() {
    return detections;
  }

  /**
   * One cloud's detection.
   *
   * @param cloud {@code aws}, {@code azure} or {@code gcp}
   * @return its detection, empty if its module is not on the class path
   */
  public Optional<Detection> detection(String cloud) {
    Objects.requireNonNull(cloud, "cloud");
    return detections.stream().filter(d -> d.cloud().equals(cloud)).findFirst();
  }

  /**
   * The detection report: status and reasons per cloud, the token's claims and time to expiry.
   * Never contains a token.
   *
   * @return the report
   */
  public String report() {
    return report;
  }

  /** The environment the builders read (variables and system properties). */
  Environment environment() {
    return environment;
  }

  /** The clock the credentials use. */
  Clock clock() {
    return clock;
  }

  /**
   * Fails with the report if detection found {@code cloud} half configured.
   *
   * @throws CloudMisconfiguredException if it did
   */
  void requireUsable(String cloud) {
    Optional<Detection> d = detection(cloud);
    if (d.isPresent() && d.get().status() == Detection.Status.MISCONFIGURED) {
      throw new CloudMisconfiguredException(cloud, String.join(" ", d.get().reasons()), report, null);
    }
  }

  /** Each cloud's status; no reasons (they may name paths). */
  @Override
  public String toString() {
    return "WorkloadIdentityDetection" + detections.stream().map(d -> d.cloud() + "=" + d.status()).toList();
  }
}
