package io.workloadidentity.testkit;

import static io.workloadidentity.testkit.internal.FakeServer.body;
import static io.workloadidentity.testkit.internal.FakeServer.form;

import com.nimbusds.jwt.JWTClaimsSet;
import io.workloadidentity.testkit.internal.OidcVerifier;
import io.workloadidentity.testkit.internal.aws.AwsIds;
import io.workloadidentity.testkit.internal.aws.StsXml;
import io.workloadidentity.testkit.internal.SecretRegistry;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A local AWS STS that answers {@code AssumeRoleWithWebIdentity} the way the real service does:
 * awsQuery form POST in, XML out, as the AWS SDK's {@code StsClient} calls it through {@code
 * endpointOverride(sts.endpoint())}.
 *
 * <pre>{@code
 * FakeAwsSts sts = FakeAwsSts.builder().clock(clock).build();
 * sts.trustIssuer(cluster.issuer());                                  // IAM OIDC provider, client ID sts.amazonaws.com
 * sts.role("arn:aws:iam::111122223333:role/app", "system:serviceaccount:default:app");
 * StsClient client = StsClient.builder().endpointOverride(sts.endpoint()).region(Region.US_EAST_1)
 *     .credentialsProvider(AnonymousCredentialsProvider.create()).build();
 * }</pre>
 *
 * <p><b>Validation</b>, in the order STS applies it, with STS's codes and HTTP statuses:
 * <ol>
 *   <li>{@code Action}/{@code Version}: {@code InvalidAction} (400);
 *   <li>parameter constraints (role ARN length, session name {@code [\w+=,.@-]{2,64}}, token length
 *       4-20000, {@code DurationSeconds} 900-43200, policy length): {@code ValidationError} (400);
 *   <li>the token's {@code iss} must be a registered OIDC provider of the role's account, else
 *       {@code InvalidIdentityToken} "No OpenIDConnect provider found in your account for ..."; its
 *       {@code aud} must be one of the provider's client IDs, else {@code InvalidIdentityToken}
 *       "Incorrect token audience" (400);
 *   <li>the signature, against the issuer's JWKS fetched over HTTP (discovery document first):
 *       unreachable keys give {@code InvalidIdentityToken} "Couldn't retrieve verification key from
 *       your identity provider"; a bad signature {@code InvalidIdentityToken} (400);
 *   <li>{@code exp} in the future by this server's clock (or the token marked with {@link
 *       #rejectAsExpired}): {@code ExpiredTokenException} (400);
 *   <li>the role must exist and its trust conditions on {@code <provider>:sub} and {@code
 *       <provider>:aud} must match: {@code AccessDenied} "Not authorized to perform
 *       sts:AssumeRoleWithWebIdentity" (403);
 *   <li>{@code DurationSeconds} at most the role's maximum session duration: {@code ValidationError}
 *       (400).
 * </ol>
 * Other codes ({@code IDPCommunicationError}, {@code IDPRejectedClaim}, {@code
 * RegionDisabledException}, ...) are injected with {@code faults().failNext(n, Fault.error(...))};
 * {@link Fault#throttled()} answers {@code Throttling} "Rate exceeded" with HTTP 400, as STS does;
 * {@link Fault#serverError(int)} answers {@code InternalFailure} (or {@code ServiceUnavailable} for
 * 503).
 *
 * <p>Issued credentials last {@code DurationSeconds} (default 3600 s), or {@link
 * Builder#credentialLifetime} when set, by this server's clock. They are listed by {@link
 * #issued()} so tests can check what an SDK client signed with.
 *
 * <p>Thread-safe. Close it to stop the server.
 */
public final class FakeAwsSts extends FakeEndpoint {
  /** The account ID used by {@link #trustIssuer(String, String...)}. */
  public static final String DEFAULT_ACCOUNT = "111122223333";
  /** The client ID (audience) EKS registers for IRSA. */
  public static final String STS_AUDIENCE = "sts.amazonaws.com";

  private static final String VERSION = "2011-06-15";
  private static final Pattern ROLE_ARN = Pattern.compile("arn:(aws[a-z-]*):iam::(\\d{12}):role/(?:.*/)?([\\w+=,.@-]+)");
  private static final Pattern SESSION_NAME = Pattern.compile("[\\w+=,.@-]*");

  private final Duration credentialLifetime;
  private final OidcVerifier verifier;
  /** account -> (issuer URL -> client IDs). */
  private final Map<String, Map<String, Set<String>>> providers = new ConcurrentHashMap<>();
  private final Map<String, RoleTrust> roles = new ConcurrentHashMap<>();
  private final Set<String> expiredTokens = ConcurrentHashMap.newKeySet();
  private final List<FakeAwsCredentials> issued = new CopyOnWriteArrayList<>();

  private FakeAwsSts(Builder b) {
    super("aws-sts", b.https, b.clock);
    this.credentialLifetime = b.credentialLifetime;
    this.verifier = OidcVerifier.builder().clock(b.clock).jwksCacheTtl(b.jwksCacheTtl).build();
  }

  /**
   * A fake STS on http://127.0.0.1 with the system clock.
   *
   * @return the started server, trusting no issuer and with no role yet
   */
  public static FakeAwsSts start() {
    return builder().build();
  }

  /**
   * A builder, for a shared clock, HTTPS or short credential lifetimes.
   *
   * @return a builder with the defaults: system clock, HTTP, lifetime from {@code DurationSeconds}
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Where the server listens.
   *
   * @return the URL to give the SDK's {@code endpointOverride} (or {@code AWS_ENDPOINT_URL_STS}):
   *     {@code http://127.0.0.1:PORT} (or {@code https}), without a trailing slash
   */
  public URI endpoint() {
    return URI.create(baseUrl());
  }

  /**
   * Registers an IAM OIDC identity provider for {@code issuer} in {@link #DEFAULT_ACCOUNT}, with the
   * given client IDs (audiences), {@code sts.amazonaws.com} if none.
   *
   * @param issuer the issuer URL, exactly as in the tokens' {@code iss}: the cluster's {@code issuer()}
   * @param clientIds the audiences the provider accepts; none for {@value #STS_AUDIENCE}
   * @return this, for chaining
   */
  public FakeAwsSts trustIssuer(String issuer, String... clientIds) {
    return trustIssuerInAccount(DEFAULT_ACCOUNT, issuer, clientIds);
  }

  /**
   * Registers an IAM OIDC identity provider for {@code issuer} in another account, for roles whose
   * ARN names that account. Registering the same issuer again in the account replaces its client IDs.
   *
   * @param account the 12-digit account ID
   * @param issuer the issuer URL, exactly as in the tokens' {@code iss}
   * @param clientIds the audiences the provider accepts; none for {@value #STS_AUDIENCE}
   * @return this, for chaining
   */
  public FakeAwsSts trustIssuerInAccount(String account, String issuer, String... clientIds) {
    Set<String> ids = clientIds.length == 0 ? Set.of(STS_AUDIENCE) : Set.of(clientIds);
    providers.computeIfAbsent(account, a -> new ConcurrentHashMap<>()).put(issuer, ids);
    return this;
  }

  /**
   * Removes every OIDC provider registration of {@code issuer}, in all accounts: its tokens then get
   * {@code InvalidIdentityToken} "No OpenIDConnect provider found".
   *
   * @param issuer the issuer URL as registered
   * @return this, for chaining
   */
  public FakeAwsSts untrustIssuer(String issuer) {
    providers.values().forEach(m -> m.remove(issuer));
    return this;
  }

  /**
   * Creates (or replaces) a role whose trust policy allows {@code sts:AssumeRoleWithWebIdentity}
   * for tokens with {@code sub} matching {@code subject} ({@code StringLike}: {@code *} matches any
   * characters) and {@code aud} {@code sts.amazonaws.com}, with a maximum session of one hour.
   *
   * @param roleArn the role's ARN, {@code arn:aws:iam::<account>:role/<name>}
   * @param subject the {@code sub} pattern, for example {@code system:serviceaccount:default:app}
   * @return this, for chaining
   * @throws IllegalArgumentException if {@code roleArn} is not a role ARN
   */
  public FakeAwsSts role(String roleArn, String subject) {
    return role(roleArn, subject, STS_AUDIENCE, Duration.ofHours(1));
  }

  /**
   * Creates (or replaces) a role.
   *
   * @param roleArn the role's ARN, {@code arn:aws:iam::<account>:role/<name>}; the account must have
   *     the token's issuer registered
   * @param subject the {@code <provider>:sub} condition ({@code *} wildcards), or {@code null} for none
   * @param audience the {@code <provider>:aud} condition, or {@code null} for none
   * @param maxSessionDuration the role's MaxSessionDuration, 1 to 12 hours
   * @return this, for chaining
   * @throws IllegalArgumentException if {@code roleArn} is not a role ARN or the duration is out of range
   */
  public FakeAwsSts role(String roleArn, String subject, String audience, Duration maxSessionDuration) {
    if (!ROLE_ARN.matcher(roleArn).matches()) {
      throw new IllegalArgumentException("Not a role ARN: " + roleArn);
    }
    if (maxSessionDuration.compareTo(Duration.ofHours(1)) < 0 || maxSessionDuration.compareTo(Duration.ofHours(12)) > 0) {
      throw new IllegalArgumentException("MaxSessionDuration must be 1 to 12 hours: " + maxSessionDuration);
    }
    roles.put(roleArn, new RoleTrust(subject, audience, maxSessionDuration));
    return this;
  }

  /**
   * Deletes a role: assuming it then fails with {@code AccessDenied}, as for a role that never existed.
   *
   * @param roleArn the role's ARN as created
   * @return this, for chaining
   */
  public FakeAwsSts deleteRole(String roleArn) {
    roles.remove(roleArn);
    return this;
  }

  /**
   * Makes STS answer {@code ExpiredTokenException} for this exact token from now on, whatever its
   * {@code exp}: STS's view when its clock is ahead of the node's, or a token that was rotated
   * away.
   *
   * @param token the raw compact JWT (surrounding whitespace ignored)
   * @return this, for chaining
   */
  public FakeAwsSts rejectAsExpired(String token) {
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

  /**
   * The issued credentials with this access key ID, to find out which role and token a signed
   * request's credentials came from.
   *
   * @param accessKeyId the {@code ASIA...} key ID, as in a request's {@code Authorization} header
   * @return the credentials, empty if this server did not issue that key
   */
  public Optional<FakeAwsCredentials> credentials(String accessKeyId) {
    return issued.stream().filter(c -> c.accessKeyId().equals(accessKeyId)).findFirst();
  }

  /**
   * The {@code AssumeRoleWithWebIdentity} requests received, to count exchanges or inspect their
   * parameters ({@link ReceivedRequest#form()}).
   *
   * @return a snapshot, oldest first, including failed and faulted requests
   */
  public List<ReceivedRequest> assumeRoleRequests() {
    return requests().stream().filter(r -> "AssumeRoleWithWebIdentity".equals(r.form().get("Action"))).toList();
  }

  /** Forgets the cached issuer key sets, so the next request fetches them again. */
  public void clearKeyCache() {
    verifier.clearCache();
  }

  @Override
  public void close() {
    verifier.close();
    super.close();
  }

  // ------------------------------------------------------------------------------------------

  @Override
  MockResponse handle(RecordedRequest request) {
    Map<String, String> form = form(request);
    String action = form.get("Action");
    if (!"POST".equals(request.getMethod()) || !"AssumeRoleWithWebIdentity".equals(action)
        || !VERSION.equals(form.get("Version"))) {
      return error(400, "InvalidAction", "Could not find operation " + action + " for version " + form.get("Version"));
    }
    String roleArn = form.get("RoleArn");
    String sessionName = form.get("RoleSessionName");
    String token = form.get("WebIdentityToken");
    String invalid = validateParameters(form, roleArn, sessionName, token);
    if (invalid != null) {
      return error(400, "ValidationError", "1 validation error detected: " + invalid);
    }
    Matcher arn = ROLE_ARN.matcher(roleArn);
    if (!arn.matches()) {
      return error(400, "ValidationError", "Request ARN is invalid");
    }
    String account = arn.group(2);

    JWTClaimsSet unverified;
    try {
      unverified = OidcVerifier.unverifiedClaims(token);
    } catch (OidcVerifier.Rejection e) {
      return error(400, "InvalidIdentityToken", "The ID token provided could not be parsed: " + e.getMessage());
    }
    String issuer = unverified.getIssuer();
    Set<String> clientIds = providers.getOrDefault(account, Map.of()).get(issuer);
    if (clientIds == null) {
      return error(400, "InvalidIdentityToken", "No OpenIDConnect provider found in your account for " + issuer);
    }
    List<String> audiences = unverified.getAudience();
    if (audiences == null || audiences.isEmpty()) {
      return error(400, "InvalidIdentityToken", "Missing a required claim: aud");
    }
    String audience = audiences.stream().filter(clientIds::contains).findFirst().orElse(null);
    if (audience == null) {
      return error(400, "InvalidIdentityToken", "Incorrect token audience");
    }
    Instant now = clock().instant();
    try {
      verifier.verify(token);
    } catch (OidcVerifier.Rejection e) {
      return switch (e.reason()) {
        case ISSUER_UNREACHABLE, ISSUER_MISMATCH, UNKNOWN_KEY -> error(400, "InvalidIdentityToken",
            "Couldn't retrieve verification key from your identity provider,  please reference"
                + " AssumeRoleWithWebIdentity documentation for requirements");
        case EXPIRED -> expired(unverified, now);
        case BAD_SIGNATURE -> error(400, "InvalidIdentityToken", "Signature verification failed for the ID token.");
        case NOT_YET_VALID -> error(400, "InvalidIdentityToken", "The ID token is not yet valid.");
        case MALFORMED -> error(400, "InvalidIdentityToken", "The ID token provided could not be parsed.");
      };
    }
    if (expiredTokens.contains(token.strip())) {
      return expired(unverified, now);
    }
    String subject = unverified.getSubject();
    RoleTrust trust = roles.get(roleArn);
    if (trust == null || !trust.allows(subject, audience)) {
      return error(403, "AccessDenied", "Not authorized to perform sts:AssumeRoleWithWebIdentity");
    }
    Duration lifetime = form.containsKey("DurationSeconds")
        ? Duration.ofSeconds(Long.parseLong(form.get("DurationSeconds"))) : Duration.ofHours(1);
    if (lifetime.compareTo(trust.maxSessionDuration) > 0) {
      return error(400, "ValidationError", "The requested DurationSeconds exceeds the MaxSessionDuration set for this role.");
    }
    if (credentialLifetime != null) {
      lifetime = credentialLifetime;
    }
    String assumedRoleArn = "arn:" + arn.group(1) + ":sts::" + account + ":assumed-role/" + arn.group(3) + "/" + sessionName;
    FakeAwsCredentials credentials = new FakeAwsCredentials(AwsIds.accessKeyId(), AwsIds.secretAccessKey(),
        AwsIds.sessionToken(), now.plus(lifetime), roleArn, assumedRoleArn, sessionName, subject,
        AwsIds.fingerprint(token));
    SecretRegistry.register(credentials.secretAccessKey(), "a secret access key issued by FakeAwsSts");
    SecretRegistry.register(credentials.sessionToken(), "a session token issued by FakeAwsSts");
    issued.add(credentials);
    return xml(200, StsXml.success(new StsXml.Success(subject, audience, assumedRoleArn,
        AwsIds.roleId(roleArn) + ":" + sessionName, credentials.accessKeyId(), credentials.secretAccessKey(),
        credentials.sessionToken(), credentials.expiration(), issuer, AwsIds.requestId())));
  }

  private static String validateParameters(Map<String, String> form, String roleArn, String sessionName, String token) {
    if (roleArn == null) {
      return "Value null at 'roleArn' failed to satisfy constraint: Member must not be null";
    }
    if (roleArn.length() < 20 || roleArn.length() > 2048) {
      return "Value '" + roleArn + "' at 'roleArn' failed to satisfy constraint: Member must have length between 20 and 2048";
    }
    if (sessionName == null) {
      return "Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null";
    }
    if (sessionName.length() < 2 || sessionName.length() > 64) {
      return "Value '" + sessionName + "' at 'roleSessionName' failed to satisfy constraint: Member must have length"
          + " " + (sessionName.length() < 2 ? "greater than or equal to 2" : "less than or equal to 64");
    }
    if (!SESSION_NAME.matcher(sessionName).matches()) {
      return "Value '" + sessionName + "' at 'roleSessionName' failed to satisfy constraint: Member must satisfy"
          + " regular expression pattern: [\\w+=,.@-]*";
    }
    if (token == null) {
      return "Value null at 'webIdentityToken' failed to satisfy constraint: Member must not be null";
    }
    if (token.length() < 4 || token.length() > 20_000) {
      // The value is sensitive: STS does not echo it.
      return "Value at 'webIdentityToken' failed to satisfy constraint: Member must have length between 4 and 20000";
    }
    String duration = form.get("DurationSeconds");
    if (duration != null) {
      long d;
      try {
        d = Long.parseLong(duration);
      } catch (NumberFormatException e) {
        return "Value '" + duration + "' at 'durationSeconds' failed to satisfy constraint: Member must be a number";
      }
      if (d < 900) {
        return "Value '" + d + "' at 'durationSeconds' failed to satisfy constraint: Member must have value greater"
            + " than or equal to 900";
      }
      if (d > 43_200) {
        return "Value '" + d + "' at 'durationSeconds' failed to satisfy constraint: Member must have value less"
            + " than or equal to 43200";
      }
    }
    String policy = form.get("Policy");
    if (policy != null && (policy.isEmpty() || policy.length() > 2048)) {
      return "Value at 'policy' failed to satisfy constraint: Member must have length between 1 and 2048";
    }
    return null;
  }

  private MockResponse expired(JWTClaimsSet claims, Instant now) {
    return error(400, "ExpiredTokenException", "Token expired: current date/time " + now.getEpochSecond()
        + " must be before the expiration date/time " + claims.getExpirationTime().toInstant().getEpochSecond());
  }

  @Override
  MockResponse renderFault(Fault fault, RecordedRequest request) {
    return switch (fault.kind()) {
      case THROTTLED -> error(400, "Throttling", "Rate exceeded");
      case SERVER_ERROR -> fault.status() == 503
          ? error(503, "ServiceUnavailable", "Service is unable to handle request.")
          : error(fault.status(), "InternalFailure", "An internal error has occurred.");
      default -> error(fault.status(), fault.code().orElse("InternalFailure"), fault.message().orElse(""));
    };
  }

  /** A success document cut in half; no credentials are recorded as issued. */
  @Override
  MockResponse renderMalformed(RecordedRequest request) {
    String full = StsXml.success(new StsXml.Success("sub", STS_AUDIENCE, "arn:aws:sts::" + DEFAULT_ACCOUNT
        + ":assumed-role/r/s", "AROAXXXXXXXXXXXXXXXXX:s", AwsIds.accessKeyId(), AwsIds.secretAccessKey(),
        AwsIds.sessionToken(), clock().instant().plus(Duration.ofHours(1)), "https://issuer", AwsIds.requestId()));
    return xml(200, full.substring(0, full.length() / 2));
  }

  private static MockResponse error(int status, String code, String message) {
    return xml(status, StsXml.error(status, code, message, AwsIds.requestId()));
  }

  private static MockResponse xml(int status, String body) {
    return body(status, "text/xml", body);
  }

  private record RoleTrust(String subject, String audience, Duration maxSessionDuration) {
    boolean allows(String sub, String aud) {
      return (subject == null || sub != null && like(subject, sub)) && (audience == null || audience.equals(aud));
    }

    /** IAM {@code StringLike}: {@code *} matches any sequence, {@code ?} one character. */
    private static boolean like(String pattern, String value) {
      StringBuilder regex = new StringBuilder();
      for (char c : pattern.toCharArray()) {
        regex.append(c == '*' ? ".*" : c == '?' ? "." : Pattern.quote(String.valueOf(c)));
      }
      return value.matches(regex.toString());
    }
  }

  /** Settings of a {@link FakeAwsSts}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private boolean https;
    private Duration credentialLifetime;
    private Duration jwksCacheTtl = Duration.ofHours(1);

    private Builder() {}

    /**
     * The clock for token expiry checks and credential expiration. Share it with the cluster.
     *
     * @param clock the clock, not {@code null}; default the system clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Serve HTTPS with a testkit-CA certificate instead of HTTP.
     *
     * @param https true for HTTPS; default false
     * @return this builder
     */
    public Builder https(boolean https) {
      this.https = https;
      return this;
    }

    /**
     * Issue credentials of this lifetime whatever {@code DurationSeconds} asks, so a test can reach
     * the refresh point quickly.
     *
     * @param lifetime the lifetime of every issued credential, positive, by the server's clock
     * @return this builder
     * @throws IllegalArgumentException if {@code lifetime} is zero or negative
     */
    public Builder credentialLifetime(Duration lifetime) {
      if (lifetime.isNegative() || lifetime.isZero()) {
        throw new IllegalArgumentException("credentialLifetime must be positive: " + lifetime);
      }
      this.credentialLifetime = lifetime;
      return this;
    }

    /**
     * How long fetched issuer key sets are reused, as STS caches them: a key rotated in the cluster
     * is not seen until then (or {@link FakeAwsSts#clearKeyCache()}).
     *
     * @param ttl the reuse time, by the server's clock; default one hour
     * @return this builder
     */
    public Builder jwksCacheTtl(Duration ttl) {
      this.jwksCacheTtl = Objects.requireNonNull(ttl, "ttl");
      return this;
    }

    /**
     * Starts the server.
     *
     * @return the started server, trusting no issuer and with no role yet
     */
    public FakeAwsSts build() {
      return new FakeAwsSts(this);
    }
  }
}
