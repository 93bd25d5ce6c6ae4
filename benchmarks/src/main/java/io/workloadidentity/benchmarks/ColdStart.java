package io.workloadidentity.benchmarks;

import io.workloadidentity.testkit.FakeAwsSts;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Cold start, JVM start to first credential: each provider's tiny main ({@code
 * io.workloadidentity.benchmarks.cold.*}) run as a whole new JVM, with only that provider's runtime
 * closure ({@link Closures}) and the cold-start classes on the class path, against the testkit
 * endpoints this process serves. Runs are interleaved (every variant once, then again, ...) so that
 * the machine's noise spreads over all; the median is reported. The time is from just before {@code
 * ProcessBuilder.start()} to the child having the credential, on the machine-wide monotonic clock
 * ({@code System.nanoTime()}, passed as {@code -Dbench.t0}), split at {@code main}; the child then
 * halts without waiting for its threads. One more run per variant with {@code -Xlog:class+load}
 * counts the classes loaded.
 *
 * <p>Each child trusts the testkit CA through {@code -Djavax.net.ssl.trustStore}, the same for ours
 * and the peer. AWS's fake STS is plain HTTP (no TLS set-up in either); Entra and Google are HTTPS.
 */
public final class ColdStart {
  private ColdStart() {}

  /** One process to time. */
  private static final class Variant {
    final Cloud cloud;
    final String label;
    final String main;
    final String closure;
    final List<String> flags;
    final List<double[]> runs = new ArrayList<>();
    int classes;
    int jdkClasses;
    /** Classes loaded per package group (the first three name segments). */
    Map<String, Integer> groups = new LinkedHashMap<>();

    Variant(Cloud cloud, String label, String main, String closure, String... flags) {
      this.cloud = cloud;
      this.label = label;
      this.main = "io.workloadidentity.benchmarks.cold." + main;
      this.closure = closure;
      this.flags = Arrays.asList(flags);
    }

    double median(int field) {
      double[] v = runs.stream().mapToDouble(r -> r[field]).sorted().toArray();
      return v.length == 0 ? Double.NaN : v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
    }
  }

