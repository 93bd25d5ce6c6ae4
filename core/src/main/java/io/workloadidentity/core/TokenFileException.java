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

  // Transient: Path is not Serializable. The message names the file anyway.
  private final transient Path path;
  /** The environment variable or system property that named the file, or {@code null} if not known. */
  private final String variable;

  /**
   * A token file problem.
   *
   * @param message what was found at the path and the likely fix; never file content
   * @param path the file that could not be used, as configured (before symbolic links are resolved)
   * @param variable the environment variable or system property that named {@code path}, or {@code
   *     null} when the path came from code or is not known
   * @param cause the I/O failure, or {@code null} when the file was refused without one (for example
   *     a directory)
   */
  public TokenFileException(String message, Path path, String variable, Throwable cause) {
    super(message, cause);
    this.path = path;
    this.variable = variable;
  }

  /**
   * The file that could not be read.
   *
   * @return the path as configured; {@code null} after deserialization, since a path is not
   *     serialized (the message still names it)
   */
  public Path path() {
    return path;
  }

  /**
   * The setting that pointed at the file, so that a message or a tool can say which one to fix.
   *
   * @return the environment variable or system property that named the file, empty if not known
   */
  public Optional<String> variable() {
    return Optional.ofNullable(variable);
  }
}
