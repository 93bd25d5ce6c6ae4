package io.workloadidentity.reliability;

import java.io.IOException;
import java.lang.ref.PhantomReference;
import java.lang.ref.ReferenceQueue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * What a JVM holds that a credential object may leave behind: live threads (by identity, named in reports), open
 * file descriptors ({@code /proc/self/fd}) and inotify watches (the {@code inotify wd:} lines of {@code
 * /proc/self/fdinfo}).
 */
final class Resources {
  final Set<Thread> threads;
  final int fds;
  final int watches;

  private Resources(Set<Thread> threads, int fds, int watches) {
    this.threads = threads;
    this.fds = fds;
    this.watches = watches;
  }

  static Resources now() {
    Set<Thread> live = new java.util.HashSet<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive()) {
        live.add(t);
      }
    }
    return new Resources(live, count(Path.of("/proc/self/fd")), watches());
  }

  /**
   * Threads alive now that were not in {@code before}, but for the testkit fakes' own (MockWebServer's server-side
   * task runner keeps an idle thread for a while): they serve the scenario and are no part of the library.
   */
  List<Thread> newThreadsSince(Resources before) {
    List<Thread> out = new ArrayList<>();
    for (Thread t : threads) {
      if (!before.threads.contains(t) && t.isAlive() && !t.getName().startsWith("MockWebServer")) {
        out.add(t);
      }
    }
    return out;
  }

  static Set<String> names(List<Thread> threads) {
    Set<String> names = new TreeSet<>();
    threads.forEach(t -> names.add(t.getName().replaceAll("\\d+", "N")));
    return names;
  }

  /**
   * Waits, at most {@code deadlineMillis}, for what {@code before} did not have to go: joins each new thread with
   * the time left, then lets the collector run (waiting for a sentinel's reference to be enqueued, at most five
   * rounds) so that descriptors held by unreachable objects are released; returns the state after.
   */
  static Resources settle(Resources before, long deadlineMillis) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(deadlineMillis);
    Resources now = now();
    for (int round = 0; round < 5; round++) {
      for (Thread t : now.newThreadsSince(before)) {
        long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
        if (left > 0) {
          t.join(left);
        }
      }
      now = now();
      if (now.newThreadsSince(before).isEmpty() && now.fds <= before.fds && now.watches <= before.watches) {
        return now;
      }
      long left = TimeUnit.NANOSECONDS.toMillis(end - System.nanoTime());
      if (left <= 0) {
        return now;
      }
      collect(left);
      now = now();
    }
    return now;
  }

  /** One garbage collection, observed (a phantom-reachable sentinel enqueued), at most {@code waitMillis}. */
  private static void collect(long waitMillis) throws InterruptedException {
    ReferenceQueue<Object> queue = new ReferenceQueue<>();
    PhantomReference<Object> sentinel = new PhantomReference<>(new Object(), queue);
    System.gc();
    queue.remove(Math.max(1, waitMillis));
    sentinel.clear();
  }

  private static int count(Path dir) {
    try (Stream<Path> s = Files.list(dir)) {
      return (int) s.count();
    } catch (IOException e) {
      return -1; // not Linux: the figure is absent
    }
  }

  private static int watches() {
    int n = 0;
    try (Stream<Path> s = Files.list(Path.of("/proc/self/fdinfo"))) {
      for (Path p : s.toList()) {
        try {
          for (String line : Files.readAllLines(p)) {
            if (line.startsWith("inotify wd:")) {
              n++;
            }
          }
        } catch (IOException e) {
          // the descriptor closed between the listing and the read
        }
      }
    } catch (IOException e) {
      return -1;
    }
    return n;
  }
}
