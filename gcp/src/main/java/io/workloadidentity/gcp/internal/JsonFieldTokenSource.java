package io.workloadidentity.gcp.internal;

import com.google.api.client.json.GenericJson;
import com.google.api.client.json.gson.GsonFactory;
import io.workloadidentity.core.MalformedTokenException;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenExpiredException;
import io.workloadidentity.core.TokenFileException;
import io.workloadidentity.core.TokenSource;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
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
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(MAX_SIZE + 1);
    } catch (NoSuchFileException e) {
      throw new TokenFileException("Subject token file " + file + " (credential_source.file) does not exist.", file, null, e);
    } catch (IOException e) {
      throw new TokenFileException("Subject token file " + file + " cannot be read: " + e, file, null, e);
    }
    if (bytes.length > MAX_SIZE) {
      throw new MalformedTokenException("Subject token file " + file + " is larger than 64 KiB.");
    }
    Object value;
    try {
      GenericJson json = GsonFactory.getDefaultInstance().fromString(new String(bytes, StandardCharsets.UTF_8), GenericJson.class);
      value = json == null ? null : json.get(field);
    } catch (IOException | RuntimeException e) {
      throw new MalformedTokenException("Subject token file " + file + " is not JSON, but credential_source.format.type is json.");
    }
    if (!(value instanceof String s) || s.isBlank()) {
      throw new MalformedTokenException("Subject token file " + file + " has no string field \"" + field
          + "\" (credential_source.format.subject_token_field_name).");
    }
    ProjectedToken token = ProjectedToken.parse(s);
    if (token.isExpiredAt(clock.instant())) {
      throw new TokenExpiredException("The token in " + file + " (field " + field + ") expired at " + token.expiresAt()
          + ": whatever writes this file is not refreshing it.", token.expiresAt());
    }
    return token;
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
