package io.workloadidentity.benchmarks;

import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cached read through the SDK-facing call, ours beside the SDK's own provider, both pointed at the
 * same testkit endpoint ({@link Testbed}) and holding a fresh one-hour credential: {@code
 * resolveCredentials()} (AWS), {@code getTokenSync(context)} (Azure, the same context object each
 * time), {@code getRequestMetadata(uri)} (Google). Each {@code (cloud, impl)} runs in its own fork,
 * so the call through {@link Subject} is monomorphic and inlined. Run with {@code -prof gc}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class SideBySideReadBenchmark {
  @Param({"AWS", "AZURE", "GCP"})
  public Cloud cloud;

  @Param({"ours", "peer"})
  public String impl;

  private Testbed testbed;
  private Subject subject;

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    testbed = Testbed.start(cloud, Duration.ofHours(1));
    subject = "ours".equals(impl) ? testbed.ours(null) : testbed.peer(null);
    subject.read();
    subject.read();
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    int requests = testbed.tokenRequests();
    subject.close();
    testbed.close();
    // A cached read must not have gone to the endpoint: say so where the numbers are printed.
    System.out.println("token requests during the trial: " + requests);
  }

  @Benchmark
  @Threads(1)
  public Object read1Thread() throws Exception {
    return subject.read();
  }

  @Benchmark
  @Threads(2)
  public Object read2Threads() throws Exception {
    return subject.read();
  }
}
