package io.workloadidentity.testkit;

import static io.workloadidentity.testkit.internal.FakeServer.json;
import static io.workloadidentity.testkit.internal.FakeServer.bodyOf;
import static io.workloadidentity.testkit.internal.FakeServer.form;

import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import io.workloadidentity.testkit.internal.OidcVerifier;
import io.workloadidentity.testkit.internal.SecretRegistry;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A local stand-in for Google Cloud's workload identity federation endpoints, on one HTTPS server:
 *
 * <ul>
 *   <li><b>Security Token Service</b>, {@code POST /v1/token}: the RFC 8693 token exchange of {@code
 *       sts.googleapis.com}. It validates the request like Google does: the audience names a
 *       registered, enabled workload identity pool provider; the subject token's issuer is the
 *       provider's; its {@code aud} is one of the provider's allowed audiences; its signature
 *       verifies with the issuer's JWKS (fetched over HTTP through the discovery document); it is
 *       not expired; {@code google.subject=assertion.sub} fits in 127 bytes. Errors are Google's OAuth
 *       error JSON ({@code invalid_grant}, {@code invalid_request}, {@code invalid_target}, {@code
 *       unsupported_grant_type}) with Google's messages.
 *   <li><b>IAM Credentials</b>, {@code POST /v1/projects/-/serviceAccounts/EMAIL:generateAccessToken}:
 *       requires an unexpired STS bearer token with the {@code cloud-platform} scope, and a {@code
 *       roles/iam.workloadIdentityUser} binding of the federated principal (or a matching {@code
 *       principalSet}) on the service account; otherwise the 401/403 Google API error shapes.
 * </ul>
 *
 * <p>Point google-auth (or {@code workload-identity-gcp}) at {@link #stsUrl()} and {@link
 * #iamUrl()}, with an {@code HttpTransport} trusting {@link #sslSocketFactory()}:
 *
 * <pre>{@code
 * try (FakeGcp gcp = FakeGcp.builder().clock(clock).build()) {
 *   String audience = gcp.addProvider("pool", "k8s", cluster.issuer());
 *   gcp.grantWorkloadIdentityUser("app@proj.iam.gserviceaccount.com",
 *       gcp.principal(audience, "system:serviceaccount:default:app"));
 *   HttpTransport transport = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory()).build();
 * }
 * }</pre>
 *
 * <p>Faults ({@link #faults()}) are rendered per endpoint: on STS as OAuth errors ({@link
 * Fault#throttled()} is a 429 {@code rate_limit_exceeded}), on IAM as Google API errors ({@code
 * RESOURCE_EXHAUSTED}, {@code UNAVAILABLE}); use {@code failNext(FakeGcp.STS_PATH, n, fault)} to
 * target one endpoint. Thread-safe.
 */
public final class FakeGcp extends FakeEndpoint {
  /** The STS token exchange path. */
  public static final String STS_PATH = "/v1/token";
  /** The path prefix of IAM Credentials calls. */
  public static final String IAM_PATH_PREFIX = "/v1/projects/";
  /** The scope IAM Credentials requires of the caller's token. */
  public static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";

  private static final String TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange";
  private static final String ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token";
  private static final Set<String> SUBJECT_TOKEN_TYPES =
      Set.of("urn:ietf:params:oauth:token-type:jwt", "urn:ietf:params:oauth:token-type:id_token");
  private static final Pattern AUDIENCE = Pattern.compile(
      "^//iam\\.googleapis\\.com/projects/([0-9]+)/locations/global/workloadIdentityPools/([^/]+)/providers/([^/]+)$");
  private static final Pattern IAM_PATH = Pattern.compile("^/v1/projects/([^/]+)/serviceAccounts/([^/:]+):generateAccessToken$");
  private static final Pattern LIFETIME = Pattern.compile("^([0-9]+)(?:\\.[0-9]+)?s$");
  private static final int MAX_SUBJECT_BYTES = 127;

  private final String projectNumber;
  private final Duration stsTokenLifetime;
  private final Duration maxServiceAccountLifetime;
  private final OidcVerifier verifier;
  private final Map<String, Provider> providers = new ConcurrentHashMap<>();
  private final Map<String, Set<String>> bindings = new ConcurrentHashMap<>();
  private final Map<String, IssuedToken> issued = new ConcurrentHashMap<>();

