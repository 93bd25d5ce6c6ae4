package io.workloadidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.testkit.internal.SecretRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;

/**
 * The guard must be able to fail, where the copies it replaces did and more, without printing the
 * secret: each sample class below is run with the JUnit launcher and its outcome inspected.
 */
class SecretLeakGuardTest {
  private static final String SAMPLES = "testkit.leak-guard-samples";
  /** Shared with the samples, which run in this JVM. */
  static final Map<String, String> TOKENS = new ConcurrentHashMap<>();
  private static final System.Logger LOG = System.getLogger("io.workloadidentity.testkit.sample");

  static KubernetesCluster cluster;

  @BeforeAll
  static void startCluster() {
    cluster = KubernetesCluster.start();
  }

  @AfterAll
  static void stopCluster() {
    cluster.close();
  }

  static String minted() {
    return cluster.mint(TokenSpec.of("sts.amazonaws.com"));
  }

  // ---- samples ----

  @EnabledIfSystemProperty(named = SAMPLES, matches = "true")
  @ExtendWith(SecretLeakGuard.class)
  static class Leaky {
    @Test
    void clean() {
      String token = minted();
      LOG.log(System.Logger.Level.DEBUG, "exchanged a token of " + token.length() + " characters");
      SecretLeakGuard.inspect(ProjectedToken.parse(token).toString());
    }

    @Test
    void tokenInAFineMessage() {
      String token = minted();
      TOKENS.put("fine", token);
      LOG.log(System.Logger.Level.DEBUG, "sending Authorization: Bearer " + token);
    }

    @Test
    void tokenAsAParameter() {
      String token = minted();
      TOKENS.put("parameter", token);
      Logger.getLogger("com.example.sdk").log(Level.FINEST, "request {0}", new Object[] {Map.of("t", token)});
    }

    @Test
    void signatureInASuppressedCause() {
      String token = minted();
      TOKENS.put("suppressed", token);
      IOException cause = new IOException("reset");
      cause.addSuppressed(new IllegalStateException("sig " + token.substring(token.lastIndexOf('.') + 1)));
      LOG.log(System.Logger.Level.WARNING, "exchange failed", new UncheckedIOException("exchange failed", cause));
    }

    @Test
    void urlEncodedOnStandardOutput() {
      String secret = SecretLeakGuard.secret("wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY+x");
      TOKENS.put("stdout", secret);
      System.out.println("body: secret=" + URLEncoder.encode(secret, StandardCharsets.UTF_8));
    }

    @Test
    void inspectedException() {
      String token = minted();
      TOKENS.put("inspected", token);
      SecretLeakGuard.inspect(new IllegalArgumentException("bad token " + token));
    }
  }

  @EnabledIfSystemProperty(named = SAMPLES, matches = "true")
  static class Configured {
    @RegisterExtension
    static final SecretLeakGuard GUARD = SecretLeakGuard.builder()
        .forbid(Pattern.compile("ya29\\.[\\w-]+"), "a Google access token")
        .expectLogRecords(true)
        .build();

    @Test
    void unregisteredTokenOfAForbiddenShape() {
      LOG.log(System.Logger.Level.TRACE, "token ya29.unregistered-but-forbidden");
    }

    @Test
    void wireTraceOfTheJdkIsIgnored() {
      Logger.getLogger("sun.net.www.protocol.http.HttpURLConnection").fine("Authorization: Bearer " + minted());
    }
  }

  @EnabledIfSystemProperty(named = SAMPLES, matches = "true")
  static class Silent {
    @RegisterExtension
    static final SecretLeakGuard GUARD = SecretLeakGuard.builder().expectLogRecords(true).build();

    @Test
    void logsNothing() {}
  }

  @EnabledIfSystemProperty(named = SAMPLES, matches = "true")
  static class PerTest {
    @RegisterExtension
    final SecretLeakGuard guard = new SecretLeakGuard(); // an instance field: no beforeAll

    @Test
    void leaks() {
      String token = minted();
      TOKENS.put("per-test", token);
      LOG.log(System.Logger.Level.INFO, token);
    }
  }

  // ---- the tests ----

