package io.workloadidentity.benchmarks;

import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.testkit.Fault;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The side-by-side scenarios that are not JMH: for each cloud, our provider and the SDK's own against
 * the same testkit endpoint, one after the other in one JVM, printed as Markdown tables with the ratio
 * (ours / peer) first.
 *
 * <ol>
 *   <li><b>Refresh under contention</b>: 8 back-to-back callers, +200 ms endpoint latency, a short
 *       lifetime so that several refresh cycles happen: token requests per cycle, and the callers'
 *       p50 / p99 / max call time.
 *   <li><b>N providers per JVM</b> (1, 10, 50), each built the way a user builds one per SDK client
 *       and read once: token requests.
 *   <li><b>Outage</b>: every token request answers 503 for 20 s from the first refresh attempt, 8
 *       callers: requests, caller errors, longest call.
 * </ol>
 *
 * <p><b>Lifetimes and margins.</b> The peers' refresh margins are made for one-hour credentials; with
 * a lifetime of seconds their defaults would refresh on every call. So for the contention run the
 * peers' margins are their one-hour defaults scaled to the short lifetime (AWS prefetch 5 min and
 * stale 1 min of 60 min; google-auth refresh 3 min 45 s and expiration 3 min of 60 min). For the
 * outage run the credential must outlive the outage, so AWS and Google refresh 30 s before expiry
 * (stale 2 s before) of a 45 s credential and ours at a third of it (15 s, 30 s before expiry).
 * azure-identity has no margin to set (MSAL stops serving a token 5 min before it expires), so its
 * Entra issues tokens of 5 min plus the lifetime: MSAL serves each from cache for the lifetime, as
 * a one-hour token is served for 55 min. Ours keeps its defaults (refresh at 80% ± 5% of the
 * lifetime) except in the outage run.
 *
 * <p>Settings (system properties): {@code bench.lifetime} seconds (15), {@code bench.cycles} (3),
 * {@code bench.outage} seconds (20), {@code bench.clouds} ({@code AWS,AZURE,GCP}), {@code
 * bench.scenarios} ({@code contention,clients,outage}). The first argument, if any, is a file to
 * write the Markdown to as well.
 */
public final class SideBySide {
  private static final int CALLERS = 8;
  private static final Duration LATENCY = Duration.ofMillis(200);
  /** MSAL serves a cached token only while more than this is left. */
  private static final Duration MSAL_MARGIN = Duration.ofMinutes(5);
  private static final Duration OUTAGE_LIFETIME = Duration.ofSeconds(45);
  private static final Duration RECOVERY = Duration.ofSeconds(5);
  private static final int SLOW_KEPT = 256;

  private final Duration lifetime = Duration.ofSeconds(Long.getLong("bench.lifetime", 15));
  private final int cycles = Integer.getInteger("bench.cycles", 3);
  private final Duration outage = Duration.ofSeconds(Long.getLong("bench.outage", 20));
  private final List<Cloud> clouds = new ArrayList<>();
  private final String scenarios = System.getProperty("bench.scenarios", "contention,clients,outage");

  private SideBySide() {
    for (String c : System.getProperty("bench.clouds", "AWS,AZURE,GCP").split(",")) {
      clouds.add(Cloud.valueOf(c.trim().toUpperCase(Locale.ROOT)));
    }
  }

  /**
   * Runs the scenarios and prints the tables.
   *
   * @param args optionally a file to write the Markdown to
   * @throws Exception if a scenario cannot run
   */
  public static void main(String[] args) throws Exception {
    StringBuilder md = new SideBySide().run();
    System.out.println(md);
    if (args.length > 0) {
      Path out = Path.of(args[0]);
      if (out.getParent() != null) {
        Files.createDirectories(out.getParent());
      }
      Files.writeString(out, md);
    }
  }

  private StringBuilder run() throws Exception {
    StringBuilder md = new StringBuilder();
    md.append("<!-- SideBySide, ").append(java.time.Instant.now()).append(", ")
        .append(Runtime.getRuntime().availableProcessors()).append(" CPUs, JDK ")
        .append(System.getProperty("java.version")).append(" -->\n\n");
    if (scenarios.contains("contention")) {
      contention(md);
    }
    if (scenarios.contains("clients")) {
      clients(md);
    }
    if (scenarios.contains("outage")) {
      outage(md);
    }
    return md;
  }

  // ---------------------------------------------------------------------------------------------

