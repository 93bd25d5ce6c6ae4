package io.workloadidentity.reliability;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.reliability.Rig.Cloud;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Stream;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Scenario 6: the projected token file goes wrong under a running credential (a valid one cached; the refresh
 * point passes while the file is broken) and before a cold start: deleted, empty, garbage, 10 MB, a symbolic link
 * loop, {@code ..data} pointing nowhere, a directory, a FIFO, permissions removed (skipped when running as root,
 * who reads anything).
 *
 * <p>Bounds. Running: 0 caller errors while the cached credential is valid, and a refresh after the file is
 * repaired. Cold: the first read fails with the library's typed exception within 5 s (a FIFO must not block it),
 * and a read after the repair succeeds. AWS in the short run, the three clouds in the long one (the file handling is
 * core's, the same for each).
 */
@Tag("reliability")
@Order(6)
@ExtendWith(SecretLeakGuard.class)
class TokenFileChaosTest {
  static final Table TABLE = Table.of("6. Token-file chaos", "cloud", "file", "running: caller errors",
      "running: refreshes while broken (ok / failed)", "running: repaired token used at next refresh", "cold: failed within (ms)",
      "cold: bound (ms)", "cold: typed failure", "cold: served after repair");

  static final long COLD_BOUND_MILLIS = 5_000;

  enum Chaos {
    DELETED,
    EMPTY,
    GARBAGE,
    TEN_MB,
    SYMLINK_LOOP,
    DATA_NOWHERE,
    DIRECTORY,
    FIFO,
    NO_PERMISSION
  }

  @TempDir Path dir;

  static Stream<Arguments> cases() {
    List<Arguments> all = new ArrayList<>();
    for (Cloud c : Profile.LONG ? Cloud.values() : new Cloud[] {Cloud.AWS}) {
      for (Chaos k : Chaos.values()) {
        all.add(Arguments.of(c, k));
      }
    }
    return all.stream();
  }

  @ParameterizedTest(name = "{0} {1}")
  @MethodSource("cases")
  void aBrokenTokenFileNeverBreaksAValidCredentialNorBlocksAColdStart(Cloud cloud, Chaos chaos) throws Exception {
    if (chaos == Chaos.NO_PERMISSION) {
      Assumptions.assumeFalse("root".equals(System.getProperty("user.name")),
          "root reads a file without permissions: run as a non-root user for this case");
    }
    Warmup.cloud(cloud);
    RefreshPolicy policy = RefreshPolicy.builder().jitter(0, Duration.ZERO)
        .backoff(Duration.ofSeconds(1), Duration.ofSeconds(30)).build();
    Duration deadline = Duration.ofSeconds(5);
    try (Rig rig = cloud.start(dir.resolve("running")); Callers callers = new Callers(4, rig.clock)) {
      // Running: a valid credential cached, then the file breaks and the refresh point passes.
      Recorder rec = new Recorder(rig.clock);
      int okWhileBroken;
      int failedWhileBroken;
      boolean pickedUpRepair = false;
      try (Rig.Client client = rig.open(new Rig.Options().policy(policy).exchangeTimeout(deadline).listener(rec))) {
        Warmup.load(rig, client, rec, Duration.ofSeconds(30));
        Instant obtained = rig.clock.instant();
        Path file = rig.volume.tokenFile();
        int refreshedBefore = rec.refreshed();
        int failedBefore = rec.failed();
        breakFile(chaos, file);
        String repaired;
        try {
          rig.clock.set(obtained.plus(Rig.LIFETIME.multipliedBy(8).dividedBy(10)));
          for (int i = 0; i < 5; i++) {
            step(callers, client, rec, deadline);
            rig.clock.advance(Duration.ofSeconds(31)); // past any backoff point
          }
          okWhileBroken = rec.refreshed() - refreshedBefore;
          failedWhileBroken = rec.failed() - failedBefore;
        } finally {
          repaired = repair(rig, file);
        }
        // The repair is announced (the watcher, or its polling fallback), and the next refresh presents it.
        String fixed = repaired;
        rec.await(() -> rec.rotatedTo(fixed), Duration.ofSeconds(20), "the repaired token file to be seen");
        Instant lastOk = rec.outcomes().stream().filter(o -> !o.failed()).reduce((a, b) -> b).orElseThrow().at;
        Instant next = lastOk.plus(Rig.LIFETIME.multipliedBy(8).dividedBy(10));
        if (next.isAfter(rig.clock.instant())) {
          rig.clock.set(next);
        }
        for (int i = 0; i < 10 && !pickedUpRepair; i++) {
          int refreshed = rec.refreshed();
          step(callers, client, rec, deadline);
          pickedUpRepair = rec.refreshed() > refreshed && repaired.equals(rig.lastPresented());
          rig.clock.advance(Duration.ofSeconds(31));
        }
      }

      // Cold: a fresh projected volume, broken before the first read.
      Path cold = rig.cluster.projectedVolume(dir.resolve("cold"), rig.volume.spec()).tokenFile();
      breakFile(chaos, cold);
      long coldMillis;
      Throwable coldFailure;
      boolean served = false;
      Recorder coldRec = new Recorder(rig.clock);
      try (Rig.Client client = rig.open(new Rig.Options().policy(policy).exchangeTimeout(deadline).listener(coldRec)
          .tokenFile(cold))) {
        long t0 = System.nanoTime();
        CompletableFuture<Throwable> read = CompletableFuture.supplyAsync(() -> HungEndpointTest.failure(client));
        try {
          coldFailure = read.get(COLD_BOUND_MILLIS * 3, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
          coldFailure = new AssertionError("the first read did not return within " + COLD_BOUND_MILLIS * 3 + " ms");
        }
        coldMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0);
        String repaired = repair(rig, cold);
        for (int i = 0; i < 5 && !served; i++) {
          rig.clock.advance(Duration.ofSeconds(31));
          try {
            client.read();
            served = repaired.equals(rig.lastPresented());
          } catch (Exception e) {
            Leaks.scan(e);
          }
        }
      }

      String typed = HungEndpointTest.typed(coldFailure);
      TABLE.row(cloud, chaos, callers.errors.size(), okWhileBroken + " / " + failedWhileBroken,
          pickedUpRepair ? "yes" : "NO", coldMillis, COLD_BOUND_MILLIS,
          typed.startsWith("yes") ? "yes (" + kind(coldFailure) + ")" : typed, served ? "yes" : "NO");
      assertThat(callers.errors).as("%s %s: caller errors while a valid credential was cached", cloud, chaos).isEmpty();
      assertThat(pickedUpRepair).as("%s %s: the repaired file's token presented at the next refresh", cloud, chaos)
          .isTrue();
      assertThat(typed).as("%s %s: the cold start's failure is typed: %s", cloud, chaos, coldFailure).startsWith("yes");
      assertThat(coldMillis).as("%s %s: the cold start failed within (ms)", cloud, chaos)
          .isLessThanOrEqualTo(COLD_BOUND_MILLIS);
      assertThat(served).as("%s %s: served, with the repaired token, after the repair", cloud, chaos).isTrue();
    }
  }

  /** The callers read; an exchange that started gets time to start and end (bounded waits). */
  private static void step(Callers callers, Rig.Client client, Recorder rec, Duration deadline) throws Exception {
    int started = rec.started();
    callers.read(client, 4);
    try {
      rec.await(() -> rec.started() > started, Duration.ofMillis(500), "an exchange to start");
    } catch (AssertionError none) {
      // nothing was due
    }
    rec.settle(deadline.plusSeconds(10));
  }

  private static String kind(Throwable t) {
    Throwable typed = t instanceof IOException && t.getCause() != null ? t.getCause() : t;
    return typed.getClass().getSimpleName();
  }

  static void breakFile(Chaos chaos, Path file) throws Exception {
    switch (chaos) {
      case DELETED:
        Files.delete(file);
        break;
      case EMPTY:
        Files.write(file.toRealPath(), new byte[0]);
        break;
      case GARBAGE:
        Files.writeString(file.toRealPath(), "this is not a JWT \u0000\u00ff");
        break;
      case TEN_MB:
        Files.writeString(file.toRealPath(), "A".repeat(10 * 1024 * 1024));
        break;
      case SYMLINK_LOOP:
        Files.delete(file);
        Files.createSymbolicLink(file, file.getFileName());
        break;
      case DATA_NOWHERE:
        Path data = file.resolveSibling("..data");
        Files.delete(data);
        Files.createSymbolicLink(data, Path.of("..2000_01_01_00_00_00.gone"));
        break;
      case DIRECTORY:
        Files.delete(file);
        Files.createDirectory(file);
        break;
      case FIFO:
        Files.delete(file);
        Process p = new ProcessBuilder("mkfifo", file.toString()).inheritIO().start();
        assertThat(p.waitFor(10, TimeUnit.SECONDS)).as("mkfifo finished").isTrue();
        assertThat(p.exitValue()).as("mkfifo's exit status").isZero();
        break;
      default:
        Files.setPosixFilePermissions(file.toRealPath(), PosixFilePermissions.fromString("---------"));
    }
  }

  /** Puts a valid token at the path, whatever is there now (the kubelet's next sync would). */
  static String repair(Rig rig, Path file) throws IOException {
    if (Files.isDirectory(file, LinkOption.NOFOLLOW_LINKS)) {
      try (Stream<Path> walk = Files.walk(file)) {
        for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    } else {
      Files.deleteIfExists(file);
    }
    Path tmp = file.resolveSibling(".repair.tmp");
    String token = rig.cluster.mint(rig.volume.spec());
    Files.writeString(tmp, token);
    Files.move(tmp, file, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    return token;
  }
}
