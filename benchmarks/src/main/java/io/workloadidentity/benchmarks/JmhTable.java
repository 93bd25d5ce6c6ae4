package io.workloadidentity.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Turns the CSV JMH writes for {@link SideBySideReadBenchmark} ({@code -rf csv}) into the Markdown
 * table of the README: per cloud and thread count, ours beside the peer, ratio first.
 */
public final class JmhTable {
  private JmhTable() {}

  /**
   * Prints the table.
   *
   * @param args the JMH CSV file, optionally a Markdown file to write
   * @throws IOException if the CSV cannot be read
   */
  public static void main(String[] args) throws IOException {
    // key "CLOUD/impl/threads" -> {ns/op, error, B/op}
    Map<String, double[]> rows = new LinkedHashMap<>();
    List<String> lines = Files.readAllLines(Path.of(args[0]));
    List<String> header = split(lines.get(0));
    int bench = header.indexOf("Benchmark");
    int threads = header.indexOf("Threads");
    int score = header.indexOf("Score");
    int error = header.indexOf("Score Error (99.9%)");
    int cloud = header.indexOf("Param: cloud");
    int impl = header.indexOf("Param: impl");
    for (String line : lines.subList(1, lines.size())) {
      List<String> f = split(line);
      String name = f.get(bench);
      boolean alloc = name.endsWith(":gc.alloc.rate.norm");
      if (name.contains(":") && !alloc) {
        continue;
      }
      String key = f.get(cloud) + "/" + f.get(impl) + "/" + f.get(threads);
      double[] r = rows.computeIfAbsent(key, k -> new double[] {Double.NaN, Double.NaN, Double.NaN});
      if (alloc) {
        r[2] = number(f.get(score));
      } else {
        r[0] = number(f.get(score));
        r[1] = number(f.get(error));
      }
    }
    StringBuilder md = new StringBuilder("### Cached read through the SDK-facing call (JMH, -prof gc)\n\n")
        .append("| Cloud | Threads | ns/op, ours / peer | ours ns/op | peer ns/op | ours B/op | peer B/op |\n")
        .append("|---|---|---|---|---|---|---|\n");
    for (Cloud c : Cloud.values()) {
      for (String t : new String[] {"1", "2"}) {
        double[] o = rows.get(c + "/ours/" + t);
        double[] p = rows.get(c + "/peer/" + t);
        if (o == null || p == null) {
          continue;
        }
        md.append("| ").append(c).append(" | ").append(t).append(" | ").append(SideBySide.ratio(o[0], p[0])).append(" | ")
            .append(ns(o)).append(" | ").append(ns(p)).append(" | ").append(bytes(o[2])).append(" | ").append(bytes(p[2]))
            .append(" |\n");
      }
    }
    md.append('\n');
    System.out.print(md);
    if (args.length > 1) {
      Files.writeString(Path.of(args[1]), md);
    }
  }

  private static String ns(double[] r) {
    return String.format(Locale.ROOT, r[0] < 100 ? "%.2f ± %.2f" : "%,.0f ± %,.0f", r[0], Double.isNaN(r[1]) ? 0 : r[1]);
  }

  private static String bytes(double b) {
    return b < 0.5 ? String.format(Locale.ROOT, "%.3f", b) : String.format(Locale.ROOT, "%,.0f", b);
  }

  private static double number(String s) {
    try {
      return Double.parseDouble(s);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** One CSV line as JMH writes it: fields quoted when they contain a comma. */
  static List<String> split(String line) {
    List<String> out = new ArrayList<>();
    StringBuilder cur = new StringBuilder();
    boolean quoted = false;
    for (int i = 0; i < line.length(); i++) {
      char ch = line.charAt(i);
      if (ch == '"') {
        quoted = !quoted;
      } else if (ch == ',' && !quoted) {
        out.add(cur.toString());
        cur.setLength(0);
      } else {
        cur.append(ch);
      }
    }
    out.add(cur.toString());
    return out;
  }
}
