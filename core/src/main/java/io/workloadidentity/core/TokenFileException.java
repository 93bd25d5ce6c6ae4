package io.workloadidentity.core;

import java.nio.file.Path;
import java.util.Optional;

/**
 * The projected token file is missing or unreadable, is not a regular file (a directory, FIFO,
 * device or socket, refused before it is opened), or its symbolic links loop or point nowhere. The
 * message names the path, the variable that pointed to it (when known), what was found there, and
 * the likely fix: projected volume not mounted, webhook not applied, file permissions ({@code
 * fsGroup}), or a variable pointing at the wrong file.
 */
public class TokenFileException extends WorkloadIdentityException {
  private static final long serialVersionUID = 1L;

  private final transient Path path;
  private final String variable;

  /** A token file problem; {@code variable} is the environment variable that named {@code path}, or null. */
  public TokenFileException(String message, Path path, String variable, Throwable cause) {
    super(message, cause);
    this.path = path;
    this.variable = variable;
  }

  /** The file that could not be read. */
  public Path path() {
    return path;
  }

  /** The environment variable or system property that named the file, if known. */
  public Optional<String> variable() {
    return Optional.ofNullable(variable);
  }
}
