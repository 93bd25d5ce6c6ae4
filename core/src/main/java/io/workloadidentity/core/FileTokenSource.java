package io.workloadidentity.core;

import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.TokenFileWatcher;
import io.workloadidentity.core.internal.Tokens;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
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
 * <p><b>Guarantees.</b> {@link #token()} never returns an expired token. Every read resolves the
 * path through its symbolic links afresh (the kubelet swaps them) and opens only a regular file:
 * a FIFO, device, socket or directory, a symbolic link loop or a link pointing nowhere is refused
 * with a {@link TokenFileException} naming the path and what is there, before anything is opened,
 * so a read cannot block forever. Reads are bounded (64 KiB by default) and trimmed. A file that is
 * momentarily missing, empty or half-written during a swap is retried a few times within 70 ms,
 * without holding up other callers; while a valid token is cached, such a glitch is never visible
 * to callers.
 *
 * <p>Checks triggered by the watcher run on the shared watcher's check threads, never on the
 * watcher thread itself, so a slow file system or a blocking rotation listener of one source does
 * not delay another source's rotations.
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
  private static final long SWAP_PAUSE_MILLIS = 10;
  /** Links followed by hand when describing a broken chain; the kernel gives up at 40 as well. */
  private static final int MAX_LINKS = 40;

  private final Path path;
  private final String variable;
  private final Clock clock;
  private final int maxSize;
  private final CopyOnWriteArrayList<Consumer<ProjectedToken>> listeners = new CopyOnWriteArrayList<>();
  private final Object lock = new Object();
  private final TokenFileWatcher.Registration registration;
  private volatile Snapshot current;
  private ProjectedToken unannounced; // guarded by lock

  private FileTokenSource(Builder b, boolean register) {
    this.path = b.path;
    this.variable = b.variable;
    this.clock = b.clock;
    this.maxSize = b.maxSize;
    if (register) {
      warnIfNotProjectedLayout(path);
      Path dir = path.toAbsolutePath().getParent();
      this.registration = TokenFileWatcher.shared().register(dir, b.watch, b.pollInterval, this::checkForRotation);
    } else {
      this.registration = null;
    }
  }

  /**
   * Reads and parses a token file once, with every check a source makes (a regular file, bounded,
   * the JWS compact shape, swap glitches retried), without watching it and without judging its
   * expiry: for detection and diagnostics, which report an expired token rather than refuse it.
   *
   * @param path the token file
   * @param variable the environment variable that named it (quoted in errors), or {@code null}
   * @return the token as read
   * @throws TokenFileException if the file is missing, unreadable or not a regular file
   * @throws MalformedTokenException if what was read is not a usable token
   */
  public static ProjectedToken readOnce(Path path, String variable) {
    FileTokenSource once = new FileTokenSource(builder(path).variable(variable), false);
    synchronized (once.lock) {
      return once.readWithRetry();
    }
  }

  /**
   * Watches {@code path} with the defaults: watcher on, poll every 60 s, system clock.
   *
   * @param path the projected token file (normally the {@code token} entry of the volume's mount directory)
   * @return a source registered with the shared watcher until {@link #close()}
   */
  public static FileTokenSource watching(Path path) {
    return builder(path).build();
  }

  /**
   * A builder for a source reading {@code path}.
   *
   * @param path the projected token file
   * @return a builder with the defaults of {@link #watching(Path)}
   */
  public static Builder builder(Path path) {
    return new Builder(path);
  }

  /**
   * The token file this source reads.
   *
   * @return the path as given (not resolved through symbolic links)
   */
  public Path path() {
    return path;
  }

  @Override
  public ProjectedToken token() {
    Snapshot s = current;
    long now = clock.millis();
    if (s != null && now < s.rereadAtMillis && now >= s.usableFromMillis) {
      return s.token;
    }
    if (registration != null) {
      registration.ensureWatched();
    }
    try {
      synchronized (lock) {
        s = current;
        now = clock.millis();
        if (s == null || now >= s.rereadAtMillis) {
          s = reload(true, s);
        }
      }
    } finally {
      announce();
    }
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

  /** Stops watching and polling; once the last source in the JVM is closed, no thread is left. Idempotent. */
  @Override
  public void close() {
    if (registration != null) {
      registration.close();
    }
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
      Snapshot latest = current;
      if (latest != null && latest != cached) {
        return latest; // a check published a token while this read paused for a swap: it is newer
      }
      long now = clock.millis();
      if (cached != null && !cached.token.isExpiredAt(Instant.ofEpochMilli(now))) {
        LOG.log(Level.WARNING, "Re-reading " + describePath() + " failed; still using the current token (expires "
            + cached.token.expiresAt() + "): " + e.getMessage());
        Snapshot kept = Snapshot.of(cached.token, Math.min(now + ON_DEMAND_REREAD_MILLIS, expiry(cached.token)));
        current = kept;
        return kept;
      }
      throw e;
    }
  }

  /**
   * Called on one of the shared watcher's check threads (never the watcher thread itself) on any
   * directory event and at every poll; calls for this source never overlap.
   */
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
    Snapshot fresh = Snapshot.of(token, rereadAt(token, now));
    current = fresh;
    lock.notifyAll(); // a caller pausing in readWithRetry retries at once
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
      } catch (RuntimeException | Error e) {
        // Errors too (a listener's AssertionError): the thread that noticed the rotation is a caller
        // of token() or a check thread serving other sources, and the next listeners must still hear.
        LOG.log(Level.WARNING, "Token rotation listener for " + describePath() + " failed", e);
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

  /** Reads, retrying the glitches of a swap. Caller holds lock; never runs on the watcher thread. */
  private ProjectedToken readWithRetry() {
    for (int attempt = 0; ; attempt++) {
      try {
        return read();
      } catch (TokenFileException | MalformedTokenException e) {
        // The kubelet's swap leaves a short window where the file is missing, empty or partial.
        if (attempt >= SWAP_RETRIES || !isSwapGlitch(e) || !pauseForSwap(SWAP_PAUSE_MILLIS << attempt)) {
          throw e;
        }
      }
    }
  }

  private static boolean isSwapGlitch(WorkloadIdentityException e) {
    // Missing (a link resolved into the directory just removed) or empty/partial (a non-atomic
    // writer). Not: unreadable, not a regular file, a link loop; those do not heal in 70 ms.
    return e instanceof MalformedTokenException || e.getCause() instanceof NoSuchFileException;
  }

  /**
   * Waits for the writer to finish its swap, releasing the lock meanwhile so that other callers and
   * the watcher's check are not held up; a check that publishes a token ends the wait early.
   * Returns false if interrupted (the interrupt status is kept and the caller stops retrying).
   */
  private boolean pauseForSwap(long millis) {
    try {
      lock.wait(millis);
      return true;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * Resolves the path, refuses anything but a regular file, and reads at most {@code maxSize + 1}
   * bytes. Only a regular file is ever opened: opening a FIFO blocks until a writer appears, and a
   * device or socket need not end at all.
   */
  private ProjectedToken read() {
    Path real = resolve();
    BasicFileAttributes attrs;
    try {
      attrs = Files.readAttributes(real, BasicFileAttributes.class);
    } catch (NoSuchFileException e) {
      throw new TokenFileException(missingMessage(), path, variable, e);
    } catch (IOException e) {
      throw new TokenFileException("Token file " + describePath() + " could not be inspected: " + Redaction.describe(e), path, variable, e);
    }
    if (!attrs.isRegularFile()) {
      throw notARegularFile(real, attrs);
    }
    if (attrs.size() > maxSize) {
      throw tooLarge();
    }
    byte[] bytes = readBounded(real);
    if (bytes.length > maxSize) {
      throw tooLarge();
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

  /** The file the path names now, every symbolic link resolved (never cached: the kubelet swaps them). */
  private Path resolve() {
    try {
      return path.toRealPath();
    } catch (NoSuchFileException e) {
      if (Files.exists(path, LinkOption.NOFOLLOW_LINKS)) {
        throw new TokenFileException("Token file " + describePath() + " is a symbolic link whose target does not exist ("
            + linkChain() + "). In a kubelet projected volume, token -> ..data/token and ..data -> the current"
            + " timestamped directory; one of them points nowhere, so the volume is being torn down or something other"
            + " than the kubelet changed it. If it persists, restart the pod.", path, variable, e);
      }
      throw new TokenFileException(missingMessage(), path, variable, e);
    } catch (AccessDeniedException e) {
      throw unreadable(e);
    } catch (FileSystemException e) {
      if (isLinkLoop(e)) {
        throw new TokenFileException("Token file " + describePath() + " cannot be resolved: its symbolic links form a"
            + " loop (" + linkChain() + "). Point " + pathSetting() + " at the projected"
            + " service-account token file itself.", path, variable, e);
      }
      throw new TokenFileException("Token file " + describePath() + " cannot be resolved (" + e.getReason() + "):"
          + " something on the path is missing or is not a directory. Point " + pathSetting() + " at the projected"
          + " service-account token file.", path, variable, e);
    } catch (IOException e) {
      throw new TokenFileException("Token file " + describePath() + " could not be resolved: " + Redaction.describe(e), path, variable, e);
    }
  }

  private boolean isLinkLoop(FileSystemException e) {
    String reason = e.getReason();
    if (reason != null && reason.contains("symbolic link")) {
      return true; // ELOOP: "Too many levels of symbolic links"
    }
    Path p = path;
    for (int i = 0; i < MAX_LINKS && Files.isSymbolicLink(p); i++) {
      try {
        p = p.resolveSibling(Files.readSymbolicLink(p));
      } catch (IOException | RuntimeException ignored) {
        return false;
      }
    }
    return Files.isSymbolicLink(p);
  }

  /** The first few links from the path, for a message: {@code token -> ..data/token, ..data -> ..2026_…}. */
  private String linkChain() {
    StringBuilder chain = new StringBuilder();
    Set<Path> seen = new HashSet<>();
    Path p = path;
    for (int i = 0; i < 4 && Files.isSymbolicLink(p) && seen.add(p.toAbsolutePath().normalize()); i++) {
      try {
        Path target = Files.readSymbolicLink(p);
        chain.append(i == 0 ? "" : ", ").append(p.getFileName()).append(" -> ").append(target);
        Path next = p.resolveSibling(target);
        Path dataLink = next.getParent();
        // token -> ..data/token: the link that dangles is the directory link, not the file's.
        if (!Files.isSymbolicLink(next) && dataLink != null && Files.isSymbolicLink(dataLink)) {
          chain.append(", ").append(dataLink.getFileName()).append(" -> ").append(Files.readSymbolicLink(dataLink));
          break;
        }
        p = next;
      } catch (IOException | RuntimeException e) {
        break;
      }
    }
    return chain.length() == 0 ? "no link readable" : chain.toString();
  }

  private TokenFileException notARegularFile(Path real, BasicFileAttributes attrs) {
    String what = attrs.isDirectory() ? "a directory" : fileKind(real);
    String where = real.equals(path.toAbsolutePath()) ? "Token file " + describePath() + " is "
        : "Token file " + describePath() + " resolves to " + real + ", which is ";
    String hint = attrs.isDirectory()
        ? " If it is the volume's mount directory, add the file name (for example .../serviceaccount/token)."
        : " Reading it could block forever or return something that is not a token, so it is not opened.";
    return new TokenFileException(where + what + ", not a regular file." + hint + " Point "
        + pathSetting() + " at the projected service-account token file (the"
        + " 'token' entry of the projected volume's mount directory).", path, variable, null);
  }

  private static String fileKind(Path real) {
    try {
      int mode = (Integer) Files.getAttribute(real, "unix:mode");
      switch (mode & 0170000) {
        case 0010000:
          return "a FIFO (named pipe)";
        case 0020000:
          return "a character device";
        case 0060000:
          return "a block device";
        case 0140000:
          return "a socket";
        default:
          return "a special file";
      }
    } catch (IOException | RuntimeException e) {
      return "a special file"; // no "unix" attribute view on this file system
    }
  }

  /**
   * Reads at most {@code maxSize + 1} bytes of a regular file: such a read ends (EOF or the bound).
   * The resolved path is opened without following links, so a link swapped in after the checks is
   * refused rather than followed to something else.
   */
  private byte[] readBounded(Path real) {
    OpenOption[] options = real.getFileSystem() == FileSystems.getDefault()
        ? new OpenOption[] {StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS}
        : new OpenOption[] {StandardOpenOption.READ}; // zipfs and others reject NOFOLLOW_LINKS
    ByteBuffer buf = ByteBuffer.allocate(maxSize + 1);
    try (SeekableByteChannel ch = Files.newByteChannel(real, options)) {
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // a regular file: each read returns data or EOF
      }
    } catch (NoSuchFileException e) {
      throw new TokenFileException(missingMessage(), path, variable, e);
    } catch (AccessDeniedException e) {
      throw unreadable(e);
    } catch (IOException e) {
      throw new TokenFileException("Token file " + describePath() + " could not be read: " + Redaction.describe(e), path, variable, e);
    }
    return Arrays.copyOf(buf.array(), buf.position());
  }

  private MalformedTokenException tooLarge() {
    return new MalformedTokenException("Token file " + describePath() + " is larger than " + maxSize
        + " bytes: this is not a service-account token. Check the path.");
  }

  private TokenFileException unreadable(AccessDeniedException e) {
    return new TokenFileException("Token file " + describePath() + " exists but is not readable by this process"
        + " (uid " + uid() + "). Projected tokens are mode 0600 by default unless the pod sets"
        + " securityContext.fsGroup (or runAsUser matching the file owner); set fsGroup in the pod spec.", path, variable, e);
  }

  private String missingMessage() {
    String from = variable == null ? "" : " (named by " + variable + ")";
    return "Token file " + path + from + " does not exist. Is the projected service-account token volume mounted"
        + " in this container? Identity webhooks (EKS, AKS) inject the volume and the variables only when the pod is"
        + " created: restart the pod after annotating its service account.";
  }

  /** What the user sets to choose the file, for "Point X at ...". */
  private String pathSetting() {
    return variable == null ? "the token path" : variable;
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

  /**
   * The token read last, when to read the file again, and from when it may be handed out without
   * the slow path's checks: before its {@code nbf} (less the skew) every call takes the slow path,
   * which refuses it.
   */
  private record Snapshot(ProjectedToken token, long rereadAtMillis, long usableFromMillis) {
    static Snapshot of(ProjectedToken token, long rereadAtMillis) {
      long usableFrom = token.notBefore()
          .map(nbf -> nbf.minus(Tokens.NOT_BEFORE_SKEW).toEpochMilli())
          .orElse(Long.MIN_VALUE);
      return new Snapshot(token, rereadAtMillis, usableFrom);
    }
  }

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

    /**
     * The environment variable that named the file, quoted in error messages.
     *
     * @param variable the variable's name, or null
     * @return this builder
     */
    public Builder variable(String variable) {
      this.variable = variable;
      return this;
    }

    /**
     * The wall clock for expiry decisions. Default {@link Clock#systemUTC()}.
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * How often to re-read the file regardless of events; at most 60 s (the default).
     *
     * @param interval the poll interval, in (0, 60 s]
     * @return this builder
     * @throws IllegalArgumentException if the interval is not in (0, 60 s]
     */
    public Builder pollInterval(Duration interval) {
      Objects.requireNonNull(interval, "interval");
      if (interval.isNegative() || interval.isZero() || interval.compareTo(Duration.ofSeconds(60)) > 0) {
        throw new IllegalArgumentException("pollInterval must be in (0, 60 s]: " + interval);
      }
      this.pollInterval = interval;
      return this;
    }

    /**
     * Largest file accepted, in bytes; a larger file is refused without being read past the limit.
     * Default 64 KiB.
     *
     * @param bytes the limit, at least 1024
     * @return this builder
     * @throws IllegalArgumentException if {@code bytes} is below 1024
     */
    public Builder maxSize(int bytes) {
      if (bytes < 1024) {
        throw new IllegalArgumentException("maxSize must be at least 1024 bytes: " + bytes);
      }
      this.maxSize = bytes;
      return this;
    }

    /**
     * Whether to watch the mount directory for changes (polling always runs). Default true.
     *
     * @param watch whether to watch
     * @return this builder
     */
    public Builder watch(boolean watch) {
      this.watch = watch;
      return this;
    }

    /**
     * A new source, registered with the shared watcher until {@link FileTokenSource#close()}. The file
     * is not read yet: problems with it surface from {@link FileTokenSource#token()}.
     *
     * @return the source
     */
    public FileTokenSource build() {
      return new FileTokenSource(this, true);
    }
  }
}