  @Test
  void failsEveryLeakWithoutPrintingTheSecretAndPassesCleanTests() {
    Map<String, TestExecutionResult> results = run(Leaky.class);

    assertThat(results.get("clean()").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    assertLeak(results.get("tokenInAFineMessage()"), "fine", "log record FINE io.workloadidentity.testkit.sample",
        "a token minted by KubernetesCluster (sha256:");
    assertLeak(results.get("tokenAsAParameter()"), "parameter", "log record FINEST com.example.sdk", "parameter #0");
    assertLeak(results.get("signatureInASuppressedCause()"), "suppressed", "(its JWT signature)", "thrown");
    assertLeak(results.get("urlEncodedOnStandardOutput()"), "stdout", "(URL-encoded)", "standard output");
    assertLeak(results.get("inspectedException()"), "inspected", "inspected java.lang.IllegalArgumentException",
        "<secret sha256:");
  }

  @Test
  void forbiddenPatternsAndIgnoredLoggers() {
    Map<String, TestExecutionResult> results = run(Configured.class);

    Throwable forbidden = results.get("unregisteredTokenOfAForbiddenShape()").getThrowable().orElseThrow();
    assertThat(forbidden).hasMessageContaining("forbidden pattern for a Google access token")
        .hasMessageContaining("<a Google access token>").hasMessageNotContaining("ya29.unregistered");
    assertThat(results.get("wireTraceOfTheJdkIsIgnored()").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
  }

  @Test
  void aGuardThatSawNoLogRecordSaysItIsNotLooking() {
    Map<String, TestExecutionResult> results = run(Silent.class);

    assertThat(results.get("logsNothing()").getStatus()).isEqualTo(TestExecutionResult.Status.SUCCESSFUL);
    assertThat(results.get("SecretLeakGuardTest$Silent").getThrowable().orElseThrow()).hasMessageContaining("captured no log record");
  }

  @Test
  void aGuardOnAnInstanceFieldGuardsEachTest() {
    assertLeak(run(PerTest.class).get("leaks()"), "per-test", "log record INFO", "KubernetesCluster");
  }

  @Test
  void loggingAndTheStandardStreamsAreRestored() {
    Logger root = Logger.getLogger("");
    Level rootLevel = root.getLevel();
    Logger explicit = Logger.getLogger("com.example.quiet");
    explicit.setLevel(Level.WARNING);
    Map<Handler, Level> handlers = new LinkedHashMap<>();
    for (Handler h : root.getHandlers()) {
      handlers.put(h, h.getLevel());
    }
    var out = System.out;
    var err = System.err;

    run(Leaky.class);

    assertThat(root.getLevel()).isEqualTo(rootLevel);
    assertThat(explicit.getLevel()).isEqualTo(Level.WARNING);
    assertThat(root.getHandlers()).containsExactlyInAnyOrderElementsOf(handlers.keySet());
    handlers.forEach((h, level) -> assertThat(h.getLevel()).isEqualTo(level));
    assertThat(System.out).isSameAs(out);
    assertThat(System.err).isSameAs(err);
  }

  @Test
  void inspectChecksAtOnceOutsideAGuardToo() {
    String token = minted();
    assertThatThrownBy(() -> SecretLeakGuard.inspect(new RuntimeException("wrapped", new IOException(token))))
        .isInstanceOf(AssertionError.class)
        .hasMessageContaining(SecretRegistry.fingerprint(token))
        .hasMessageNotContaining(token)
        .hasMessageNotContaining(token.substring(token.lastIndexOf('.') + 1));
    assertThat(SecretLeakGuard.inspect("no secret here")).isEqualTo("no secret here");
  }

  @Test
  void tooShortSecretsAreRefused() {
    assertThatThrownBy(() -> SecretLeakGuard.secret("1234567")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("at least 8").hasMessageNotContaining("1234567");
  }

  @Test
  void theRegistryFindsEveryFormOnceAndKeepsNoSecret() {
    String secret = SecretLeakGuard.secret("abc/def+ghi\"jkl-registry-" + System.nanoTime());
    String json = secret.replace("/", "\\/").replace("\"", "\\\"");
    assertThat(SecretRegistry.find("x" + secret + "y")).singleElement()
        .satisfies(s -> assertThat(s.start()).isEqualTo(1)).satisfies(s -> assertThat(s.form()).isEmpty());
    assertThat(SecretRegistry.find("{\"k\":\"" + json + "\"}")).singleElement()
        .satisfies(s -> assertThat(s.form()).isEqualTo(" (JSON-escaped)"));
    assertThat(SecretRegistry.find(secret.substring(1))).isEmpty();

    String token = minted();
    assertThat(SecretRegistry.find("Bearer " + token)).as("the whole token, once").hasSize(1);
  }

  // ---- helpers ----

  private static void assertLeak(TestExecutionResult result, String tokenKey, String... fragments) {
    assertThat(result.getStatus()).isEqualTo(TestExecutionResult.Status.FAILED);
    Throwable t = result.getThrowable().orElseThrow();
    String token = TOKENS.get(tokenKey);
    String signature = token.substring(token.lastIndexOf('.') + 1);
    assertThat(t).isInstanceOf(AssertionError.class).hasMessageContaining("A secret");
    for (String f : fragments) {
      assertThat(t.getMessage()).contains(f);
    }
    assertThat(t.getMessage()).contains(SecretRegistry.fingerprint(token)).doesNotContain(token)
        .doesNotContain(URLEncoder.encode(token, StandardCharsets.UTF_8));
    if (signature.length() >= 16) {
      assertThat(t.getMessage()).doesNotContain(signature);
    }
  }

  /** Runs a sample class and returns each test's (and the class's) result by display name. */
  private static Map<String, TestExecutionResult> run(Class<?> sample) {
    Map<String, TestExecutionResult> results = new ConcurrentHashMap<>();
    System.setProperty(SAMPLES, "true");
    try {
      LauncherFactory.create().execute(LauncherDiscoveryRequestBuilder.request().selectors(selectClass(sample)).build(),
          new TestExecutionListener() {
            @Override
            public void executionFinished(TestIdentifier id, TestExecutionResult result) {
              results.put(id.getDisplayName(), result);
            }
          });
    } finally {
      System.clearProperty(SAMPLES);
    }
    return results;
  }
}
