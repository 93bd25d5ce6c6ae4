package io.workloadidentity.examples.demo;

import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.spi.CredentialsProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * A cloud module's provider that tells the demo's audience what detection is doing as it happens:
 * {@link io.workloadidentity.core.WorkloadIdentity#detect} calls {@link #detect} and {@link #create}
 * once per cloud, and each call prints one progress line when it returns. Detection is most of the
 * step's time (loading each SDK's classes), so these lines are its progress.
 */
public final class NarratedProvider implements CredentialsProvider {
  private final CredentialsProvider delegate;
  private final Stage stage;

  private NarratedProvider(CredentialsProvider delegate, Stage stage) {
    this.delegate = delegate;
    this.stage = stage;
  }

  /**
   * The providers {@code WorkloadIdentity.detect()} would find on the class path, each narrated.
   *
   * @param stage where the progress lines go
   * @return one narrated provider per cloud module present
   */
  public static List<CredentialsProvider> onClassPath(Stage stage) {
    List<CredentialsProvider> providers = new ArrayList<>();
    ServiceLoader.load(CredentialsProvider.class, CredentialsProvider.class.getClassLoader())
        .forEach(p -> providers.add(new NarratedProvider(p, stage)));
    return providers;
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public Detection detect(Environment environment) {
    Detection d = delegate.detect(environment);
    stage.progress(name() + ": detect() read the variables and the token file, no network: "
        + d.status().name().toLowerCase().replace('_', ' '));
    return d;
  }

  @Override
  public AutoCloseable create(Environment environment) {
    AutoCloseable credentials = delegate.create(environment);
    stage.progress(name() + ": create() built " + credentials.getClass().getSimpleName()
        + " (no exchange yet: the first use makes it)");
    return credentials;
  }

  @Override
  public String probe(AutoCloseable credentials) {
    return delegate.probe(credentials);
  }
}
