package io.workloadidentity.testkit;

import static io.workloadidentity.testkit.internal.FakeServer.json;
import static io.workloadidentity.testkit.internal.FakeServer.body;

import com.nimbusds.jwt.JWTClaimsSet;
import io.workloadidentity.testkit.internal.OidcVerifier;
import io.workloadidentity.testkit.internal.aws.AwsIds;
import io.workloadidentity.testkit.internal.SecretRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A local EKS Pod Identity agent: {@code GET /v1/credentials} with the raw projected token in the
 * {@code Authorization} header (no "Bearer"), answered with the agent's JSON credentials
 * ({@code AccessKeyId}, {@code SecretAccessKey}, {@code Token}, {@code AccountId}, {@code
 * Expiration}). Point {@code AWS_CONTAINER_CREDENTIALS_FULL_URI} at {@link #credentialsUrl()}.
 *
 * <p>Like the agent and EKS Auth behind it, it checks that the token is signed by the trusted
 * cluster (keys fetched over HTTP), has audience {@code pods.eks.amazonaws.com} and is not expired,
 * and that the token's service account has an association ({@link #associate}). Errors are the
 * agent's plain text {@code [request-id]: (Code): message, fault: client} with EKS Auth's status:
 * {@code InvalidTokenException} and {@code ExpiredTokenException} 400, {@code
 * ResourceNotFoundException} 404 (no association), {@code ThrottlingException} 429 (for {@link
 * Fault#throttled()}), {@code InternalServerException} 500 / {@code ServiceUnavailableException} 503.
 *
 * <p>Thread-safe. Close it to stop the server.
 */
public final class FakeAwsPodIdentityAgent extends FakeEndpoint {
  /** The audience of Pod Identity tokens. */
  public static final String AUDIENCE = "pods.eks.amazonaws.com";
  private static final String PATH = "/v1/credentials";

  private final Duration credentialLifetime;
  private final OidcVerifier verifier;
  private final Set<String> trustedIssuers = ConcurrentHashMap.newKeySet();
  private final Map<String, String> associations = new ConcurrentHashMap<>();
  private final Set<String> expiredTokens = ConcurrentHashMap.newKeySet();
  private final List<FakeAwsCredentials> issued = new CopyOnWriteArrayList<>();

  private FakeAwsPodIdentityAgent(Clock clock, Duration credentialLifetime) {
    super("aws-pod-identity-agent", false, clock);
    this.credentialLifetime = credentialLifetime;
    this.verifier = OidcVerifier.builder().clock(clock).build();
  }

  /**
   * An agent with the system clock issuing six-hour credentials, as EKS Auth does.
   *
   * @return the started agent, trusting no issuer yet and with no association
   */
  public static FakeAwsPodIdentityAgent start() {
    return start(Clock.systemUTC(), Duration.ofHours(6));
  }

  /**
   * An agent whose token checks and credential expirations follow the given clock.
   *
   * @param clock the clock for token expiry checks and the {@code Expiration} of issued credentials;
   *     share the cluster's {@link TestClock}
   * @param credentialLifetime how long issued credentials last, positive
   * @return the started agent, trusting no issuer yet and with no association
   * @throws IllegalArgumentException if {@code credentialLifetime} is zero or negative
   */
  public static FakeAwsPodIdentityAgent start(Clock clock, Duration credentialLifetime) {
    Objects.requireNonNull(clock, "clock");
    if (credentialLifetime.isNegative() || credentialLifetime.isZero()) {
      throw new IllegalArgumentException("credentialLifetime must be positive: " + credentialLifetime);
    }
    return new FakeAwsPodIdentityAgent(clock, credentialLifetime);
  }

  /**
   * Where the agent listens.
   *
   * @return the value for {@code AWS_CONTAINER_CREDENTIALS_FULL_URI}: {@code
   *     http://127.0.0.1:PORT/v1/credentials}
   */
  public URI credentialsUrl() {
    return URI.create(url(PATH));
  }

  /**
   * Accepts tokens from this issuer, whose signing keys the agent fetches from the issuer's discovery
   * document. Tokens from any other issuer are refused with {@code InvalidTokenException}.
   *
   * @param issuer the issuer URL, exactly as in the tokens' {@code iss}: the cluster's {@code issuer()}
   * @return this, for chaining
   */
  public FakeAwsPodIdentityAgent trustIssuer(String issuer) {
    trustedIssuers.add(issuer);
    return this;
  }

  /**
   * Creates a Pod Identity association: pods of this service account get the role's credentials.
   * Without one, the agent answers {@code ResourceNotFoundException} (404). A second association for
   * the same service account replaces the first.
   *
   * @param namespace the service account's namespace, as in the token's {@code sub}
   * @param serviceAccount the service account's name, as in the token's {@code sub}
   * @param roleArn the role to issue credentials for, {@code arn:aws:iam::<account>:role/<name>}; its
   *     account becomes the credentials' {@code AccountId}
   * @return this, for chaining
   */
  public FakeAwsPodIdentityAgent associate(String namespace, String serviceAccount, String roleArn) {
    associations.put(namespace + "/" + serviceAccount, roleArn);
    return this;
  }

  /**
   * Makes the agent answer {@code ExpiredTokenException} for this exact token from now on, although
   * it has not expired: for testing that a client re-reads the token file and retries with the new
   * one.
   *
   * @param token the raw compact JWT (surrounding whitespace ignored)
   * @return this, for chaining
   */
  public FakeAwsPodIdentityAgent rejectAsExpired(String token) {
    expiredTokens.add(token.strip());
    return this;
  }

  /**
   * Every set of credentials issued so far, to check which ones a client used and how often it asked.
   *
   * @return a snapshot, oldest first; refused requests are not in it
   */
  public List<FakeAwsCredentials> issued() {
    return List.copyOf(issued);
  }

  @Override
  public void close() {
    verifier.close();
    super.close();
  }

  @Override
  MockResponse handle(RecordedRequest request) {
    if (!PATH.equals(request.getUrl().encodedPath())) {
      return body(404, "text/plain", "404 page not found\n");
    }
    if (!"GET".equals(request.getMethod())) {
      return body(405, "text/plain", "Method Not Allowed\n");
    }
    String token = request.getHeaders().get("Authorization");
    if (token == null || token.isBlank()) {
      return error(400, "InvalidParameterException", "Service account token cannot be empty");
    }
    JWTClaimsSet claims;
    try {
      claims = OidcVerifier.unverifiedClaims(token);
    } catch (OidcVerifier.Rejection e) {
      return error(400, "InvalidTokenException", "Failed to parse the service account token");
    }
    if (!trustedIssuers.contains(claims.getIssuer())) {
      return error(400, "InvalidTokenException", "Service account token issuer is not trusted by this cluster");
    }
    if (claims.getAudience() == null || !claims.getAudience().contains(AUDIENCE)) {
      return error(400, "InvalidTokenException", "Service account token audience must be " + AUDIENCE);
    }
    try {
      verifier.verify(token);
    } catch (OidcVerifier.Rejection e) {
      return switch (e.reason()) {
        case EXPIRED -> error(400, "ExpiredTokenException", "Service account token has expired");
        case ISSUER_UNREACHABLE -> error(500, "InternalServerException", "Could not validate the token");
        default -> error(400, "InvalidTokenException", "Service account token failed validation");
      };
    }
    if (expiredTokens.contains(token.strip())) {
      return error(400, "ExpiredTokenException", "Service account token has expired");
    }
    String[] sub = String.valueOf(claims.getSubject()).split(":");
    String key = sub.length == 4 ? sub[2] + "/" + sub[3] : "";
    String roleArn = associations.get(key);
    if (roleArn == null) {
      return error(404, "ResourceNotFoundException", "No Pod Identity association found for the service account");
    }
    String[] arn = roleArn.split(":", 6);
    String roleName = arn[5].substring(arn[5].lastIndexOf('/') + 1);
    Instant expiration = clock().instant().plus(credentialLifetime);
    String session = "eks-cluster-" + AwsIds.requestId().substring(0, 8);
    FakeAwsCredentials c = new FakeAwsCredentials(AwsIds.accessKeyId(), AwsIds.secretAccessKey(),
        AwsIds.sessionToken(), expiration, roleArn, "arn:aws:sts::" + arn[4] + ":assumed-role/" + roleName + "/" + session,
        session, claims.getSubject(), AwsIds.fingerprint(token));
    SecretRegistry.register(c.secretAccessKey(), "a secret access key issued by FakeAwsPodIdentityAgent");
    SecretRegistry.register(c.sessionToken(), "a session token issued by FakeAwsPodIdentityAgent");
    issued.add(c);
    Map<String, Object> json = new LinkedHashMap<>();
    json.put("AccessKeyId", c.accessKeyId());
    json.put("SecretAccessKey", c.secretAccessKey());
    json.put("Token", c.sessionToken());
    json.put("AccountId", arn[4]);
    json.put("Expiration", DateTimeFormatter.ISO_INSTANT.format(expiration));
    return json(200, json);
  }

  @Override
  MockResponse renderFault(Fault fault, RecordedRequest request) {
    return switch (fault.kind()) {
      case THROTTLED -> error(429, "ThrottlingException", "Rate exceeded");
      case SERVER_ERROR -> fault.status() == 503
          ? error(503, "ServiceUnavailableException", "Service unavailable")
          : error(fault.status(), "InternalServerException", "Internal error");
      default -> error(fault.status(), fault.code().orElse("InternalServerException"), fault.message().orElse(""));
    };
  }

  private static MockResponse error(int status, String code, String message) {
    return body(status, "text/plain", "[" + AwsIds.requestId() + "]: (" + code + "): " + message + ", fault: "
        + (status >= 500 ? "server" : "client") + "\n");
  }
}
