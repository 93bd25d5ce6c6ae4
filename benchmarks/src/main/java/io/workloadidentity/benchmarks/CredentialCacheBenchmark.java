package io.workloadidentity.benchmarks;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot path every SDK call takes: reading a fresh cached credential. Run with {@code -prof gc}
 * to see allocation; see benchmarks/README.md for the command and the numbers.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class CredentialCacheBenchmark {
  private CredentialCache<String, String> cache;
  private Supplier<String> bound;

  @Setup
  public void setUp() {
    Clock clock = Clock.systemUTC();
    cache = CredentialCache.<String, String>builder(key -> Expiring.of("credential", clock.instant().plus(Duration.ofHours(1))))
        .name("bench").build();
    bound = cache.bind("role");
    bound.get();
    cache.get("role");
  }

  @TearDown
  public void tearDown() {
    cache.close();
  }

  /** What a provider with a fixed key does (AWS, GCP): one volatile read and one clock read. */
  @Benchmark
  @Threads(1)
  public String boundRead1Thread() {
    return bound.get();
  }

  @Benchmark
  @Threads(2)
  public String boundRead2Threads() {
    return bound.get();
  }

  /** A lookup by key through Caffeine (Azure, keyed by scopes). */
  @Benchmark
  @Threads(1)
  public String keyedRead1Thread() {
    return cache.get("role");
  }

  @Benchmark
  @Threads(2)
  public String keyedRead2Threads() {
    return cache.get("role");
  }
}
