package io.workloadidentity.gcp;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Captures every log record of a test class at every level (so lazily built DEBUG messages are
 * rendered too) and fails the class if one contains a JWT or an access token. Exceptions the tests
 * see are checked with {@link #assertNoSecrets}.
 */
final class LeakGuard implements BeforeAllCallback, AfterAllCallback {
  /** A compact JWT (header.payload.signature), or an access token of the fakes (Google's ya29. prefix). */
  static final Pattern SECRET = Pattern.compile("eyJ[\\w-]{4,}\\.eyJ[\\w-]{4,}\\.[\\w-]{8,}|ya29\\.");
  private final List<String> seen = new CopyOnWriteArrayList<>();
  private Handler handler;
  private Level previous;

  @Override
  public void beforeAll(ExtensionContext context) {
    Logger root = Logger.getLogger("");
    previous = root.getLevel();
    handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLoggerName() != null && r.getLoggerName().startsWith("sun.net.www.")) {
          return; // the JDK's own FINE wire trace of HttpURLConnection, headers included: a debugging opt-in
        }
        String message = r.getMessage();
        if (r.getParameters() != null) {
          message += " " + List.of(r.getParameters());
        }
        seen.add(message + (r.getThrown() == null ? "" : "\n" + stackTrace(r.getThrown())));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    handler.setLevel(Level.ALL);
    root.addHandler(handler);
    root.setLevel(Level.ALL);
    for (Handler h : root.getHandlers()) {
      if (h != handler && h.getLevel().intValue() < Level.INFO.intValue()) {
        h.setLevel(Level.INFO); // keep the console as it was
      }
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    Logger root = Logger.getLogger("");
    root.removeHandler(handler);
    root.setLevel(previous);
    List<String> leaks = seen.stream().filter(s -> SECRET.matcher(s).find()).toList();
    if (!leaks.isEmpty()) {
      throw new AssertionError("A token appeared in " + leaks.size() + " log record(s), first: " + leaks.get(0));
    }
    if (seen.isEmpty()) {
      throw new AssertionError("LeakGuard captured no log record: it is not looking");
    }
  }

  /** Fails if the exception, its causes or their stack traces show a token. */
  static void assertNoSecrets(Throwable t) {
    String text = stackTrace(t);
    if (SECRET.matcher(text).find()) {
      throw new AssertionError("A token appears in an exception:\n" + text);
    }
  }

  static String stackTrace(Throwable t) {
    StringWriter sw = new StringWriter();
    t.printStackTrace(new PrintWriter(sw));
    return sw.toString();
  }
}
