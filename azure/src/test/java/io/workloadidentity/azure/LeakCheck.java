package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class if a raw projected token or access token shows up in a log record (captured at
 * every level, so lazy DEBUG messages are rendered too), or in an exception or {@code toString()}
 * handed to {@link #inspect}.
 */
final class LeakCheck implements BeforeAllCallback, AfterAllCallback {
  private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();
  private static final List<String> SEEN = new CopyOnWriteArrayList<>();
  private Handler handler;
  private Level previous;

  static String secret(String raw) {
    SECRETS.add(raw.strip());
    return raw;
  }

  static <T> T inspect(T userVisible) {
    if (userVisible instanceof Throwable t) {
      StringWriter sw = new StringWriter();
      t.printStackTrace(new PrintWriter(sw));
      SEEN.add(sw.toString());
    } else {
      SEEN.add(String.valueOf(userVisible));
    }
    return userVisible;
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    Logger root = Logger.getLogger("");
    previous = root.getLevel();
    root.setLevel(Level.ALL);
    SimpleFormatter formatter = new SimpleFormatter();
    handler = new Handler() {
      @Override
      public void publish(LogRecord r) {
        SEEN.add(formatter.format(r));
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    handler.setLevel(Level.ALL);
    root.addHandler(handler);
  }

  @Override
  public void afterAll(ExtensionContext context) {
    Logger root = Logger.getLogger("");
    root.removeHandler(handler);
    root.setLevel(previous);
    List<String> leaks = SEEN.stream().filter(s -> SECRETS.stream().anyMatch(s::contains)).toList();
    SEEN.clear();
    assertThat(leaks).as("user-visible output containing a raw token").isEmpty();
  }
}
