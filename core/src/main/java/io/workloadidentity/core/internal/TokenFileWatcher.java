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
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Notices when token files may have changed, for every {@code FileTokenSource} in the JVM.
 *
 * <p><b>Deliberate JVM-wide state.</b> This class holds, while at least one registration is open,
 * one watcher thread ({@value #WATCHER_NAME}), one {@link WatchService} (one inotify instance on
 * Linux) and a small pool of check threads ({@value #CHECK_PREFIX}N, at most {@value
 * #MAX_CHECK_THREADS}). inotify instances are a scarce per-user resource in pods (the default limit
 * is 128 per user, shared by every container of that user on the node), so sources share them
 * instead of owning one each. Everything ends when the last registration is closed and starts again
 * with the next one.
 *
 * <p><b>What triggers a check.</b>
 *
 * <ul>
 *   <li><b>any</b> event (or OVERFLOW) on a watched mount directory: the kubelet's AtomicWriter
 *       never produces an event naming the token file itself, only {@code ..data} renames, and the
 *       JDK's polling implementation (macOS) reports them as MODIFY; so every event means "maybe
 *       changed", and the source compares the content;
 *   <li>a poll every {@code pollInterval}, always, because watching is only an accelerator:
 *       {@code subPath} mounts, CSI drivers, inotify limits and unmounted directories all defeat it.
 * </ul>
 *
 * <p><b>Who runs it.</b> The watcher thread only waits for events and poll deadlines; it never runs
 * a callback, reads a file or takes a source's lock. It hands each check to the check pool, with at
 * most one check pending per registration (triggers arriving while one is pending or running are
 * folded into one more run afterwards). So a source whose file system hangs or whose rotation
 * listener blocks holds at most its own check thread: the other sources keep being checked on the
 * other threads as long as fewer than {@value #MAX_CHECK_THREADS} sources are stuck at once, and a
 * check running longer than {@value #STUCK_SECONDS} s is logged once. The last close interrupts
 * checks still running, so that an interruptible wait in a listener does not outlive the sources.
 *
 * <p><b>What it survives.</b> Interrupts (a framework "stopping its threads", a test) are ignored by
 * both kinds of thread: they are not how this class stops. An exception or {@code Error} from a
 * callback is logged and the check thread goes on. If the watcher thread nevertheless ends
 * abnormally, it starts a successor; {@link #isRunning()} reports whether a live thread is serving
 * registrations, and {@link #register} and {@link Registration#ensureWatched()} start one if none is.
 */
public final class TokenFileWatcher {
  static final String WATCHER_NAME = "workload-identity-token-watcher";
  static final String CHECK_PREFIX = "workload-identity-token-check-";
  static final int MAX_CHECK_THREADS = 4;
  static final int STUCK_SECONDS = 10;

  private static final System.Logger LOG = System.getLogger(TokenFileWatcher.class.getName());
  private static final TokenFileWatcher INSTANCE = new TokenFileWatcher();
  /** Longest wait for events before poll deadlines and dead watch keys are looked at again. */
  private static final long MAX_WAIT_NANOS = TimeUnit.MILLISECONDS.toNanos(100);
  /** Pause between attempts to watch a directory that could not be watched (missing, re-mounted). */
  private static final long REWATCH_NANOS = TimeUnit.SECONDS.toNanos(5);
  /** How long an idle check thread lingers for the next check before it ends. */
  private static final long CHECK_KEEP_ALIVE_NANOS = TimeUnit.SECONDS.toNanos(10);
  private static final long STUCK_NANOS = TimeUnit.SECONDS.toNanos(STUCK_SECONDS);
  /** Keys handled per wake-up, so that an event storm on one directory cannot starve the polls. */
  private static final int MAX_KEYS_PER_STEP = 64;
  private static final AtomicInteger CHECK_THREAD_IDS = new AtomicInteger();

  private final Object lock = new Object();
  private final List<Registration> registrations = new ArrayList<>(); // guarded by lock
  private final Map<WatchKey, Path> keys = new HashMap<>(); // guarded by lock
  private final Map<Path, WatchKey> dirs = new HashMap<>(); // guarded by lock
  private WatchService watchService; // guarded by lock
  private boolean watchUnavailableLogged; // guarded by lock
  private boolean unexpectedLogged; // guarded by lock
  private Thread thread; // guarded by lock
  private Checks checks; // guarded by lock; non-null exactly while something is registered

  private TokenFileWatcher() {}

  /**
   * The JVM's watcher.
   *
   * @return the one instance
   */
  public static TokenFileWatcher shared() {
    return INSTANCE;
  }

  /**
   * Calls {@code onMaybeChanged} on a check thread when {@code directory} changes (if {@code watch})
   * and at least every {@code pollInterval}, until the registration is closed. Calls for one
   * registration never overlap.
   *
   * @param directory the mount directory to watch (the token file's parent)
   * @param watch whether to watch the directory; polling runs either way
   * @param pollInterval the longest time between two calls
   * @param onMaybeChanged what to call; may block (only its own registration waits) and may throw
   * @return the registration, to close when done
   */
  public Registration register(Path directory, boolean watch, Duration pollInterval, Runnable onMaybeChanged) {
    synchronized (lock) {
      if (checks == null) {
        checks = new Checks();
      }
      Registration r = new Registration(directory.toAbsolutePath().normalize(), watch, pollInterval.toNanos(),
          onMaybeChanged, checks);
      registrations.add(r);
      if (watch) {
        watch(r.directory);
        r.nextWatchAttemptNanos = System.nanoTime() + REWATCH_NANOS;
      }
      ensureThread();
      lock.notifyAll(); // a polling-only wait picks up the new poll deadline and watch service
      return r;
    }
  }

  /**
   * Whether a live watcher thread is serving registrations: false as soon as the last registration
   * is closed (the thread then ends promptly), true again after the next {@link #register}.
   *
   * @return whether rotation detection is running
   */
  public boolean isRunning() {
    synchronized (lock) {
      return !registrations.isEmpty() && thread != null && thread.isAlive();
    }
  }

  /** Starts the watcher thread unless a live one exists. Caller holds lock. */
  private void ensureThread() {
    if (thread != null && thread.isAlive()) {
      return;
    }
    Thread t = new Thread(this::run, WATCHER_NAME);
    t.setDaemon(true);
    try {
      t.start();
      thread = t;
    } catch (RuntimeException | Error e) {
      // Out of native threads: token() still re-reads on demand; the next register or on-demand
      // read tries again.
      thread = null;
      LOG.log(Level.WARNING, "Cannot start the token watcher thread (" + Redaction.describe(e) + "); token rotation is seen only when a"
          + " token is due for rotation until it can be started.");
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
      // slower; say so once.
      if (!watchUnavailableLogged) {
        watchUnavailableLogged = true;
        LOG.log(Level.INFO, "Cannot watch " + dir + " (" + Redaction.describe(e) + "); relying on polling for token rotation.");
      }
    }
  }

  private void run() {
    Thread self = Thread.currentThread();
    try {
      while (true) {
        try {
          if (!step(self)) {
            return;
          }
        } catch (RuntimeException | Error e) {
          // Nothing in step() is expected to throw; whatever did, this thread serves every source in
          // the JVM and must go on. Start the watch service afresh in case it is the culprit.
          recoverFrom(e);
        }
      }
    } finally {
      synchronized (lock) {
        if (thread == self) {
          // Ended abnormally (an Error thrown while recovering): hand over to a successor.
          thread = null;
          if (!registrations.isEmpty()) {
            ensureThread();
          }
        }
      }
    }
  }

  /** One wait for events or the next poll deadline. Returns false when this thread is to end. */
  private boolean step(Thread self) {
    List<Registration> snapshot;
    WatchService ws;
    long now = System.nanoTime();
    synchronized (lock) {
      if (thread != self) {
        return false; // a successor took over
      }
      if (registrations.isEmpty()) {
        thread = null;
        closeWatchService();
        return false;
      }
      snapshot = List.copyOf(registrations);
      // Re-register directories whose key died (volume re-mounted) or that did not exist yet.
      for (Registration r : snapshot) {
        if (r.watch && !dirs.containsKey(r.directory) && now - r.nextWatchAttemptNanos >= 0) {
          r.nextWatchAttemptNanos = now + REWATCH_NANOS;
          watch(r.directory);
        }
      }
      ws = watchService;
    }
    long waitNanos = MAX_WAIT_NANOS;
    for (Registration r : snapshot) {
      waitNanos = Math.min(waitNanos, r.nextPollNanos - now);
    }
    try {
      if (ws != null) {
        WatchKey key = waitNanos > 0 ? ws.poll(waitNanos, TimeUnit.NANOSECONDS) : ws.poll();
        for (int i = 0; key != null && i < MAX_KEYS_PER_STEP; i++) {
          handle(key);
          key = ws.poll();
        }
      } else if (waitNanos > 0) {
        synchronized (lock) {
          if (watchService == null && !registrations.isEmpty()) {
            TimeUnit.NANOSECONDS.timedWait(lock, waitNanos); // polling only: register/close wake it
          }
        }
      }
    } catch (InterruptedException e) {
      // Interrupts are not how this thread stops (the last close does that); ending here would end
      // rotation detection for every source in the JVM. The interrupt status is now clear.
      LOG.log(Level.DEBUG, "Ignored an interrupt of the token watcher thread; it ends when the last token source closes.");
    } catch (ClosedWatchServiceException e) {
      // Closed by the last close() (the next step ends this thread) or replaced after a failure.
    }
    now = System.nanoTime();
    for (Registration r : snapshot) {
      if (!r.closed && now - r.nextPollNanos >= 0) {
        r.nextPollNanos = now + r.pollNanos;
        r.trigger();
      }
      r.reportIfStuck(now);
    }
    return true;
  }

  private void handle(WatchKey key) {
    key.pollEvents(); // content is irrelevant: every event, and OVERFLOW, means "maybe changed"
    List<Registration> interested = new ArrayList<>();
    synchronized (lock) {
      Path dir = keys.get(key);
      if (!key.reset()) {
        keys.remove(key);
        if (dir != null) {
          dirs.remove(dir); // the next steps try to watch it again
        }
      }
      for (Registration r : registrations) {
        if (r.directory.equals(dir)) {
          interested.add(r);
        }
      }
    }
    interested.forEach(Registration::trigger);
  }

  private void recoverFrom(Throwable e) {
    synchronized (lock) {
      Level level = unexpectedLogged ? Level.DEBUG : Level.WARNING;
      unexpectedLogged = true;
      LOG.log(level, "The token watcher recovered from an unexpected failure; watching again from scratch", e);
      closeWatchService();
      try {
        // Paces a failure that repeats; register and close wake it.
        TimeUnit.NANOSECONDS.timedWait(lock, MAX_WAIT_NANOS);
      } catch (InterruptedException ignored) {
        // as in step(): not how this thread stops
      }
    }
  }

  private void unregister(Registration r) {
    synchronized (lock) {
      if (!registrations.remove(r)) {
        return;
      }
      boolean dirStillUsed = registrations.stream().anyMatch(o -> o.directory.equals(r.directory));
      if (!dirStillUsed) {
        WatchKey key = dirs.remove(r.directory);
        if (key != null) {
          keys.remove(key);
          key.cancel();
        }
      }
      if (registrations.isEmpty()) {
        // Closing the watch service wakes the watcher thread at once (ClosedWatchServiceException)
        // and releases the inotify instance; notifyAll wakes a polling-only wait.
        closeWatchService();
        checks.stop();
        checks = null;
        lock.notifyAll();
      }
    }
  }

  /** Caller holds lock. */
  private void closeWatchService() {
    if (watchService != null) {
      try {
        watchService.close();
      } catch (IOException ignored) {
        // closing releases the inotify instance; nothing to do if it fails
      }
      watchService = null;
    }
    keys.clear();
    dirs.clear();
  }

  /**
   * One source's interest in one directory.
   *
   * <p>Check state: IDLE, QUEUED (handed to the pool, not started: further triggers add nothing,
   * the check will read the newest file), RUNNING, RUNNING_AGAIN (a trigger arrived while running:
   * one more check follows).
   */
  public static final class Registration implements AutoCloseable {
    private static final int IDLE = 0;
    private static final int QUEUED = 1;
    private static final int RUNNING = 2;
    private static final int RUNNING_AGAIN = 3;

    final Path directory;
    final boolean watch;
    final long pollNanos;
    private final Runnable callback;
    private final Checks checks;
    private final AtomicInteger state = new AtomicInteger(IDLE);
    volatile long nextPollNanos; // written by the watcher thread only
    long nextWatchAttemptNanos; // guarded by the watcher's lock
    private volatile long runningSinceNanos;
    private volatile boolean stuckReported;
    volatile boolean closed;

    Registration(Path directory, boolean watch, long pollNanos, Runnable callback, Checks checks) {
      this.directory = directory;
      this.watch = watch;
      this.pollNanos = pollNanos;
      this.callback = callback;
      this.checks = checks;
      this.nextPollNanos = System.nanoTime() + pollNanos;
      this.nextWatchAttemptNanos = System.nanoTime();
    }

    /** Asks for a check; returns at once. Called by the watcher thread. */
    void trigger() {
      while (!closed) {
        int s = state.get();
        if (s == IDLE) {
          if (state.compareAndSet(IDLE, QUEUED)) {
            if (!checks.submit(this)) {
              state.set(IDLE);
            }
            return;
          }
        } else if (s == RUNNING) {
          if (state.compareAndSet(RUNNING, RUNNING_AGAIN)) {
            return;
          }
        } else {
          return; // QUEUED or RUNNING_AGAIN: a check that reads the newest file is already due
        }
      }
    }

    /** Runs one check. Called by a check thread. */
    void runCheck() {
      stuckReported = false;
      runningSinceNanos = System.nanoTime();
      state.set(RUNNING);
      try {
        if (!closed) {
          callback.run();
        }
      } catch (RuntimeException | Error e) {
        // Errors too (a listener's AssertionError, a NoClassDefFoundError): the check thread serves
        // other sources as well.
        LOG.log(Level.WARNING, "Token file check for " + directory + " failed", e);
      } finally {
        if (!state.compareAndSet(RUNNING, IDLE)) {
          // RUNNING_AGAIN: the file may have changed after this check read it. Queue behind the
          // checks of other sources rather than looping here.
          state.set(QUEUED);
          if (closed || !checks.submit(this)) {
            state.set(IDLE);
          }
        }
      }
    }

    /** Says once per check that it has been running too long. Called by the watcher thread. */
    void reportIfStuck(long now) {
      int s = state.get();
      if ((s == RUNNING || s == RUNNING_AGAIN) && !stuckReported && now - runningSinceNanos > STUCK_NANOS) {
        stuckReported = true;
        LOG.log(Level.WARNING, "The token check for " + directory + " has been running for over " + STUCK_SECONDS
            + " s: a token rotation listener or the file system is blocking it. Other token sources are checked on"
            + " other threads; this one is checked again when it returns.");
      }
    }

    /**
     * Makes sure a watcher thread serves this registration, starting one if the last one is gone.
     * Cheap; for the on-demand read path, so that rotation detection never stays off for good.
     */
    public void ensureWatched() {
      if (closed) {
        return;
      }
      TokenFileWatcher w = INSTANCE;
      synchronized (w.lock) {
        if (!closed && (w.thread == null || !w.thread.isAlive())) {
          w.ensureThread();
        }
      }
    }

    /** Stops checks for this registration; the last close stops every thread. Idempotent. */
    @Override
    public void close() {
      if (!closed) {
        closed = true;
        INSTANCE.unregister(this);
      }
    }
  }

  /**
   * The check threads of one run of the watcher (from the first registration to the last close).
   * Threads are started on demand, up to {@value #MAX_CHECK_THREADS}: a new one whenever more checks
   * are due than threads are idle, so a check never waits behind another source's while a thread
   * could still be started. Idle threads end after a while; {@link #stop} ends them all.
   */
  static final class Checks {
    private final Object lock = new Object();
    private final ArrayDeque<Registration> due = new ArrayDeque<>(); // guarded by lock
    private final Set<Thread> threads = new HashSet<>(); // guarded by lock
    private int idle; // threads waiting for work; guarded by lock
    private boolean stopped; // guarded by lock

    /** Queues a check; false if this pool is stopped or cannot run it. */
    boolean submit(Registration r) {
      synchronized (lock) {
        if (stopped) {
          return false;
        }
        due.add(r);
        if (due.size() > idle && threads.size() < MAX_CHECK_THREADS && !startThread() && threads.isEmpty()) {
          due.remove(r);
          return false; // no thread at all: the next trigger tries again
        }
        lock.notify();
        return true;
      }
    }

    /** Caller holds lock. */
    private boolean startThread() {
      Thread t = new Thread(this::work, CHECK_PREFIX + CHECK_THREAD_IDS.incrementAndGet());
      t.setDaemon(true);
      try {
        t.start();
      } catch (RuntimeException | Error e) {
        LOG.log(Level.DEBUG, () -> "Cannot start a token check thread: " + e);
        return false;
      }
      threads.add(t);
      return true;
    }

    private void work() {
      Thread self = Thread.currentThread();
      try {
        while (true) {
          Registration r;
          synchronized (lock) {
            long idleUntil = System.nanoTime() + CHECK_KEEP_ALIVE_NANOS;
            while (due.isEmpty() && !stopped) {
              long left = idleUntil - System.nanoTime();
              if (left <= 0) {
                return;
              }
              idle++;
              try {
                TimeUnit.NANOSECONDS.timedWait(lock, left);
              } catch (InterruptedException e) {
                // not how check threads stop (stop() sets stopped); keep waiting for work
              } finally {
                idle--;
              }
            }
            if (stopped) {
              return;
            }
            r = due.poll();
          }
          Thread.interrupted(); // an interrupt aimed at the previous check must not fail this one
          r.runCheck();
        }
      } finally {
        synchronized (lock) {
          threads.remove(self);
          if (!stopped && !due.isEmpty() && threads.size() < due.size()) {
            startThread(); // only after an abnormal end: queued checks must not be stranded
          }
        }
      }
    }

    /** Ends every thread: idle ones at once, busy ones (interrupted) when their check returns. */
    void stop() {
      synchronized (lock) {
        stopped = true;
        due.clear();
        for (Thread t : threads) {
          t.interrupt();
        }
        lock.notifyAll();
      }
    }
  }
}
