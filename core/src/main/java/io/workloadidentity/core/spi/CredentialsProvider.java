package io.workloadidentity.core.spi;

import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;

/**
 * Service-provider interface each cloud module implements and registers in
 * {@code META-INF/services/io.workloadidentity.core.spi.CredentialsProvider}.
 * {@link io.workloadidentity.core.WorkloadIdentity#detect()} finds the implementations on the class
 * path with {@link java.util.ServiceLoader}, asks each to {@link #detect} and {@link #create}s the
 * detected ones.
 *
 * <p>Implementations must have a public no-argument constructor, be stateless and thread-safe.
 */
public interface CredentialsProvider {

  /**
   * The cloud this provider handles, also the key of its {@link Detection} and the order in which
   * providers are asked.
   *
   * @return short cloud name, lower case: {@code aws}, {@code azure}, {@code gcp}
   */
  String name();

  /**
   * Inspects the environment without network calls. Must never throw: a problem is reported as
   * {@link Detection.Status#MISCONFIGURED} with reasons that name the variables and the fix.
   *
   * @param environment the settings to inspect; never read the process environment directly
   * @return what was found, with {@link Detection#cloud()} equal to {@link #name()}
   */
  Detection detect(Environment environment);

  /**
   * Builds the cloud's SDK-native credentials object (for example an AWS {@code
   * AwsCredentialsProvider}) for a {@linkplain Detection#isDetected() detected} environment. The
   * object must be {@link AutoCloseable}; {@link io.workloadidentity.core.WorkloadIdentity#close()}
   * closes it. Performs no network call; the first exchange happens on first use.
   *
   * @param environment the same settings {@link #detect} was given
   * @return the credentials object, which {@link io.workloadidentity.core.WorkloadIdentity#get} hands out
   * @throws io.workloadidentity.core.WorkloadIdentityException if the configuration is unusable
   */
  AutoCloseable create(Environment environment);

  /**
   * Performs one credential exchange with an object {@link #create} built, and describes the result
   * for a person without any secret (for example "session credentials for role X, expire at T").
   * Diagnostic tools such as the doctor's {@code --exchange} call it; applications never need to.
   *
   * @param credentials an object this provider's {@link #create} returned
   * @return a short text for a person, naming what was obtained and when it expires; never a secret
   * @throws io.workloadidentity.core.WorkloadIdentityException the typed failure of the exchange
   * @throws UnsupportedOperationException if this provider cannot probe
   */
  default String probe(AutoCloseable credentials) {
    throw new UnsupportedOperationException(name() + " cannot perform a diagnostic exchange");
  }
}
