package io.workloadidentity.aws;

import io.workloadidentity.testkit.SecretLeakGuard;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;

/**
 * A local HTTP server answering exactly what a test scripts, for responses the testkit's faithful
 * fakes never give: missing or empty fields, wrong types, absurd expiries, huge bodies, a body sent
 * one byte every few seconds. It counts the requests it received (to assert that a refused input
 * sent none). The helpers mint credentials whose secret parts are registered with the {@link
 * SecretLeakGuard}, so any leak into a message or log fails the test.
 */
public final class ScriptedServer implements AutoCloseable {
  private final MockWebServer server = new MockWebServer();

  /** Starts a server on 127.0.0.1 with an ephemeral port. */
  public ScriptedServer() {
    try {
      server.start(java.net.InetAddress.getLoopbackAddress(), 0);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * The URL of a path on this server.
   *
   * @param path starting with {@code /}
   * @return {@code http://127.0.0.1:PORT/path}
   */
  public URI url(String path) {
    return URI.create("http://127.0.0.1:" + server.getPort() + path);
  }

  /**
   * How many requests arrived.
   *
   * @return the count
   */
  public int requestCount() {
    return server.getRequestCount();
  }

  /**
   * The next request's raw Authorization header, waiting up to five seconds.
   *
   * @return the header, or null
   * @throws InterruptedException if interrupted
   */
  public String takeAuthorization() throws InterruptedException {
    mockwebserver3.RecordedRequest r = server.takeRequest(5, TimeUnit.SECONDS);
    return r == null ? null : r.getHeaders().get("Authorization");
  }

  /**
   * Answers the next request with this status and body.
   *
   * @param status the HTTP status
   * @param contentType the content type
   * @param body the body
   * @return this
   */
  public ScriptedServer answer(int status, String contentType, String body) {
    return answer(status, contentType, body, java.util.Map.of());
  }

  /**
   * Answers the next request with this status, body and extra headers.
   *
   * @param status the HTTP status
   * @param contentType the content type
   * @param body the body
   * @param headers more headers ({@code Date}, {@code Location}...)
   * @return this
   */
  public ScriptedServer answer(int status, String contentType, String body, java.util.Map<String, String> headers) {
    MockResponse.Builder b = new MockResponse.Builder().code(status).setHeader("Content-Type", contentType).body(body);
    headers.forEach(b::setHeader);
    server.enqueue(b.build());
    return this;
  }

  /**
   * Answers the next request with headers at once and then the body one byte every {@code every}.
   *
   * @param status the HTTP status
   * @param body the body
   * @param every the pause between bytes
   * @return this
   */
  public ScriptedServer drip(int status, String body, Duration every) {
    server.enqueue(new MockResponse.Builder().code(status).setHeader("Content-Type", "application/json").body(body)
        .throttleBody(1, every.toMillis(), TimeUnit.MILLISECONDS).build());
    return this;
  }

  /**
   * Answers the next request with a chunked body of this size, made of spaces after an opening brace.
   *
   * @param status the HTTP status
   * @param bytes the body size
   * @return this
   */
  public ScriptedServer huge(int status, int bytes) {
    return huge(status, "{", bytes);
  }

  /**
   * Answers the next request with a chunked body of this size: {@code prefix}, then spaces.
   *
   * @param status the HTTP status
   * @param prefix how the body starts (an XML start tag, say, so that a parser keeps reading)
   * @param bytes the body size
   * @return this
   */
  public ScriptedServer huge(int status, String prefix, int bytes) {
    StringBuilder sb = new StringBuilder(bytes).append(prefix);
    while (sb.length() < bytes) {
      sb.append(' ');
    }
    server.enqueue(new MockResponse.Builder().code(status).setHeader("Content-Type", "application/json")
        .chunkedBody(sb.toString(), 8192).build());
    return this;
  }

  @Override
  public void close() {
    server.close();
  }

  // ---- credentials documents -------------------------------------------------------------------

  /** Fresh credentials; the secret key and session token are registered with the leak guard. */
  public record Creds(String accessKeyId, String secretAccessKey, String sessionToken) {
    /**
     * Mints a new set.
     *
     * @return the credentials
     */
    public static Creds mint() {
      String id = UUID.randomUUID().toString().replace("-", "").toUpperCase(java.util.Locale.ROOT);
      return new Creds("ASIA" + id.substring(0, 16),
          SecretLeakGuard.secret("SecretKey" + UUID.randomUUID().toString().replace("-", "")),
          SecretLeakGuard.secret("SessionToken" + UUID.randomUUID() + UUID.randomUUID()));
    }
  }

  /**
   * The Pod Identity agent's JSON.
   *
   * @param c the credentials
   * @param expiration the Expiration member's raw text
   * @return the document
   */
  public static String podIdentityJson(Creds c, String expiration) {
    return "{\"AccessKeyId\":\"" + c.accessKeyId() + "\",\"SecretAccessKey\":\"" + c.secretAccessKey()
        + "\",\"Token\":\"" + c.sessionToken() + "\",\"AccountId\":\"444455556666\",\"Expiration\":\"" + expiration
        + "\"}";
  }

  /**
   * The Pod Identity agent's JSON expiring at {@code expiration}.
   *
   * @param c the credentials
   * @param expiration when they expire
   * @return the document
   */
  public static String podIdentityJson(Creds c, Instant expiration) {
    return podIdentityJson(c, expiration.truncatedTo(ChronoUnit.SECONDS).toString());
  }

  /**
   * STS's success document with the given {@code <Credentials>} members (raw XML, so a test can drop
   * or empty one).
   *
   * @param credentialsXml the content of the Credentials element
   * @return the document
   */
  public static String stsXml(String credentialsXml) {
    return "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">"
        + "<AssumeRoleWithWebIdentityResult><AssumedRoleUser>"
        + "<Arn>arn:aws:sts::111122223333:assumed-role/orders/app</Arn><AssumedRoleId>AROAEXAMPLE:app</AssumedRoleId>"
        + "</AssumedRoleUser><Credentials>" + credentialsXml + "</Credentials>"
        + "</AssumeRoleWithWebIdentityResult><ResponseMetadata><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7"
        + "</RequestId></ResponseMetadata></AssumeRoleWithWebIdentityResponse>";
  }

  /**
   * The four Credentials members.
   *
   * @param c the credentials
   * @param expiration the Expiration member's raw text
   * @return XML for {@link #stsXml}
   */
  public static String stsCredentials(Creds c, String expiration) {
    return "<AccessKeyId>" + c.accessKeyId() + "</AccessKeyId><SecretAccessKey>" + c.secretAccessKey()
        + "</SecretAccessKey><SessionToken>" + c.sessionToken() + "</SessionToken><Expiration>" + expiration
        + "</Expiration>";
  }
}