  private FakeGcp(Builder b) {
    super("gcp", true, b.clock);
    this.projectNumber = b.projectNumber;
    this.stsTokenLifetime = b.stsTokenLifetime;
    this.maxServiceAccountLifetime = b.maxServiceAccountLifetime;
    this.verifier = OidcVerifier.builder().clock(b.clock).build();
  }

  /**
   * Starts a fake with the defaults: project number {@code 123456789012}, system clock.
   *
   * @return the started server, with no provider and no binding yet
   */
  public static FakeGcp start() {
    return builder().build();
  }

  /**
   * A builder for a fake with a custom clock, project number or token lifetimes.
   *
   * @return a builder with the defaults: system clock, project {@code 123456789012}, 3599-second STS
   *     tokens, service-account tokens of at most one hour
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The STS token endpoint.
   *
   * @return the {@code token_url} of an external-account configuration: {@code
   *     https://127.0.0.1:PORT/v1/token}
   */
  public String stsUrl() {
    return url(STS_PATH);
  }

  /**
   * The IAM Credentials base URL, in place of {@code https://iamcredentials.googleapis.com}.
   *
   * @return {@code https://127.0.0.1:PORT}, without a trailing slash
   */
  public String iamUrl() {
    return baseUrl();
  }

  /**
   * The impersonation URL of a service account, for an external-account configuration.
   *
   * @param serviceAccount the service account's email, for example {@code app@proj.iam.gserviceaccount.com}
   * @return the {@code service_account_impersonation_url}: {@code
   *     .../v1/projects/-/serviceAccounts/EMAIL:generateAccessToken} on this server
   */
  public String impersonationUrl(String serviceAccount) {
    return url("/v1/projects/-/serviceAccounts/" + serviceAccount + ":generateAccessToken");
  }

  /**
   * The project number providers are created in.
   *
   * @return digits only; it appears in every provider's resource name
   */
  public String projectNumber() {
    return projectNumber;
  }

  /**
   * Registers an OIDC workload identity pool provider trusting {@code issuer}, with attribute
   * mapping {@code google.subject=assertion.sub}. Adding a provider of the same pool and name again
   * replaces it.
   *
   * @param pool the workload identity pool ID
   * @param provider the provider ID within the pool
   * @param issuer the trusted issuer, exactly the tokens' {@code iss}: the cluster's {@code issuer()}
   * @param allowedAudiences the audiences the projected token may carry; none means Google's
   *     default, the provider's resource name with or without {@code https:}
   * @return the provider's resource name, the STS {@code audience}
   */
  public String addProvider(String pool, String provider, String issuer, String... allowedAudiences) {
    String audience = "//iam.googleapis.com/projects/" + projectNumber + "/locations/global/workloadIdentityPools/"
        + pool + "/providers/" + provider;
    Set<String> allowed = new LinkedHashSet<>(List.of(allowedAudiences));
    if (allowed.isEmpty()) {
      allowed.add("https:" + audience);
      allowed.add(audience);
    }
    providers.put(audience, new Provider(pool, Objects.requireNonNull(issuer, "issuer"), Set.copyOf(allowed), false));
    return audience;
  }

  /**
   * Disables (or re-enables) a provider: STS answers {@code invalid_target} while disabled. Unknown
   * providers are ignored.
   *
   * @param audience the provider's resource name, as {@link #addProvider} returned it
   * @param disabled true to disable, false to enable again
   */
  public void setProviderDisabled(String audience, boolean disabled) {
    providers.computeIfPresent(audience, (k, p) -> new Provider(p.pool, p.issuer, p.allowedAudiences, disabled));
  }

  /**
   * Deletes a provider: STS answers {@code invalid_target}. Tokens already issued through it stay
   * valid until they expire.
   *
   * @param audience the provider's resource name, as {@link #addProvider} returned it
   */
  public void removeProvider(String audience) {
    providers.remove(audience);
  }

