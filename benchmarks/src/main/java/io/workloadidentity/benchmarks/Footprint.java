package io.workloadidentity.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * The runtime closure (jar count and MiB) of each of our modules beside the SDK's own provider,
 * trimmed the way our module trims it and with its default dependencies, from the class paths in
 * {@link Closures}. Also lists the jars our closure has that the trimmed peer's has not.
 */
public final class Footprint {
  private Footprint() {}

  /**
   * Prints the table.
   *
   * @param args the closures directory, optionally a Markdown file to write
   * @throws IOException if a closure file cannot be read
   */
  public static void main(String[] args) throws IOException {
    Path dir = Path.of(args.length > 0 ? args[0] : "benchmarks/target/closures");
    StringBuilder md = new StringBuilder("### Runtime closure (jars, MiB)\n\n")
        .append("| Cloud | MiB, ours / peer trimmed like ours | ours | peer, trimmed like ours | peer, default dependencies"
            + " | jars ours adds to the trimmed peer's |\n|---|---|---|---|---|---|\n");
    for (String cloud : new String[] {"aws", "azure", "gcp"}) {
      List<Path> ours = Closures.jars(dir, "ours-" + cloud);
      List<Path> trimmed = Closures.jars(dir, "peer-" + cloud + "-trimmed");
      List<Path> full = Closures.jars(dir, "peer-" + cloud);
      Set<String> peerNames = trimmed.stream().map(p -> p.getFileName().toString()).collect(Collectors.toSet());
      List<String> extra = new ArrayList<>();
      for (Path p : ours) {
        if (!peerNames.contains(p.getFileName().toString())) {
          extra.add(p.getFileName().toString().replace(".jar", "") + String.format(Locale.ROOT, " (%.2f)", mib(List.of(p))));
        }
      }
      md.append("| ").append(cloud.toUpperCase(Locale.ROOT)).append(" | ").append(SideBySide.ratio(mib(ours), mib(trimmed)))
          .append(String.format(Locale.ROOT, " (%+.2f MiB)", mib(ours) - mib(trimmed))).append(" | ").append(describe(ours))
          .append(" | ").append(describe(trimmed)).append(" | ").append(describe(full)).append(" | ")
          .append(String.join(", ", extra)).append(" |\n");
    }
    md.append('\n');
    System.out.print(md);
    if (args.length > 1) {
      Files.writeString(Path.of(args[1]), md);
    }
  }

  private static String describe(List<Path> jars) throws IOException {
    return jars.size() + " jars, " + String.format(Locale.ROOT, "%.2f MiB", mib(jars));
  }

  static double mib(List<Path> jars) throws IOException {
    long bytes = 0;
    for (Path p : jars) {
      bytes += Files.size(p);
    }
    return bytes / (1024.0 * 1024.0);
  }
}
