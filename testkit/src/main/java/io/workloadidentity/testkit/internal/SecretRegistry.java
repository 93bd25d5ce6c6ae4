package io.workloadidentity.testkit.internal;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Every secret the testkit handed out or a test registered in this JVM, for the leak guard to look
 * for in logs, exceptions and console output.
 *
 * <p><b>JVM-wide and append-only, on purpose.</b> A token minted in one test can leak in another:
 * caches and refresh threads outlive the test that started them (the cloud modules share sessions
 * JVM-wide), and a fixture started in {@code @BeforeAll} mints before any test runs. So a secret is
 * never forgotten and never becomes acceptable output; registering is the only operation, and it
 * cannot make a guard pass.
 *
 * <p>Secrets are not kept: each is stored as its length, its last {@value #KEY} characters (to find
 * candidates) and a SHA-256, so the registry itself can show no secret (in a heap dump, a debugger
 * or a {@code toString()}) and stays small however many tokens the fakes mint. Along with the secret
 * itself it looks for its URL-encoded and JSON-escaped forms and, for a JWT, its signature (as good
 * as the token for a replay).
 */
public final class SecretRegistry {
  /** The shortest secret the registry accepts; shorter text would match by accident. */
  public static final int MIN_LENGTH = 8;
  private static final int KEY = MIN_LENGTH;
  private static final Map<String, List<Entry>> BY_SUFFIX = new ConcurrentHashMap<>();

  private SecretRegistry() {}

  /**
   * A place where a registered secret appears in a text.
   *
   * @param start the index of the first character of the secret (or of its variant) in the text
   * @param end the index after its last character
   * @param kind what the secret is, e.g. "a token minted by KubernetesCluster"
   * @param form which form appeared: "", " (URL-encoded)", " (its JWT signature)", ...
   * @param fingerprint the first 12 hex digits of the SHA-256 of the secret (UTF-8)
   */
  public record Sighting(int start, int end, String kind, String form, String fingerprint) {}

  private record Entry(int length, byte[] sha256, String kind, String form, String fingerprint) {}

  /**
   * Registers a secret to look for. Idempotent.
   *
   * @param secret the secret (surrounding whitespace is ignored)
   * @param kind what it is, for failure messages ("a session token issued by FakeAwsSts")
   * @return the secret as given
   * @throws IllegalArgumentException if the secret is shorter than {@link #MIN_LENGTH} characters
   */
  public static String register(String secret, String kind) {
    Objects.requireNonNull(secret, "secret");
    Objects.requireNonNull(kind, "kind");
    String raw = secret.strip();
    if (raw.length() < MIN_LENGTH) {
      throw new IllegalArgumentException("A secret of " + raw.length() + " characters is too short to look for"
          + " without false alarms; register at least " + MIN_LENGTH);
    }
    String fingerprint = fingerprint(raw);
    add(raw, kind, "", fingerprint);
    String urlEncoded = URLEncoder.encode(raw, StandardCharsets.UTF_8);
    if (!urlEncoded.equals(raw)) {
      add(urlEncoded, kind, " (URL-encoded)", fingerprint);
    }
    String jsonEscaped = raw.replace("\\", "\\\\").replace("/", "\\/").replace("\"", "\\\"");
    if (!jsonEscaped.equals(raw)) {
      add(jsonEscaped, kind, " (JSON-escaped)", fingerprint);
    }
    String[] parts = raw.split("\\.", -1);
    if (parts.length == 3 && parts[2].length() >= 16) {
      add(parts[2], kind, " (its JWT signature)", fingerprint);
    }
    return secret;
  }

  /**
   * Where registered secrets appear in {@code text}.
   *
   * @param text the text to search
   * @return the sightings, in order of their end position (empty if none); a secret's signature
   *     inside the whole secret is reported once, as the secret
   */
  public static List<Sighting> find(String text) {
    List<Sighting> found = new ArrayList<>();
    if (text == null || text.length() < KEY || BY_SUFFIX.isEmpty()) {
      return found;
    }
    for (int end = KEY; end <= text.length(); end++) {
      List<Entry> candidates = BY_SUFFIX.get(text.substring(end - KEY, end));
      if (candidates == null) {
        continue;
      }
      for (Entry e : candidates) {
        int start = end - e.length;
        if (start >= 0 && Arrays.equals(sha256(text.substring(start, end)), e.sha256)) {
          found.add(new Sighting(start, end, e.kind, e.form, e.fingerprint));
        }
      }
    }
    // A whole JWT also contains its signature: report the token once, not its parts again.
    found.removeIf(inner -> found.stream().anyMatch(outer -> outer != inner
        && outer.fingerprint.equals(inner.fingerprint) && outer.start <= inner.start && inner.end <= outer.end
        && outer.end - outer.start > inner.end - inner.start));
    return found;
  }

  /**
   * The fingerprint failure messages show instead of a secret.
   *
   * @param secret the secret
   * @return the first 12 hex digits of its SHA-256 (UTF-8)
   */
  public static String fingerprint(String secret) {
    return HexFormat.of().formatHex(sha256(secret.strip()), 0, 6);
  }

  private static void add(String variant, String kind, String form, String fingerprint) {
    byte[] hash = sha256(variant);
    List<Entry> list = BY_SUFFIX.computeIfAbsent(variant.substring(variant.length() - KEY),
        k -> new CopyOnWriteArrayList<>());
    synchronized (list) {
      for (Entry e : list) {
        if (e.length == variant.length() && Arrays.equals(e.sha256, hash)) {
          return;
        }
      }
      list.add(new Entry(variant.length(), hash, kind, form, fingerprint));
    }
  }

  private static byte[] sha256(String s) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is required by every JVM", e);
    }
  }
}
