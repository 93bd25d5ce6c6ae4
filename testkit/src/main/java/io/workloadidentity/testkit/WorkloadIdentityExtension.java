package io.workloadidentity.testkit;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;
import org.junit.platform.commons.support.AnnotationSupport;

/**
 * JUnit 5 extension that starts testkit objects on demand and injects them as parameters of test
 * methods, lifecycle methods and constructors: {@link TestClock}, {@link KubernetesCluster} (using
 * that clock) and {@link ProjectedVolume} (in a temporary directory, minted by that cluster).
 *
 * <p><b>Scope.</b> Objects asked for in a {@code @BeforeAll} method or a per-class test instance's
 * constructor live for the whole class and are shared by its tests; objects first asked for by a
 * test (or its {@code @BeforeEach}) live for that test only. They are closed, newest first, when
 * their scope ends.
 *
 * <p>Use it through {@link WorkloadIdentityTest @WorkloadIdentityTest}, {@code
 * @ExtendWith(WorkloadIdentityExtension.class)}, or configured:
 *
 * <pre>{@code
 * @RegisterExtension
 * static WorkloadIdentityExtension wi = WorkloadIdentityExtension.builder()
 *     .tokenSpec(TokenSpec.builder().namespace("payments").serviceAccount("api").audiences("sts.amazonaws.com").build())
 *     .provide(MyFake.class, resources -> new MyFake(resources.cluster()))   // any AutoCloseable
 *     .build();
 * }</pre>
 *
 * <p>Thread-safe within JUnit's lifecycle.
 */
public final class WorkloadIdentityExtension implements ParameterResolver, AfterEachCallback, AfterAllCallback {
  /** The audience of the injected volume's token when none is configured. */
  public static final String DEFAULT_AUDIENCE = "testkit";

  private static final ExtensionContext.Namespace NAMESPACE =
      ExtensionContext.Namespace.create(WorkloadIdentityExtension.class);

  /** The built-in parameter types. Add the testkit's fake clouds here. */
  private static Map<Class<?>, Function<Resources, ?>> builtIns() {
    Map<Class<?>, Function<Resources, ?>> m = new LinkedHashMap<>();
    m.put(TestClock.class, r -> TestClock.create());
    m.put(KubernetesCluster.class, r -> KubernetesCluster.builder().clock(r.clock()).https(r.settings.https).build());
    m.put(ProjectedVolume.class, r -> {
      Path dir;
      try {
        dir = Files.createTempDirectory("projected-volume-");
      } catch (IOException e) {
        throw new UncheckedIOException("Could not create a temporary directory for the projected volume", e);
      }
      r.onClose(() -> Files.deleteIfExists(dir));
      return r.cluster().projectedVolume(dir, r.settings.spec);
    });
    m.put(FakeEntraId.class, r -> FakeEntraId.builder().clock(r.clock()).build());
    m.put(FakeGcp.class, r -> FakeGcp.builder().clock(r.clock()).build());
    m.put(FakeGcpMetadataServer.class, r -> FakeGcpMetadataServer.builder().clock(r.clock()).build());
    return m;
  }

  private final Settings configured; // null: from @WorkloadIdentityTest or the defaults
  private final Map<Class<?>, Function<Resources, ?>> providers;

  /** The extension with the settings of {@link WorkloadIdentityTest} (or its defaults). */
  public WorkloadIdentityExtension() {
    this(null, Map.of());
  }

  private WorkloadIdentityExtension(Settings configured, Map<Class<?>, Function<Resources, ?>> extra) {
    this.configured = configured;
    Map<Class<?>, Function<Resources, ?>> all = builtIns();
    all.putAll(extra);
    this.providers = Collections.unmodifiableMap(all);
  }

  /**
   * A builder for an extension to register with {@code @RegisterExtension}, for settings or
   * injectable types {@link WorkloadIdentityTest} does not offer.
   *
   * @return a builder with the defaults: audience {@value #DEFAULT_AUDIENCE}, plain HTTP
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
    return providers.containsKey(parameter.getParameter().getType());
  }

  @Override
  public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
    Class<?> type = parameter.getParameter().getType();
    try {
      return resources(context).get(type);
    } catch (RuntimeException e) {
      throw new ParameterResolutionException("Could not start the testkit's " + type.getSimpleName() + ": " + e.getMessage(), e);
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    closeOwn(context);
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    closeOwn(context);
  }

  private Resources resources(ExtensionContext context) {
    // The store falls back to the parent (class) context: class-scoped objects are shared.
    return context.getStore(NAMESPACE).getOrComputeIfAbsent(Resources.class,
        k -> new Resources(context.getUniqueId(), settings(context), providers), Resources.class);
  }

  private static void closeOwn(ExtensionContext context) throws Exception {
    Resources r = context.getStore(NAMESPACE).get(Resources.class, Resources.class);
    if (r != null && r.owner.equals(context.getUniqueId())) {
      context.getStore(NAMESPACE).remove(Resources.class);
      r.closeAll();
    }
  }

  private Settings settings(ExtensionContext context) {
    if (configured != null) {
      return configured;
    }
    Optional<WorkloadIdentityTest> a = context.getTestClass()
        .flatMap(c -> AnnotationSupport.findAnnotation(c, WorkloadIdentityTest.class));
    if (a.isEmpty()) {
      return new Settings(TokenSpec.of(DEFAULT_AUDIENCE), false);
    }
    WorkloadIdentityTest t = a.get();
    return new Settings(TokenSpec.builder().audiences(t.audiences()).namespace(t.namespace())
        .serviceAccount(t.serviceAccount()).build(), t.https());
  }

  private record Settings(TokenSpec spec, boolean https) {}

  /**
   * The objects of one scope, for {@link Builder#provide} factories: a factory can ask for the
   * cluster, the clock or any other provided type, and register extra cleanup.
   */
  public static final class Resources {
    private final String owner;
    private final Settings settings;
    private final Map<Class<?>, Function<Resources, ?>> providers;
    private final Map<Class<?>, Object> instances = new LinkedHashMap<>();
    private final List<AutoCloseable> closeables = new ArrayList<>();