  /**
   * Runs the cold starts.
   *
   * @param args the closures directory, the cold-start classes directory, optionally a Markdown file
   * @throws Exception if a child fails
   */
  public static void main(String[] args) throws Exception {
    Path closures = Path.of(args[0]);
    String classes = args[1];
    int runs = Integer.getInteger("cold.runs", 5);
    Path work = Files.createTempDirectory("wi-cold-");
    List<Testbed> beds = new ArrayList<>();
    List<Variant> variants = new ArrayList<>();
    Map<Cloud, List<String>> props = new LinkedHashMap<>();
    try {
      for (Cloud cloud : Cloud.values()) {
        Testbed bed = Testbed.start(cloud, java.time.Duration.ofHours(1));
        beds.add(bed);
        Path trust = work.resolve(cloud + "-trust.p12");
        KeyStore ks = KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        ks.setCertificateEntry("testkit-ca", bed.endpoint().caCertificate());
        try (OutputStream out = Files.newOutputStream(trust)) {
          ks.store(out, "changeit".toCharArray());
        }
        List<String> p = new ArrayList<>(List.of("-Djavax.net.ssl.trustStore=" + trust,
            "-Djavax.net.ssl.trustStorePassword=changeit", "-Djavax.net.ssl.trustStoreType=PKCS12",
            "-Dbench.tokenFile=" + bed.tokenFile()));
        String c = cloud.name().toLowerCase(Locale.ROOT);
        switch (cloud) {
          case AWS:
            p.add("-Dbench.endpoint=" + ((FakeAwsSts) bed.endpoint()).endpoint());
            p.add("-Dbench.role=" + Testbed.AWS_ROLE);
            variants.add(new Variant(cloud, "ours", "AwsOurs", "ours-" + c));
            variants.add(new Variant(cloud, "ours, token without file watch", "AwsOurs", "ours-" + c, "-Dbench.noWatch=true"));
            variants.add(new Variant(cloud, "peer, trimmed like ours", "AwsPeer", "peer-" + c + "-trimmed"));
            variants.add(new Variant(cloud, "peer, default dependencies", "AwsPeer", "peer-" + c));
            break;
          case AZURE:
            p.add("-Dbench.endpoint=" + bed.endpoint().baseUrl() + "/");
            p.add("-Dbench.tenant=" + Testbed.TENANT);
            p.add("-Dbench.client=" + Testbed.CLIENT);
            variants.add(new Variant(cloud, "ours", "AzureOurs", "ours-" + c));
            variants.add(new Variant(cloud, "ours, token without file watch", "AzureOurs", "ours-" + c, "-Dbench.noWatch=true"));
            variants.add(new Variant(cloud, "peer, trimmed like ours", "AzurePeer", "peer-" + c + "-trimmed"));
            variants.add(new Variant(cloud, "peer, default dependencies", "AzurePeer", "peer-" + c));
            break;
          default:
            p.add("-Dbench.config=" + bed.gcpConfig());
            variants.add(new Variant(cloud, "ours", "GcpOurs", "ours-" + c));
            variants.add(new Variant(cloud, "peer, trimmed like ours", "GcpPeer", "peer-" + c + "-trimmed"));
            variants.add(new Variant(cloud, "peer, default dependencies", "GcpPeer", "peer-" + c));
            break;
        }
        props.put(cloud, p);
      }
      for (Variant v : variants) { // warm the OS file cache: the first run of a jar set is not timed
        run(v, closures, classes, props.get(v.cloud), null, work);
      }
      for (int r = 0; r < runs; r++) {
        for (Variant v : variants) {
          v.runs.add(run(v, closures, classes, props.get(v.cloud), null, work));
        }
        System.err.println("[cold-start] round " + (r + 1) + " of " + runs + " done");
      }
      for (Variant v : variants) {
        Path log = work.resolve("classes-" + v.main + "-" + v.runs.hashCode() + ".log");
        run(v, closures, classes, props.get(v.cloud), log, work);
        try (Stream<String> lines = Files.lines(log)) {
          List<String> loaded = lines.filter(l -> l.contains(" source: ")).toList();
          v.classes = loaded.size();
          v.jdkClasses = (int) loaded.stream().filter(l -> l.contains("source: jrt:/") || l.contains("shared objects file")).count();
          for (String l : loaded) {
            v.groups.merge(group(l), 1, Integer::sum);
          }
        }
      }
    } finally {
      beds.forEach(Testbed::close);
    }

    StringBuilder md = new StringBuilder("### Cold start: JVM start to first credential (median of ").append(runs)
        .append(" interleaved runs per variant)\n\n")
        .append("| Cloud | ours / peer (trimmed like ours) | ours / peer (default dependencies) | variant"
            + " | launch → first credential, ms | launch → main | main → built | main → first credential"
            + " | launch → process exit | classes loaded (of them JDK) | threads at first credential |\n")
        .append("|---|---|---|---|---|---|---|---|---|---|---|\n");
    for (Cloud cloud : Cloud.values()) {
      Variant ours = find(variants, cloud, "ours");
      Variant trimmed = find(variants, cloud, "peer, trimmed like ours");
      Variant full = find(variants, cloud, "peer, default dependencies");
      boolean first = true;
      for (Variant v : variants) {
        if (v.cloud != cloud) {
          continue;
        }
        md.append("| ").append(first ? cloud.name() : "").append(" | ")
            .append(first ? SideBySide.ratio(ours.median(0), trimmed.median(0)) : "").append(" | ")
            .append(first ? SideBySide.ratio(ours.median(0), full.median(0)) : "").append(" | ")
            .append(v.label).append(" | ").append(fmt(v.median(0))).append(" | ").append(fmt(v.median(4))).append(" | ")
            .append(fmt(v.median(1))).append(" | ").append(fmt(v.median(2))).append(" | ").append(fmt(v.median(5))).append(" | ").append(v.classes).append(" (").append(v.jdkClasses).append(") | ")
            .append(fmt(v.median(3))).append(" |\n");
        first = false;
      }
    }
    md.append('\n');
    md.append("Classes our first credential loads beyond the trimmed peer's, by package (from `-Xlog:class+load`):\n\n")
        .append("| Cloud | more in ours (package: classes) | more in the peer |\n|---|---|---|\n");
    for (Cloud cloud : Cloud.values()) {
      Variant ours = find(variants, cloud, "ours");
      Variant trimmed = find(variants, cloud, "peer, trimmed like ours");
      md.append("| ").append(cloud).append(" | ").append(difference(ours.groups, trimmed.groups)).append(" | ")
          .append(difference(trimmed.groups, ours.groups)).append(" |\n");
    }
    md.append('\n');
    System.out.print(md);
    if (args.length > 2) {
      Files.writeString(Path.of(args[2]), md);
    }
  }

