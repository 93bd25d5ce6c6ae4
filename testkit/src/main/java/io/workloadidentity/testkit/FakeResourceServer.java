package io.workloadidentity.testkit;

import static io.workloadidentity.testkit.internal.FakeServer.body;
import static io.workloadidentity.testkit.internal.FakeServer.json;

import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A stand-in for the service an SDK client calls with the credentials it got (S3, Key Vault, Cloud
 * Storage, ...): it answers every request with one fixed response and records it, so a test can
 * check what the client sent, e.g. the {@code Authorization} header or a SigV4 signature.
 *
 * <pre>{@code
 * try (FakeResourceServer vault = FakeResourceServer.builder().https(true).json("{\"value\":[]}").build()) {
 *   client.get(vault.url("/secrets/db"));
 *   String authorization = vault.takeRequest(Duration.ofSeconds(5)).header("Authorization").orElseThrow();
 * }
 * }</pre>
 *
 * <p>Faults ({@link #faults()}) answer JSON {@code {"error": code, "message": text}} with the
 * fault's status ({@link Fault#throttled()}: 429 with {@code Retry-After: 1}). Thread-safe. Closing
 * it stops the server.
 */
public final class FakeResourceServer extends FakeEndpoint {
  private final int status;
  private final String contentType;
  private final String body;
  private final Map<String, String> headers;

  private FakeResourceServer(Builder b) {
    super("resource", b.https, b.clock);
    this.status = b.status;
    this.contentType = b.contentType;
    this.body = b.body;
    this.headers = Map.copyOf(b.headers);
  }

  /**
   * Starts a server on plain HTTP that answers {@code 200 {}} to every request.
   *
   * @return the started server
   */
  public static FakeResourceServer start() {
    return builder().build();
  }

  /**
   * A builder for a server with another response or HTTPS.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  @Override
  MockResponse handle(RecordedRequest request) {
    MockResponse.Builder response = body(status, contentType, body).newBuilder();
    headers.forEach(response::setHeader);
    return response.build();
  }

  @Override
  MockResponse renderFault(Fault fault, RecordedRequest request) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("error", fault.code().orElse(fault.kind().name()));
    error.put("message", fault.message().orElse(""));
    MockResponse response = json(fault.status(), error);
    return fault.kind() == Fault.Kind.THROTTLED ? response.newBuilder().setHeader("Retry-After", "1").build() : response;
  }

  /** Settings of a {@link FakeResourceServer}. Not thread-safe. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private boolean https;
    private int status = 200;
    private String contentType = "application/json";
    private String body = "{}";
    private final Map<String, String> headers = new LinkedHashMap<>();

    private Builder() {}

    /**
     * The clock for the requests' {@link ReceivedRequest#receivedAt()} and the rate-limit windows.
     *
     * @param clock the clock; default system UTC
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Whether to serve HTTPS with a certificate from the testkit CA (trusted by {@link
     * FakeEndpoint#sslContext()}), as the SDKs of Azure require.
     *
     * @param https true for HTTPS; default false
     * @return this builder
     */
    public Builder https(boolean https) {
      this.https = https;
      return this;
    }

    /**
     * The status of every answer.
     *
     * @param status an HTTP status, 100 to 599; default 200
     * @return this builder
     * @throws IllegalArgumentException if it is not an HTTP status
     */
    public Builder status(int status) {
      if (status < 100 || status > 599) {
        throw new IllegalArgumentException("Not an HTTP status: " + status);
      }
      this.status = status;
      return this;
    }

    /**
     * A header to send with every answer (set again: replaced).
     *
     * @param name the header name
     * @param value its value
     * @return this builder
     */
    public Builder header(String name, String value) {
      headers.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * The body of every answer.
     *
     * @param contentType its content type ({@code ; charset=utf-8} is added to {@code text/} types)
     * @param body the body text
     * @return this builder
     */
    public Builder body(String contentType, String body) {
      this.contentType = Objects.requireNonNull(contentType, "contentType");
      this.body = Objects.requireNonNull(body, "body");
      return this;
    }

    /**
     * A JSON body for every answer; default {@code {}}.
     *
     * @param json the JSON text
     * @return this builder
     */
    public Builder json(String json) {
      return body("application/json", json);
    }

    /**
     * Starts the server.
     *
     * @return the started server
     */
    public FakeResourceServer build() {
      return new FakeResourceServer(this);
    }
  }
}
