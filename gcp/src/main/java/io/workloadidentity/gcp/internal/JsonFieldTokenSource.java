package io.workloadidentity.gcp.internal;

import com.google.api.client.json.GenericJson;
import com.google.api.client.json.gson.GsonFactory;
import io.workloadidentity.core.MalformedTokenException;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenFileException;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Redaction;
import io.workloadidentity.core.internal.Tokens;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.SeekableByteChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.util.Arrays;
import java.util.function.Consumer;

/**
 * A {@code credential_source.format.type = json} file: the token is one field of a JSON document. Read
 * on every call: this source is consulted once per exchange (a few times an hour), so caching and
 * watching would only add ways to serve a stale token. Kubernetes projected tokens use the text
 * format and the core's watched {@code FileTokenSource} instead.
 */
final class JsonFieldTokenSource implements TokenSource {
  private static final int MAX_SIZE = 64 * 1024;
  private final Path file;
  private final String field;
  private final Clock clock;

  JsonFieldTokenSource(Path file, String field, Clock clock) {
    this.file = file;
    this.field = field;
    this.clock = clock;
  }

  @Override
  public ProjectedToken token() {
    byte[] bytes = readRegularFile();
    Object value;
    try {
      GenericJson json = TokenResponses.depthWithin(new String(bytes, StandardCharsets.UTF_8), TokenResponses.MAX_DEPTH)
          ? GsonFactory.getDefaultInstance().fromString(new String(bytes, StandardCharsets.UTF_8), GenericJson.class)
          : null;
      value = json == null ? null : json.get(field);
    } catch (IOException | RuntimeException e) {
      throw new MalformedTokenException("Subject token file " + where() + " is not JSON, but credential_source.format.type"
          + " is json.");
    }
    if (!(value instanceof String s) || s.isBlank()) {
      throw new MalformedTokenException("Subject token file " + where() + " has no string field \""
          + Redaction.escape(field) + "\" (credential_source.format.subject_token_field_name).");
    }
    ProjectedToken token;
    try {
      token = ProjectedToken.parse(s);
    } catch (MalformedTokenException e) {
      throw new MalformedTokenException("Subject token file " + where() + ", field " + Redaction.escape(field) + ": "
          + e.getMessage());
    }
    Tokens.requireUsable(token, clock.instant(), file + " (json field " + field + ")");
    return token;
  }

  /**
   * Reads the file, at most {@value #MAX_SIZE} bytes, opening it only if it is a regular file: opening a
   * FIFO for reading blocks until a writer appears, and a device need not end. (The core's {@code
   * FileTokenSource} does the same for text token files, with more care for kubelet swaps; it reads
   * JWTs only, so JSON files are read here.)
   */
  private byte[] readRegularFile() {
    Path real;
    BasicFileAttributes attrs;
    try {
      real = file.toRealPath();
      attrs = Files.readAttributes(real, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      throw new TokenFileException("Subject token file " + where() + " does not exist.", file, null, e);
    } catch (IOException e) {
      throw new TokenFileException("Subject token file " + where() + " cannot be read: " + Redaction.describe(e), file,
          null, null);
    }
    if (!attrs.isRegularFile()) {
      throw new TokenFileException("Subject token file " + where() + " is not a regular file (it is "
          + (attrs.isDirectory() ? "a directory" : "a FIFO, device or socket") + "), so it is not opened: reading it"
          + " could block forever. Point credential_source.file at the token file itself.", file, null, null);
    }
    if (attrs.size() > MAX_SIZE) {
      throw new MalformedTokenException("Subject token file " + where() + " is larger than 64 KiB.");
    }
    ByteBuffer buf = ByteBuffer.allocate(MAX_SIZE + 1);
    try (SeekableByteChannel ch = Files.newByteChannel(real, StandardOpenOption.READ, LinkOption.NOFOLLOW_LINKS)) {
      while (buf.hasRemaining() && ch.read(buf) >= 0) {
        // a regular file: each read returns data or end of file
      }
    } catch (NoSuchFileException e) {
      throw new TokenFileException("Subject token file " + where() + " does not exist.", file, null, e);
    } catch (IOException e) {
      throw new TokenFileException("Subject token file " + where() + " cannot be read: " + Redaction.describe(e), file,
          null, null);
    }
    if (buf.position() > MAX_SIZE) {
      throw new MalformedTokenException("Subject token file " + where() + " is larger than 64 KiB.");
    }
    return Arrays.copyOf(buf.array(), buf.position());
  }

  private String where() {
    return Redaction.escape(file.toString()) + " (credential_source.file)";
  }

  @Override
  public ProjectedToken refresh() {
    return token();
  }

  @Override
  public Subscription onRotation(Consumer<ProjectedToken> listener) {
    return () -> {};
  }

  @Override
  public String description() {
    return file + " (json field " + field + ")";
  }
}
