package io.workloadidentity.testkit;

import io.workloadidentity.core.ProjectedToken;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Comparator;
import java.util.Objects;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

/**
 * A projected service-account token volume, written the way the kubelet's {@code AtomicWriter}
 * writes it, so code that reads or watches the token is tested against the real file layout:
 *
 * <pre>
 * dir/
 *   ..2025_01_15_10_00_00.1234567890/token   the real file (0644), in a timestamped directory
 *   ..data -&gt; ..2025_01_15_10_00_00.1234567890   swapped by rename(..data_tmp, ..data) on rotation
 *   token -&gt; ..data/token                     created once, never rewritten
 * </pre>
 *
 * <p>Each {@link #rotate()} mints a fresh token from the {@link KubernetesCluster}, writes it into a
 * new timestamped directory, points {@code ..data_tmp} at it, atomically renames {@code ..data_tmp}
 * over {@code ..data}, then removes the previous timestamped directory. {@link #rotateIfDue()}
 * rotates like the kubelet does: once the cluster clock is past 80 % of the token's lifetime (or
 * past 24 hours, or before its issue time). Failure modes are switchable with {@link #mode(Mode)},
 * and {@link #writeEmpty()} / {@link #writeRaw(String)} put arbitrary content in the file.
 *
 * <p>Thread-safe: writes are serialized. Readers in other threads see what a pod's process would
 * see. {@link #close()} deletes the files it created (not {@code dir} itself).
 */
public final class ProjectedVolume implements AutoCloseable {
  /** How the kubelet behaves on {@link #rotate()}. */
  public enum Mode {
    /** The kubelet's atomic swap of {@code ..data} (the default). */
    ATOMIC,
    /** The kubelet stopped rotating (node problem, kubelet down): rotations do nothing. */
    STOPPED,
    /**
     * A non-atomic writer: the real file is truncated and rewritten in two writes, so a reader can
     * see it empty or half-written. See {@link #onPartialWrite(Runnable)}.
     */
    IN_PLACE
  }

  /** The user-visible file name. */
  public static final String TOKEN_FILE = "token";

  private static final DateTimeFormatter TS =
      DateTimeFormatter.ofPattern("yyyy_MM_dd_HH_mm_ss").withZone(ZoneOffset.UTC);
  private static final Duration MAX_AGE = Duration.ofHours(24);

  private final KubernetesCluster cluster;
  private final Path dir;
  private final TokenSpec spec;
  private Mode mode = Mode.ATOMIC;
  private Runnable onPartialWrite = () -> {};
  private volatile ProjectedToken current;
  private int rotations;
  private boolean closed;

  ProjectedVolume(KubernetesCluster cluster, Path dir, TokenSpec spec) {
    this.cluster = Objects.requireNonNull(cluster, "cluster");
    this.dir = Objects.requireNonNull(dir, "dir").toAbsolutePath();
    this.spec = Objects.requireNonNull(spec, "spec");
    try {
      Files.createDirectories(this.dir);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not create the projected volume directory " + this.dir, e);
    }
    if (Files.exists(this.dir.resolve("..data"), LinkOption.NOFOLLOW_LINKS)) {
      throw new IllegalArgumentException(this.dir + " already holds a projected volume; use an empty directory");
    }
    ProjectedToken first = ProjectedToken.parse(cluster.mint(spec));
    writeAtomically(first.value());
    current = first;
  }

  /**
   * The directory the volume is mounted at.
   *
   * @return the absolute mount directory, the one given to {@link KubernetesCluster#projectedVolume}
   */
  public Path directory() {
    return dir;
  }

  /**
   * The user-visible token path: point your code (or the cloud's environment variable) here.
   *
   * @return {@code dir/token}, a symbolic link to {@code ..data/token}
   */
  public Path tokenFile() {
    return dir.resolve(TOKEN_FILE);
  }

