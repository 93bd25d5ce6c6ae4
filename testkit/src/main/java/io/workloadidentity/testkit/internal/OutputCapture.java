package io.workloadidentity.testkit.internal;

import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.Charset;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.Enumeration;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Set;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogManager;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * JVM-wide capture of what a user could see while tests run: every {@code java.util.logging}
 * record at every level (where {@code System.Logger} goes by default, and SLF4J when bound to it),
 * everything written to {@code System.out} and {@code System.err} (console loggers, SLF4J's simple
 * binding, a stray {@code println}), and the objects tests hand over. Reference-counted: the first
 * {@link #open()} installs the capture, the last {@link Cursor#close()} restores logging and the
 * standard streams as they were.
 *
 * <p>While capturing, the root logger and every logger with an explicit level log at {@link
 * Level#ALL} (so lazily built FINE messages are rendered too); the levels of existing handlers are
 * raised to the level their logger had, so the console shows what it showed before. Records are
 * turned into text when published, on the logging thread.
 */
public final class OutputCapture {
  private static final Object LOCK = new Object();
  private static final SimpleFormatter FORMATTER = new SimpleFormatter();
  // All guarded by LOCK.
  private static final Deque<Observation> LOG = new ArrayDeque<>();
  private static final List<Cursor> CURSORS = new ArrayList<>();
  private static final ByteArrayOutputStream OUT = new ByteArrayOutputStream();
  private static final ByteArrayOutputStream ERR = new ByteArrayOutputStream();
  private static long nextSequence;
  private static Installation installation;

  private OutputCapture() {}

  /**
   * Something a user could see.
   *
   * @param sequence its position in the capture, increasing
   * @param source where it was seen, e.g. {@code log record FINE com.example.Foo [thread main]: message}
   * @param loggerName the logger of a log record, {@code null} for anything else
   * @param logRecord whether it comes from a log record
   * @param text the text
   */
  public record Observation(long sequence, String source, String loggerName, boolean logRecord, String text) {}

  /** A reader of the capture: sees what was observed after it opened. Close it to release the capture. */
  public static final class Cursor implements AutoCloseable {
    private long position;
    private boolean closed;

    private Cursor(long position) {
      this.position = position;
    }

    /**
     * What was observed since the last drain (or since opening), oldest first; includes the standard
     * streams written so far.
     *
     * @return the observations, possibly empty
     */
    public List<Observation> drain() {
      synchronized (LOCK) {
        flushStreams();
        List<Observation> out = new ArrayList<>();
        for (Observation o : LOG) {
          if (o.sequence() >= position) {
            out.add(o);
          }
        }
        position = nextSequence;
        trim();
        return out;
      }
    }

    /** Stops reading; the last cursor to close uninstalls the capture. Idempotent. */
    @Override
    public void close() {
      synchronized (LOCK) {
        if (closed) {
          return;
        }
        closed = true;
        CURSORS.remove(this);
        if (CURSORS.isEmpty()) {
          flushStreams();
          installation.uninstall();
          installation = null;
          LOG.clear();
        } else {
          trim();
        }
      }
    }
  }

  /**
   * Starts capturing (if not already) and returns a cursor positioned at the current end.
   *
   * @return a cursor; close it when done
   */
  public static Cursor open() {
    synchronized (LOCK) {
      if (installation == null) {
        installation = Installation.install();
      }
      Cursor c = new Cursor(nextSequence);
      CURSORS.add(c);
      return c;
    }
  }

  /**
   * Whether a capture is installed.
   *
   * @return true between the first {@link #open()} and the last {@link Cursor#close()}
   */
  public static boolean active() {
    synchronized (LOCK) {
      return installation != null;
    }
  }

  /**
   * Records an object a user could see (its {@code toString()}, or for an exception everything it
   * shows), if a capture is installed.
   *
   * @param source where it came from, for failure messages
   * @param userVisible the object
   */
  public static void observe(String source, Object userVisible) {
    List<String[]> texts = texts(source, userVisible);
    synchronized (LOCK) {
      if (installation == null) {
        return;
      }
      for (String[] t : texts) {
        add(t[0], null, false, t[1]);
      }
    }
  }

  /**
   * The texts a user could see of an object: its {@code toString()}; for a {@link Throwable}, its
   * stack trace as printed (the {@code toString()} of the whole cause and suppressed graph) and each
   * throwable's {@code getMessage()} (and {@code getLocalizedMessage()} where it differs).
   *
   * @param source where the object was seen
   * @param o the object, may be {@code null}
   * @return pairs of {source, text}
   */
  public static List<String[]> texts(String source, Object o) {
    List<String[]> out = new ArrayList<>();
    if (!(o instanceof Throwable t)) {
      out.add(new String[] {source, safeToString(o)});
      return out;
    }
    StringWriter sw = new StringWriter();
    try {
      t.printStackTrace(new PrintWriter(sw));
    } catch (RuntimeException e) {
      sw.write("<printStackTrace threw " + e.getClass().getName() + ">");
    }
    out.add(new String[] {source + " (stack trace)", sw.toString()});
    Set<Throwable> seen = Collections.newSetFromMap(new IdentityHashMap<>());
    Deque<Throwable> todo = new ArrayDeque<>();
    todo.add(t);
    int n = 0;
    while (!todo.isEmpty()) {
      Throwable x = todo.poll();
      if (!seen.add(x)) {
        continue;
      }
      // The stack trace shows every toString(); a message may still differ from what toString() shows.
      String which = n++ == 0 ? source : source + " (cause or suppressed #" + (n - 1) + ", " + x.getClass().getName() + ")";
      try {
        String message = x.getMessage();
        out.add(new String[] {which + " getMessage()", String.valueOf(message)});
        String localized = x.getLocalizedMessage();
        if (!java.util.Objects.equals(localized, message)) {
          out.add(new String[] {which + " getLocalizedMessage()", String.valueOf(localized)});
        }
      } catch (RuntimeException e) {
        out.add(new String[] {which, "<threw " + e.getClass().getName() + ">"});
      }
      if (x.getCause() != null) {
        todo.add(x.getCause());
      }
      Collections.addAll(todo, x.getSuppressed());
    }
    return out;
  }

  private static String safeToString(Object o) {
    try {
      return String.valueOf(o);
    } catch (RuntimeException e) {
      return "<toString() threw " + e.getClass().getName() + ">";
    }
  }

  private static void add(String source, String loggerName, boolean logRecord, String text) {
    LOG.add(new Observation(nextSequence++, source, loggerName, logRecord, text));
  }

  private static void publish(LogRecord r) {
    String where = "log record " + r.getLevel() + " " + r.getLoggerName() + " [thread "
        + Thread.currentThread().getName() + "]";
    List<String[]> texts = new ArrayList<>();
    texts.add(new String[] {where + ": message", String.valueOf(r.getMessage())});
    Object[] parameters = r.getParameters();
    if (parameters != null && parameters.length > 0) {
      try {
        texts.add(new String[] {where + ": formatted message", FORMATTER.formatMessage(r)});
      } catch (RuntimeException e) {
        texts.add(new String[] {where + ": formatted message", "<formatting threw " + e.getClass().getName() + ">"});
      }
      for (int i = 0; i < parameters.length; i++) {
        texts.addAll(texts(where + ": parameter #" + i, parameters[i]));
      }
    }
    if (r.getThrown() != null) {
      texts.addAll(texts(where + ": thrown", r.getThrown()));
    }
    synchronized (LOCK) {
      if (installation == null) {
        return;
      }
      for (String[] t : texts) {
        add(t[0], r.getLoggerName(), true, t[1]);
      }
    }
  }

  private static void flushStreams() {
    if (OUT.size() > 0) {
      add("standard output", null, false, OUT.toString(installation.outCharset));
      OUT.reset();
    }
    if (ERR.size() > 0) {
      add("standard error", null, false, ERR.toString(installation.errCharset));
      ERR.reset();
    }
  }

  /** Drops what every open cursor has read. */
  private static void trim() {
    long oldest = Long.MAX_VALUE;
    for (Cursor c : CURSORS) {
      oldest = Math.min(oldest, c.position);
    }
    while (!LOG.isEmpty() && LOG.peekFirst().sequence() < oldest) {
      LOG.pollFirst();
    }
  }

  /** What was changed to capture, and how to put it back. */
  private static final class Installation {
    private final List<Runnable> undo = new ArrayList<>();
    private final Handler handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r != null) {
          OutputCapture.publish(r);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    private PrintStream out;
    private PrintStream err;
    private Charset outCharset;
    private Charset errCharset;

    static Installation install() {
      Installation i = new Installation();
      i.installLogging();
      i.installStreams();
      return i;
    }

    private void installLogging() {
      handler.setLevel(Level.ALL);
      LogManager manager = LogManager.getLogManager();
      Logger root = Logger.getLogger("");
      Level rootLevel = root.getLevel() == null ? Level.INFO : root.getLevel();
      for (Enumeration<String> names = manager.getLoggerNames(); names.hasMoreElements(); ) {
        Logger logger = manager.getLogger(names.nextElement());
        if (logger == null || logger == root) {
          continue;
        }
        Level previous = logger.getLevel();
        if (previous != null && previous != Level.ALL) {
          clampHandlers(logger, previous);
          logger.setLevel(Level.ALL);
          undo.add(() -> logger.setLevel(previous));
        }
        if (!logger.getUseParentHandlers()) {
          // Its records never reach the root logger: listen on it directly.
          logger.addHandler(handler);
          undo.add(() -> logger.removeHandler(handler));
        }
      }
      clampHandlers(root, rootLevel);
      root.setLevel(Level.ALL);
      root.addHandler(handler);
      undo.add(() -> {
        root.removeHandler(handler);
        root.setLevel(rootLevel);
      });
    }

    /** Keeps the handlers of {@code logger} showing what they showed at {@code level}. */
    private void clampHandlers(Logger logger, Level level) {
      for (Handler h : logger.getHandlers()) {
        Level was = h.getLevel();
        if (h != handler && was.intValue() < level.intValue()) {
          h.setLevel(level);
          undo.add(() -> h.setLevel(was));
        }
      }
    }

    private void installStreams() {
      PrintStream originalOut = System.out;
      PrintStream originalErr = System.err;
      outCharset = charset("stdout");
      errCharset = charset("stderr");
      out = new PrintStream(new Tee(originalOut, OUT), true, outCharset);
      err = new PrintStream(new Tee(originalErr, ERR), true, errCharset);
      System.setOut(out);
      System.setErr(err);
      undo.add(() -> {
        // Someone may have replaced them since; put back only what is still ours.
        if (System.out == out) {
          System.setOut(originalOut);
        }
        if (System.err == err) {
          System.setErr(originalErr);
        }
      });
    }

    /** The charset the JVM's own standard stream uses, so text reaches the console unchanged. */
    private static Charset charset(String stream) {
      for (String property : new String[] {stream + ".encoding", "sun." + stream + ".encoding"}) {
        String name = System.getProperty(property);
        if (name != null && Charset.isSupported(name)) {
          return Charset.forName(name);
        }
      }
      return Charset.defaultCharset();
    }

    void uninstall() {
      for (int i = undo.size() - 1; i >= 0; i--) {
        undo.get(i).run();
      }
    }
  }

  /** Writes through to the original stream and keeps a copy. */
  private static final class Tee extends OutputStream {
    private final PrintStream original;
    private final ByteArrayOutputStream copy;

    Tee(PrintStream original, ByteArrayOutputStream copy) {
      this.original = original;
      this.copy = copy;
    }

    @Override
    public void write(int b) {
      original.write(b);
      synchronized (LOCK) {
        copy.write(b);
      }
    }

    @Override
    public void write(byte[] b, int off, int len) {
      original.write(b, off, len);
      synchronized (LOCK) {
        copy.write(b, off, len);
      }
    }

    @Override
    public void flush() {
      original.flush();
    }
  }
}
