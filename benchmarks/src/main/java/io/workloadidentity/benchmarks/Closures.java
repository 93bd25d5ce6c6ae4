package io.workloadidentity.benchmarks;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The runtime closures {@code benchmarks/run.sh} writes to {@code benchmarks/target/closures}: one
 * file per provider, holding a class path ({@code :}-separated jars). {@code ours-<cloud>.txt} is the
 * module's jar plus {@code mvn dependency:build-classpath -DincludeScope=runtime} of the module in the
 * reactor; {@code peer-<cloud>.txt} the SDK artifact with its default dependencies and {@code
 * peer-<cloud>-trimmed.txt} with the exclusions and HTTP client our module uses, both from the probe
 * POMs in {@code benchmarks/footprint/}.
 */
final class Closures {
  private Closures() {}

  static String classPath(Path dir, String name) throws IOException {
    return Files.readString(dir.resolve(name + ".txt")).strip();
  }

  static List<Path> jars(Path dir, String name) throws IOException {
    List<Path> jars = new ArrayList<>();
    for (String entry : classPath(dir, name).split(java.io.File.pathSeparator)) {
      if (!entry.isBlank()) {
        jars.add(Path.of(entry));
      }
    }
    return jars;
  }
}
