package io.workloadidentity.benchmarks;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.RefreshPolicy;
import java.awt.BasicStroke;
import java.awt.Color;
import java.io.IOException;
import java.io.Writer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.concurrent.Delayed;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.jfree.chart.ChartFactory;
import org.jfree.chart.ChartUtils;
import org.jfree.chart.JFreeChart;
import org.jfree.chart.plot.PlotOrientation;
import org.jfree.chart.plot.XYPlot;
import org.jfree.chart.renderer.xy.XYLineAndShapeRenderer;
import org.jfree.data.xy.XYSeries;
import org.jfree.data.xy.XYSeriesCollection;

/**
 * A fleet of pods on a virtual clock: each pod is one real {@link CredentialCache} with our real
 * {@link RefreshPolicy}, driven by an injected {@link Clock} and a manual scheduler (no sockets, no
 * threads, no waiting). Each pod reads its credential once when it starts; from then on the cache
 * refreshes it in the background, as in production. Every exchange is counted in the simulated
 * second it happens, so the output is the exchange rate the cloud's token endpoint sees.
 *
 * <p>{@link #main} runs 10,000 pods started uniformly within 10 s, with one-hour credentials, for 24
 * simulated hours, once with the default policy (jitter ±5% of the lifetime, at most ±90 s) and once
 * with no jitter (and, for comparison, with the earlier default cap of 60 s); it prints the peak and p99
 * rates, writes a per-minute CSV and PNG plots. The jitter is drawn at random inside the cache, so
 * two runs differ by a few exchanges per second at the peak. The
 * projected token's own one-hour rotation is not modelled: a rotation does not cause an exchange.
 */
public final class FleetSimulation {
  private FleetSimulation() {}

  /** The exchanges of one simulated run, per simulated second. */
  public static final class Result {
    private final long[] perSecond;

    Result(long[] perSecond) {
      this.perSecond = perSecond;
    }

    /**
     * Exchanges in each second of the run.
     *
     * @return a copy, index = second since the start
     */
    public long[] perSecond() {
      return perSecond.clone();
    }

    /**
     * All exchanges.
     *
     * @return the total
     */
    public long total() {
      return Arrays.stream(perSecond).sum();
    }

    /**
     * The busiest second from {@code fromSecond} on.
     *
     * @param fromSecond the first second considered
     * @return the most exchanges in one second
     */
    public long peak(int fromSecond) {
      long max = 0;
      for (int s = fromSecond; s < perSecond.length; s++) {
        max = Math.max(max, perSecond[s]);
      }
      return max;
    }

    /**
     * A percentile of the per-second rate over the seconds from {@code fromSecond} on that saw at
     * least one exchange (idle seconds would make every percentile 0).
     *
     * @param q in (0, 1]
     * @param fromSecond the first second considered
     * @return exchanges per second at that percentile
     */
    public long percentile(double q, int fromSecond) {
      long[] busy = Arrays.stream(perSecond, fromSecond, perSecond.length).filter(v -> v > 0).sorted().toArray();
      if (busy.length == 0) {
        return 0;
      }
      return busy[(int) Math.min(busy.length - 1, Math.ceil(q * busy.length) - 1)];
    }
  }

  /**
   * Pod start times spread uniformly over a window.
   *
   * @param pods how many pods
   * @param window the window they start in
   * @param seed the random seed, for a reproducible fleet
   * @return start times in milliseconds from 0, unsorted
   */
  public static long[] uniformStarts(int pods, Duration window, long seed) {
    Random random = new Random(seed);
    long[] starts = new long[pods];
    for (int i = 0; i < pods; i++) {
      starts[i] = (long) (random.nextDouble() * window.toMillis());
    }
    return starts;
  }

  /**
   * Runs a fleet.
   *
   * @param startMillis each pod's start time (its first read), milliseconds from 0
   * @param lifetime the lifetime of every credential the cloud issues
   * @param horizon how long to simulate
   * @param policy every pod's refresh policy
   * @return the exchanges per second
   */
  public static Result simulate(long[] startMillis, Duration lifetime, Duration horizon, RefreshPolicy policy) {
    VirtualTime time = new VirtualTime();
    int seconds = (int) horizon.toSeconds();
    long[] perSecond = new long[seconds];
    long lifeMillis = lifetime.toMillis();
    List<CredentialCache<String, String>> pods = new ArrayList<>(startMillis.length);
    try {
      for (long start : startMillis) {
        CredentialCache<String, String> cache = CredentialCache.<String, String>builder(key -> {
          long now = time.millis();
          int s = (int) (now / 1000);
          if (s < seconds) {
            perSecond[s]++;
          }
          return Expiring.of("credential", Instant.ofEpochMilli(now + lifeMillis));
        }).name("pod").clock(time).scheduler(time).executor(Runnable::run).refreshPolicy(policy)
            .maximumSize(1).build();
        pods.add(cache);
        time.schedule(() -> cache.getAsync("role"), start, TimeUnit.MILLISECONDS);
      }
      time.runUntil(horizon.toMillis());
    } finally {
      pods.forEach(CredentialCache::close);
    }
    return new Result(perSecond);
  }