    private Resources(String owner, Settings settings, Map<Class<?>, Function<Resources, ?>> providers) {
      this.owner = owner;
      this.settings = settings;
      this.providers = providers;
    }

    /**
     * The scope's clock, shared by everything the extension starts.
     *
     * @return the clock, started on first use at the current time
     */
    public TestClock clock() {
      return get(TestClock.class);
    }

    /**
     * The scope's cluster.
     *
     * @return the cluster, started on first use with the scope's clock
     */
    public KubernetesCluster cluster() {
      return get(KubernetesCluster.class);
    }

    /**
     * The scope's projected volume.
     *
     * @return the volume, written on first use into a new temporary directory from the configured
     *     token spec
     */
    public ProjectedVolume volume() {
      return get(ProjectedVolume.class);
    }

    /**
     * The scope's instance of any provided type, started on first use; later calls return the same
     * instance.
     *
     * @param <T> the type
     * @param type a built-in type or one registered with {@link Builder#provide}
     * @return the instance; an {@link AutoCloseable} one is closed when the scope ends
     * @throws IllegalArgumentException if the extension cannot provide {@code type}
     */
    public synchronized <T> T get(Class<T> type) {
      Object existing = instances.get(type);
      if (existing != null) {
        return type.cast(existing);
      }
      Function<Resources, ?> provider = providers.get(type);
      if (provider == null) {
        throw new IllegalArgumentException("The workload-identity extension cannot provide " + type.getName());
      }
      T created = type.cast(Objects.requireNonNull(provider.apply(this), type.getSimpleName()));
      instances.put(type, created);
      if (created instanceof AutoCloseable c) {
        closeables.add(c);
      }
      return created;
    }

    /**
     * Runs {@code cleanup} when the scope ends. Everything is closed in reverse order of
     * registration, so a cleanup runs before what was started earlier is closed.
     *
     * @param cleanup the action, not {@code null}; its exception fails the test after the other
     *     cleanups have run
     */
    public synchronized void onClose(AutoCloseable cleanup) {
      closeables.add(Objects.requireNonNull(cleanup, "cleanup"));
    }

    private synchronized void closeAll() throws Exception {
      Exception first = null;
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception e) {
          if (first == null) {
            first = e;
          } else {
            first.addSuppressed(e);
          }
        }
      }
      closeables.clear();
      instances.clear();
      if (first != null) {
        throw first;
      }
    }
  }

  /** Settings of a {@link WorkloadIdentityExtension}. Not thread-safe. */
  public static final class Builder {
    private TokenSpec spec = TokenSpec.of(DEFAULT_AUDIENCE);
    private boolean https;
    private final Map<Class<?>, Function<Resources, ?>> extra = new LinkedHashMap<>();

    private Builder() {}

    /**
     * The spec of the token in the injected {@link ProjectedVolume}.
     *
     * @param spec the spec, not {@code null}; default {@code TokenSpec.of(DEFAULT_AUDIENCE)}
     * @return this builder
     */
    public Builder tokenSpec(TokenSpec spec) {
      this.spec = Objects.requireNonNull(spec, "spec");
      return this;
    }

    /**
     * Shorthand for a token spec with the defaults and these audiences; replaces any {@link
     * #tokenSpec} set before.
     *
     * @param audiences the {@code aud} values, at least one
     * @return this builder
     * @throws IllegalArgumentException if there is no audience or one is blank
     */
    public Builder audiences(String... audiences) {
      return tokenSpec(TokenSpec.of(audiences));
    }

    /**
     * Whether the cluster serves its discovery document and keys over HTTPS, with a testkit-CA
     * certificate.
     *
     * @param https true for HTTPS; default false
     * @return this builder
     */
    public Builder https(boolean https) {
      this.https = https;
      return this;
    }

    /**
     * Makes {@code type} injectable, created by {@code factory} once per scope; an {@link
     * AutoCloseable} result is closed when the scope ends. A built-in type can be replaced this way.
     *
     * @param <T> the type
     * @param type the parameter type to inject, matched exactly (not by subtype)
     * @param factory creates the instance from the scope's resources (the cluster, the clock, ...);
     *     must not return {@code null}
     * @return this builder
     */
    public <T> Builder provide(Class<T> type, Function<Resources, ? extends T> factory) {
      extra.put(Objects.requireNonNull(type, "type"), Objects.requireNonNull(factory, "factory"));
      return this;
    }

    /**
     * Builds the extension.
     *
     * @return the extension, to assign to a {@code @RegisterExtension} field
     */
    public WorkloadIdentityExtension build() {
      return new WorkloadIdentityExtension(new Settings(spec, https), extra);
    }
  }
}