  /**
   * The federated principal IAM sees for {@code subject} (the token's {@code sub}) through the pool
   * of {@code audience}, for {@link #grantWorkloadIdentityUser}.
   *
   * @param audience the provider's resource name, as {@link #addProvider} returned it
   * @param subject the token's {@code sub}, for example {@code system:serviceaccount:default:app}
   * @return {@code principal://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/subject/SUB}
   * @throws IllegalArgumentException if {@code audience} is not a provider resource name
   */
  public String principal(String audience, String subject) {
    return poolResource(audience) + "/subject/" + subject;
  }

  /**
   * Every identity of the pool of {@code audience}, for {@link #grantWorkloadIdentityUser}.
   *
   * @param audience the provider's resource name, as {@link #addProvider} returned it
   * @return {@code principalSet://iam.googleapis.com/projects/N/locations/global/workloadIdentityPools/POOL/*}
   * @throws IllegalArgumentException if {@code audience} is not a provider resource name
   */
  public String principalSet(String audience) {
    return poolResource(audience).replace("principal://", "principalSet://") + "/*";
  }

  /**
   * Grants {@code roles/iam.workloadIdentityUser} on a service account, so federated tokens of the
   * member may impersonate it. Without a grant, IAM answers 403 {@code PERMISSION_DENIED}.
   *
   * @param serviceAccount the service account's email
   * @param member a {@link #principal} or {@link #principalSet}, compared exactly
   */
  public void grantWorkloadIdentityUser(String serviceAccount, String member) {
    bindings.computeIfAbsent(serviceAccount, k -> ConcurrentHashMap.newKeySet()).add(member);
  }

  /**
   * Removes a grant made with {@link #grantWorkloadIdentityUser}; other grants stay. Service-account
   * tokens already issued stay valid until they expire.
   *
   * @param serviceAccount the service account's email
   * @param member the member as granted
   */
  public void revokeWorkloadIdentityUser(String serviceAccount, String member) {
    Set<String> members = bindings.get(serviceAccount);
    if (members != null) {
      members.remove(member);
    }
  }

  /**
   * Forgets the issuers' cached key sets, as when Google's JWKS cache expires: the next exchange
   * fetches them again, so keys the cluster retired stop verifying.
   */
  public void forgetIssuerKeys() {
    verifier.clearCache();
  }

  /**
   * What this fake knows about an access token it issued, for assertions: who it was issued to and
   * whether it is still valid by the clock.
   *
   * @param accessToken an STS or service-account access token, as the client received it
   * @return what it was issued for, empty if this fake did not issue it
   */
  public Optional<IssuedToken> tokenInfo(String accessToken) {
    return Optional.ofNullable(issued.get(accessToken));
  }

  @Override
  MockResponse handle(RecordedRequest request) throws Exception {
    String path = request.getUrl().encodedPath();
    if (path.equals(STS_PATH)) {
      return sts(request);
    }
    Matcher m = IAM_PATH.matcher(path);
    if (m.matches()) {
      return generateAccessToken(request, m.group(1), m.group(2));
    }
    return apiError(404, "NOT_FOUND", "The requested URL " + path + " was not found on this server.");
  }

  @Override
  MockResponse renderFault(Fault fault, RecordedRequest request) {
    boolean sts = request.getUrl().encodedPath().equals(STS_PATH);
    return switch (fault.kind()) {
      case THROTTLED -> sts
          ? oauthError(429, "rate_limit_exceeded",
              "[Security Token Service] The request was throttled due to rate limit. Please retry after a few seconds.")
          : apiError(429, "RESOURCE_EXHAUSTED", "Quota exceeded for quota metric 'Generate credentials requests'.");
      case SERVER_ERROR -> apiError(fault.status(), fault.status() == 503 ? "UNAVAILABLE" : "INTERNAL",
          fault.status() == 503 ? "The service is currently unavailable." : "Internal error encountered.");
      default -> sts
          ? oauthError(fault.status(), fault.code().orElse("invalid_request"), fault.message().orElse(""))
          : apiError(fault.status(), fault.code().orElse("INTERNAL"), fault.message().orElse(""));
    };
  }

  @Override
  public void close() {
    verifier.close();
    super.close();
  }

  // ---- STS ----

