package io.workloadidentity.core;

import io.workloadidentity.core.internal.TokenFileWatcher;
import io.workloadidentity.core.internal.Tokens;
import java.io.IOException;
import java.io.InputStream;
import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Consumer;

/**
 * A {@link TokenSource} that reads a projected service-account token file and follows the
 * kubelet's rotations.
 *
 * <p><b>How it stays current.</b> The kubelet replaces the token by swapping a {@code ..data}
 * symlink in the mount directory. This source
 *
 * <ol>
 *   <li>watches the <em>mount directory</em> (the token file's parent) through the JVM's one shared
 *       watcher thread; any event means "maybe changed": it re-reads through the symlink and keeps
 *       the new token if the content differs;
 *   <li>always polls as well (every {@link Builder#pollInterval}, default 60 s), because watching is
 *       only an accelerator ({@code subPath} mounts, CSI drivers, inotify limits);
 *   <li>re-reads on demand in {@link #token()} once the cached token is past 80% of its lifetime
 *       (the kubelet should have rotated it) or expired, at most once a second.
 * </ol>
 *
 * <p><b>Guarantees.</b> {@link #token()} never returns an expired token. Reads are bounded (64 KiB
 * by default) and trimmed. A file that is momentarily missing, empty or half-written during a swap is
 * retried briefly; while a valid token is cached, such a glitch is never visible to callers.
 *
 * <p>Thread-safe. {@link #close()} stops watching and polling; a closed source still answers
 * {@link #token()} from the file.
 */
