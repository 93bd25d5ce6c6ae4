package io.workloadidentity.core;

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
 * Captures every log record (at every level, so lazily built DEBUG messages are rendered too) while a
 * test class runs, plus every exception and {@code toString()} the tests hand to {@link #inspect},
 * and fails the class if any of them contains a raw token the tests {@linkplain #secret registered}.
 */
final class SecretLeakGuard implements BeforeAllCallback, AfterAllCallback {
  private static final Set<String> SECRETS = ConcurrentHashMap.newKeySet();
  private static final List<String> SEEN = new CopyOnWriteArrayList<>();
  private Handler handler;
  private Level previous;

  /** Registers a raw token that must never appear in output; returns it. */
  static String secret(String rawToken) {
    SECRETS.add(rawToken.strip());
    return rawToken;
  }

  /** Records text a user could see (an exception's messages and causes, a toString()). */
  static void inspect(Object userVisible) {
    if (userVisible instanceof Throwable t) {
      StringWriter sw = new StringWriter();
      t.printStackTrace(new PrintWriter(sw));
      SEEN.add(sw.toString());
    } else {
      SEEN.add(String.valueOf(userVisible));
    }
  }

  /** The texts that contain a secret, or any secret's signature part (as good as the token for a replay). */
  static List<String> findLeaks(java.util.Collection<String> texts, java.util.Collection<String> secrets) {
    List<String> leaks = new java.util.ArrayList<>();
    for (String text : texts) {
      for (String secret : secrets) {
        String signature = secret.substring(secret.lastIndexOf('.') + 1);
        if (text.contains(secret) || (signature.length() >= 16 && text.contains(signature))) {
          leaks.add(text);
        }
      }
    }
    return leaks;
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
    assertThat(SEEN).as("the guard captured nothing: is logging wired to java.util.logging?").isNotEmpty();
    assertThat(findLeaks(SEEN, SECRETS)).as("user-visible output containing a raw token").isEmpty();
  }
}