  private MockResponse sts(RecordedRequest request) {
    if (!"POST".equals(request.getMethod())) {
      return apiError(405, "METHOD_NOT_ALLOWED", "Method not allowed.");
    }
    Map<String, String> form = form(request);
    if (!TOKEN_EXCHANGE.equals(form.get("grant_type"))) {
      return oauthError(400, "unsupported_grant_type", "Invalid value for \"grant_type\".");
    }
    String requested = form.getOrDefault("requested_token_type", "");
    if (!ACCESS_TOKEN_TYPE.equals(requested)) {
      return oauthError(400, "invalid_request", "Invalid value for \"requested_token_type\".");
    }
    if (!SUBJECT_TOKEN_TYPES.contains(form.getOrDefault("subject_token_type", ""))) {
      return oauthError(400, "invalid_request", "Invalid value for \"subject_token_type\". Supported values for OIDC"
          + " providers are urn:ietf:params:oauth:token-type:jwt and urn:ietf:params:oauth:token-type:id_token.");
    }
    String audience = form.getOrDefault("audience", "");
    if (!AUDIENCE.matcher(audience).matches()) {
      return oauthError(400, "invalid_request", "Invalid value for \"audience\". This value should be the full resource"
          + " name of the Identity Provider. See https://cloud.google.com/iam/docs/reference/sts/rest/v1/TopLevel/token"
          + " for the list of possible formats.");
    }
    Provider provider = providers.get(audience);
    if (provider == null || provider.disabled) {
      return oauthError(400, "invalid_target", "The target service indicated by the \"audience\" parameters is invalid."
          + " This might either be because the pool or provider is disabled or deleted or because it doesn't exist.");
    }
    String subjectToken = form.getOrDefault("subject_token", "");
    if (subjectToken.isEmpty()) {
      return oauthError(400, "invalid_request", "Invalid value for \"subject_token\". The subject token is missing.");
    }
    JWTClaimsSet claims;
    try {
      claims = OidcVerifier.unverifiedClaims(subjectToken);
    } catch (OidcVerifier.Rejection e) {
      return oauthError(400, "invalid_grant", "Unable to parse the ID Token.");
    }
    if (!provider.issuer.equals(claims.getIssuer())) {
      return oauthError(400, "invalid_grant", "The issuer in ID Token " + claims.getIssuer()
          + " does not match the expected ones: " + provider.issuer + ".");
    }
    List<String> tokenAudiences = claims.getAudience() == null ? List.of() : claims.getAudience();
    if (tokenAudiences.stream().noneMatch(provider.allowedAudiences::contains)) {
      return oauthError(400, "invalid_grant", "The audience in ID Token " + tokenAudiences
          + " does not match the expected audience.");
    }
    try {
      claims = verifier.verify(subjectToken);
    } catch (OidcVerifier.Rejection e) {
      return oauthError(400, "invalid_grant", switch (e.reason()) {
        case EXPIRED -> "ID Token expired at " + claims.getExpirationTime().toInstant() + ".";
        case NOT_YET_VALID -> "ID Token issued at " + claims.getIssueTime().toInstant().getEpochSecond()
            + " is not yet valid.";
        case ISSUER_UNREACHABLE, ISSUER_MISMATCH -> "Failed to fetch the JWKS for issuer " + provider.issuer
            + ": " + e.getMessage();
        default -> "Invalid JWT signature. " + e.getMessage();
      });
    }
    String subject = claims.getSubject() == null ? "" : claims.getSubject();
    if (subject.isEmpty() || subject.getBytes(StandardCharsets.UTF_8).length > MAX_SUBJECT_BYTES) {
      return oauthError(400, "invalid_grant", "The size of mapped attribute google.subject exceeds the 127 bytes limit"
          + " or is empty. Either modify your attribute mapping or the incoming assertion to produce a mapped"
          + " attribute that is less than 127 bytes.");
    }
    List<String> scopes = List.of(form.getOrDefault("scope", "").trim().split("\\s+"));
    Instant expiresAt = clock().instant().plus(stsTokenLifetime);
    String token = SecretRegistry.register("ya29.fake-sts-" + UUID.randomUUID(), "an STS access token issued by FakeGcp");
    issued.put(token, new IssuedToken(principal(audience, subject), null, scopes, expiresAt, audience));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", token);
    body.put("issued_token_type", ACCESS_TOKEN_TYPE);
    body.put("token_type", "Bearer");
    body.put("expires_in", stsTokenLifetime.getSeconds());
    return json(200, body);
  }