  /**
   * Simulated time: the wall clock every pod's cache reads and the scheduler of its timers, in one.
   * Tasks run in due order (then in the order scheduled), each with the clock set to its due time.
   * Single-threaded: the caches' exchanges run inline ({@code Runnable::run}).
   */
  static final class VirtualTime extends Clock implements CredentialCache.Scheduler {
    private final PriorityQueue<Task> queue =
        new PriorityQueue<>(Comparator.comparingLong((Task t) -> t.due).thenComparingLong(t -> t.sequence));
    private long now;
    private long sequence;

    @Override
    public Future<?> schedule(Runnable task, long delay, TimeUnit unit) {
      // Whole milliseconds, rounded up: a timer never fires before its delay.
      long millis = (Math.max(0, unit.toNanos(delay)) + 999_999) / 1_000_000;
      Task t = new Task(task, now + millis, sequence++);
      queue.add(t);
      return t;
    }

    /** Runs every task due up to {@code endMillis}, in order, moving the clock to each one's time. */
    void runUntil(long endMillis) {
      Task next;
      while ((next = queue.peek()) != null && next.due <= endMillis) {
        queue.poll();
        if (!next.cancelled) {
          now = next.due;
          next.done = true;
          next.task.run();
        }
      }
      now = endMillis;
    }

    @Override
    public long millis() {
      return now;
    }

    @Override
    public Instant instant() {
      return Instant.ofEpochMilli(now);
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException("the simulation runs in UTC");
    }
  }

  /** A scheduled task and its handle. */
  static final class Task implements java.util.concurrent.ScheduledFuture<Object> {
    final Runnable task;
    final long due;
    final long sequence;
    boolean cancelled;
    boolean done;

    Task(Runnable task, long due, long sequence) {
      this.task = task;
      this.due = due;
      this.sequence = sequence;
    }

    @Override
    public boolean cancel(boolean mayInterruptIfRunning) {
      if (done || cancelled) {
        return false;
      }
      cancelled = true;
      return true;
    }

    @Override
    public boolean isCancelled() {
      return cancelled;
    }

    @Override
    public boolean isDone() {
      return done || cancelled;
    }

    @Override
    public Object get() throws ExecutionException {
      if (!isDone()) {
        throw new IllegalStateException("simulated tasks are not waited for");
      }
      return null;
    }

    @Override
    public Object get(long timeout, TimeUnit unit) throws ExecutionException {
      return get();
    }

    @Override
    public long getDelay(TimeUnit unit) {
      return 0;
    }

    @Override
    public int compareTo(Delayed o) {
      return Long.compare(getDelay(TimeUnit.NANOSECONDS), o.getDelay(TimeUnit.NANOSECONDS));
    }
  }

  // ---------------------------------------------------------------------------------------------

  /**
   * The fleet: 10,000 pods within 10 s, one-hour credentials, 24 hours, with and without jitter.
   *
   * @param args optionally the output directory (default {@code benchmarks/results})
   * @throws IOException if the CSV or a plot cannot be written
   */
  public static void main(String[] args) throws IOException {
    System.setProperty("java.awt.headless", "true");
    Path out = Path.of(args.length > 0 ? args[0] : "benchmarks/results");
    Files.createDirectories(out);
    int pods = Integer.getInteger("fleet.pods", 10_000);
    Duration window = Duration.ofSeconds(10);
    Duration lifetime = Duration.ofHours(1);
    Duration horizon = Duration.ofHours(Long.getLong("fleet.hours", 24));
    long[] starts = uniformStarts(pods, window, 14);

    long t0 = System.nanoTime();
    Result jittered = simulate(starts, lifetime, horizon, RefreshPolicy.defaults());
    Result flat = simulate(starts, lifetime, horizon, RefreshPolicy.builder().jitter(0, Duration.ZERO).build());
    // For comparison: the earlier default, ±5% capped at 60 s (±1 min for one-hour credentials).
    Result wide = simulate(starts, lifetime, horizon, RefreshPolicy.builder().jitter(0.05, Duration.ofSeconds(60)).build());
    double took = (System.nanoTime() - t0) / 1e9;

    int after = (int) window.toSeconds(); // the refreshes only: the start-up burst is the same either way
    StringBuilder md = new StringBuilder();
    md.append("<!-- FleetSimulation, ").append(Instant.now()).append(", ").append(String.format(Locale.ROOT, "%.1f", took))
        .append(" s wall time for the three runs -->\n\n");
    md.append("### Fleet: ").append(String.format(Locale.ROOT, "%,d", pods)).append(" pods started within ")
        .append(window.toSeconds()).append(" s, 1 h credentials, ").append(horizon.toHours()).append(" simulated hours\n\n");
    md.append("| Exchanges per second | ours / no jitter | ours (default: jitter ±5%, ≤ ±90 s) | no jitter"
        + " | earlier default: ±5% capped at ±60 s |\n|---|---|---|---|---|\n");
    row(md, "peak after the start-up burst (t ≥ 10 s)", jittered.peak(after), flat.peak(after), wide.peak(after));
    row(md, "p99 of busy seconds after the start-up burst", jittered.percentile(0.99, after), flat.percentile(0.99, after),
        wide.percentile(0.99, after));
    row(md, "peak over the whole run (start-up burst included)", jittered.peak(0), flat.peak(0), wide.peak(0));
    row(md, "exchanges in total", jittered.total(), flat.total(), wide.total());
    md.append('\n');
    System.out.print(md);
    Files.writeString(out.resolve("fleet.md"), md);

    writeCsv(out.resolve("fleet-per-minute.csv"), jittered, flat);
    plot(out.resolve("fleet-24h.png"), "Exchanges per second (busiest second of each minute), " + pods + " pods, 1 h credentials",
        "hours", jittered, flat, 0, jittered.perSecond.length, 60);
    int wave = (int) (0.8 * lifetime.toSeconds());
    plot(out.resolve("fleet-first-refresh.png"), "The first refresh wave, per second (" + pods + " pods)",
        "seconds", jittered, flat, wave - 120, wave + 150, 1);
  }

