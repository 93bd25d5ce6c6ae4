package io.workloadidentity.reliability;

import io.workloadidentity.testkit.SecretLeakGuard;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * The suite's secret scan, JVM-wide, as counts: every {@code java.util.logging} record (System.Logger and SLF4J's
 * JUL bindings end there; what goes to the console is the {@link SecretLeakGuard} on each scenario class's job, and
 * it fails the class on a hit), and every exception a caller or a listener saw (message, {@code toString()}, each
 * cause and suppressed exception), checked against every secret the testkit's fakes minted and handed out.
 */
final class Leaks {
  static final AtomicInteger RECORDS = new AtomicInteger();
  static final AtomicInteger THROWABLES = new AtomicInteger();
  static final AtomicInteger OBJECTS = new AtomicInteger();
  static final AtomicInteger HITS = new AtomicInteger();

  private static final SimpleFormatter FORMAT = new SimpleFormatter();

  static {
    Handler scanner = new Handler() {
      @Override
      public void publish(LogRecord r) {
        RECORDS.incrementAndGet();
        StringBuilder sb = new StringBuilder();
        try {
          sb.append(r.getMessage()).append('\n').append(FORMAT.formatMessage(r));
          if (r.getParameters() != null) {
            for (Object p : r.getParameters()) {
              sb.append('\n').append(p);
            }
          }
        } catch (RuntimeException e) {
          sb.append(e);
        }
        check(sb.toString());
        if (r.getThrown() != null) {
          scanQuietly(r.getThrown());
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    scanner.setLevel(Level.ALL);
    Logger.getLogger("").addHandler(scanner);
  }

  private Leaks() {}

  /** Installs the log scanner (class initialisation does it). */
  static void install() {}

  /** Scans a throwable a scenario saw: its message, string form, causes and suppressed exceptions. */
  static void scan(Throwable t) {
    THROWABLES.incrementAndGet();
    scanQuietly(t);
  }

  /** Scans what a user could see of an object: its {@code toString()}. */
  static void scanObject(Object o) {
    OBJECTS.incrementAndGet();
    check(String.valueOf(o));
  }

  private static void scanQuietly(Throwable t) {
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    scanTree(t, seen);
  }

  private static void scanTree(Throwable t, Set<Throwable> seen) {
    if (t == null || !seen.add(t)) {
      return;
    }
    check(t.getMessage() + "\n" + t);
    scanTree(t.getCause(), seen);
    for (Throwable s : t.getSuppressed()) {
      scanTree(s, seen);
    }
  }

  private static void check(String text) {
    try {
      SecretLeakGuard.assertNoSecrets(text);
    } catch (AssertionError hit) {
      HITS.incrementAndGet();
      // The guard's message names the secret only by its SHA-256 prefix: safe to print.
      System.err.println("[reliability] secret leak: " + hit.getMessage());
    }
  }
}