  // ---- IAM Credentials ----

  private MockResponse generateAccessToken(RecordedRequest request, String project, String serviceAccount)
      throws ParseException {
    if (!"POST".equals(request.getMethod())) {
      return apiError(405, "METHOD_NOT_ALLOWED", "Method not allowed.");
    }
    String authorization = Optional.ofNullable(request.getHeaders().get("Authorization")).orElse("");
    if (!authorization.startsWith("Bearer ")) {
      return apiError(401, "UNAUTHENTICATED", "Request is missing required authentication credential. Expected OAuth 2"
          + " access token, login cookie or other valid authentication credential. See"
          + " https://developers.google.com/identity/sign-in/web/devconsole-project.");
    }
    IssuedToken caller = issued.get(authorization.substring("Bearer ".length()).strip());
    if (caller == null || !clock().instant().isBefore(caller.expiresAt())) {
      return apiError(401, "UNAUTHENTICATED", "Request had invalid authentication credentials. Expected OAuth 2 access"
          + " token, login cookie or other valid authentication credential. See"
          + " https://developers.google.com/identity/sign-in/web/devconsole-project.").newBuilder()
          .setHeader("WWW-Authenticate", "Bearer realm=\"https://accounts.google.com/\", error=\"invalid_token\"").build();
    }
    if (!caller.scopes().contains(CLOUD_PLATFORM)) {
      return apiError(403, "PERMISSION_DENIED", "Request had insufficient authentication scopes.");
    }
    if (!"-".equals(project)) {
      return apiError(400, "INVALID_ARGUMENT", "The project in the resource name must be '-'.");
    }
    Map<String, Object> body = JSONObjectUtils.parse(bodyOf(request).isEmpty() ? "{}" : bodyOf(request));
    List<String> scopes = new ArrayList<>();
    if (body.get("scope") instanceof List<?> list) {
      list.forEach(s -> scopes.add(String.valueOf(s)));
    }
    if (scopes.isEmpty()) {
      return apiError(400, "INVALID_ARGUMENT", "Scope required.");
    }
    Duration lifetime = Duration.ofHours(1);
    if (body.get("lifetime") instanceof String l) {
      Matcher m = LIFETIME.matcher(l);
      if (!m.matches()) {
        return apiError(400, "INVALID_ARGUMENT", "Invalid value at 'lifetime' (type.googleapis.com/google.protobuf.Duration), \"" + l + "\"");
      }
      lifetime = Duration.ofSeconds(Long.parseLong(m.group(1)));
    }
    if (lifetime.isZero() || lifetime.compareTo(maxServiceAccountLifetime) > 0) {
      return apiError(400, "INVALID_ARGUMENT", "The lifetime " + lifetime.getSeconds() + "s is invalid: it must be"
          + " between 1s and " + maxServiceAccountLifetime.getSeconds() + "s.");
    }
    Set<String> members = bindings.getOrDefault(serviceAccount, Set.of());
    String principalSet = caller.principal().replaceFirst("^principal://", "principalSet://").replaceFirst("/subject/.*$", "/*");
    if (!members.contains(caller.principal()) && !members.contains(principalSet)) {
      Map<String, Object> info = new LinkedHashMap<>();
      info.put("@type", "type.googleapis.com/google.rpc.ErrorInfo");
      info.put("reason", "IAM_PERMISSION_DENIED");
      info.put("domain", "iam.googleapis.com");
      info.put("metadata", Map.of("permission", "iam.serviceAccounts.getAccessToken"));
      return apiError(403, "PERMISSION_DENIED",
          "Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).", List.of(info));
    }
    Instant expiresAt = clock().instant().plus(lifetime);
    String token = SecretRegistry.register("ya29.fake-sa-" + UUID.randomUUID(),
        "a service-account access token issued by FakeGcp");
    issued.put(token, new IssuedToken(caller.principal(), serviceAccount, List.copyOf(scopes), expiresAt, caller.audience()));
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("accessToken", token);
    out.put("expireTime", expiresAt.toString());
    return json(200, out);
  }

  // ---- helpers ----

