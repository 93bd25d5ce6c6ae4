package io.workloadidentity.core.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The hosts a proxy setting exempts ({@code NO_PROXY}, {@code http.nonProxyHosts}), matched without
 * regular expressions. The values come from the environment and system properties, which this
 * library does not trust: turned into a regular expression, as SDKs do ({@code *} becomes {@code
 * .*?}), a value of many {@code *} backtracks for hours on every request. Here each entry is a glob
 * whose only wildcard is {@code *}, matched greedily in time linear in the host per star, and the
 * list is bounded ({@value #MAX_ENTRIES} entries of at most {@value #MAX_ENTRY_LENGTH} characters;
 * the rest is ignored).
 *
 * <p>Entries are separated by {@code |}, {@code ,} or white space and compared without case; a
 * leading {@code .} means the domain and its subdomains ({@code .example.com}, as curl reads {@code
 * NO_PROXY}); a lone {@code *} exempts every host.
 */
public final class NonProxyHosts {
  /** Entries beyond this many are ignored. */
  public static final int MAX_ENTRIES = 64;
  /** Longer entries are ignored. */
  public static final int MAX_ENTRY_LENGTH = 255;

  private final List<String> globs;

  private NonProxyHosts(List<String> globs) {
    this.globs = List.copyOf(globs);
  }

  /**
   * Parses the lists given (null or blank ones are skipped).
   *
   * @param lists values such as {@code NO_PROXY} and {@code http.nonProxyHosts}
   * @return the exemptions
   */
  public static NonProxyHosts parse(String... lists) {
    List<String> globs = new ArrayList<>();
    for (String list : lists) {
      if (list == null) {
        continue;
      }
      int start = 0;
      for (int i = 0; i <= list.length() && globs.size() < MAX_ENTRIES; i++) {
        if (i == list.length() || isSeparator(list.charAt(i))) {
          if (i > start && i - start <= MAX_ENTRY_LENGTH) {
            globs.add(list.substring(start, i).toLowerCase(Locale.ROOT));
          }
          start = i + 1;
        }
      }
    }
    return new NonProxyHosts(globs);
  }

  private static boolean isSeparator(char c) {
    return c == '|' || c == ',' || Character.isWhitespace(c);
  }

  /**
   * Whether {@code host} is exempt from the proxy.
   *
   * @param host the request's host, as in its URI
   * @return true when an entry matches it
   */
  public boolean matches(String host) {
    if (host == null || host.length() > MAX_ENTRY_LENGTH) {
      return false;
    }
    String h = host.toLowerCase(Locale.ROOT);
    for (String glob : globs) {
      if (glob.startsWith(".") ? h.endsWith(glob) || h.equals(glob.substring(1)) : matches(glob, h)) {
        return true;
      }
    }
    return false;
  }

  /**
   * Glob matching with {@code *} only: the classic greedy algorithm, which on a mismatch resumes
   * just after the last star rather than trying every split (no exponential backtracking; at most
   * glob length times text length steps).
   */
  static boolean matches(String glob, String text) {
    int g = 0;
    int t = 0;
    int star = -1;
    int resume = 0;
    while (t < text.length()) {
      if (g < glob.length() && glob.charAt(g) == '*') {
        star = g++;
        resume = t;
      } else if (g < glob.length() && glob.charAt(g) == text.charAt(t)) {
        g++;
        t++;
      } else if (star >= 0) {
        g = star + 1;
        t = ++resume;
      } else {
        return false;
      }
    }
    while (g < glob.length() && glob.charAt(g) == '*') {
      g++;
    }
    return g == glob.length();
  }

  @Override
  public String toString() {
    return "NonProxyHosts" + globs;
  }
}
