package io.workloadidentity.core.internal;

import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.FileSystems;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The one watcher thread of the JVM (deliberate JVM-wide state, see ARCHITECTURE.md). Every {@code
 * FileTokenSource} registers its mount directory here instead of owning a thread: inotify instances
 * are a scarce per-user resource in pods, and one thread is enough to read a handful of small files.
 *
 * <p>Two triggers call a registration's callback, both on this thread:
 *
 * <ul>
 *   <li><b>any</b> event (or OVERFLOW) on the watched mount directory: the kubelet's AtomicWriter
 *       never produces an event naming the token file itself, only {@code ..data} renames, and the
 *       JDK's polling implementation (macOS) reports them as MODIFY; so every event means "maybe
 *       changed", and the source compares the content;
 *   <li>a poll every {@code pollInterval}, always, because watching is only an accelerator:
 *       {@code subPath} mounts, CSI drivers, inotify limits and unmounted directories all defeat it.
 * </ul>
 *
 * <p>The thread starts with the first registration and ends when the last one is closed, taking the
 * {@link WatchService} with it.
 */
public final class TokenFileWatcher {
  private static final System.Logger LOG = System.getLogger(TokenFileWatcher.class.getName());
  private static final TokenFileWatcher INSTANCE = new TokenFileWatcher();
  /** Longest wait for events before polls are checked again. */
  private static final long MAX_WAIT_MILLIS = 100;

  private final Object lock = new Object();
  private final List<Registration> registrations = new ArrayList<>(); // guarded by lock
  private final Map<WatchKey, Path> keys = new HashMap<>(); // guarded by lock
  private final Map<Path, WatchKey> dirs = new HashMap<>(); // guarded by lock
  private WatchService watchService; // guarded by lock
  private boolean watchUnavailableLogged; // guarded by lock
  private Thread thread; // guarded by lock

  private TokenFileWatcher() {}

  /** The JVM's watcher. */
  public static TokenFileWatcher shared() {
    return INSTANCE;
  }

  /**
   * Calls {@code onMaybeChanged} on the watcher thread when {@code directory} changes (if {@code
   * watch}) and at least every {@code pollInterval}.
   */
  public Registration register(Path directory, boolean watch, Duration pollInterval, Runnable onMaybeChanged) {
    Registration r = new Registration(directory.toAbsolutePath().normalize(), watch, pollInterval.toNanos(), onMaybeChanged);
    synchronized (lock) {
      registrations.add(r);
      if (watch) {
        watch(r.directory);
      }
      if (thread == null) {
        thread = new Thread(this::run, "workload-identity-token-watcher");
        thread.setDaemon(true);
        thread.start();
      }
    }
    return r;
  }

  /** Whether the watcher thread is running (for tests: it must end when nothing is registered). */
  public boolean isRunning() {
    synchronized (lock) {
      return thread != null;
    }
  }

  private void watch(Path dir) {
    if (dirs.containsKey(dir)) {
      return;
    }
    try {
      if (watchService == null) {
        watchService = FileSystems.getDefault().newWatchService();
      }
      WatchKey key = dir.register(watchService, StandardWatchEventKinds.ENTRY_CREATE,
          StandardWatchEventKinds.ENTRY_DELETE, StandardWatchEventKinds.ENTRY_MODIFY);
      keys.put(key, dir);
      dirs.put(dir, key);
    } catch (IOException | RuntimeException e) {
      // inotify limits ("too many open files"), a missing directory, no watch support, or a path of
      // another file system (ProviderMismatchException; Jimfs, zipfs): polling still works, only
      // slower; say so once. Throwing would leave the registration behind and, on the watcher
      // thread's retry, end that thread for every source.
      if (!watchUnavailableLogged) {
        watchUnavailableLogged = true;
        LOG.log(Level.INFO, "Cannot watch " + dir + " (" + e + "); relying on polling for token rotation.");
      }
    }
  }

  private void run() {
    while (true) {
      WatchService ws;
      List<Registration> snapshot;
      synchronized (lock) {
        if (registrations.isEmpty()) {
          closeWatchService();
          thread = null;
          return;
        }
        ws = watchService;
        snapshot = List.copyOf(registrations);
        // Re-register directories whose key died (volume re-mounted) or that did not exist yet.
        for (Registration r : snapshot) {
          if (r.watch && !dirs.containsKey(r.directory) && System.nanoTime() - r.nextWatchAttemptNanos >= 0) {
            r.nextWatchAttemptNanos = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            watch(r.directory);
          }
        }
        ws = watchService;
      }
      try {
        WatchKey key = ws == null ? null : ws.poll(MAX_WAIT_MILLIS, TimeUnit.MILLISECONDS);
        if (ws == null) {
          synchronized (lock) {
            lock.wait(MAX_WAIT_MILLIS); // polling only: nothing else to wait on
          }
        }
        if (key != null) {
          handle(key);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      } catch (ClosedWatchServiceException e) {
        continue;
      }
      long now = System.nanoTime();
      for (Registration r : snapshot) {
        if (!r.closed && now - r.nextPollNanos >= 0) {
          r.nextPollNanos = now + r.pollNanos;
          r.fire();
        }
      }
    }
  }

  private void handle(WatchKey key) {
    key.pollEvents(); // content is irrelevant: every event, and OVERFLOW, means "maybe changed"
    Path dir;
    List<Registration> interested = new ArrayList<>();
    synchronized (lock) {
      dir = keys.get(key);
      if (!key.reset()) {
        keys.remove(key);
        if (dir != null) {
          dirs.remove(dir);
        }
      }
      for (Registration r : registrations) {
        if (r.directory.equals(dir)) {
          interested.add(r);
        }
      }
    }
    interested.forEach(Registration::fire);
  }

  private void unregister(Registration r) {
    synchronized (lock) {
      registrations.remove(r);
      boolean dirStillUsed = registrations.stream().anyMatch(o -> o.directory.equals(r.directory));
      if (!dirStillUsed) {
        WatchKey key = dirs.remove(r.directory);
        if (key != null) {
          keys.remove(key);
          key.cancel();
        }
      }
    }
  }

  private void closeWatchService() {
    if (watchService != null) {
      try {
        watchService.close();
      } catch (IOException ignored) {
        // closing releases the inotify instance; nothing to do if it fails
      }
      watchService = null;
      keys.clear();
      dirs.clear();
    }
  }

  /** One source's interest in one directory. */
  public final class Registration implements AutoCloseable {
    final Path directory;
    final boolean watch;
    final long pollNanos;
    final Runnable callback;
    volatile long nextPollNanos;
    volatile long nextWatchAttemptNanos;
    volatile boolean closed;

    Registration(Path directory, boolean watch, long pollNanos, Runnable callback) {
      this.directory = directory;
      this.watch = watch;
      this.pollNanos = pollNanos;
      this.callback = callback;
      this.nextPollNanos = System.nanoTime() + pollNanos;
    }

    void fire() {
      if (closed) {
        return;
      }
      try {
        callback.run();
      } catch (RuntimeException | Error e) {
        // Errors too (a listener's AssertionError, a NoClassDefFoundError): this thread serves every
        // source in the JVM, and a dead one would never be restarted.
        LOG.log(Level.WARNING, "Token file check for " + directory + " failed", e);
      }
    }

    /** Stops callbacks for this registration. Idempotent. */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        unregister(this);
      }
    }
  }
}
