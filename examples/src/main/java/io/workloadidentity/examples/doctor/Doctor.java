package io.workloadidentity.examples.doctor;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.KubernetesClaims;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Report;
import io.workloadidentity.core.internal.Tokens;
import io.workloadidentity.core.spi.CredentialsProvider;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;

/**
 * {@code java -jar workload-identity-doctor.jar [--exchange] [--json]}: run inside a pod, it prints
 * what the pod has for each cloud and why it would fail: detection and its reasons, the token's
 * claims and time to expiry, the audience against what the cloud expects, file layout and
 * permissions, and with {@code --exchange} the result of a real exchange, each problem with its
 * cause and fix.
 *
 * <p>Exit codes: 0 healthy, 1 a problem was found, 2 bad arguments, 3 no cloud configured at all.
 */
public final class Doctor {
  public static final int OK = 0;
  public static final int PROBLEM = 1;
  public static final int USAGE = 2;
  public static final int NOTHING_CONFIGURED = 3;

  private final Environment environment;
  private final List<CredentialsProvider> providers;
  private final Clock clock;

  public Doctor(Environment environment, List<CredentialsProvider> providers, Clock clock) {
    this.environment = environment;
    this.providers = new ArrayList<>(providers);
    this.providers.sort(Comparator.comparing(CredentialsProvider::name));
    this.clock = clock;
  }

  public static void main(String[] args) {
    List<CredentialsProvider> providers = new ArrayList<>();
    ServiceLoader.load(CredentialsProvider.class).forEach(providers::add);
    int code = new Doctor(Environment.system(), providers, Clock.systemUTC()).run(args, System.out);
    System.exit(code);
  }

  /** Runs the diagnosis, printing to {@code out}; returns the exit code. */
  public int run(String[] args, PrintStream out) {
    boolean exchange = false;
    boolean json = false;
    for (String a : args) {
      switch (a) {
        case "--exchange" -> exchange = true;
        case "--json" -> json = true;
        case "-h", "--help" -> {
          out.println("usage: java -jar workload-identity-doctor.jar [--exchange] [--json]");
          return OK;
        }
        default -> {
          out.println("unknown argument: " + a + "\nusage: java -jar workload-identity-doctor.jar [--exchange] [--json]");
          return USAGE;
        }
      }
    }
    List<CloudReport> reports = new ArrayList<>();
    for (CredentialsProvider p : providers) {
      reports.add(diagnose(p, exchange));
    }
    boolean anyConfigured = reports.stream().anyMatch(r -> r.detection.status() != Detection.Status.NOT_CONFIGURED);
    boolean problem = reports.stream().anyMatch(CloudReport::hasProblem);
    int code = problem ? PROBLEM : anyConfigured ? OK : NOTHING_CONFIGURED;
    if (json) {
      out.println(JSONObjectUtils.toJSONString(toJson(reports, code)));
    } else {
      printText(reports, code, out);
    }
    return code;
  }

  private CloudReport diagnose(CredentialsProvider provider, boolean exchange) {
    Detection d;
    try {
      d = provider.detect(environment);
    } catch (RuntimeException e) {
      d = Detection.misconfigured(provider.name(), List.of("Detection failed: " + Redaction.describe(e)), java.util.Set.of(), null);
    }
    Detection detection = d;
    CloudReport r = new CloudReport(detection);
    if (d.status() == Detection.Status.MISCONFIGURED) {
      r.problem("configuration", String.join(" ", d.reasons()));
    }
    d.tokenFile().ifPresent(file -> checkToken(r, file, detection));
    if (exchange && d.isDetected() && !r.hasProblem()) {
      try (AutoCloseable credentials = provider.create(environment)) {
        r.ok("exchange", provider.probe(credentials));
      } catch (CredentialExchangeException e) {
        String code = e.code().orElse("no error code");
        String status = e.httpStatus().isPresent() ? "HTTP " + e.httpStatus().getAsInt() : "no HTTP response";
        r.problem("exchange", "The " + d.cloud() + " exchange failed (" + code + ", " + status
            + (e.retryable() ? ", retryable" : ", not retryable") + "): " + e.getMessage());
      } catch (WorkloadIdentityException e) {
        r.problem("exchange", e.getMessage());
      } catch (UnsupportedOperationException e) {
        r.warning("exchange", e.getMessage());
      } catch (Exception e) {
        r.problem("exchange", Redaction.describe(e));
      }
    }
    return r;
  }

  private void checkToken(CloudReport r, Path file, Detection d) {
    r.tokenFile = file;
    if (Files.exists(file)) {
      checkFile(r, file);
    }
    ProjectedToken token;
    try {
      token = io.workloadidentity.core.FileTokenSource.readOnce(file, null);
    } catch (WorkloadIdentityException e) {
      r.problem("token", e.getMessage());
      return;
    }
    r.token = token;
    Instant now = clock.instant();
    Duration left = Duration.between(now, token.expiresAt());
    if (left.isNegative()) {
      r.problem("token", "The token expired " + Tokens.human(left.negated()) + " ago (at " + token.expiresAt()
          + "): the kubelet stopped rotating it or the node clock is wrong. Check the kubelet; restarting the pod mints a new token.");
    } else {
      r.ok("token", "expires in " + Tokens.human(left) + " (at " + token.expiresAt() + ")");
    }
    token.issuedAt().filter(iat -> iat.isAfter(now.plusSeconds(60))).ifPresent(iat ->
        r.warning("clock", "The token was issued at " + iat + ", in this machine's future: the node and pod clocks disagree."));
    if (!d.expectedAudiences().isEmpty()) {
      if (token.audiences().stream().anyMatch(d.expectedAudiences()::contains)) {
        r.ok("audience", token.audiences() + " is accepted by " + d.cloud());
      } else {
        r.problem("audience", "The token's audience " + token.audiences() + " is not one " + d.cloud() + " accepts "
            + d.expectedAudiences() + ": set serviceAccountToken.audience in the projected volume to one of them.");
      }
    }
    if (token.kubernetes().flatMap(KubernetesClaims::warnAfter).isPresent()) {
      r.warning("token", "This is an extended API-server token (it has warnafter): the cloud token file is a different one.");
    }
  }

