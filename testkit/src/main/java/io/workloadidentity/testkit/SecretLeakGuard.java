package io.workloadidentity.testkit;

import io.workloadidentity.testkit.internal.OutputCapture;
import io.workloadidentity.testkit.internal.OutputCapture.Observation;
import io.workloadidentity.testkit.internal.SecretRegistry;
import io.workloadidentity.testkit.internal.SecretRegistry.Sighting;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArraySet;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * JUnit 5 extension that fails a test when a secret reaches anything a user could see: a log
 * record, the console, or an exception or {@code toString()} the test hands to {@link #inspect}.
 *
 * <pre>{@code
 * @ExtendWith(SecretLeakGuard.class)
 * class MyCredentialsTest { ... }
 *
 * // or configured:
 * @RegisterExtension
 * static final SecretLeakGuard LEAKS = SecretLeakGuard.builder()
 *     .secrets(System.getenv("MY_TEST_SECRET"))
 *     .forbid(Pattern.compile("eyJ[\\w-]+\\.eyJ[\\w-]+\\.[\\w-]+"), "a JWT")
 *     .expectLogRecords(true)
 *     .build();
 * }</pre>
 *
 * <p><b>What it looks for.</b> Every secret the testkit's fakes handed out, from the moment they
 * were minted: tokens signed by {@link KubernetesCluster}, secret access keys and session tokens of
 * {@link FakeAwsSts} and {@link FakeAwsPodIdentityAgent}, access tokens of {@link FakeEntraId},
 * {@link FakeGcp} and {@link FakeGcpMetadataServer}; plus secrets registered with {@link
 * #secret(String)} or {@link Builder#secrets}; each also URL-encoded and JSON-escaped, and a JWT's
 * signature alone. Optionally, anything matching a {@linkplain Builder#forbid pattern}.
 *
 * <p><b>Where.</b> Every {@code java.util.logging} record at every level, FINE and below included
 * (lazily built debug messages are rendered): its message, formatted message, each parameter's
 * {@code toString()}, and its exception (stack trace, and each cause's and suppressed exception's
 * {@code getMessage()} and {@code toString()}). That covers {@code System.Logger} (which goes to
 * {@code java.util.logging} by default) and SLF4J when bound to it ({@code slf4j-jdk14}, {@code
 * slf4j-jdk-platform-logging}). Everything written to {@code System.out} and {@code System.err},
 * which covers console loggers and SLF4J's simple binding. And what the test passes to {@link
 * #inspect} or {@link #assertNoSecrets}. Records of the JDK's HTTP wire trace ({@code sun.net.www.},
 * an opt-in debugging aid that prints headers) are ignored unless {@link Builder#ignoreLoggers}
 * says otherwise.
 *
 * <p><b>When.</b> After each test, over what was captured since the previous test ended (or since
 * the class started, so {@code @BeforeAll} work counts for the first test); after the class, over
 * the rest. A leak fails the test (or the class) with where the secret appeared and a redacted
 * excerpt; the secret itself is never printed, only what it is and the first 12 hex digits of its
 * SHA-256.
 *
 * <p><b>Isolation.</b> The registry of secrets is JVM-wide and append-only: a secret minted in one
 * test must not leak in a later one either (caches and refresh threads outlive tests; a fixture in
 * {@code @BeforeAll} mints before any test), and registering can never make a guard pass. The
 * capture is JVM-wide too, so with tests running in parallel a leak is reported by the test that
 * was running when it was captured, which may not be the one that caused it.
 *
 * <p>While a guard is active the root logger, and every logger with an explicit level, log at
 * {@code ALL}; existing handlers are raised to their logger's previous level, so the console shows
 * what it showed before. Everything is restored when the last active guard finishes.
 */
public final class SecretLeakGuard implements BeforeAllCallback, BeforeEachCallback, AfterEachCallback,
    AfterAllCallback {
  /** Logger name prefixes ignored by default: the JDK's HttpURLConnection wire trace. */
  public static final List<String> DEFAULT_IGNORED_LOGGERS = List.of("sun.net.www.");

  private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(SecretLeakGuard.class);
  private static final Set<SecretLeakGuard> ACTIVE = new CopyOnWriteArraySet<>();
  private static final int EXCERPT = 160;

  private final List<Forbidden> patterns;
  private final List<String> ignoredLoggers;
  private final boolean expectLogRecords;
  /** Scopes this instance guards right now (a class and its nested classes share the instance). */
  private final AtomicInteger scopes = new AtomicInteger();

  /** A guard with the defaults, for {@code @ExtendWith(SecretLeakGuard.class)}. */
  public SecretLeakGuard() {
    this(new Builder());
  }

  private SecretLeakGuard(Builder b) {
    this.patterns = List.copyOf(b.patterns);
    this.ignoredLoggers = List.copyOf(b.ignoredLoggers);
    this.expectLogRecords = b.expectLogRecords;
  }

  /**
   * A builder for a guard to register with {@code @RegisterExtension}.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Registers a secret every guard in this JVM looks for from now on (the testkit's fakes register
   * what they mint themselves). Registering the same secret again is harmless.
   *
   * @param secret the secret; surrounding whitespace is ignored
   * @return {@code secret}, so a test can register a value where it obtains it
   * @throws IllegalArgumentException if it is shorter than 8 characters (too short to look for
   *     without false alarms)
   */
  public static String secret(String secret) {
    return SecretRegistry.register(secret, "a secret registered by the test");
  }

  /**
   * Checks at once that {@code userVisible} (an exception, with its causes and suppressed
   * exceptions, or any object's {@code toString()}) shows no secret, and hands it to the active
   * guards so it is checked again, after the test, against secrets registered later.
   *
   * @param userVisible what a user could see
   * @param <T> its type
   * @return {@code userVisible}
   * @throws AssertionError if it shows a registered secret or matches a pattern of an active guard
   */
  public static <T> T inspect(T userVisible) {
    OutputCapture.observe("inspected " + describe(userVisible), userVisible);
    assertNoSecrets(userVisible);
    return userVisible;
  }

  /**
   * Checks at once that {@code userVisible} (an exception, with its causes and suppressed
   * exceptions, or any object's {@code toString()}) shows no registered secret and matches no
   * pattern of an active guard.
   *
   * @param userVisible what a user could see
   * @throws AssertionError describing the leak (never showing the secret) if it does
   */
  public static void assertNoSecrets(Object userVisible) {
    List<Forbidden> forbidden = new ArrayList<>();
    ACTIVE.forEach(g -> forbidden.addAll(g.patterns));
    List<String> leaks = new ArrayList<>();
    for (String[] t : OutputCapture.texts("inspected " + describe(userVisible), userVisible)) {
      leaks.addAll(leaks(t[0], t[1], forbidden));
    }
    if (!leaks.isEmpty()) {
      throw new AssertionError(report("A secret appears in an object the test inspected", leaks));
    }
  }

  private static String describe(Object o) {
    return o == null ? "null" : o.getClass().getName();
  }

  @Override
  public void beforeAll(ExtensionContext context) {
    start(context);
  }

  @Override
  public void beforeEach(ExtensionContext context) {
    // Registered on an instance field, the guard misses beforeAll: then it guards each test alone.
    if (context.getStore(NAMESPACE).get(State.class, State.class) == null) {
      start(context);
    }
  }

  @Override
  public void afterEach(ExtensionContext context) {
    State state = context.getStore(NAMESPACE).get(State.class, State.class);
    if (state == null) {
      return;
    }
    if (state.owner.equals(context.getUniqueId())) {
      finish(context, state, "test " + context.getDisplayName());
    } else {
      check(state, "test " + context.getDisplayName());
    }
  }

  @Override
  public void afterAll(ExtensionContext context) {
    State state = context.getStore(NAMESPACE).get(State.class, State.class);
    if (state != null && state.owner.equals(context.getUniqueId())) {
      finish(context, state, "class " + context.getDisplayName() + " (after its tests)");
    }
  }

  private void start(ExtensionContext context) {
    if (scopes.getAndIncrement() == 0) {
      ACTIVE.add(this);
    }
    context.getStore(NAMESPACE).put(State.class, new State(context.getUniqueId(), OutputCapture.open()));
  }

  private void finish(ExtensionContext context, State state, String scope) {
    context.getStore(NAMESPACE).remove(State.class);
    try {
      check(state, scope);
      if (expectLogRecords && state.logRecords == 0) {
        throw new AssertionError("SecretLeakGuard captured no log record during " + scope + ": it is not"
            + " looking. Is logging wired to java.util.logging?");
      }
    } finally {
      state.cursor.close();
      if (scopes.decrementAndGet() == 0) {
        ACTIVE.remove(this);
      }
    }
  }

  private void check(State state, String scope) {
    List<String> leaks = new ArrayList<>();
    for (Observation o : state.cursor.drain()) {
      if (o.loggerName() != null && ignoredLoggers.stream().anyMatch(o.loggerName()::startsWith)) {
        continue;
      }
      if (o.logRecord() && o.source().endsWith(": message") && !o.loggerName().startsWith("org.junit.")) {
        state.logRecords++;
      }
      leaks.addAll(leaks(o.source(), o.text(), patterns));
    }
    if (!leaks.isEmpty()) {
      throw new AssertionError(report("A secret reached user-visible output during " + scope, leaks));
    }
  }

  private static String report(String headline, List<String> leaks) {
    StringBuilder sb = new StringBuilder(headline).append(" (").append(leaks.size())
        .append(leaks.size() == 1 ? " sighting" : " sightings").append("; secrets shown as their SHA-256 prefix):");
    int shown = 0;
    for (String leak : leaks) {
      if (shown++ == 20) {
        sb.append("\n  ... and ").append(leaks.size() - 20).append(" more");
        break;
      }
      sb.append("\n  - ").append(leak);
    }
    return sb.toString();
  }

  /** One line per secret or pattern match found in {@code text}, with a redacted excerpt. */
  private static List<String> leaks(String source, String text, List<Forbidden> patterns) {
    if (text == null || text.isEmpty()) {
      return List.of();
    }
    List<Sighting> sightings = SecretRegistry.find(text);
    List<int[]> matches = new ArrayList<>();
    List<String> matchNames = new ArrayList<>();
    for (Forbidden f : patterns) {
      Matcher m = f.pattern.matcher(text);
      while (m.find()) {
        if (m.end() > m.start()) {
          matches.add(new int[] {m.start(), m.end()});
          matchNames.add(f.description);
        }
      }
    }
    if (sightings.isEmpty() && matches.isEmpty()) {
      return List.of();
    }
    List<Redaction> redactions = new ArrayList<>();
    sightings.forEach(s -> redactions.add(new Redaction(s.start(), s.end(), "<secret sha256:" + s.fingerprint() + ">")));
    for (int i = 0; i < matches.size(); i++) {
      redactions.add(new Redaction(matches.get(i)[0], matches.get(i)[1], "<" + matchNames.get(i) + ">"));
    }
    List<String> out = new ArrayList<>();
    for (Sighting s : sightings) {
      out.add(s.kind() + s.form() + " (sha256:" + s.fingerprint() + ") in " + source + ": "
          + excerpt(text, s.start(), redactions));
    }
    for (int i = 0; i < matches.size(); i++) {
      out.add("text matching the forbidden pattern for " + matchNames.get(i) + " in " + source + ": "
          + excerpt(text, matches.get(i)[0], redactions));
    }
    return out;
  }

  private record Redaction(int start, int end, String replacement) {}

  /** Up to {@value #EXCERPT} characters around {@code at}, every secret and match replaced, on one line. */
  private static String excerpt(String text, int at, List<Redaction> redactions) {
    int from = Math.max(0, at - EXCERPT / 2);
    int to = Math.min(text.length(), at + EXCERPT);
    // Widen the window over any redaction it cuts, so no part of a secret slips through.
    for (Redaction r : redactions) {
      if (r.start < from && r.end > from) {
        from = r.start;
      }
      if (r.start < to && r.end > to) {
        to = r.end;
      }
    }
    List<Redaction> inside = new ArrayList<>();
    for (Redaction r : redactions) {
      if (r.start >= from && r.end <= to) {
        inside.add(r);
      }
    }
    inside.sort(Comparator.comparingInt(Redaction::start));
    StringBuilder sb = new StringBuilder(from > 0 ? "..." : "");
    int pos = from;
    for (Redaction r : inside) {
      if (r.start < pos) { // overlapping redactions: the earlier one already hid this part
        pos = Math.max(pos, r.end);
        continue;
      }
      sb.append(text, pos, r.start).append(r.replacement);
      pos = r.end;
    }
    sb.append(text, pos, Math.max(pos, to)).append(to < text.length() ? "..." : "");
    return '"' + sb.toString().replace("\r", "\\r").replace("\n", "\\n").replace("\t", "\\t") + '"';
  }

  /** The capture of one scope (a class, or a test when the guard missed beforeAll). */
  private static final class State {
    final String owner;
    final OutputCapture.Cursor cursor;
    int logRecords;

    State(String owner, OutputCapture.Cursor cursor) {
      this.owner = owner;
      this.cursor = cursor;
    }
  }

  private record Forbidden(Pattern pattern, String description) {}

  /** Settings of a {@link SecretLeakGuard}. Not thread-safe. */
  public static final class Builder {
    private final List<Forbidden> patterns = new ArrayList<>();
    private final List<String> ignoredLoggers = new ArrayList<>(DEFAULT_IGNORED_LOGGERS);
    private boolean expectLogRecords;

    private Builder() {}

    /**
     * Registers secrets to look for, JVM-wide, as {@link SecretLeakGuard#secret(String)} does.
     *
     * @param secrets the secrets, each at least 8 characters
     * @return this builder
     * @throws IllegalArgumentException if one is shorter than 8 characters
     */
    public Builder secrets(String... secrets) {
      for (String s : secrets) {
        secret(Objects.requireNonNull(s, "secret"));
      }
      return this;
    }

    /**
     * Also fails on any text matching {@code pattern}, registered or not: for secrets of a shape you
     * know but did not obtain through the testkit (any JWT, say). The match is not printed either.
     * {@link SecretLeakGuard#inspect} and {@link SecretLeakGuard#assertNoSecrets} apply the
     * patterns of every active guard.
     *
     * @param pattern what must not appear
     * @param description what it is, for the failure message ("a JWT")
     * @return this builder
     */
    public Builder forbid(Pattern pattern, String description) {
      patterns.add(new Forbidden(Objects.requireNonNull(pattern, "pattern"),
          Objects.requireNonNull(description, "description")));
      return this;
    }

    /**
     * The logger name prefixes whose records are not checked, replacing the {@linkplain
     * #DEFAULT_IGNORED_LOGGERS defaults}. Use it only for debug output that prints secrets by design
     * and is never on in production.
     *
     * @param prefixes logger name prefixes; none to check every record
     * @return this builder
     */
    public Builder ignoreLoggers(String... prefixes) {
      ignoredLoggers.clear();
      for (String p : prefixes) {
        ignoredLoggers.add(Objects.requireNonNull(p, "prefix"));
      }
      return this;
    }

    /**
     * Whether to fail when no log record was captured in the guard's scope (the class, or the test
     * for a guard registered on an instance field): proof that the guard is looking, for suites
     * whose code under test does log. JUnit's own records ({@code org.junit.}) do not count.
     * Default false.
     *
     * @param expect true to require at least one log record
     * @return this builder
     */
    public Builder expectLogRecords(boolean expect) {
      this.expectLogRecords = expect;
      return this;
    }

    /**
     * Builds the guard.
     *
     * @return the guard, to register with {@code @RegisterExtension}
     */
    public SecretLeakGuard build() {
      return new SecretLeakGuard(this);
    }
  }
}
