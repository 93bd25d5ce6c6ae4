package io.workloadidentity.core;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Read-only view of configuration: environment variables and JVM system properties. A system
 * property wins over an environment variable of the same setting (as in the AWS SDK), values are
 * trimmed, and blank values count as unset.
 *
 * <p>Use {@link #system()} in production and {@link #of(Map)} in tests, so tests never depend on
 * (or mutate) the real process environment.
 */
public final class Environment {
  private final Map<String, String> variables;
  private final Map<String, String> properties;

  private Environment(Map<String, String> variables, Map<String, String> properties) {
    this.variables = variables;
    this.properties = properties;
  }

  /** The process environment and the current system properties (read at each lookup). */
  public static Environment system() {
    return new Environment(System.getenv(), null);
  }

  /** Only the given environment variables; no system properties. */
  public static Environment of(Map<String, String> variables) {
    return new Environment(Map.copyOf(variables), Map.of());
  }

  /** The given environment variables and system properties. */
  public static Environment of(Map<String, String> variables, Map<String, String> systemProperties) {
    return new Environment(Map.copyOf(variables), Map.copyOf(systemProperties));
  }

  /** An environment variable, trimmed; empty when unset or blank. */
  public Optional<String> variable(String name) {
    return clean(variables.get(Objects.requireNonNull(name, "name")));
  }

  /** A system property, trimmed; empty when unset or blank. */
  public Optional<String> property(String name) {
    Objects.requireNonNull(name, "name");
    if (properties == null) {
      return clean(System.getProperty(name));
    }
    return clean(properties.get(name));
  }

  /** A setting that may come from a system property (which wins) or an environment variable. */
  public Optional<String> get(String variable, String property) {
    Optional<String> p = property == null ? Optional.empty() : property(property);
    return p.isPresent() ? p : variable(variable);
  }

  /** Whether an environment variable is set (even if blank): used to report half-configured pods. */
  public boolean isSet(String variable) {
    return variables.containsKey(variable);
  }

  private static Optional<String> clean(String value) {
    if (value == null) {
      return Optional.empty();
    }
    String v = value.strip();
    return v.isEmpty() ? Optional.empty() : Optional.of(v);
  }

  /** Lists the variable names only; values may be sensitive. */
  @Override
  public String toString() {
    return "Environment" + new java.util.TreeSet<>(variables.keySet());
  }
}
