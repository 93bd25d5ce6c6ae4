package io.workloadidentity.examples;

import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentity;
import io.workloadidentity.examples.demo.CloudAct;
import io.workloadidentity.examples.demo.NarratedProvider;
import io.workloadidentity.examples.demo.Stage;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The demo the README's first command runs: the testkit plays a Kubernetes cluster and the clouds
 * on 127.0.0.1, and the library does its whole job against them, step by step: detection, token
 * claims, credentials, a token rotation, a refresh ahead of expiry, an outage ridden out and a
 * misconfiguration explained.
 *
 * <p>{@code --cloud aws|azure|gcp} runs one cloud. Exit code 0 when every step did what it says.
 */
public final class Demo {
  private Demo() {}

  public static void main(String[] args) {
    int code = run(args, System.out);
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs the demo, printing to {@code out}; returns the exit code (0 success, 1 a step failed, 2 usage). */
  public static int run(String[] args, PrintStream out) {
    List<String> clouds = new ArrayList<>(CloudAct.ALL);
    boolean verbose = false;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--cloud") && i + 1 < args.length && CloudAct.ALL.contains(args[i + 1])) {
        clouds = List.of(args[++i]);
      } else if (args[i].equals("--verbose")) {
        verbose = true;
      } else {
        out.println("usage: Demo [--cloud aws|azure|gcp] [--verbose]");
        return 2;
      }
    }
    // The library logs through System.Logger (java.util.logging here). The story is told by the
    // steps; --verbose shows the library's own log lines as well.
    Logger root = Logger.getLogger("");
    Level previous = root.getLevel();
    root.setLevel(verbose ? Level.INFO : Level.OFF);
    try {
      return tell(clouds, out);
    } finally {
      root.setLevel(previous);
    }
  }

  private static int tell(List<String> clouds, PrintStream out) {
    long started = System.nanoTime();
    out.println("workload-identity-java demo: the testkit plays a Kubernetes cluster and "
        + String.join(", ", clouds) + " on 127.0.0.1; nothing leaves this machine.");
    try (Stage stage = Stage.start(out)) {
      List<CloudAct> acts = new ArrayList<>();
      for (String cloud : clouds) {
        acts.add(CloudAct.create(cloud, stage));
      }
      stage.step("Cluster, kubelet and cloud endpoints started", () -> {
        stage.detail("OIDC issuer " + stage.cluster().issuer() + " (discovery + JWKS, RSA-2048, Kubernetes kid)");
        for (CloudAct act : acts) {
          act.describeEndpoints();
        }
      });
      stage.step("The kubelet wrote projected service-account tokens (AtomicWriter layout, ..data symlink)", () -> {
        for (CloudAct act : acts) {
          act.describeVolume();
        }
      });
      Map<String, String> env = new HashMap<>();
      stage.step("The identity webhooks set up the pod's environment", () -> {
        for (CloudAct act : acts) {
          Map<String, String> vars = act.webhookEnvironment();
          vars.forEach((k, v) -> stage.detail(k + "=" + v));
          env.putAll(vars);
        }
      });
      try (WorkloadIdentity identity = stage.stepWithResult("WorkloadIdentity.detect(): what was found and why",
          () -> WorkloadIdentity.detect(Environment.of(env), NarratedProvider.onClassPath(stage), stage.clock()),
          id -> stage.block(id.report()))) {
        stage.step("Credentials from each cloud, through the SDKs' own types (secrets redacted)", () -> {
          for (CloudAct act : acts) {
            stage.progress(act.name() + ": " + act.firstUse() + " ...");
            act.credentials(identity);
          }
        });
      }
      for (CloudAct act : acts) {
        stage.step(act.name() + ": a token rotation is picked up", act::rotation);
        stage.step(act.name() + ": refreshed ahead of expiry, callers never wait", act::refreshAhead);
        stage.step(act.name() + ": an outage shorter than the credential's life is invisible", act::outage);
        stage.step(act.name() + ": a misconfiguration, explained", act::misconfiguration);
      }
      for (CloudAct act : acts) {
        act.close();
      }
      out.printf("%nDone in %.1f s: every step behaved as described.%n", (System.nanoTime() - started) / 1e9);
      return 0;
    } catch (Stage.StepFailed e) {
      out.println();
      out.println("Demo step failed: " + e.getMessage());
      return 1;
    }
  }
}
