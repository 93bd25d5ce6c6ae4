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

  /**
   * The process environment and the current system properties.
   *
   * @return a view that reads system properties at each lookup, so a property set later is seen
   */
  public static Environment system() {
    return new Environment(System.getenv(), null);
  }

  /**
   * Only the given environment variables; no system properties.
   *
   * @param variables variable names to values, copied; no {@code null} keys or values
   * @return an environment independent of the real process environment
   */
  public static Environment of(Map<String, String> variables) {
    return new Environment(Map.copyOf(variables), Map.of());
  }

  /**
   * The given environment variables and system properties.
   *
   * @param variables variable names to values, copied; no {@code null} keys or values
   * @param systemProperties property names to values, copied, used instead of the JVM's; no {@code
   *     null} keys or values
   * @return an environment independent of the real process environment and system properties
   */
  public static Environment of(Map<String, String> variables, Map<String, String> systemProperties) {
    return new Environment(Map.copyOf(variables), Map.copyOf(systemProperties));
  }

  /**
   * An environment variable.
   *
   * @param name the variable's name, case-sensitive, not {@code null}
   * @return its value, trimmed; empty when unset or blank
   */
  public Optional<String> variable(String name) {
    return clean(variables.get(Objects.requireNonNull(name, "name")));
  }

  /**
   * A system property.
   *
   * @param name the property's name, not {@code null}
   * @return its value, trimmed; empty when unset or blank
   */
  public Optional<String> property(String name) {
    Objects.requireNonNull(name, "name");
    if (properties == null) {
      return clean(System.getProperty(name));
    }
    return clean(properties.get(name));
  }

  /**
   * A setting that may come from a system property (which wins) or an environment variable.
   *
   * @param variable the environment variable's name, not {@code null}
   * @param property the system property's name, or {@code null} for a setting that has none
   * @return the property's value if set and not blank, else the variable's; trimmed, empty when
   *     neither is set
   */
  public Optional<String> get(String variable, String property) {
    Optional<String> p = property == null ? Optional.empty() : property(property);
    return p.isPresent() ? p : variable(variable);
  }

  /**
   * Whether an environment variable is set, even if blank. A blank variable counts as unset for
   * {@link #variable}, but it shows that someone meant to configure the cloud: detection uses this to
   * report a half-configured pod, and to say that a variable is empty rather than missing.
   *
   * @param variable the environment variable's name
   * @return true if the variable exists, whatever its value; system properties are not consulted
   */
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
