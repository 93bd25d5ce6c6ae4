package io.workloadidentity.core;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Writes a token the way the kubelet's AtomicWriter does (timestamped directory, {@code ..data_tmp}
 * symlink renamed over {@code ..data}, {@code token -> ..data/token}). The testkit has the full
 * version; core's tests cannot depend on the testkit (it depends on core), so this is the minimum.
 */
final class KubeletVolume {
  private final Path dir;
  private final AtomicInteger generation = new AtomicInteger();

  KubeletVolume(Path dir) {
    this.dir = dir;
  }

  Path tokenFile() {
    return dir.resolve("token");
  }

  /** Atomically publishes {@code content} as the new token. */
  void write(String content) {
    try {
      Path old = Files.isSymbolicLink(dir.resolve("..data")) ? dir.resolve(Files.readSymbolicLink(dir.resolve("..data"))) : null;
      String name = "..2026_11_26_10_00_00." + generation.incrementAndGet();
      Path ts = Files.createDirectory(dir.resolve(name));
      Files.writeString(ts.resolve("token"), content, StandardCharsets.UTF_8);
      Path tmp = dir.resolve("..data_tmp");
      Files.createSymbolicLink(tmp, Path.of(name));
      Files.move(tmp, dir.resolve("..data"), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      if (!Files.exists(tokenFile(), java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
        Files.createSymbolicLink(tokenFile(), Path.of("..data/token"));
      }
      if (old != null) {
        Files.delete(old.resolve("token"));
        Files.delete(old);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
