package io.workloadidentity.examples.demo;

import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.TestClock;
import java.io.IOException;
import javax.net.ssl.HttpsURLConnection;
import javax.net.ssl.SSLContext;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * The demo's world (one cluster, one clock shared by everything, a temporary directory) and its
 * narration: numbered steps with their duration, indented details.
 */
public final class Stage implements AutoCloseable {
  private final PrintStream out;
  private final TestClock clock = TestClock.create();
  private final KubernetesCluster cluster;
  private final Path dir;
  private int step;
  private volatile long stepStarted = System.nanoTime();

  private Stage(PrintStream out) {
    this.out = out;
    this.cluster = KubernetesCluster.builder().clock(clock).build();
    // The fake clouds serve HTTPS with certificates from the testkit's CA (one per JVM). SDKs built
    // from the environment use the JVM's default trust, so the demo process trusts that CA. Never
    // do this in an application.
    SSLContext.setDefault(cluster.sslContext());
    HttpsURLConnection.setDefaultSSLSocketFactory(cluster.sslSocketFactory());
    try {
      this.dir = Files.createTempDirectory("workload-identity-demo-");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public static Stage start(PrintStream out) {
    return new Stage(out);
  }

  public TestClock clock() {
    return clock;
  }

  public KubernetesCluster cluster() {
    return cluster;
  }

  /** A fresh directory for one projected volume. */
  public Path volumeDirectory(String name) {
    try {
      return Files.createDirectories(dir.resolve(name));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Runs one numbered step, printing its title, details and duration. */
  public void step(String title, Runnable body) {
    stepWithResult(title, () -> {
      body.run();
      return null;
    }, r -> {});
  }

  /** Runs one numbered step that produces a value, then describes the value. */
  public <T> T stepWithResult(String title, java.util.function.Supplier<T> body, Consumer<T> describe) {
    int n = ++step;
    out.println();
    out.println("[" + n + "] " + title);
    long t0 = System.nanoTime();
    stepStarted = t0;
    T result;
    try {
      result = body.get();
      describe.accept(result);
    } catch (StepFailed e) {
      throw e;
    } catch (RuntimeException e) {
      throw new StepFailed("[" + n + "] " + title + ": " + e, e);
    }
    out.printf("    ok (%d ms)%n", (System.nanoTime() - t0) / 1_000_000);
    return result;
  }

  /** One indented line of detail. */
  public void detail(String line) {
    out.println("    " + line);
  }

  /**
   * One line of progress while a step runs, stamped with the real time since the step began. Called
   * as things happen (a provider detected, an exchange started, a listener told of a failed
   * attempt), so a long step shows what it is doing; safe from any thread.
   */
  public void progress(String line) {
    out.printf("    [+%4d ms] %s%n", (System.nanoTime() - stepStarted) / 1_000_000, line);
  }

  /** A multi-line block, indented. */
  public void block(String text) {
    text.lines().forEach(l -> out.println("    | " + l));
  }

  /** Fails the current step with an explanation: the demo checks what it claims. */
  public static void check(boolean condition, String claim) {
    if (!condition) {
      throw new StepFailed("expected: " + claim, null);
    }
  }

  @Override
  public void close() {
    cluster.close();
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException ignored) {
      // a temporary directory; the OS cleans up what remains
    }
  }

  /** A step did not behave as the demo says it does. */
  public static final class StepFailed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    StepFailed(String message, Throwable cause) {
      super(message, cause);
    }
  }
}
