package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.spi.CredentialsProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SecretLeakGuard.class)
class WorkloadIdentityTest {
  private static final Instant NOW = Instant.parse("2026-11-26T10:30:00Z");
  private final MutableClock clock = new MutableClock(NOW);
  @TempDir Path dir;

  /** A stand-in cloud module: configured by EXAMPLE_ROLE + EXAMPLE_TOKEN_FILE, expects audience "example". */
  public static final class ExampleProvider implements CredentialsProvider {
    static final List<Handle> CREATED = new ArrayList<>();

    @Override
    public String name() {
      return "example";
    }

    @Override
    public Detection detect(Environment env) {
      var role = env.get("EXAMPLE_ROLE", "example.role");
      var file = env.variable("EXAMPLE_TOKEN_FILE");
      if (role.isEmpty() && file.isEmpty()) {
        return Detection.notConfigured("example", "EXAMPLE_ROLE and EXAMPLE_TOKEN_FILE are not set.");
      }
      if (file.isEmpty()) {
        return Detection.misconfigured("example", List.of("EXAMPLE_ROLE is set but EXAMPLE_TOKEN_FILE is not: "
            + "annotate the service account and restart the pod."), Set.of("example"), null);
      }
      return Detection.detected("example", List.of("EXAMPLE_ROLE=" + role.orElseThrow()), Set.of("example"), Path.of(file.get()));
    }

    @Override
    public AutoCloseable create(Environment env) {
      Handle h = new Handle();
      CREATED.add(h);
      return h;
    }
  }

  /** The "SDK-native" object the stand-in builds. */
  public static final class Handle implements AutoCloseable {
    final AtomicBoolean closed = new AtomicBoolean();

    @Override
    public void close() {
      closed.set(true);
    }
  }

  private Path tokenFile(String aud, Instant iat) throws IOException {
    return Files.writeString(dir.resolve("token"), SecretLeakGuard.secret(TestTokens.token(iat, Duration.ofHours(1), aud)));
  }

  @Test
  void detectsAConfiguredCloudBuildsItAndClosesIt() throws IOException {
    Path file = tokenFile("example", NOW.minusSeconds(600));
    Environment env = Environment.of(Map.of("EXAMPLE_ROLE", " arn:example ", "EXAMPLE_TOKEN_FILE", file.toString()));
    Handle handle;
    try (WorkloadIdentity identity = WorkloadIdentity.detect(env, List.of(new ExampleProvider()), clock)) {
      assertThat(identity.detections()).singleElement().satisfies(d -> {
        assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
        assertThat(d.reasons()).containsExactly("EXAMPLE_ROLE=arn:example");
      });
      handle = identity.get(Handle.class);
      assertThat(identity.find(String.class)).isEmpty();
      String report = identity.report();
      SecretLeakGuard.inspect(report);
      assertThat(report).contains("example: detected", "sub: system:serviceaccount:payments:api", "aud: [example]",
          "(in 50m 0s)", file.toString()).doesNotContain("WARNING");
    }
    assertThat(handle.closed).isTrue();
  }

  @Test
  void aCloudModuleBrokenByADependencyConflictIsReportedAndTheOthersStillWork() throws IOException {
    Path file = tokenFile("example", NOW.minusSeconds(600));
    Environment env = Environment.of(Map.of("EXAMPLE_ROLE", "arn:x", "EXAMPLE_TOKEN_FILE", file.toString()));
    CredentialsProvider conflicted = new CredentialsProvider() {
      @Override
      public String name() {
        return "zz-conflicted"; // built after "example"
      }

      @Override
      public Detection detect(Environment environment) {
        return Detection.detected(name(), List.of("configured"), Set.of(), null);
      }

      @Override
      public AutoCloseable create(Environment environment) {
        // What an SDK older than the one the module was built against throws.
        throw new NoSuchMethodError("'com.example.sdk.Client com.example.sdk.Client$Builder.tokenSupplier()'");
      }
    };
    try (WorkloadIdentity identity = WorkloadIdentity.detect(env, List.of(new ExampleProvider(), conflicted), clock)) {
      assertThat(identity.detection("example").orElseThrow().status()).isEqualTo(Detection.Status.DETECTED);
      assertThat(identity.find(Handle.class)).isPresent();
      Detection d = identity.detection("zz-conflicted").orElseThrow();
      assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
      assertThat(String.join(" ", d.reasons())).contains("NoSuchMethodError", "tokenSupplier", "version");
    }
  }

