package io.workloadidentity.core;

import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Report;
import io.workloadidentity.core.spi.CredentialsProvider;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.ServiceLoader;

/**
 * Auto-detection: finds the cloud modules on the class path, asks each whether the environment
 * configures it, builds credentials for the detected ones, and explains what it found.
 *
 * <pre>{@code
 * try (WorkloadIdentity identity = WorkloadIdentity.detect()) {
 *   System.out.println(identity.report());
 *   AwsCredentialsProvider aws = identity.get(AwsCredentialsProvider.class);
 * }
 * }</pre>
 *
 * <p>Several clouds may be detected at once (a pod federating to AWS and Google Cloud is common). A
 * half-configured cloud (for example a role ARN without a token file) is reported as {@link
 * Detection.Status#MISCONFIGURED} with the fix, and logged as a warning; it is never skipped
 * silently. Detection makes no network calls.
 *
 * <p>Thread-safe and immutable after construction; {@link #close()} closes every credentials object
 * it built.
 */
public final class WorkloadIdentity implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(WorkloadIdentity.class.getName());

  private final List<Detection> detections;
  private final Map<String, AutoCloseable> credentials;
  private final Clock clock;

  private WorkloadIdentity(List<Detection> detections, Map<String, AutoCloseable> credentials, Clock clock) {
    this.detections = List.copyOf(detections);
    this.credentials = Collections.unmodifiableMap(credentials);
    this.clock = clock;
  }

  /**
   * Detects from the process environment and system properties, with the cloud modules on this
   * class's class path.
   *
   * @return the detections and the credentials built for the detected clouds; close it when done
   */
  public static WorkloadIdentity detect() {
    return detect(Environment.system());
  }

  /**
   * Detects from the given environment, with the providers on this class's class path.
   *
   * @param environment where the cloud modules read their settings, not {@code null}; {@link
   *     Environment#of(java.util.Map)} in tests
   * @return the detections and the credentials built for the detected clouds; close it when done
   */
  public static WorkloadIdentity detect(Environment environment) {
    List<CredentialsProvider> providers = new ArrayList<>();
    ServiceLoader.load(CredentialsProvider.class, WorkloadIdentity.class.getClassLoader()).forEach(providers::add);
    return detect(environment, providers, Clock.systemUTC());
  }

  /**
   * Detects with an explicit list of providers (tests, or to restrict the clouds considered). A
   * provider whose detection or construction throws is reported as {@link
   * Detection.Status#MISCONFIGURED}; it does not stop the others.
   *
   * @param environment where the providers read their settings, not {@code null}
   * @param providers the providers to ask, in any order (they are asked by cloud name)
   * @param clock the clock the {@linkplain #report() report} measures a token's time to expiry with,
   *     not {@code null}
   * @return the detections and the credentials built for the detected clouds; close it when done
   */
  public static WorkloadIdentity detect(Environment environment, List<? extends CredentialsProvider> providers, Clock clock) {
    Objects.requireNonNull(environment, "environment");
    List<CredentialsProvider> sorted = new ArrayList<>(providers);
    sorted.sort(Comparator.comparing(CredentialsProvider::name));
    List<Detection> detections = new ArrayList<>();
    Map<String, AutoCloseable> built = new LinkedHashMap<>();
    for (CredentialsProvider p : sorted) {
      Detection d;
      try {
        d = p.detect(environment);
      } catch (RuntimeException | LinkageError e) {
        d = Detection.misconfigured(p.name(), List.of("Detection failed: " + describe(e)), java.util.Set.of(), null);
      }
      if (d.isDetected()) {
        try {
          built.put(p.name(), p.create(environment));
        } catch (RuntimeException | LinkageError e) {
          List<String> reasons = new ArrayList<>(d.reasons());
          reasons.add("Building credentials failed: " + describe(e));
          d = new Detection(d.cloud(), Detection.Status.MISCONFIGURED, reasons, d.expectedAudiences(), d.tokenFile());
        }
      }
      if (d.status() == Detection.Status.MISCONFIGURED) {
        LOG.log(Level.WARNING, p.name() + " is misconfigured: " + String.join(" ", d.reasons()));
      }
      detections.add(d);
    }
    return new WorkloadIdentity(detections, built, clock);
  }

  /**
   * A provider's failure for the report. A LinkageError (NoSuchMethodError, NoClassDefFoundError)
   * is one cloud module's broken class path; it must not stop the other clouds.
   */
  private static String describe(Throwable e) {
    return e instanceof LinkageError
        ? e + ": a dependency of this cloud module is missing from the class path, or in another version than"
            + " the one the module was built with; align the versions (mvn dependency:tree shows which"
            + " dependency brings it)."
        : e instanceof WorkloadIdentityException ? e.getMessage() : Redaction.describe(e);
  }

  /**
   * What each cloud module found.
   *
   * @return one detection per provider, sorted by cloud name, unmodifiable
   */
  public List<Detection> detections() {
    return detections;
  }

  /**
   * The detection result for one cloud.
   *
   * @param cloud short cloud name: {@code aws}, {@code azure} or {@code gcp}
   * @return what that cloud's module found, empty if the module is not on the class path
   */
  public Optional<Detection> detection(String cloud) {
    return detections.stream().filter(d -> d.cloud().equals(cloud)).findFirst();
  }

  /**
   * The SDK-native credentials object of the given type, for example {@code
   * AwsCredentialsProvider.class}, {@code TokenCredential.class} or {@code GoogleCredentials.class}.
   * Owned by this object: do not close it yourself, {@link #close()} does.
   *
   * @param <T> the credentials type
   * @param type the class or interface the credentials object must be an instance of
   * @return the first detected cloud's object of that type, in cloud-name order
   * @throws ConfigurationException if no detected cloud produced one; the message includes the report
   */
  public <T> T get(Class<T> type) {
    return find(type).orElseThrow(() -> new ConfigurationException(
        "No detected cloud provides a " + type.getName() + ".\n" + report()));
  }

  /**
   * Like {@link #get} but empty instead of throwing, for code that works with or without a cloud.
   *
   * @param <T> the credentials type
   * @param type the class or interface the credentials object must be an instance of
   * @return the first detected cloud's object of that type, in cloud-name order; empty if none
   */
  public <T> Optional<T> find(Class<T> type) {
    return credentials.values().stream().filter(type::isInstance).map(type::cast).findFirst();
  }

  /**
   * A human-readable explanation per cloud: status and reasons, the token's claims and time to
   * expiry, and a warning when the token's audience is not one the cloud expects. Never contains
   * the token itself.
   *
   * @return several lines of text, one block per cloud, for a log or a terminal; each call reads the
   *     token files again, so it shows the tokens on disk now
   */
  public String report() {
    return Report.render(detections, clock);
  }

  /** Closes every credentials object built by {@link #detect}. */
  @Override
  public void close() {
    for (AutoCloseable c : credentials.values()) {
      try {
        c.close();
      } catch (Exception e) {
        LOG.log(Level.WARNING, "Closing " + c.getClass().getSimpleName() + " failed", e);
      }
    }
  }

  @Override
  public String toString() {
    return "WorkloadIdentity" + detections.stream().map(d -> d.cloud() + "=" + d.status()).toList();
  }
}