  /**
   * The timestamped directory {@code ..data} currently points to, which changes at each atomic
   * rotation.
   *
   * @return the absolute path of that directory
   * @throws java.io.UncheckedIOException if {@code ..data} cannot be read (for example after {@link #close()})
   */
  public synchronized Path dataDirectory() {
    try {
      return dir.resolve(Files.readSymbolicLink(dir.resolve("..data")));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not read " + dir.resolve("..data"), e);
    }
  }

  /**
   * The spec tokens are minted from.
   *
   * @return the spec given at creation; every rotation mints from it
   */
  public TokenSpec spec() {
    return spec;
  }

  /**
   * The last token this volume wrote by minting (at creation or by a rotation). After {@link
   * #writeRaw(String)} or {@link #writeEmpty()} the file holds something else.
   *
   * @return the parsed token; its {@link ProjectedToken#value()} is what the file held after that write
   */
  public ProjectedToken current() {
    return current;
  }

  /**
   * How many times the token was rotated.
   *
   * @return the rotations that wrote a new token; not the first token, not rotations in {@link
   *     Mode#STOPPED}, not {@link #writeRaw(String)}
   */
  public synchronized int rotations() {
    return rotations;
  }

  /**
   * The current mode.
   *
   * @return how the next rotation is written; {@link Mode#ATOMIC} unless changed
   */
  public synchronized Mode mode() {
    return mode;
  }

  /**
   * Switches how later rotations are written; the file as it is stays untouched.
   *
   * @param mode the kubelet behaviour to model, not {@code null}
   * @return this, for chaining
   */
  public synchronized ProjectedVolume mode(Mode mode) {
    this.mode = Objects.requireNonNull(mode, "mode");
    return this;
  }

  /**
   * An action run in {@link Mode#IN_PLACE} between the two writes, while the file holds half the
   * token: lets a test read the file at exactly that moment, without racing.
   *
   * @param action run on the rotating thread, with the volume's lock held; not {@code null}
   * @return this, for chaining
   */
  public synchronized ProjectedVolume onPartialWrite(Runnable action) {
    this.onPartialWrite = Objects.requireNonNull(action, "action");
    return this;
  }

  /**
   * Mints a fresh token and writes it according to the {@link #mode()}.
   *
   * @return the token now in the file; in {@link Mode#STOPPED}, the unchanged current one
   */
  public synchronized ProjectedToken rotate() {
    ensureOpen();
    if (mode == Mode.STOPPED) {
      return current;
    }
    ProjectedToken next = ProjectedToken.parse(cluster.mint(spec));
    if (mode == Mode.IN_PLACE) {
      writeInPlace(next.value());
    } else {
      writeAtomically(next.value());
    }
    current = next;
    rotations++;
    return next;
  }

  /**
   * Rotates if the kubelet would now: the cluster clock is past 80 % of the current token's
   * lifetime, more than 24 hours after its issue time, or before its issue time (clock went back).
   * For extended tokens the lifetime is the requested one, not the year-long {@code exp}, as for the
   * kubelet.
   *
   * @return whether the token was rotated ({@code false} in {@link Mode#STOPPED})
   */
  public synchronized boolean rotateIfDue() {
    ensureOpen();
    Instant now = cluster.clock().instant();
    Instant iat = current.issuedAt().orElseThrow();
    Duration ttl = spec.lifetime();
    boolean due = now.isAfter(iat.plus(ttl.multipliedBy(8).dividedBy(10)))
        || now.isAfter(iat.plus(MAX_AGE))
        || now.isBefore(iat);
    if (!due || mode == Mode.STOPPED) {
      return false;
    }
    rotate();
    return true;
  }

  /** Empties the real file in place (as a non-atomic writer does between truncate and write). */
  public synchronized void writeEmpty() {
    writeRaw("");
  }

