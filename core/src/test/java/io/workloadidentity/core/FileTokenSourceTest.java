package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.internal.TokenFileWatcher;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(SecretLeakGuard.class)
class FileTokenSourceTest {
  private static final Instant T0 = Instant.parse("2026-11-26T10:00:00Z");

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(T0);

  private String token(Instant iat, Duration ttl) {
    return SecretLeakGuard.secret(TestTokens.token(iat, ttl, "sts.amazonaws.com"));
  }

  @Test
  void watcherSeesEveryKubeletRotationWithinTwoSeconds() throws Exception {
    KubeletVolume volume = new KubeletVolume(dir);
    volume.write(token(T0, Duration.ofHours(1)) + "\n");
    // Polling effectively off (60 s): only the watcher can deliver rotations within the 2 s budget.
    try (FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock).build()) {
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      source.onRotation(rotations::add);
      assertThat(source.token().issuedAt()).contains(T0);
      for (int i = 1; i <= 20; i++) {
        String next = token(T0.plusSeconds(i), Duration.ofHours(1));
        volume.write(next);
        ProjectedToken seen = rotations.poll(2, TimeUnit.SECONDS);
        assertThat(seen).as("rotation %d seen by the watcher", i).isNotNull();
        assertThat(seen.value()).isEqualTo(next);
        assertThat(source.token().value()).isEqualTo(next);
      }
    }
  }

  @Test
  void anErrorThrownByOneSourcesListenerDoesNotStopTheSharedWatcher() throws Exception {
    KubeletVolume broken = new KubeletVolume(Files.createDirectory(dir.resolve("a")));
    KubeletVolume healthy = new KubeletVolume(Files.createDirectory(dir.resolve("b")));
    broken.write(token(T0, Duration.ofHours(1)));
    healthy.write(token(T0, Duration.ofHours(1)));
    try (FileTokenSource a = FileTokenSource.builder(broken.tokenFile()).clock(clock).build();
        FileTokenSource b = FileTokenSource.builder(healthy.tokenFile()).clock(clock).build()) {
      a.token();
      b.token();
      java.util.concurrent.CountDownLatch thrown = new java.util.concurrent.CountDownLatch(1);
      a.onRotation(t -> {
        thrown.countDown();
        throw new AssertionError("a listener's own assertion");
      });
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      b.onRotation(rotations::add);
      broken.write(token(T0.plusSeconds(1), Duration.ofHours(1)));
      assertThat(thrown.await(2, TimeUnit.SECONDS)).isTrue();
      String next = token(T0.plusSeconds(2), Duration.ofHours(1));
      healthy.write(next);
      ProjectedToken seen = rotations.poll(2, TimeUnit.SECONDS);
      assertThat(seen).as("the other source's rotation, seen by the shared watcher").isNotNull();
      assertThat(seen.value()).isEqualTo(next);
    }
  }

  @Test
  void aTokenOnAFileSystemThatCannotBeWatchedIsReadAndBreaksNoOtherSource() throws Exception {
    // Jimfs in a user's tests, or the JDK's zip file system: registering its directory with the
    // default WatchService throws ProviderMismatchException, a RuntimeException.
    String raw = token(T0, Duration.ofHours(1));
    try (java.nio.file.FileSystem zip = java.nio.file.FileSystems.newFileSystem(dir.resolve("tokens.zip"),
        java.util.Map.of("create", "true"))) {
      Path file = Files.writeString(Files.createDirectory(zip.getPath("/run")).resolve("token"), raw);
      try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).build()) {
        assertThat(source.token().value()).isEqualTo(raw);
      }
    }
    // The shared watcher still serves ordinary sources.
    KubeletVolume volume = new KubeletVolume(Files.createDirectory(dir.resolve("volume")));
    volume.write(token(T0, Duration.ofHours(1)));
    try (FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock).build()) {
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      source.onRotation(rotations::add);
      source.token();
      String next = token(T0.plusSeconds(1), Duration.ofHours(1));
      volume.write(next);
      ProjectedToken seen = rotations.poll(2, TimeUnit.SECONDS);
      assertThat(seen).as("rotation seen by the shared watcher").isNotNull();
      assertThat(seen.value()).isEqualTo(next);
    }
  }

  @Test
  void pollingAloneSeesRotationsWithinThePollInterval() throws Exception {
    KubeletVolume volume = new KubeletVolume(dir);
    volume.write(token(T0, Duration.ofHours(1)));
    try (FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock)
        .watch(false).pollInterval(Duration.ofMillis(300)).build()) {
      BlockingQueue<ProjectedToken> rotations = new LinkedBlockingQueue<>();
      source.onRotation(rotations::add);
      source.token();
      for (int i = 1; i <= 20; i++) {
        String next = token(T0.plusSeconds(i), Duration.ofHours(1));
        volume.write(next);
        // One poll interval plus the watcher thread's wake-up granularity.
        ProjectedToken seen = rotations.poll(300 + 200, TimeUnit.MILLISECONDS);
        assertThat(seen).as("rotation %d seen by polling", i).isNotNull();
        assertThat(seen.value()).isEqualTo(next);
      }
    }
  }

  @Test
  void rereadsOnDemandPastEightyPercentOfTheLifetime() {
    KubeletVolume volume = new KubeletVolume(dir);
    String first = token(T0, Duration.ofHours(1));
    volume.write(first);
    try (FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock).watch(false).build()) {
      assertThat(source.token().value()).isEqualTo(first);
      String second = token(T0.plusSeconds(2880), Duration.ofHours(1));
      volume.write(second);
      clock.advance(Duration.ofMinutes(47)); // before 80%: the cached token is still served without I/O
      assertThat(source.token().value()).isEqualTo(first);
      clock.advance(Duration.ofMinutes(2)); // past 80%: re-read
      assertThat(source.token().value()).isEqualTo(second);
    }
  }

  @Test
  void neverReturnsAnExpiredToken() {
    KubeletVolume volume = new KubeletVolume(dir);
    volume.write(token(T0.minus(Duration.ofHours(2)), Duration.ofHours(1)));
    try (FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock).variable("AWS_WEB_IDENTITY_TOKEN_FILE").build()) {
      assertThatThrownBy(source::token)
          .isInstanceOf(TokenExpiredException.class)
          .hasMessageContaining("expired at 2026-11-26T09:00:00Z")
          .hasMessageContaining("kubelet")
          .satisfies(SecretLeakGuard::inspect);
    }
  }

  @Test
  void aTokenThatExpiresWhileCachedIsNotReturnedEither() {
    KubeletVolume volume = new KubeletVolume(dir);
    volume.write(token(T0, Duration.ofMinutes(10)));
    try (FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock).watch(false).build()) {
      source.token();
      clock.advance(Duration.ofMinutes(11)); // the kubelet stopped rotating
      assertThatThrownBy(source::token).isInstanceOf(TokenExpiredException.class);
    }
  }

  @Test
  void missingFileNamesThePathTheVariableAndTheFix() {
    Path missing = dir.resolve("nope/token");
    try (FileTokenSource source = FileTokenSource.builder(missing).variable("AZURE_FEDERATED_TOKEN_FILE").build()) {
      assertThatThrownBy(source::token)
          .isInstanceOf(TokenFileException.class)
          .hasMessageContaining(missing.toString())
          .hasMessageContaining("AZURE_FEDERATED_TOKEN_FILE")
          .hasMessageContaining("projected service-account token volume mounted")
          .satisfies(e -> assertThat(((TokenFileException) e).variable()).contains("AZURE_FEDERATED_TOKEN_FILE"));
    }
  }

  @Test
  void unreadableFileSuggestsFsGroup() throws IOException {
    Path file = Files.writeString(dir.resolve("token"), token(T0, Duration.ofHours(1)));
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("---------"));
    boolean root = Files.isReadable(file); // root reads anything: the check cannot be made then
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).build()) {
      if (root) {
        assertThat(source.token()).isNotNull();
      } else {
        assertThatThrownBy(source::token).isInstanceOf(TokenFileException.class).hasMessageContaining("fsGroup");
      }
    }
  }

  @Test
  void oversizedFileIsRejected() throws IOException {
    Path file = Files.writeString(dir.resolve("token"), "x".repeat(70_000));
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).build()) {
      assertThatThrownBy(source::token).isInstanceOf(MalformedTokenException.class).hasMessageContaining("larger than 65536");
    }
  }

  @Test
  void trimsWhitespace() throws IOException {
    String raw = token(T0, Duration.ofHours(1));
    Path file = Files.writeString(dir.resolve("token"), "\n  " + raw + "\r\n");
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).build()) {
      assertThat(source.token().value()).isEqualTo(raw);
    }
  }

  @Test
  void aMomentarilyEmptyOrPartialFileIsInvisibleWhileAValidTokenIsCached() throws IOException {
    Path file = dir.resolve("token");
    String raw = token(T0, Duration.ofHours(1));
    Files.writeString(file, raw);
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).watch(false).build()) {
      source.token();
      clock.advance(Duration.ofMinutes(50)); // due for a re-read
      Files.writeString(file, ""); // a non-atomic writer truncated the file
      assertThat(source.token().value()).isEqualTo(raw);
      clock.advance(Duration.ofSeconds(2));
      Files.writeString(file, raw.substring(0, 100)); // half written
      assertThat(source.token().value()).isEqualTo(raw);
    }
  }

  @Test
  void refreshForcesAReRead() throws IOException {
    Path file = dir.resolve("token");
    Files.writeString(file, token(T0, Duration.ofHours(1)));
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).watch(false).build()) {
      source.token();
      String next = token(T0.plusSeconds(5), Duration.ofHours(1));
      Files.writeString(file, next);
      assertThat(source.refresh().value()).isEqualTo(next);
      assertThat(source.toString()).doesNotContain(next).contains(file.toString());
      SecretLeakGuard.inspect(source);
    }
  }

  @Test
  void theSharedWatcherThreadEndsWhenTheLastSourceCloses() throws Exception {
    Path file = Files.writeString(dir.resolve("token"), token(T0, Duration.ofHours(1)));
    FileTokenSource a = FileTokenSource.watching(file);
    FileTokenSource b = FileTokenSource.watching(file);
    assertThat(TokenFileWatcher.shared().isRunning()).isTrue();
    assertThat(Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("workload-identity-token-watcher")).count()).isEqualTo(1);
    a.close();
    b.close();
    Thread watcher = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> t.getName().equals("workload-identity-token-watcher")).findFirst().orElse(null);
    if (watcher != null) {
      watcher.join(2_000);
      assertThat(watcher.isAlive()).isFalse();
    }
    assertThat(TokenFileWatcher.shared().isRunning()).isFalse();
  }

  @Test
  void aRotationListenerMayWaitForAnotherThreadUsingTheSource() throws Exception {
    Path file = Files.writeString(dir.resolve("token"), token(T0, Duration.ofHours(1)));
    try (FileTokenSource source = FileTokenSource.builder(file).clock(clock).watch(false).build()) {
      source.token();
      java.util.concurrent.CompletableFuture<String> seenByOtherThread = new java.util.concurrent.CompletableFuture<>();
      source.onRotation(t -> {
        // What a cloud module's listener does when it joins a refresh whose exchange re-reads the token.
        seenByOtherThread.complete(java.util.concurrent.CompletableFuture.supplyAsync(() -> source.refresh().value())
            .completeOnTimeout("deadlock", 2, TimeUnit.SECONDS).join());
      });
      String next = token(T0.plusSeconds(1), Duration.ofHours(1));
      Files.writeString(file, next);
      source.refresh();
      assertThat(seenByOtherThread.get(5, TimeUnit.SECONDS)).isEqualTo(next);
    }
  }
}
