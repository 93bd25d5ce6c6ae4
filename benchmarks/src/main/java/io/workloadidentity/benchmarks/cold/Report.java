package io.workloadidentity.benchmarks.cold;

/**
 * What every cold-start main prints when it has its first credential, for {@code ColdStart} to read:
 * one line {@code first-credential <built-ms> <first-ms> <threads> <before-main-ms> <total-ms>}: the
 * milliseconds from entering {@code main} to the provider being built and to the first credential,
 * the live threads then, and, from the parent's launch instant ({@code -Dbench.t0}), the milliseconds
 * to entering {@code main} and to the first credential.
 */
final class Report {
  private Report() {}

  static long start() {
    return System.nanoTime();
  }

  static void done(long start, long built, Object credential) {
    long now = System.nanoTime();
    if (credential == null) {
      throw new IllegalStateException("no credential");
    }
    // System.nanoTime() is CLOCK_MONOTONIC on Linux, one clock for every process of the machine: the
    // parent's launch instant (bench.t0) makes the JVM's own start-up, before main, measurable here.
    long t0 = Long.getLong("bench.t0", start);
    System.out.println("first-credential " + (built - start) / 1_000_000.0 + " " + (now - start) / 1_000_000.0 + " "
        + Thread.activeCount() + " " + (start - t0) / 1_000_000.0 + " " + (now - t0) / 1_000_000.0);
    System.out.flush();
    // Do not wait for the providers' threads: the measure ends at the first credential.
    Runtime.getRuntime().halt(0);
  }

  static String property(String name) {
    String v = System.getProperty(name);
    if (v == null) {
      throw new IllegalArgumentException("-D" + name + " is required");
    }
    return v;
  }
}