  /**
   * Overwrites the real file in place (truncate, then write), as an editing human or a broken writer
   * would. {@link #current()} does not change.
   *
   * @param content what the file should hold, written as UTF-8: garbage, a truncated token, a token
   *     with a trailing newline, ...
   * @throws IllegalStateException if the volume is closed
   * @throws java.io.UncheckedIOException if the file cannot be written
   */
  public synchronized void writeRaw(String content) {
    ensureOpen();
    try (FileChannel ch = FileChannel.open(realFile(), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(content.getBytes(StandardCharsets.UTF_8)));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write " + realFile(), e);
    }
  }

  /** Deletes the token symlink, {@code ..data} and the timestamped directories. */
  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      Files.deleteIfExists(tokenFile());
      Files.deleteIfExists(dir.resolve("..data"));
      Files.deleteIfExists(dir.resolve("..data_tmp"));
      try (Stream<Path> entries = Files.list(dir)) {
        for (Path p : entries.filter(p -> p.getFileName().toString().startsWith("..")).toList()) {
          deleteTree(p);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not clean up the projected volume in " + dir, e);
    }
  }

  @Override
  public String toString() {
    return "ProjectedVolume[" + tokenFile() + ", " + current + "]";
  }

  /** AtomicWriter: new timestamped dir, user-visible symlink, ..data_tmp, rename over ..data, remove old dir. */
  private void writeAtomically(String token) {
    try {
      Path data = dir.resolve("..data");
      Path old = Files.exists(data, LinkOption.NOFOLLOW_LINKS) ? dir.resolve(Files.readSymbolicLink(data)) : null;

      Path tsDir = newTimestampedDir();
      Path file = tsDir.resolve(TOKEN_FILE);
      Files.writeString(file, token, StandardCharsets.UTF_8);
      setMode(tsDir, "rwxr-xr-x");
      setMode(file, "rw-r--r--");

      if (!Files.exists(tokenFile(), LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(tokenFile(), Path.of("..data", TOKEN_FILE));
      }
      Path tmp = dir.resolve("..data_tmp");
      Files.deleteIfExists(tmp);
      Files.createSymbolicLink(tmp, tsDir.getFileName());
      Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE); // rename(2) over the old link

      if (old != null && !old.equals(tsDir)) {
        deleteTree(old);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write the projected token into " + dir, e);
    }
  }

  /** The non-atomic writer: truncate, write half, (hook), write the rest. */
  private void writeInPlace(String token) {
    byte[] bytes = token.getBytes(StandardCharsets.UTF_8);
    int half = bytes.length / 2;
    try (FileChannel ch = FileChannel.open(realFile(), StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
      ch.write(ByteBuffer.wrap(bytes, 0, half));
      onPartialWrite.run();
      ch.write(ByteBuffer.wrap(bytes, half, bytes.length - half));
    } catch (IOException e) {
      throw new UncheckedIOException("Could not write " + realFile(), e);
    }
  }

  /** {@code ..<UTC timestamp>.<random>}, unique even for several rotations within one second. */
  private Path newTimestampedDir() throws IOException {
    String ts = TS.format(cluster.clock().instant());
    while (true) {
      Path candidate = dir.resolve(".." + ts + "." + Integer.toUnsignedString(ThreadLocalRandom.current().nextInt()));
      try {
        return Files.createDirectory(candidate);
      } catch (FileAlreadyExistsException e) {
        // Same second and same random suffix: draw again.
      }
    }
  }

  private Path realFile() {
    return dataDirectory().resolve(TOKEN_FILE);
  }

  private void ensureOpen() {
    if (closed) {
      throw new IllegalStateException("The projected volume in " + dir + " is closed");
    }
  }

  private static void setMode(Path p, String perms) throws IOException {
    if (Files.getFileStore(p).supportsFileAttributeView("posix")) {
      Files.setPosixFilePermissions(p, PosixFilePermissions.fromString(perms));
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> walk = Files.walk(root)) {
      for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }
}