  private static void row(StringBuilder md, String what, long ours, long flat, long wide) {
    md.append("| ").append(what).append(" | ").append(SideBySide.ratio(ours, flat)).append(" | ")
        .append(String.format(Locale.ROOT, "%,d", ours)).append(" | ").append(String.format(Locale.ROOT, "%,d", flat))
        .append(" | ").append(String.format(Locale.ROOT, "%,d", wide)).append(" |\n");
  }

  private static void writeCsv(Path file, Result jittered, Result flat) throws IOException {
    try (Writer w = Files.newBufferedWriter(file)) {
      w.write("minute,peak_per_second_jitter,peak_per_second_no_jitter,exchanges_jitter,exchanges_no_jitter\n");
      for (int m = 0; m * 60 < jittered.perSecond.length; m++) {
        long pj = 0;
        long pf = 0;
        long sj = 0;
        long sf = 0;
        for (int s = m * 60; s < Math.min((m + 1) * 60, jittered.perSecond.length); s++) {
          pj = Math.max(pj, jittered.perSecond[s]);
          pf = Math.max(pf, flat.perSecond[s]);
          sj += jittered.perSecond[s];
          sf += flat.perSecond[s];
        }
        w.write(m + "," + pj + "," + pf + "," + sj + "," + sf + "\n");
      }
    }
  }

  /** Plots seconds {@code [from, to)} in steps of {@code step} seconds (the busiest second of each step). */
  private static void plot(Path file, String title, String unit, Result jittered, Result flat, int from, int to, int step)
      throws IOException {
    XYSeries a = new XYSeries("no jitter");
    XYSeries b = new XYSeries("ours: jitter ±5% (≤ ±90 s)");
    for (int s = Math.max(0, from); s < Math.min(to, jittered.perSecond.length); s += step) {
      long pj = 0;
      long pf = 0;
      for (int i = s; i < Math.min(s + step, jittered.perSecond.length); i++) {
        pj = Math.max(pj, jittered.perSecond[i]);
        pf = Math.max(pf, flat.perSecond[i]);
      }
      double x = "hours".equals(unit) ? s / 3600.0 : s;
      a.add(x, pf);
      b.add(x, pj);
    }
    XYSeriesCollection data = new XYSeriesCollection();
    data.addSeries(a);
    data.addSeries(b);
    JFreeChart chart = ChartFactory.createXYLineChart(title, unit, "exchanges per second", data,
        PlotOrientation.VERTICAL, true, false, false);
    XYPlot plot = chart.getXYPlot();
    plot.setBackgroundPaint(Color.WHITE);
    plot.setRangeGridlinePaint(Color.LIGHT_GRAY);
    plot.setDomainGridlinePaint(Color.LIGHT_GRAY);
    XYLineAndShapeRenderer renderer = new XYLineAndShapeRenderer(true, false);
    renderer.setSeriesPaint(0, new Color(0xC0, 0x39, 0x2B));
    renderer.setSeriesPaint(1, new Color(0x1F, 0x77, 0xB4));
    renderer.setSeriesStroke(0, new BasicStroke(1.2f));
    renderer.setSeriesStroke(1, new BasicStroke(1.2f));
    plot.setRenderer(renderer);
    ChartUtils.saveChartAsPNG(file.toFile(), chart, 1000, 500);
  }
}