  private void contention(StringBuilder md) throws Exception {
    md.append("### Refresh under contention (").append(CALLERS).append(" callers, +").append(LATENCY.toMillis())
        .append(" ms endpoint latency, ").append(lifetime.toSeconds()).append(" s lifetime, ").append(cycles)
        .append(" cycles)\n\n")
        .append("| Cloud | requests per cycle, ours / peer | ours: requests per cycle | peer: requests per cycle"
            + " | ours: p50 / p99 / max call | peer: p50 / p99 / max call"
            + " | calls ≥ 100 ms, ours / peer (of them during a token request)"
            + " | caller errors, ours / peer |\n")
        .append("|---|---|---|---|---|---|---|---|\n");
    // The harness alone: eight callers of a read that does nothing. On a shared 2-core machine its
    // max (a caller descheduled mid-call) is the floor under every provider's max.
    Run control = drive(Testbed.subject(() -> Boolean.TRUE, () -> {}), 10_000, null);
    md.append("| control: a read that returns a constant | | | | ").append(control.latencies()).append(" | | ")
        .append(control.slow()).append(" | ").append(control.errors).append(" |\n");
    progress("contention control: " + control);
    for (Cloud cloud : clouds) {
      Run ours = contention(cloud, true);
      Run peer = contention(cloud, false);
      double o = ours.requests / (double) cycles;
      double p = peer.requests / (double) cycles;
      md.append("| ").append(cloud).append(" | ").append(ratio(o, p)).append(" | ").append(num(o)).append(" | ")
          .append(num(p)).append(" | ").append(ours.latencies()).append(" | ").append(peer.latencies()).append(" | ")
          .append(ours.slow()).append(" (").append(ours.slowNearRequest).append(") / ").append(peer.slow()).append(" (")
          .append(peer.slowNearRequest).append(") | ")
          .append(ours.errors).append(" / ").append(peer.errors).append(" |\n");
      progress("contention " + cloud + ": ours " + ours + ", peer " + peer);
    }
    md.append('\n');
  }

  /** One provider: warm it with the first read, then {@link #cycles} cycles of its own refresh cadence. */
  private Run contention(Cloud cloud, boolean ours) throws Exception {
    boolean msal = cloud == Cloud.AZURE && !ours;
    try (Testbed bed = Testbed.start(cloud, msal ? MSAL_MARGIN.plus(lifetime) : lifetime)) {
      Subject subject = ours ? bed.ours(null) : bed.peer(scaledMargins(cloud, lifetime));
      try {
        subject.read();
        bed.endpoint().faults().latency(LATENCY);
        int before = bed.tokenRequests();
        long cycle = cycleMillis(cloud, ours);
        long runMillis = (long) ((cycles + 0.5) * cycle);
        Run run = drive(subject, runMillis, null);
        run.requests = bed.tokenRequests() - before;
        run.attribute(bed.tokenRequestTimes());
        return run;
      } finally {
        subject.close();
      }
    }
  }

  /** The time between two refreshes of the provider, with the contention run's settings. */
  private long cycleMillis(Cloud cloud, boolean ours) {
    long l = lifetime.toMillis();
    if (ours) {
      return (long) (0.8 * l);
    }
    switch (cloud) {
      case AWS:
        return l - l / 12;
      case GCP:
        return l - l / 16;
      default:
        return l; // MSAL: cached for `lifetime`, then fetched again
    }
  }

  /** The peer's one-hour default margins, scaled to {@code lifetime}. */
  static Margins scaledMargins(Cloud cloud, Duration lifetime) {
    long l = lifetime.toMillis();
    switch (cloud) {
      case AWS:
        return new Margins(Duration.ofMillis(l / 12), Duration.ofMillis(l / 60));  // 5 min, 1 min of 60
      case GCP:
        return new Margins(Duration.ofMillis(l / 16), Duration.ofMillis(l / 20));  // 3m45s, 3 min of 60
      default:
        return null;
    }
  }

  // ---------------------------------------------------------------------------------------------

  private void clients(StringBuilder md) throws Exception {
    md.append("### N providers in one JVM (each built as one SDK client would build it, then read once)\n\n")
        .append("| Cloud | N | token requests, ours / peer | ours | peer |\n|---|---|---|---|---|\n");
    for (Cloud cloud : clouds) {
      for (int n : new int[] {1, 10, 50}) {
        int ours = clients(cloud, true, n);
        int peer = clients(cloud, false, n);
        md.append("| ").append(cloud).append(" | ").append(n).append(" | ").append(ratio(ours, peer)).append(" | ")
            .append(ours).append(" | ").append(peer).append(" |\n");
        progress("clients " + cloud + " N=" + n + ": ours " + ours + ", peer " + peer);
      }
    }
    md.append('\n');
  }