  /** {@code io.workloadidentity.core} from a class-load log line naming {@code io.workloadidentity.core.internal.Entry}. */
  static String group(String logLine) {
    int end = logLine.indexOf(" source: ");
    int start = logLine.lastIndexOf(' ', end - 1) + 1;
    String[] parts = logLine.substring(start, end).split("\\.");
    int n = Math.min(3, Math.max(1, parts.length - 1));
    return String.join(".", Arrays.copyOf(parts, n));
  }

  /** The groups where {@code a} loads more classes than {@code b}, largest first, at most eight. */
  static String difference(Map<String, Integer> a, Map<String, Integer> b) {
    return a.entrySet().stream()
        .map(e -> Map.entry(e.getKey(), e.getValue() - b.getOrDefault(e.getKey(), 0)))
        .filter(e -> e.getValue() > 0)
        .sorted((x, y) -> y.getValue() - x.getValue())
        .limit(8)
        .map(e -> e.getKey() + ": " + e.getValue())
        .reduce((x, y) -> x + ", " + y).orElse("");
  }

  private static Variant find(List<Variant> variants, Cloud cloud, String label) {
    return variants.stream().filter(v -> v.cloud == cloud && v.label.equals(label)).findFirst().orElseThrow();
  }

  private static String fmt(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  /**
   * One child JVM: {launch to first credential, main to built, main to first credential, threads,
   * launch to main, launch to process exit}, in milliseconds.
   */
  private static double[] run(Variant v, Path closures, String classes, List<String> props, Path classLog, Path work)
      throws Exception {
    List<String> cmd = new ArrayList<>();
    cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    if (classLog != null) {
      cmd.add("-Xlog:class+load=info:file=" + classLog);
    }
    cmd.add("-cp");
    cmd.add(Closures.classPath(closures, v.closure) + File.pathSeparator + classes);
    cmd.addAll(props);
    cmd.addAll(v.flags);
    cmd.add(v.main);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(work.resolve("stderr-" + v.main + ".txt").toFile());
    pb.environment().keySet().removeIf(k -> k.startsWith("AWS_") || k.startsWith("AZURE_") || k.startsWith("GOOGLE_")
        || k.startsWith("GCE_") || k.startsWith("JAVA_TOOL_OPTIONS") || k.startsWith("JDK_JAVA_OPTIONS"));
    long t0 = System.nanoTime();
    cmd.add(cmd.size() - 1, "-Dbench.t0=" + t0);
    pb.command(cmd);
    Process p = pb.start();
    CompletableFuture<String> line = CompletableFuture.supplyAsync(() -> {
      try (InputStream in = p.getInputStream()) {
        return new String(in.readAllBytes(), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    });
    String out;
    try {
      out = line.get(120, TimeUnit.SECONDS);
    } finally {
      if (!p.waitFor(30, TimeUnit.SECONDS)) {
        p.destroyForcibly();
      }
    }
    String report = out.lines().filter(l -> l.startsWith("first-credential ")).findFirst().orElseThrow(() ->
        new IllegalStateException(v.main + " (" + v.label + ") printed no credential; see "
            + work.resolve("stderr-" + v.main + ".txt")));
    double untilExit = (System.nanoTime() - t0) / 1e6;
    String[] f = report.split(" ");
    // {launch -> first credential, build (in main), first credential (in main), threads, launch -> main, launch -> exit}
    return new double[] {Double.parseDouble(f[5]), Double.parseDouble(f[1]), Double.parseDouble(f[2]),
        Double.parseDouble(f[3]), Double.parseDouble(f[4]), untilExit};
  }
}