  private String poolResource(String audience) {
    Matcher m = AUDIENCE.matcher(audience);
    if (!m.matches()) {
      throw new IllegalArgumentException("Not a workload identity provider resource name: " + audience);
    }
    return "principal://iam.googleapis.com/projects/" + m.group(1) + "/locations/global/workloadIdentityPools/" + m.group(2);
  }

  /** Google STS's OAuth 2.0 error shape: {@code {"error": code, "error_description": text}}. */
  private static MockResponse oauthError(int status, String code, String description) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("error", code);
    body.put("error_description", description);
    return json(status, body);
  }

  private static MockResponse apiError(int status, String code, String message) {
    return apiError(status, code, message, List.of());
  }

  /** The Google API error shape: {@code {"error": {"code", "message", "status", "details"}}}. */
  private static MockResponse apiError(int status, String code, String message, List<Object> details) {
    Map<String, Object> error = new LinkedHashMap<>();
    error.put("code", status);
    error.put("message", message);
    error.put("status", code);
    if (!details.isEmpty()) {
      error.put("details", details);
    }
    return json(status, Map.of("error", error));
  }

  private record Provider(String pool, String issuer, Set<String> allowedAudiences, boolean disabled) {}

  /**
   * An access token this fake issued.
   *
   * @param principal the federated principal it represents (or that impersonated the service account)
   * @param serviceAccount the service account it belongs to, or {@code null} for a federated STS token
   * @param scopes its scopes
   * @param expiresAt when it expires, by the fake's clock
   * @param audience the provider it was federated through
   */
  public record IssuedToken(String principal, String serviceAccount, List<String> scopes, Instant expiresAt, String audience) {
    /**
     * Copies the scopes, so the record is immutable.
     *
     * @param principal the federated principal it represents
     * @param serviceAccount the service account it belongs to, or {@code null} for a federated STS token
     * @param scopes its scopes, copied
     * @param expiresAt when it expires, by the fake's clock
     * @param audience the provider it was federated through
     */
    public IssuedToken {
      scopes = List.copyOf(scopes);
    }
  }

  /** Settings of a {@link FakeGcp}. Not thread-safe. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private String projectNumber = "123456789012";
    private Duration stsTokenLifetime = Duration.ofSeconds(3599);
    private Duration maxServiceAccountLifetime = Duration.ofHours(1);

    private Builder() {}

    /**
     * The clock for token expiry and subject-token validation; share it with the cluster.
     *
     * @param clock the clock, not {@code null}; default the system clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The project number of the providers.
     *
     * @param projectNumber digits only; default {@code 123456789012}
     * @return this builder
     * @throws IllegalArgumentException if it is not digits only
     */
    public Builder projectNumber(String projectNumber) {
      if (!projectNumber.matches("[0-9]+")) {
        throw new IllegalArgumentException("A project number is digits only: " + projectNumber);
      }
      this.projectNumber = projectNumber;
      return this;
    }

    /**
     * The {@code expires_in} of STS tokens, by the fake's clock.
     *
     * @param lifetime a positive whole number of seconds; default 3599 s, as Google sends
     * @return this builder
     * @throws IllegalArgumentException if it is not positive or has a fraction of a second
     */
    public Builder stsTokenLifetime(Duration lifetime) {
      this.stsTokenLifetime = positive(lifetime);
      return this;
    }

    /**
     * The longest service-account token lifetime IAM grants. Default 1 h; 12 h models the
     * organization policy {@code constraints/iam.allowServiceAccountCredentialLifetimeExtension}.
     * A request for a longer {@code lifetime} is refused with 400 {@code INVALID_ARGUMENT}.
     *
     * @param lifetime a positive whole number of seconds
     * @return this builder
     * @throws IllegalArgumentException if it is not positive or has a fraction of a second
     */
    public Builder maxServiceAccountLifetime(Duration lifetime) {
      this.maxServiceAccountLifetime = positive(lifetime);
      return this;
    }

    /**
     * Starts the fake.
     *
     * @return the started server, with no provider and no binding yet
     */
    public FakeGcp build() {
      return new FakeGcp(this);
    }

    private static Duration positive(Duration d) {
      if (d.isNegative() || d.isZero() || d.getNano() != 0) {
        throw new IllegalArgumentException("A lifetime is a positive whole number of seconds: " + d);
      }
      return d;
    }
  }
}