  private static void checkFile(CloudReport r, Path file) {
    Path dir = file.toAbsolutePath().getParent();
    if (Files.isSymbolicLink(file) && Files.exists(dir.resolve("..data"))) {
      r.ok("file", "kubelet projected volume (rotations are picked up)");
    } else {
      r.warning("file", "Not a kubelet projected-volume layout (no ..data link): if it is mounted with subPath the "
          + "kubelet never updates it, and rotations will not be seen.");
    }
    try {
      PosixFileAttributes a = Files.readAttributes(file, PosixFileAttributes.class);
      String mode = PosixFilePermissions.toString(a.permissions());
      if (!Files.isReadable(file)) {
        r.problem("permissions", "The token file (" + mode + ", owner " + a.owner().getName() + ") is not readable by this "
            + "process: set securityContext.fsGroup in the pod spec (or runAsUser to the file's owner).");
      } else {
        r.ok("permissions", mode + ", owner " + a.owner().getName() + ", readable");
      }
    } catch (IOException | UnsupportedOperationException e) {
      r.warning("permissions", "Cannot read the file's attributes: " + Redaction.describe(e));
    }
  }

  private static void printText(List<CloudReport> reports, int code, PrintStream out) {
    out.println("workload-identity doctor");
    for (CloudReport r : reports) {
      out.println();
      out.println(r.detection.cloud() + ": " + r.detection.status().name().toLowerCase().replace('_', ' '));
      // Every line below may carry text from the environment, the token or a server: escaped, so that a
      // crafted claim cannot forge an "[OK]" line or send terminal escapes.
      r.detection.reasons().forEach(reason -> out.println("  - " + Redaction.escape(reason)));
      if (r.tokenFile != null) {
        out.println("  token file: " + Redaction.escape(r.tokenFile.toString()));
      }
      if (r.token != null) {
        out.println("  claims (as read from the token, not verified):");
        out.println("    iss: " + Redaction.escape(r.token.issuer()));
        out.println("    sub: " + Redaction.escape(r.token.subject()));
        out.println("    aud: " + Redaction.escape(String.valueOf(r.token.audiences())));
        r.token.kubernetes().flatMap(KubernetesClaims::podName)
            .ifPresent(p -> out.println("    pod: " + Redaction.escape(p)));
      }
      for (Finding f : r.findings) {
        out.println("  [" + f.level + "] " + f.topic + ": " + Redaction.escape(f.message));
      }
    }
    out.println();
    out.println(switch (code) {
      case OK -> "Result: healthy";
      case NOTHING_CONFIGURED -> "Result: no cloud is configured in this environment (see each cloud's reasons above)";
      default -> "Result: PROBLEMS found (see [PROBLEM] lines above: each says the cause and the fix)";
    });
  }

  private static Map<String, Object> toJson(List<CloudReport> reports, int code) {
    Map<String, Object> root = new LinkedHashMap<>();
    root.put("exitCode", code);
    root.put("healthy", code == OK);
    List<Object> clouds = new ArrayList<>();
    for (CloudReport r : reports) {
      Map<String, Object> c = new LinkedHashMap<>();
      c.put("cloud", r.detection.cloud());
      c.put("status", r.detection.status().name());
      c.put("reasons", r.detection.reasons());
      c.put("expectedAudiences", List.copyOf(r.detection.expectedAudiences()));
      if (r.tokenFile != null) {
        c.put("tokenFile", r.tokenFile.toString());
      }
      if (r.token != null) {
        Map<String, Object> t = new LinkedHashMap<>();
        t.put("iss", r.token.issuer());
        t.put("sub", r.token.subject());
        t.put("aud", r.token.audiences());
        t.put("exp", r.token.expiresAt().toString());
        t.put("sha256", r.token.fingerprint());
        c.put("token", t);
      }
      List<Object> findings = new ArrayList<>();
      for (Finding f : r.findings) {
        findings.add(Map.of("level", f.level, "topic", f.topic, "message", f.message));
      }
      c.put("findings", findings);
      clouds.add(c);
    }
    root.put("clouds", clouds);
    return root;
  }

  private record Finding(String level, String topic, String message) {}

  private static final class CloudReport {
    final Detection detection;
    final List<Finding> findings = new ArrayList<>();
    Path tokenFile;
    ProjectedToken token;

    CloudReport(Detection detection) {
      this.detection = detection;
    }

    void ok(String topic, String message) {
      findings.add(new Finding("OK", topic, message));
    }

    void warning(String topic, String message) {
      findings.add(new Finding("WARNING", topic, message));
    }

    void problem(String topic, String message) {
      findings.add(new Finding("PROBLEM", topic, message));
    }

    boolean hasProblem() {
      return findings.stream().anyMatch(f -> f.level.equals("PROBLEM"));
    }
  }
}
