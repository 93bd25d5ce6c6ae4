package io.workloadidentity.testkit;

import static io.workloadidentity.testkit.internal.FakeServer.json;
import static io.workloadidentity.testkit.internal.FakeServer.body;
import static io.workloadidentity.testkit.internal.FakeServer.query;

import io.workloadidentity.testkit.internal.SecretRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A local stand-in for the GKE metadata server (GKE Workload Identity), plain HTTP on 127.0.0.1 like
 * the real one on 169.254.169.254. Point clients at it with {@code GCE_METADATA_HOST=127.0.0.1:PORT}
 * ({@link #host()}).
 *
 * <p>Serves {@code GET /computeMetadata/v1/instance/service-accounts/default/token[?scopes=a,b]}
 * ({@code {"access_token","expires_in","token_type"}}), {@code .../default/email}, {@code
 * /computeMetadata/v1/project/project-id} and {@code /computeMetadata/v1/universe/universe-domain};
 * every request must carry {@code Metadata-Flavor: Google} (403 otherwise) and every response
 * carries it. A pod that starts before the metadata server answers is modelled with faults:
 * {@code faults().failNext(3, Fault.connectionReset())}; a node pool without Workload Identity with
 * {@code faults().failAlways(Fault.error(404, "", "..."))}. Errors are plain text, as the real server
 * sends them. Thread-safe.
 */
public final class FakeGcpMetadataServer extends FakeEndpoint {
  /** The token path. */
  public static final String TOKEN_PATH = "/computeMetadata/v1/instance/service-accounts/default/token";

  private final String serviceAccount;
  private final String projectId;
  private final Duration tokenLifetime;
  private final Map<String, Issued> issued = new ConcurrentHashMap<>();

  private FakeGcpMetadataServer(Builder b) {
    super("gcp-metadata", false, b.clock);
    this.serviceAccount = b.serviceAccount;
    this.projectId = b.projectId;
    this.tokenLifetime = b.tokenLifetime;
  }

  /**
   * Starts a metadata server with the defaults: system clock, 3599-second tokens, service account
   * {@code my-project.svc.id.goog}, project {@code my-project}.
   *
   * @return the started server, answering at once
   */
  public static FakeGcpMetadataServer start() {
    return builder().build();
  }

  /**
   * A builder for a metadata server with another clock, token lifetime, service account or project.
   *
   * @return a builder with the defaults of {@link #start()}
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Where the server listens, in the form google-auth reads from the environment.
   *
   * @return {@code 127.0.0.1:PORT}, the value for {@code GCE_METADATA_HOST} (no scheme, no path)
   */
  public String host() {
    return "127.0.0.1:" + port();
  }

  /**
   * The scopes a token was issued for, to check what a client asked for.
   *
   * @param accessToken the access token as the client received it
   * @return the requested scopes, {@code cloud-platform} when the request named none; empty if this
   *     server did not issue the token
   */
  public Optional<List<String>> scopesOf(String accessToken) {
    return Optional.ofNullable(issued.get(accessToken)).map(Issued::scopes);
  }

  @Override
  MockResponse handle(RecordedRequest request) {
    if (!"Google".equals(request.getHeaders().get("Metadata-Flavor"))) {
      return text(403, "Missing required header \"Metadata-Flavor\": \"Google\"\n");
    }
    if (!"GET".equals(request.getMethod())) {
      return text(405, "Method not allowed\n");
    }
    String path = request.getUrl().encodedPath();
    return switch (path) {
      case TOKEN_PATH -> token(request);
      case "/computeMetadata/v1/instance/service-accounts/default/email" -> text(200, serviceAccount);
      case "/computeMetadata/v1/project/project-id" -> text(200, projectId);
      case "/computeMetadata/v1/universe/universe-domain" -> text(200, "googleapis.com");
      default -> text(404, "Not Found\n");
    };
  }

  @Override
  MockResponse renderFault(Fault fault, RecordedRequest request) {
    return switch (fault.kind()) {
      case THROTTLED -> text(429, "Too many requests\n");
      case SERVER_ERROR -> text(fault.status(), fault.status() == 503 ? "Service Unavailable\n" : "Internal Server Error\n");
      default -> text(fault.status(), fault.message().orElse("") + "\n");
    };
  }

  private MockResponse token(RecordedRequest request) {
    String scopesParam = query(request).getOrDefault("scopes", "");
    List<String> scopes = scopesParam.isEmpty() ? List.of(FakeGcp.CLOUD_PLATFORM) : List.of(scopesParam.split(","));
    String token = SecretRegistry.register("ya29.fake-mds-" + UUID.randomUUID(),
        "an access token issued by FakeGcpMetadataServer");
    issued.put(token, new Issued(scopes, clock().instant().plus(tokenLifetime)));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", token);
    body.put("expires_in", tokenLifetime.getSeconds());
    body.put("token_type", "Bearer");
    return json(200, body).newBuilder().setHeader("Metadata-Flavor", "Google").build();
  }

  private static MockResponse text(int status, String body) {
    return body(status, "text/plain", body).newBuilder().setHeader("Metadata-Flavor", "Google").build();
  }

  private record Issued(List<String> scopes, Instant expiresAt) {}

  /** Settings of a {@link FakeGcpMetadataServer}. Not thread-safe. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private String serviceAccount = "my-project.svc.id.goog";
    private String projectId = "my-project";
    private Duration tokenLifetime = Duration.ofSeconds(3599);

    private Builder() {}

    /**
     * The clock for token expiry; share it with the code under test.
     *
     * @param clock the clock, not {@code null}; default the system clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The {@code expires_in} of tokens.
     *
     * @param lifetime the lifetime, sent in whole seconds (a fraction is dropped); default 3599 s
     * @return this builder
     */
    public Builder tokenLifetime(Duration lifetime) {
      this.tokenLifetime = Objects.requireNonNull(lifetime, "lifetime");
      return this;
    }

    /**
     * The email of the default service account, served at {@code .../default/email}.
     *
     * @param email on GKE, the bound Google service account, or the workload pool ({@code
     *     PROJECT.svc.id.goog}) for direct federation; default {@code my-project.svc.id.goog}
     * @return this builder
     */
    public Builder serviceAccount(String email) {
      this.serviceAccount = Objects.requireNonNull(email, "email");
      return this;
    }

    /**
     * The project ID, served at {@code /computeMetadata/v1/project/project-id}.
     *
     * @param projectId the ID; default {@code my-project}
     * @return this builder
     */
    public Builder projectId(String projectId) {
      this.projectId = Objects.requireNonNull(projectId, "projectId");
      return this;
    }

    /**
     * Starts the server.
     *
     * @return the started server, answering at once
     */
    public FakeGcpMetadataServer build() {
      return new FakeGcpMetadataServer(this);
    }
  }
}
