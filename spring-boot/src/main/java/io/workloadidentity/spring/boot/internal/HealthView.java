package io.workloadidentity.spring.boot.internal;

import java.util.Map;

/**
 * A health result independent of the Spring Boot line (the health API moved between Boot 3 and 4);
 * each line's indicator turns it into its own {@code Health}.
 *
 * @param status {@link #UP}, {@link #DOWN} or {@link #UNKNOWN}
 * @param details JSON-friendly values: strings, numbers, booleans and maps of them
 */
public record HealthView(String status, Map<String, Object> details) {
  /** A valid credential is served. */
  public static final String UP = "UP";
  /** No valid credential: past the hard expiry, or none could be obtained. */
  public static final String DOWN = "DOWN";
  /** Not used yet. */
  public static final String UNKNOWN = "UNKNOWN";

  /**
   * Copies the details.
   *
   * @param status {@link #UP}, {@link #DOWN} or {@link #UNKNOWN}
   * @param details JSON-friendly values, none null
   */
  public HealthView {
    details = Map.copyOf(details);
  }
}
