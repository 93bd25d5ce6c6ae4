package io.workloadidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.MalformedTokenException;
import io.workloadidentity.core.ProjectedToken;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ProjectedVolumeTest {
  static final Instant T0 = Instant.parse("2025-01-15T10:00:00Z");
  static final TokenSpec SPEC = TokenSpec.builder().audiences("sts.amazonaws.com").build();
  static TestClock clock;
  static KubernetesCluster cluster;

  @TempDir Path dir;

  @BeforeAll
  static void start() {
    clock = TestClock.at(T0);
    cluster = KubernetesCluster.builder().clock(clock).build();
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  @Test
  void laysFilesOutLikeTheKubeletsAtomicWriter() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, SPEC)) {
      Path data = dir.resolve("..data");
      assertThat(Files.isSymbolicLink(data)).isTrue();
      Path target = Files.readSymbolicLink(data);
      assertThat(target.toString()).matches("\\.\\.2025_01_15_10_00_00\\.\\d+");
      assertThat(Files.isDirectory(dir.resolve(target), LinkOption.NOFOLLOW_LINKS)).isTrue();
      assertThat(Files.isSymbolicLink(volume.tokenFile())).isTrue();
      assertThat(Files.readSymbolicLink(volume.tokenFile())).isEqualTo(Path.of("..data", "token"));
      Path real = dir.resolve(target).resolve("token");
      assertThat(Files.isRegularFile(real, LinkOption.NOFOLLOW_LINKS)).isTrue();
      assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(real))).isEqualTo("rw-r--r--");
      assertThat(Files.readString(volume.tokenFile())).isEqualTo(volume.current().value()).doesNotEndWith("\n");
      assertThat(entries()).containsExactlyInAnyOrder("..data", "token", target.toString());
      assertThat(volume.current().issuedAt()).contains(T0);
    }
    assertThat(entries()).isEmpty();
  }

  @Test
  void twentyRotationsEachVisibleThroughTheTokenSymlinkWhichIsNeverRewritten() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, SPEC)) {
      Object tokenLinkKey = linkKey(volume.tokenFile());
      Set<String> seenDirs = new HashSet<>();
      Set<String> seenTokens = new HashSet<>();
      for (int i = 0; i < 20; i++) {
        Path before = volume.dataDirectory();
        ProjectedToken t = volume.rotate(); // all within the same clock second
        assertThat(Files.readString(volume.tokenFile())).isEqualTo(t.value());
        assertThat(Files.exists(before)).as("old timestamped dir removed").isFalse();
        assertThat(seenDirs.add(volume.dataDirectory().getFileName().toString())).isTrue();
        assertThat(seenTokens.add(t.value())).isTrue();
        assertThat(entries()).hasSize(3).doesNotContain("..data_tmp");
      }
      assertThat(linkKey(volume.tokenFile())).isEqualTo(tokenLinkKey);
      assertThat(volume.rotations()).isEqualTo(20);
    }
  }

  @Test
  void rotateIfDueFollowsTheKubeletsEightyPercentRule() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, SPEC)) { // 1 h lifetime
      ProjectedToken first = volume.current();
      clock.advance(Duration.ofMinutes(48));
      assertThat(volume.rotateIfDue()).isFalse();
      clock.advance(Duration.ofSeconds(1));
      assertThat(volume.rotateIfDue()).isTrue();
      assertThat(volume.current()).isNotEqualTo(first);
      assertThat(volume.current().issuedAt()).contains(clock.instant());
      assertThat(volume.rotateIfDue()).isFalse();

      clock.advance(Duration.ofMinutes(-5)); // clock leapt backwards: iat is in the future
      assertThat(volume.rotateIfDue()).isTrue();
    } finally {
      clock.set(T0);
    }
  }

  @Test
  void stoppedKubeletNeverRotates() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, SPEC).mode(ProjectedVolume.Mode.STOPPED)) {
      String original = Files.readString(volume.tokenFile());
      clock.advance(Duration.ofHours(2));
      assertThat(volume.rotateIfDue()).isFalse();
      assertThat(volume.rotate().value()).isEqualTo(original);
      assertThat(Files.readString(volume.tokenFile())).isEqualTo(original);
      assertThat(ProjectedToken.parse(original).isExpiredAt(clock.instant())).isTrue();
    } finally {
      clock.set(T0);
    }
  }

  @Test
  void inPlaceWritesAreVisibleHalfWrittenInTheRealFile() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, SPEC).mode(ProjectedVolume.Mode.IN_PLACE)) {
      Path dataDir = volume.dataDirectory();
      AtomicReference<String> midway = new AtomicReference<>();
      volume.onPartialWrite(() -> midway.set(read(volume.tokenFile())));
      ProjectedToken next = volume.rotate();

      assertThat(midway.get()).isNotEmpty().isEqualTo(next.value().substring(0, next.value().length() / 2));
      assertThatThrownBy(() -> ProjectedToken.parse(midway.get())).isInstanceOf(MalformedTokenException.class);
      assertThat(Files.readString(volume.tokenFile())).isEqualTo(next.value());
      assertThat(volume.dataDirectory()).as("no swap in place").isEqualTo(dataDir);
    }
  }

  @Test
  void momentarilyEmptyOrGarbageFile() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, SPEC)) {
      volume.writeEmpty();
      assertThat(Files.readString(volume.tokenFile())).isEmpty();
      volume.writeRaw("garbage");
      assertThat(Files.readString(volume.tokenFile())).isEqualTo("garbage");
      ProjectedToken restored = volume.rotate();
      assertThat(Files.readString(volume.tokenFile())).isEqualTo(restored.value());
    }
  }

  @Test
  void coreFileTokenSourceSeesEveryRotationThroughTheWatcher() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, SPEC);
        FileTokenSource source = FileTokenSource.builder(volume.tokenFile()).clock(clock).build()) {
      assertThat(source.token()).isEqualTo(volume.current());
      for (int i = 0; i < 3; i++) {
        CompletableFuture<ProjectedToken> rotated = new CompletableFuture<>();
        var subscription = source.onRotation(rotated::complete);
        ProjectedToken next = volume.rotate();
        assertThat(rotated.get(10, TimeUnit.SECONDS)).isEqualTo(next);
        subscription.close();
        assertThat(source.token()).isEqualTo(next);
      }
    }
  }

  @Test
  void refusesADirectoryThatAlreadyHoldsAVolume() {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, SPEC)) {
      assertThatThrownBy(() -> cluster.projectedVolume(dir, SPEC))
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("already holds");
    }
  }

  private List<String> entries() throws Exception {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).toList();
    }
  }

  private static Object linkKey(Path link) throws Exception {
    return Files.readAttributes(link, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS).fileKey();
  }

  private static String read(Path p) {
    try {
      return Files.readString(p);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }
}