  private static int clients(Cloud cloud, boolean ours, int n) throws Exception {
    try (Testbed bed = Testbed.start(cloud, Duration.ofHours(1))) {
      List<Subject> subjects = new ArrayList<>();
      try {
        for (int i = 0; i < n; i++) {
          Subject s = ours ? bed.ours(null) : bed.peer(null);
          subjects.add(s);
          s.read();
        }
        return bed.tokenRequests();
      } finally {
        subjects.forEach(Subject::close);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  private void outage(StringBuilder md) throws Exception {
    md.append("### Outage: every token request answers 503 for ").append(outage.toSeconds())
        .append(" s from the first refresh attempt (").append(CALLERS).append(" callers)\n\n")
        .append("| Cloud | requests during the outage, ours / peer | ours: requests | peer: requests"
            + " | ours: cache attempts (backoff steps) | caller errors, ours / peer | longest call, ours / peer |\n")
        .append("|---|---|---|---|---|---|---|\n");
    for (Cloud cloud : clouds) {
      Run ours = outage(cloud, true);
      Run peer = outage(cloud, false);
      md.append("| ").append(cloud).append(" | ").append(ratio(ours.requests, peer.requests)).append(" | ")
          .append(ours.requests).append(" | ").append(peer.requests).append(" | ").append(ours.attempts).append(" | ")
          .append(ours.errors).append(" / ")
          .append(peer.errors).append(" | ").append(time(ours.histogram.max())).append(" / ")
          .append(time(peer.histogram.max())).append(" |\n");
      progress("outage " + cloud + ": ours " + ours + ", peer " + peer);
    }
    md.append('\n');
  }

  private Run outage(Cloud cloud, boolean ours) throws Exception {
    boolean msal = cloud == Cloud.AZURE && !ours;
    Duration life = msal ? MSAL_MARGIN.plus(Duration.ofSeconds(30)) : OUTAGE_LIFETIME;
    try (Testbed bed = Testbed.start(cloud, life)) {
      Subject subject = ours
          ? bed.ours(RefreshPolicy.builder().refreshFraction(1.0 / 3).build())
          : bed.peer(new Margins(Duration.ofSeconds(30), Duration.ofSeconds(2)));
      ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor();
      try {
        subject.read();
        bed.endpoint().faults().failAlways(Fault.serverError(503));
        bed.endpoint().clearRequests();
        AtomicInteger during = new AtomicInteger(-1);
        AtomicInteger attempts = new AtomicInteger(-1);
        int attemptsBefore = bed.oursAttempts();
        CountDownLatch over = new CountDownLatch(1);
        Run run = drive(subject, -1, callersStarted -> {
          // The first refresh attempt starts the outage; it ends `outage` later, the run RECOVERY after.
          bed.endpoint().takeRequest(Duration.ofSeconds(120));
          timer.schedule(() -> {
            during.set(bed.tokenRequests());
            attempts.set(bed.oursAttempts() - attemptsBefore);
            bed.endpoint().faults().clear();
          }, outage.toMillis(), TimeUnit.MILLISECONDS);
          timer.schedule(over::countDown, outage.plus(RECOVERY).toMillis(), TimeUnit.MILLISECONDS);
          if (!over.await(outage.plus(RECOVERY).plusSeconds(30).toMillis(), TimeUnit.MILLISECONDS)) {
            throw new IllegalStateException("the outage timer did not fire");
          }
        });
        run.requests = during.get();
        run.attempts = attempts.get();
        return run;
      } finally {
        timer.shutdownNow();
        subject.close();
      }
    }
  }

  // ---------------------------------------------------------------------------------------------

  /** What the main thread does while the callers run, then it stops them. */
  @FunctionalInterface
  interface Control {
    void run(boolean started) throws Exception;
  }

  /**
   * Runs {@link #CALLERS} threads calling {@code subject.read()} back to back, for {@code millis}, or
   * (when {@code millis} is negative) until {@code control} returns.
   */
  private static Run drive(Subject subject, long millis, Control control) throws Exception {
    AtomicLong stopAt = new AtomicLong(millis < 0 ? Long.MAX_VALUE : System.nanoTime() + millis * 1_000_000);
    CountDownLatch start = new CountDownLatch(1);
    LatencyHistogram[] histograms = new LatencyHistogram[CALLERS];
    int[] errors = new int[CALLERS];
    // Wall-clock start and end of the first calls of 100 ms or more, to set them beside token requests.
    long[][] slow = new long[CALLERS][2 * SLOW_KEPT];
    int[] slowCount = new int[CALLERS];
    Thread[] threads = new Thread[CALLERS];
    for (int i = 0; i < CALLERS; i++) {
      int me = i;
      histograms[i] = new LatencyHistogram();
      threads[i] = new Thread(() -> {
        LatencyHistogram h = histograms[me];
        try {
          start.await();
        } catch (InterruptedException e) {
          return;
        }
        long now = System.nanoTime();
        while (now - stopAt.get() < 0) {
          try {
            subject.read();
          } catch (Exception e) {
            errors[me]++;
          }
          long end = System.nanoTime();
          h.record(end - now);
          if (end - now >= 100_000_000L && slowCount[me] < SLOW_KEPT) {
            long wall = System.currentTimeMillis();
            slow[me][2 * slowCount[me]] = wall - (end - now) / 1_000_000;
            slow[me][2 * slowCount[me] + 1] = wall;
            slowCount[me]++;
          }
          now = end;
        }
      }, "caller-" + i);
      threads[i].setDaemon(true);
      threads[i].start();
    }
    start.countDown();
    if (control != null) {
      try {
        control.run(true);
      } finally {
        stopAt.set(System.nanoTime());
      }
    }
    long deadline = (millis < 0 ? 0 : millis) + 120_000;
    for (Thread t : threads) {
      t.join(deadline);
      if (t.isAlive()) {
        throw new IllegalStateException(t.getName() + " is stuck in a read");
      }
    }
    Run run = new Run();
    for (int i = 0; i < CALLERS; i++) {
      run.histogram.add(histograms[i]);
      run.errors += errors[i];
      for (int k = 0; k < slowCount[i]; k++) {
        run.slowCalls.add(new long[] {slow[i][2 * k], slow[i][2 * k + 1]});
      }
    }
    return run;
  }

  /** The outcome of one provider's run. */
  static final class Run {
    final LatencyHistogram histogram = new LatencyHistogram();
    int errors;
    int requests;
    int attempts;
    /** The first {@link #SLOW_KEPT} calls per caller of 100 ms or more: {start, end} wall-clock ms. */
    final List<long[]> slowCalls = new ArrayList<>();
    /** How many of {@link #slowCalls} overlap a token request (its arrival ± 0.5 s, plus the added latency). */
    int slowNearRequest;

    void attribute(List<Long> requestTimes) {
      for (long[] c : slowCalls) {
        for (long t : requestTimes) {
          if (c[1] >= t - 500 && c[0] <= t + LATENCY.toMillis() + 500) {
            slowNearRequest++;
            break;
          }
        }
      }
    }

    long slow() {
      return histogram.countAtLeast(100_000_000L);
    }

    String latencies() {
      return time(histogram.percentile(0.5)) + " / " + time(histogram.percentile(0.99)) + " / " + time(histogram.max());
    }

    @Override
    public String toString() {
      return requests + " requests, " + errors + " errors, " + histogram.count() + " calls, " + latencies();
    }
  }

  static String ratio(double ours, double peer) {
    if (peer == 0) {
      return ours == 0 ? "1 (both 0)" : "∞ (peer 0)";
    }
    double r = ours / peer;
    // Two significant digits below 0.1, so that 0.00024× does not print as 0.000×.
    String text = r >= 1 ? String.format(Locale.ROOT, "%.2f", r) : r >= 0.1 ? String.format(Locale.ROOT, "%.3f", r)
        : new java.math.BigDecimal(r).round(new java.math.MathContext(2)).toPlainString();
    return "**" + text + "×**";
  }

  static String num(double v) {
    return v == Math.rint(v) ? String.valueOf((long) v) : String.format(Locale.ROOT, "%.2f", v);
  }

  static String time(long nanos) {
    if (nanos < 1_000) {
      return nanos + " ns";
    }
    if (nanos < 1_000_000) {
      return String.format(Locale.ROOT, "%.1f µs", nanos / 1e3);
    }
    return String.format(Locale.ROOT, "%.1f ms", nanos / 1e6);
  }

  private static void progress(String line) {
    System.err.println("[side-by-side] " + line);
  }

  static {
    // Our providers log one INFO line per failed attempt; keep the run's output to the tables.
    java.util.logging.Logger.getLogger("").setLevel(java.util.logging.Level.WARNING);
  }
}