public final class FileTokenSource implements TokenSource, AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FileTokenSource.class.getName());
  /** Shortest interval between on-demand re-reads of an unchanged file past its refresh point. */
  private static final long ON_DEMAND_REREAD_MILLIS = 1_000;
  /** Retries of a read that fails during a swap (missing, empty or partial file), with 10, 20, 40 ms pauses. */
  private static final int SWAP_RETRIES = 3;

  private final Path path;
  private final String variable;
  private final Clock clock;
  private final int maxSize;
  private final CopyOnWriteArrayList<Consumer<ProjectedToken>> listeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private final TokenFileWatcher.Registration registration;
  private volatile Snapshot current;
  private ProjectedToken unannounced; // guarded by lock

  private FileTokenSource(Builder b) {
    this.path = b.path;
    this.variable = b.variable;
    this.clock = b.clock;
    this.maxSize = b.maxSize;
    warnIfNotProjectedLayout(path);
    Path dir = path.toAbsolutePath().getParent();
    this.registration = TokenFileWatcher.shared().register(dir, b.watch, b.pollInterval, this::checkForRotation);
  }

  /** Watches {@code path} with the defaults: watcher on, poll every 60 s, system clock. */
  public static FileTokenSource watching(Path path) {
    return builder(path).build();
  }

  /** A builder for a source reading {@code path}. */
  public static Builder builder(Path path) {
    return new Builder(path);
  }

  /** The token file this source reads. */
  public Path path() {
    return path;
  }

  @Override
  public ProjectedToken token() {
    Snapshot s = current;
    long now = clock.millis();
    if (s != null && now < s.rereadAtMillis) {
      return s.token;
    }
    synchronized (lock) {
      s = current;
      now = clock.millis();
      if (s == null || now >= s.rereadAtMillis) {
        s = reload(true, s);
      }
    }
    announce();
    Tokens.requireUnexpired(s.token, Instant.ofEpochMilli(now), describePath());
    return s.token;
  }

  @Override
  public ProjectedToken refresh() {
    Snapshot s;
    try {
      synchronized (lock) {
        s = readAndPublish(true);
      }
    } finally {
      announce();
    }
    Tokens.requireUnexpired(s.token, clock.instant(), describePath());
    return s.token;
  }

  @Override
  public Subscription onRotation(Consumer<ProjectedToken> listener) {
    Objects.requireNonNull(listener, "listener");
    listeners.add(listener);
    return () -> listeners.remove(listener);
  }

  @Override
  public String description() {
    return describePath();
  }

  /** Stops watching and polling. Idempotent. */
  @Override
  public void close() {
    registration.close();
  }

  @Override
  public String toString() {
    Snapshot s = current;
    return "FileTokenSource{path=" + path + (variable == null ? "" : ", from=" + variable)
        + (s == null ? "" : ", token=" + s.token) + "}";
  }

  // ------------------------------------------------------------------------------------------

  /** On-demand reload: a glitch is hidden while the cached token is still valid. */
  private Snapshot reload(boolean retry, Snapshot cached) {
    try {
      return readAndPublish(retry);
    } catch (WorkloadIdentityException e) {
      long now = clock.millis();
      if (cached != null && !cached.token.isExpiredAt(Instant.ofEpochMilli(now))) {
        LOG.log(Level.WARNING, "Re-reading " + describePath() + " failed; still using the current token (expires "
            + cached.token.expiresAt() + "): " + e.getMessage());
        Snapshot kept = new Snapshot(cached.token, Math.min(now + ON_DEMAND_REREAD_MILLIS, expiry(cached.token)));
        current = kept;
        return kept;
      }
      throw e;
    }
  }

  /** Called on the watcher thread on any directory event and at every poll. */
  private void checkForRotation() {
    synchronized (lock) {
      try {
        readAndPublish(false);
      } catch (WorkloadIdentityException e) {
        // Mid-swap or temporarily unreadable: the next event or poll (or an on-demand read) retries.
        LOG.log(Level.DEBUG, () -> "Token check for " + describePath() + " failed: " + e.getMessage());
      }
    }
    announce();
  }

  /** Reads the file, publishes the token if it changed, and notifies listeners. Caller holds lock. */
  private Snapshot readAndPublish(boolean retry) {
    ProjectedToken token = retry ? readWithRetry() : read();
    Snapshot old = current;
    long now = clock.millis();
    boolean changed = old == null || !old.token.value().equals(token.value());
    Snapshot fresh = new Snapshot(token, rereadAt(token, now));
    current = fresh;
    if (changed && old != null) {
      LOG.log(Level.INFO, () -> "Token rotated in " + describePath() + ": sha256 " + old.token.fingerprint() + " -> "
          + token.fingerprint() + ", expires " + token.expiresAt());
      unannounced = token;
    }
    return fresh;
  }

  /**
   * Tells the rotation listeners, outside the lock: a listener may call back into this source or
   * wait for an exchange that does. Only the newest token is announced; a rotation overtaken by
   * another before its announcement is skipped.
   */
  private void announce() {
    ProjectedToken token;
    synchronized (lock) {
      token = unannounced;
      unannounced = null;
    }
    Snapshot s = current;
    if (token == null || s == null || s.token != token) {
      return;
    }
    for (Consumer<ProjectedToken> l : listeners) {
      try {
        l.accept(token);
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "Token rotation listener failed", e);
      }
    }
  }

  private long rereadAt(ProjectedToken token, long now) {
    long exp = expiry(token);
    long start = token.issuedAt().or(token::notBefore).map(Instant::toEpochMilli).orElse(now);
    long due = start + (long) ((exp - start) * 0.8);
    if (due <= now) {
      // Past the kubelet's rotation point: it should rotate any moment; look again soon, not on every call.
      due = now + ON_DEMAND_REREAD_MILLIS;
    }
    return Math.min(due, exp);
  }

  private static long expiry(ProjectedToken token) {
    long exp = token.expiresAt().toEpochMilli();
    // An "extended" API-server token says exp = 1 year but the kubelet rotates it after warnafter.
    return token.kubernetes().flatMap(KubernetesClaims::warnAfter).map(w -> Math.min(exp, w.toEpochMilli())).orElse(exp);
  }

  private ProjectedToken readWithRetry() {
    for (int attempt = 0; ; attempt++) {
      try {
        return read();
      } catch (TokenFileException | MalformedTokenException e) {
        // The kubelet's swap leaves a short window where the file is missing, empty or partial.
        if (attempt >= SWAP_RETRIES || e instanceof TokenFileException tfe && tfe.getCause() instanceof AccessDeniedException) {
          throw e;
        }
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(10L << attempt));
      }
    }
  }

  private ProjectedToken read() {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(path)) {
      bytes = in.readNBytes(maxSize + 1);
    } catch (NoSuchFileException e) {
      throw new TokenFileException(missingMessage(), path, variable, e);
    } catch (AccessDeniedException e) {
      throw new TokenFileException("Token file " + describePath() + " exists but is not readable by this process"
          + " (uid " + uid() + "). Projected tokens are mode 0600 by default unless the pod sets"
          + " securityContext.fsGroup (or runAsUser matching the file owner); set fsGroup in the pod spec.", path, variable, e);
    } catch (IOException e) {
      throw new TokenFileException("Token file " + describePath() + " could not be read: " + e, path, variable, e);
    }
    if (bytes.length > maxSize) {
      throw new MalformedTokenException("Token file " + describePath() + " is larger than " + maxSize
          + " bytes: this is not a service-account token. Check the path.");
    }
    String text = new String(bytes, StandardCharsets.UTF_8).strip();
    if (text.isEmpty()) {
      throw new MalformedTokenException("Token file " + describePath() + " is empty.");
    }
    try {
      return ProjectedToken.parse(text);
    } catch (MalformedTokenException e) {
      throw new MalformedTokenException("Token file " + describePath() + ": " + e.getMessage());
    }
  }

  private String missingMessage() {
    String from = variable == null ? "" : " (named by " + variable + ")";
    return "Token file " + path + from + " does not exist. Is the projected service-account token volume mounted"
        + " in this container? Identity webhooks (EKS, AKS) inject the volume and the variables only when the pod is"
        + " created: restart the pod after annotating its service account.";
  }

  private String describePath() {
    return variable == null ? path.toString() : path + " (" + variable + ")";
  }

  private static String uid() {
    try {
      Object uid = Files.getAttribute(Path.of("/proc/self"), "unix:uid");
      return String.valueOf(uid);
    } catch (IOException | UnsupportedOperationException | IllegalArgumentException e) {
      return System.getProperty("user.name", "?");
    }
  }

  private static void warnIfNotProjectedLayout(Path path) {
    Path dir = path.toAbsolutePath().getParent();
    if (dir != null && Files.isRegularFile(path) && !Files.isSymbolicLink(path) && !Files.exists(dir.resolve("..data"))) {
      LOG.log(Level.DEBUG, () -> path + " is a plain file outside a kubelet projected-volume layout (no ..data);"
          + " if it is mounted with subPath, the kubelet never updates it and rotation will not be seen.");
    }
  }

  private record Snapshot(ProjectedToken token, long rereadAtMillis) {}

  /** Configures a {@link FileTokenSource}. */
  public static final class Builder {
    private final Path path;
    private String variable;
    private Clock clock = Clock.systemUTC();
    private Duration pollInterval = Duration.ofSeconds(60);
    private int maxSize = ProjectedToken.MAX_SIZE_BYTES;
    private boolean watch = true;

    private Builder(Path path) {
      this.path = Objects.requireNonNull(path, "path");
    }

    /** The environment variable that named the file, quoted in error messages. */
    public Builder variable(String variable) {
      this.variable = variable;
      return this;
    }

    /** The wall clock for expiry decisions. Default {@link Clock#systemUTC()}. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** How often to re-read the file regardless of events; at most 60 s (the default). */
    public Builder pollInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero() || interval.compareTo(Duration.ofSeconds(60)) > 0) {
        throw new IllegalArgumentException("pollInterval must be in (0, 60 s]: " + interval);
      }
      this.pollInterval = interval;
      return this;
    }

    /** Largest file accepted, in bytes. Default 64 KiB. */
    public Builder maxSize(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxSize must be at least 1024 bytes: " + bytes);
      }
      this.maxSize = bytes;
      return this;
    }

    /** Whether to watch the mount directory for changes (polling always runs). Default true. */
    public Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    /** A new source, registered with the shared watcher until {@link FileTokenSource#close()}. */
    public FileTokenSource build() {
      return new FileTokenSource(this);
    }
  }
}