  @Test
  void reportsNotConfiguredWithoutBuildingAnything() {
    try (WorkloadIdentity identity = WorkloadIdentity.detect(Environment.of(Map.of()), List.of(new ExampleProvider()), clock)) {
      assertThat(identity.detection("example")).hasValueSatisfying(d -> assertThat(d.status()).isEqualTo(Detection.Status.NOT_CONFIGURED));
      assertThatThrownBy(() -> identity.get(Handle.class))
          .isInstanceOf(ConfigurationException.class)
          .hasMessageContaining("example: not configured");
    }
  }

  @Test
  void reportsAHalfConfiguredCloudAsMisconfiguredWithTheFix() {
    try (WorkloadIdentity identity = WorkloadIdentity.detect(Environment.of(Map.of("EXAMPLE_ROLE", "arn:x")), List.of(new ExampleProvider()), clock)) {
      Detection d = identity.detection("example").orElseThrow();
      assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
      assertThat(identity.report()).contains("MISCONFIGURED", "EXAMPLE_TOKEN_FILE is not", "restart the pod");
      assertThat(identity.find(Handle.class)).isEmpty();
    }
  }

  @Test
  void aSystemPropertyWinsOverTheVariable() throws IOException {
    Path file = tokenFile("example", NOW);
    Environment env = Environment.of(Map.of("EXAMPLE_ROLE", "from-env", "EXAMPLE_TOKEN_FILE", file.toString()),
        Map.of("example.role", "from-property"));
    try (WorkloadIdentity identity = WorkloadIdentity.detect(env, List.of(new ExampleProvider()), clock)) {
      assertThat(identity.detection("example").orElseThrow().reasons()).containsExactly("EXAMPLE_ROLE=from-property");
    }
  }

  @Test
  void warnsWhenTheTokenAudienceIsNotWhatTheCloudExpects() throws IOException {
    Path file = tokenFile("https://kubernetes.default.svc", NOW.minusSeconds(60));
    Environment env = Environment.of(Map.of("EXAMPLE_ROLE", "arn:x", "EXAMPLE_TOKEN_FILE", file.toString()));
    try (WorkloadIdentity identity = WorkloadIdentity.detect(env, List.of(new ExampleProvider()), clock)) {
      assertThat(identity.report()).contains("WARNING: audience [https://kubernetes.default.svc] is not one example accepts [example]");
    }
  }

  @Test
  void explainsAnExpiredOrMissingTokenFile() throws IOException {
    Path file = tokenFile("example", NOW.minus(Duration.ofHours(3)));
    Environment env = Environment.of(Map.of("EXAMPLE_ROLE", "arn:x", "EXAMPLE_TOKEN_FILE", file.toString()));
    try (WorkloadIdentity identity = WorkloadIdentity.detect(env, List.of(new ExampleProvider()), clock)) {
      assertThat(identity.report()).contains("EXPIRED 2h 0m ago: the kubelet is not rotating it");
    }
    Environment missing = Environment.of(Map.of("EXAMPLE_ROLE", "arn:x", "EXAMPLE_TOKEN_FILE", dir.resolve("absent").toString()));
    try (WorkloadIdentity identity = WorkloadIdentity.detect(missing, List.of(new ExampleProvider()), clock)) {
      assertThat(identity.report()).contains(dir.resolve("absent") + " does not exist", "token volume mounted");
    }
  }

  @Test
  void findsProvidersWithServiceLoader() {
    try (WorkloadIdentity identity = WorkloadIdentity.detect(Environment.of(Map.of()))) {
      assertThat(identity.detections()).extracting(Detection::cloud).contains("example");
    }
  }

  @Test
  void environmentTrimsAndTreatsBlankAsUnset() {
    Environment env = Environment.of(Map.of("A", "  x \n", "B", "   "));
    assertThat(env.variable("A")).contains("x");
    assertThat(env.variable("B")).isEmpty();
    assertThat(env.isSet("B")).isTrue();
    assertThat(env.variable("C")).isEmpty();
    assertThat(env.toString()).contains("A", "B").doesNotContain("x");
  }
}
