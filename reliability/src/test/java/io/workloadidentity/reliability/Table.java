package io.workloadidentity.reliability;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.Set;

/**
 * One scenario's figures: each row goes to standard output and is appended, as Markdown, to {@code
 * target/reliability/figures.md} (the table's heading and header line before its first row). RELIABILITY.md is
 * written from that file.
 */
final class Table {
  private static final Set<String> STARTED = ConcurrentHashMap.newKeySet();
  private static final Path FILE = Path.of(System.getProperty("reliability.figures", "target/reliability/figures.md"));

  static {
    try {
      Files.deleteIfExists(FILE); // one run's figures: this JVM's
    } catch (IOException e) {
      throw new UncheckedIOException("Could not remove the figures of the previous run, " + FILE, e);
    }
  }
  private final String title;
  private final List<String> columns;

  private Table(String title, List<String> columns) {
    this.title = title;
    this.columns = columns;
  }

  static Table of(String title, String... columns) {
    return new Table(title, List.of(columns));
  }

  /** Prints and appends one row; the values are counts and bounds, in the order of the columns. */
  synchronized void row(Object... values) {
    if (values.length != columns.size()) {
      throw new IllegalArgumentException(title + ": " + columns.size() + " columns, " + values.length + " values");
    }
    StringBuilder md = new StringBuilder();
    if (STARTED.add(title)) {
      md.append("\n### ").append(title).append(" (").append(Profile.name()).append(" run)\n\n|");
      columns.forEach(c -> md.append(' ').append(c).append(" |"));
      md.append("\n|");
      columns.forEach(c -> md.append("---|"));
      md.append('\n');
    }
    StringBuilder line = new StringBuilder("|");
    for (Object v : values) {
      line.append(' ').append(v).append(" |");
    }
    md.append(line).append('\n');
    System.out.println("[reliability] " + title + ": " + line);
    try {
      Files.createDirectories(FILE.toAbsolutePath().getParent());
      Files.writeString(FILE, md, StandardCharsets.UTF_8, StandardOpenOption.CREATE, StandardOpenOption.APPEND);
    } catch (IOException e) {
      throw new UncheckedIOException("Could not append the figures to " + FILE, e);
    }
  }
}
