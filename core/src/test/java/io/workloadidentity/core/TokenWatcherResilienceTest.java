package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.workloadidentity.core.internal.TokenFileWatcher;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The JVM-wide token watcher keeps serving every source whatever one source, its file or its
 * listeners do, and whatever is done to the watcher thread. Through the public API only; the thread
 * names are part of what users see in thread dumps.
 */
@ExtendWith(SecretLeakGuard.class)
class TokenWatcherResilienceTest {
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");
  private static final String WATCHER = "workload-identity-token-watcher";
  private static final String CHECK_PREFIX = "workload-identity-token-check-";
  /** Only a guard against a hang: the assertions inside complete in milliseconds. */
  private static final Duration HANG_GUARD = Duration.ofSeconds(10);

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);

  private String token(Instant iat) {
    return SecretLeakGuard.secret(TestTokens.token(iat, Duration.ofHours(1), "sts.amazonaws.com"));
  }

  private KubeletVolume volume(String name, Instant iat) throws IOException {
    KubeletVolume v = new KubeletVolume(Files.createDirectory(dir.resolve(name)));
    v.write(token(iat));
    return v;
  }

  @AfterEach
  void everyThreadOfTheWatcherEnds() throws InterruptedException {
    // Each test closes its sources; nothing may be left running for the next one.
    assertNoWatcherThreadsSurvive();
  }

  @Test
  void interruptingTheWatcherThreadDoesNotEndRotationDetection() throws Exception {
    KubeletVolume volume = volume("v", T0);
    try (FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock).build()) {
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      source.onRotation(rotations::add);
      source.token();
      for (int i = 1; i <= 3; i++) {
        Thread watcher = threadsNamed(WATCHER).get(0);
        watcher.interrupt();
        String next = token(T0.plusSeconds(i));
        volume.write(next);
        ProjectedToken seen = rotations.poll(2, TimeUnit.SECONDS);
        assertThat(seen).as("rotation %d after interrupting the watcher", i).isNotNull();
        assertThat(seen.value()).isEqualTo(next);
        assertThat(TokenFileWatcher.shared().isRunning()).isTrue();
        assertThat(threadsNamed(WATCHER)).hasSize(1).allMatch(Thread::isAlive);
      }
    }
  }

  @Test
  void aFifoAsTheTokenPathFailsPromptlyAndDoesNotStopOtherSources() throws Exception {
    Path fifoDir = Files.createDirectory(dir.resolve("fifo"));
    Path fifo = fifoDir.resolve("token");
    assumeMkfifo(fifo);
    KubeletVolume healthy = volume("healthy", T0);
    try (FileTokenSource broken = FileTokenSource.builder(fifo).clock(clock).variable("AWS_WEB_IDENTITY_TOKEN_FILE")
            .pollInterval(Duration.ofMillis(50)).build();
        FileTokenSource good = FileTokenSource.builder(healthy.tokenFile()).clock(clock).build()) {
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      good.onRotation(rotations::add);
      good.token();
      // An event in the FIFO's directory: the old watcher opened the FIFO on its own thread and hung there.
      Files.writeString(fifoDir.resolve("poke"), "x");

      assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(broken::token)
          .isInstanceOf(TokenFileException.class)
          .hasMessageContaining(fifo.toString())
          .hasMessageContaining("AWS_WEB_IDENTITY_TOKEN_FILE")
          .hasMessageContaining("FIFO")
          .hasMessageContaining("not a regular file")
          .satisfies(SecretLeakGuard::inspect));
      assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(broken::refresh).isInstanceOf(TokenFileException.class));

      for (int i = 1; i <= 3; i++) {
        String next = token(T0.plusSeconds(i));
        healthy.write(next);
        ProjectedToken seen = rotations.poll(2, TimeUnit.SECONDS);
        assertThat(seen).as("rotation %d of the healthy source", i).isNotNull();
        assertThat(seen.value()).isEqualTo(next);
      }
    } finally {
      releaseFifoReaders(fifo);
    }
  }

  @Test
  void aDirectoryAsTheTokenPathIsRefusedWithTheFix() throws Exception {
    Path tokenDir = Files.createDirectories(dir.resolve("mount/token"));
    try (FileTokenSource source = FileTokenSource.builder(tokenDir).clock(clock).watch(false).build()) {
      assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(source::token)
          .isInstanceOf(TokenFileException.class)
          .hasMessageContaining(tokenDir.toString())
          .hasMessageContaining("is a directory, not a regular file")
          .hasMessageContaining("projected service-account token file")
          .satisfies(e -> assertThat(((TokenFileException) e).path()).isEqualTo(tokenDir)));
    }
  }

  @Test
  void aSymlinkLoopIsRefusedNotFollowedForever() throws Exception {
    Path a = dir.resolve("a");
    Path b = dir.resolve("b");
    Files.createSymbolicLink(a, b);
    Files.createSymbolicLink(b, a);
    try (FileTokenSource source = FileTokenSource.builder(a).clock(clock).build()) {
      assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(source::token)
          .isInstanceOf(TokenFileException.class)
          .hasMessageContaining(a.toString())
          .hasMessageContaining("symbolic link")
          .hasMessageContaining("loop"));
    }
  }

  @Test
  void aDataLinkPointingNowhereIsReportedAsABrokenLink() throws Exception {
    KubeletVolume volume = volume("v", T0);
    Path data = volume.tokenFile().resolveSibling("..data");
    Path target = data.resolveSibling(Files.readSymbolicLink(data));
    Files.delete(target.resolve("token"));
    Files.delete(target); // ..data now points nowhere, token -> ..data/token with it
    try (FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock).build()) {
      assertTimeoutPreemptively(HANG_GUARD, () -> assertThatThrownBy(source::token)
          .isInstanceOf(TokenFileException.class)
          .hasMessageContaining(volume.tokenFile().toString())
          .hasMessageContaining("symbolic link")
          .hasMessageContaining("target does not exist"));
    }
  }

  @Test
  void aStuckListenerOfOneSourceDoesNotDelayAnotherSourcesRotations() throws Exception {
    KubeletVolume slow = volume("slow", T0);
    KubeletVolume fast = volume("fast", T0);
    CountDownLatch entered = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    try (FileTokenSource a = FileTokenSource.builder(slow.tokenFile()).clock(clock).build();
        FileTokenSource b = FileTokenSource.builder(fast.tokenFile()).clock(clock).build()) {
      a.token();
      b.token();
      a.onRotation(t -> {
        entered.countDown();
        try {
          release.await(HANG_GUARD.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      });
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      b.onRotation(rotations::add);
      slow.write(token(T0.plusSeconds(1)));
      assertThat(entered.await(2, TimeUnit.SECONDS)).as("the slow listener was called").isTrue();
      for (int i = 2; i <= 4; i++) {
        String next = token(T0.plusSeconds(i));
        fast.write(next);
        ProjectedToken seen = rotations.poll(2, TimeUnit.SECONDS);
        assertThat(seen).as("rotation %d of the other source while the first one's listener is stuck", i).isNotNull();
        assertThat(seen.value()).isEqualTo(next);
      }
      // The stuck listener still holds its check thread: closing must not wait for it, and the last
      // close interrupts it, so no thread is left although the listener was never released.
      assertTimeoutPreemptively(Duration.ofSeconds(1), () -> {
        a.close();
        b.close();
      });
      assertNoWatcherThreadsSurvive();
    } finally {
      release.countDown();
    }
  }

  @Test
  void aListenerThrowingAnErrorBreaksNeitherTheCallerNorTheWatcher() throws Exception {
    KubeletVolume volume = volume("v", T0);
    try (FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock).watch(false).build()) {
      source.token();
      source.onRotation(t -> {
        throw new AssertionError("a listener's own assertion");
      });
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      source.onRotation(rotations::add);
      String next = token(T0.plusSeconds(1));
      volume.write(next);
      // The caller that noticed the rotation is not the listener's owner: it gets its token, and the
      // listeners after the failing one still hear about the rotation.
      assertThat(source.refresh().value()).isEqualTo(next);
      assertThat(rotations.poll(2, TimeUnit.SECONDS)).isNotNull().extracting(ProjectedToken::value).isEqualTo(next);
    }
    // The watcher serves a new source afterwards.
    KubeletVolume other = volume("other", T0);
    try (FileTokenSource source = FileTokenSource.builder(other.tokenFile()).clock(clock).build()) {
      source.onRotation(t -> {
        throw new StackOverflowError("a listener that recursed");
      });
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      source.onRotation(rotations::add);
      source.token();
      for (int i = 1; i <= 2; i++) {
        String next = token(T0.plusSeconds(i));
        other.write(next);
        ProjectedToken seen = rotations.poll(2, TimeUnit.SECONDS);
        assertThat(seen).as("rotation %d", i).isNotNull();
        assertThat(seen.value()).isEqualTo(next);
      }
      assertThat(TokenFileWatcher.shared().isRunning()).isTrue();
    }
  }

  @Test
  void isRunningIsFalseAfterTheLastCloseAndTrueAgainAfterANewRegistration() throws Exception {
    KubeletVolume volume = volume("v", T0);
    for (int round = 1; round <= 3; round++) {
      FileTokenSource a = FileTokenSource.builder(volume.tokenFile()).clock(clock).pollInterval(Duration.ofMillis(20)).build();
      FileTokenSource b = FileTokenSource.builder(volume.tokenFile()).clock(clock).build();
      assertThat(TokenFileWatcher.shared().isRunning()).as("round %d", round).isTrue();
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      b.onRotation(rotations::add);
      b.token();
      String next = token(T0.plusSeconds(round));
      volume.write(next);
      assertThat(rotations.poll(2, TimeUnit.SECONDS)).as("round %d", round).isNotNull();
      assertThat(threadsNamed(WATCHER)).hasSize(1);
      a.close();
      assertThat(TokenFileWatcher.shared().isRunning()).as("one source is still open").isTrue();
      b.close();
      // At once, not after the thread noticed: nothing is being watched any more.
      assertThat(TokenFileWatcher.shared().isRunning()).as("round %d, after the last close", round).isFalse();
      assertNoWatcherThreadsSurvive();
      assertThat(TokenFileWatcher.shared().isRunning()).isFalse();
    }
  }

  // ------------------------------------------------------------------------------------------

  private static void assertNoWatcherThreadsSurvive() throws InterruptedException {
    List<Thread> threads = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals(WATCHER) || t.getName().startsWith(CHECK_PREFIX))
        .collect(Collectors.toList());
    for (Thread t : threads) {
      t.join(2_000);
    }
    assertThat(threads).as("watcher and check threads after the last close").noneMatch(Thread::isAlive);
  }

  private static List<Thread> threadsNamed(String name) {
    return Thread.getAllStackTraces().keySet().stream().filter(t -> t.getName().equals(name)).collect(Collectors.toList());
  }

  private static void assumeMkfifo(Path fifo) throws InterruptedException {
    int exit;
    try {
      Process p = new ProcessBuilder("mkfifo", fifo.toString()).redirectErrorStream(true).start();
      Assumptions.assumeTrue(p.waitFor(10, TimeUnit.SECONDS), "mkfifo did not finish");
      exit = p.exitValue();
    } catch (IOException e) {
      exit = -1;
    }
    Assumptions.assumeTrue(exit == 0 && Files.exists(fifo), "mkfifo is unavailable");
  }

  /**
   * Opening a FIFO read-write never blocks on Linux and ends any reader stuck in open() (the old
   * code's watcher thread), so a failing run does not poison the tests after it.
   */
  private static void releaseFifoReaders(Path fifo) {
    if (Files.exists(fifo)) {
      try (RandomAccessFile ignored = new RandomAccessFile(fifo.toFile(), "rw")) {
        // open and close: a blocked reader's open() returns, its read() sees EOF
      } catch (IOException ignored) {
        // best effort
      }
    }
  }
}
