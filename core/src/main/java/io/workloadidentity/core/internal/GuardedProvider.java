package io.workloadidentity.core.internal;

import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.spi.CredentialsProvider;
import java.util.Objects;
import java.util.Set;

/**
 * What every cloud's {@link CredentialsProvider} does alike: its name, and a detection that never
 * throws (an exception becomes {@link Detection.Status#MISCONFIGURED} with its redacted message,
 * through {@link Detections#guarded}). Each cloud writes only {@link #detectOrThrow} and {@code
 * create}.
 */
public abstract class GuardedProvider implements CredentialsProvider {
  private final String cloud;
  private final Set<String> audiences;

  /**
   * A provider for {@code cloud}.
   *
   * @param cloud the cloud's short name ({@code aws}, {@code azure}, {@code gcp})
   * @param audiences the audiences the cloud accepts, for a failed detection's report; empty when
   *     they depend on the configuration
   */
  protected GuardedProvider(String cloud, Set<String> audiences) {
    this.cloud = Objects.requireNonNull(cloud, "cloud");
    this.audiences = Set.copyOf(audiences);
  }

  @Override
  public final String name() {
    return cloud;
  }

  @Override
  public final Detection detect(Environment env) {
    return Detections.guarded(cloud, audiences, () -> detectOrThrow(env));
  }

  /**
   * The cloud's detection: local files and the environment only, never the network.
   *
   * @param env where to read the configuration
   * @return what was found
   * @throws RuntimeException for anything unexpected; {@link #detect} reports it
   */
  protected abstract Detection detectOrThrow(Environment env);
}
