package io.workloadidentity.testkit;

import static io.workloadidentity.testkit.internal.FakeServer.json;
import static io.workloadidentity.testkit.internal.FakeServer.form;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.KeyUse;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import io.workloadidentity.testkit.internal.OidcVerifier;
import io.workloadidentity.testkit.internal.azure.EntraWire;
import io.workloadidentity.testkit.internal.SecretRegistry;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import mockwebserver3.MockResponse;
import mockwebserver3.RecordedRequest;

/**
 * A local stand-in for the Microsoft Entra ID v2.0 token endpoint, for the federated
 * client-assertion flow that Azure workload identity uses, served over HTTPS (azure-identity and
 * MSAL4J refuse any other scheme) with a certificate from the testkit CA.
 *
 * <pre>{@code
 * FakeEntraId entra = FakeEntraId.builder().clock(clock).build();
 * entra.addFederatedCredential(TENANT, CLIENT_ID, cluster.issuer(), "system:serviceaccount:default:app");
 * TokenCredential credential = new ClientAssertionCredentialBuilder()
 *     .authorityHost(entra.authorityHost()).disableInstanceDiscovery()
 *     .tenantId(TENANT).clientId(CLIENT_ID).clientAssertion(volume::current)
 *     .httpClient(new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(entra.sslContext())).build())
 *     .build();
 * }</pre>
 *
 * <p><b>{@code POST /{tenant}/oauth2/v2.0/token}</b> checks, in this order, what Entra checks, and
 * answers Entra's error JSON ({@code error}, {@code error_description} starting with the {@code
 * AADSTS} code, {@code error_codes}, trace and correlation IDs) with Entra's HTTP status:
 *
 * <ol>
 *   <li>the tenant is registered, else AADSTS90002 (400 {@code invalid_request});
 *   <li>{@code grant_type=client_credentials} (AADSTS70003), {@code client_id} and {@code scope}
 *       present (AADSTS900144), {@code client_assertion_type} is {@code
 *       urn:ietf:params:oauth:client-assertion-type:jwt-bearer} with a {@code client_assertion}
 *       (AADSTS7000218, 401);
 *   <li>the client ID is an application of the tenant, else AADSTS700016 (400 {@code
 *       unauthorized_client});
 *   <li>exactly one resource's {@code /.default} scope, besides the {@code openid profile
 *       offline_access} MSAL always adds, else AADSTS70011 ({@code invalid_scope});
 *   <li>the assertion is a JWT (AADSTS50027) within its validity window by this server's clock, else
 *       AADSTS700024 (401 {@code invalid_client}, with Entra's "Current time: ..., assertion valid
 *       from ..., expiry time of assertion ..." text);
 *   <li>a federated credential of the application has exactly the token's {@code iss} and {@code sub}
 *       (case-sensitive, trailing slash significant, no wildcards) and an audience in its {@code aud},
 *       else AADSTS70021 (400) quoting the assertion's issuer, subject and audience;
 *   <li>the signature verifies against the issuer's OIDC discovery document and JWKS, fetched over
 *       HTTP like Entra does: unreachable issuer AADSTS50166, bad signature or unknown key
 *       AADSTS700027 (401).
 * </ol>
 *
 * <p>Success is {@code {"token_type":"Bearer","expires_in":3599,"ext_expires_in":3599,
 * "access_token":"..."}} plus {@code refresh_in} (half the lifetime) when the lifetime is at least 2
 * hours, as Entra does for long-lived tokens. The access token is a JWT signed by this server
 * ({@code aud} the resource, {@code appid} the client ID, {@code tid} the tenant), verifiable with
 * {@link #verifyAccessToken(String)} or the key set at {@code /{tenant}/discovery/v2.0/keys}. It also
 * serves {@code GET /{tenant}/v2.0/.well-known/openid-configuration} and {@code GET
 * /common/discovery/instance} (which MSAL calls only with instance discovery on).
 *
 * <p>{@link #faults()} renders {@link Fault#error} with an {@code AADSTS...} code as that error
 * (any other code becomes the OAuth {@code error}), {@link Fault#throttled()} as 429 AADSTS90055 with
 * {@code Retry-After}, {@link Fault#serverError} as {@code temporarily_unavailable} AADSTS90033.
 * Faults that name no path ({@code failNext(n, fault)}, {@code failAlways(fault)}), the latency and
 * the rate limit apply to token requests only, never to the discovery documents a client may fetch
 * first, so {@code failNext(2, ...)} fails two token requests. To break discovery, scope the fault:
 * {@code faults().failAlways("/common/discovery/", Fault.serverError(503))}.
 *
 * <p>Thread-safe. Closing it stops the server.
 */
public final class FakeEntraId extends FakeEndpoint {
  /** The audience of a federated identity credential unless another is given. */
  public static final String DEFAULT_AUDIENCE = "api://AzureADTokenExchange";
  /** The {@code client_assertion_type} of the federated flow. */
  public static final String JWT_BEARER = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
  private static final Set<String> OIDC_SCOPES = Set.of("openid", "profile", "offline_access");

  private final Clock clock;
  private final Duration tokenLifetime;
  private final Duration refreshIn;
  private final OidcVerifier verifier;
  private final RSAKey signingKey;
  /** tenant -> client ID -> federated credentials. */
  private final Map<String, Map<String, List<FederatedCredential>>> tenants = new ConcurrentHashMap<>();

  /**
   * A federated identity credential: what Entra compares the presented token with. Each value must
   * equal the token's claim exactly: case-sensitive, trailing slash significant, no wildcards.
   *
   * @param issuer the trusted issuer, the token's {@code iss}: the cluster's {@code issuer()}
   * @param subject the token's {@code sub}, {@code system:serviceaccount:<namespace>:<name>}
   * @param audience one of the token's {@code aud} values, normally {@link #DEFAULT_AUDIENCE}
   */
  public record FederatedCredential(String issuer, String subject, String audience) {
    /**
     * Validates the three values.
     *
     * @param issuer the trusted issuer, the token's {@code iss}
     * @param subject the token's {@code sub}
     * @param audience one of the token's {@code aud} values
     * @throws NullPointerException if any value is {@code null}
     */
    public FederatedCredential {
      Objects.requireNonNull(issuer, "issuer");
      Objects.requireNonNull(subject, "subject");
      Objects.requireNonNull(audience, "audience");
    }
  }

  private FakeEntraId(Builder b) {
    super("entra-id", true, b.clock);
    this.clock = b.clock;
    this.tokenLifetime = b.tokenLifetime;
    this.refreshIn = b.refreshIn;
    this.verifier = OidcVerifier.builder().clock(b.clock).build();
    try {
      this.signingKey = new RSAKeyGenerator(2048).keyUse(KeyUse.SIGNATURE).keyID(UUID.randomUUID().toString())
          .generate();
    } catch (JOSEException e) {
      throw new IllegalStateException("Could not generate the access-token signing key", e);
    }
  }

  /**
   * Starts a fake with the defaults: system clock, 1-hour access tokens.
   *
   * @return the started server, with no tenant yet
   */
  public static FakeEntraId start() {
    return builder().build();
  }

  /**
   * A builder for a fake with another clock or token lifetime.
   *
   * @return a builder with the defaults: system clock, 3599-second tokens, no {@code refresh_in}
   *     below two hours
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Where the server listens, in the form azure-identity and MSAL expect.
   *
   * @return the authority host to give azure-identity (or {@code AZURE_AUTHORITY_HOST}): {@code
   *     https://127.0.0.1:PORT/}, with the trailing slash
   */
  public String authorityHost() {
    return baseUrl() + "/";
  }

  /**
   * The token endpoint path of a tenant, to scope faults or count requests with {@link
   * #requests(String)}.
   *
   * @param tenant the tenant ID (or domain) as the client sends it
   * @return {@code /{tenant}/oauth2/v2.0/token}
   */
  public static String tokenPath(String tenant) {
    return "/" + tenant + "/oauth2/v2.0/token";
  }

  /**
   * Registers a tenant; without it, token requests get AADSTS90002. Registering it again changes
   * nothing.
   *
   * @param tenant the tenant ID, as the client will send it in the path
   * @return this, for chaining
   */
  public FakeEntraId addTenant(String tenant) {
    tenants.computeIfAbsent(Objects.requireNonNull(tenant, "tenant"), t -> new ConcurrentHashMap<>());
    return this;
  }

  /**
   * Registers an application (app registration or user-assigned managed identity) without federated
   * credentials, creating the tenant as needed: every assertion for it then fails with AADSTS70021.
   * An application already registered keeps its credentials.
   *
   * @param tenant the tenant ID
   * @param clientId the application's client ID
   * @return this, for chaining
   */
  public FakeEntraId addApplication(String tenant, String clientId) {
    addTenant(tenant);
    tenants.get(tenant).computeIfAbsent(Objects.requireNonNull(clientId, "clientId"), c -> new CopyOnWriteArrayList<>());
    return this;
  }

  /**
   * Registers a federated credential with the {@link #DEFAULT_AUDIENCE}, creating tenant and
   * application as needed.
   *
   * @param tenant the tenant ID
   * @param clientId the application's client ID
   * @param issuer the trusted issuer, exactly the token's {@code iss}: the cluster's {@code issuer()}
   * @param subject exactly the token's {@code sub}, {@code system:serviceaccount:<namespace>:<name>}
   * @return this, for chaining
   */
  public FakeEntraId addFederatedCredential(String tenant, String clientId, String issuer, String subject) {
    return addFederatedCredential(tenant, clientId, new FederatedCredential(issuer, subject, DEFAULT_AUDIENCE));
  }

  /**
   * Registers a federated credential, creating tenant and application as needed. An application may
   * have several; a token that matches any of them is accepted.
   *
   * @param tenant the tenant ID
   * @param clientId the application's client ID
   * @param credential the issuer, subject and audience to accept
   * @return this, for chaining
   */
  public FakeEntraId addFederatedCredential(String tenant, String clientId, FederatedCredential credential) {
    addApplication(tenant, clientId);
    tenants.get(tenant).get(clientId).add(Objects.requireNonNull(credential, "credential"));
    return this;
  }

  /**
   * Removes every federated credential of an application; the application stays, so its assertions
   * then fail with AADSTS70021. Unknown tenants and applications are ignored.
   *
   * @param tenant the tenant ID
   * @param clientId the application's client ID
   * @return this, for chaining
   */
  public FakeEntraId clearFederatedCredentials(String tenant, String clientId) {
    Map<String, List<FederatedCredential>> apps = tenants.get(tenant);
    if (apps != null && apps.containsKey(clientId)) {
      apps.get(clientId).clear();
    }
    return this;
  }

  /**
   * The key set that signs this server's access tokens, for a resource server that verifies them.
   *
   * @return the public key only; the same for the server's lifetime
   */
  public JWKSet accessTokenKeys() {
    return new JWKSet(signingKey.toPublicJWK());
  }

  /**
   * Verifies an access token this server issued (signature and expiry by the server's clock) and
   * returns its claims: {@code aud} (the resource), {@code appid}, {@code tid}, {@code iss}, ...
   *
   * @param accessToken the compact JWT the client received (and sends as a bearer token)
   * @return its claims
   * @throws IllegalArgumentException if it is not a valid, unexpired token of this server
   */
  public JWTClaimsSet verifyAccessToken(String accessToken) {
    try {
      SignedJWT jwt = SignedJWT.parse(accessToken);
      if (!jwt.verify(new RSASSAVerifier(signingKey.toRSAPublicKey()))) {
        throw new IllegalArgumentException("Not signed by this fake Entra ID");
      }
      JWTClaimsSet claims = jwt.getJWTClaimsSet();
      if (!clock.instant().isBefore(claims.getExpirationTime().toInstant())) {
        throw new IllegalArgumentException("Access token expired at " + claims.getExpirationTime().toInstant());
      }
      return claims;
    } catch (ParseException | JOSEException e) {
      throw new IllegalArgumentException("Not an access token of this fake Entra ID: " + e.getClass().getSimpleName());
    }
  }

  @Override
  public void close() {
    verifier.close();
    super.close();
  }

  // ------------------------------------------------------------------------------------------

  /**
   * Faults that name no path, latency and the rate limit break the token endpoint only: clients may
   * fetch discovery documents first (MSAL's instance discovery, other libraries' OpenID
   * configuration), and "fail the next two requests" means two token requests. Faults scoped to a
   * path apply to that path as everywhere.
   */
  @Override
  boolean pathlessFaultsApplyTo(String path) {
    return isTokenPath(segments(path));
  }

  private static List<String> segments(String path) {
    return Arrays.stream(path.split("/")).filter(s -> !s.isEmpty()).toList();
  }

  private static boolean isTokenPath(List<String> parts) {
    return parts.size() == 4 && parts.get(1).equals("oauth2") && parts.get(2).equals("v2.0")
        && parts.get(3).equals("token");
  }

  @Override
  MockResponse handle(RecordedRequest request) throws Exception {
    String path = request.getUrl().encodedPath();
    List<String> parts = segments(path);
    if (isTokenPath(parts)) {
      return "POST".equals(request.getMethod()) ? token(parts.get(0), request)
          : error(new EntraWire.Error(405, "invalid_request", 900561, "The endpoint only accepts POST requests."));
    }
    if (path.equals("/common/discovery/instance")) {
      return instanceDiscovery();
    }
    if (parts.size() == 4 && path.endsWith("/v2.0/.well-known/openid-configuration")) {
      return openidConfiguration(parts.get(0));
    }
    if (parts.size() == 4 && path.endsWith("/discovery/v2.0/keys")) {
      return json(200, accessTokenKeys().toString());
    }
    return json(404, Map.of("error", "not_found", "error_description", "No such endpoint on the fake Entra ID: " + path));
  }

  @Override
  MockResponse renderFault(Fault fault, RecordedRequest request) {
    return switch (fault.kind()) {
      case THROTTLED -> error(EntraWire.forCode(90055, "TenantThrottlingError: There are too many incoming requests."
          + " This exception is thrown for blocked tenants.")).newBuilder().setHeader("Retry-After", "5").build();
      case SERVER_ERROR -> error(new EntraWire.Error(fault.status(), "temporarily_unavailable", 90033,
          "A transient error has occurred. Please try again."));
      default -> error(EntraWire.fromFault(fault.status(), fault.code().orElse("invalid_request"),
          fault.message().orElse("Injected error.")));
    };
  }

  private MockResponse token(String tenant, RecordedRequest request) {
    Map<String, List<FederatedCredential>> apps = tenants.get(tenant);
    if (apps == null) {
      return error(EntraWire.forCode(90002, "Tenant '" + tenant + "' not found. Check to make sure you have the correct"
          + " tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may"
          + " happen if there are no active subscriptions for the tenant."));
    }
    Map<String, String> form = form(request);
    if (!"client_credentials".equals(form.get("grant_type"))) {
      return error(EntraWire.forCode(70003, "The app requested an unsupported grant type '" + form.get("grant_type")
          + "'."));
    }
    for (String required : List.of("client_id", "scope")) {
      if (form.getOrDefault(required, "").isBlank()) {
        return error(EntraWire.forCode(900144, "The request body must contain the following parameter: '" + required
            + "'."));
      }
    }
    String assertion = form.get("client_assertion");
    if (!JWT_BEARER.equals(form.get("client_assertion_type")) || assertion == null || assertion.isBlank()) {
      return error(EntraWire.forCode(7000218, "The request body must contain the following parameter: 'client_assertion'"
          + " or 'client_secret'."));
    }
    String clientId = form.get("client_id");
    List<FederatedCredential> credentials = apps.get(clientId);
    if (credentials == null) {
      return error(EntraWire.forCode(700016, "Application with identifier '" + clientId + "' was not found in the"
          + " directory '" + tenant + "'. This can happen if the application has not been installed by the"
          + " administrator of the tenant or consented to by any user in the tenant. You may have sent your"
          + " authentication request to the wrong tenant."));
    }
    List<String> resources = new ArrayList<>();
    for (String scope : form.get("scope").trim().split("\\s+")) {
      if (!OIDC_SCOPES.contains(scope)) {
        resources.add(scope);
      }
    }
    if (resources.size() != 1 || !resources.get(0).endsWith("/.default")) {
      return error(EntraWire.forCode(70011, "The provided request must include a 'scope' input parameter. The provided"
          + " value for the input parameter 'scope' is not valid. The scope " + String.join(" ", resources)
          + " is not valid. Use exactly one resource's /.default scope."));
    }
    String resource = resources.get(0).substring(0, resources.get(0).length() - "/.default".length());

    JWTClaimsSet claims;
    try {
      claims = OidcVerifier.unverifiedClaims(assertion);
    } catch (OidcVerifier.Rejection e) {
      return error(EntraWire.forCode(50027, "JWT token is invalid or malformed."));
    }
    Instant now = clock.instant();
    Instant exp = claims.getExpirationTime().toInstant();
    Instant nbf = claims.getNotBeforeTime() != null ? claims.getNotBeforeTime().toInstant()
        : claims.getIssueTime() != null ? claims.getIssueTime().toInstant() : null;
    if (!now.isBefore(exp) || nbf != null && now.plus(Duration.ofMinutes(1)).isBefore(nbf)) {
      return error(timeRange(now, nbf, exp));
    }
    String iss = claims.getIssuer();
    String sub = claims.getSubject();
    List<String> aud = claims.getAudience();
    boolean matched = credentials.stream().anyMatch(c -> c.issuer().equals(iss) && c.subject().equals(sub)
        && aud.contains(c.audience()));
    if (!matched) {
      return error(EntraWire.forCode(70021, "No matching federated identity record found for presented assertion."
          + " Assertion Issuer: '" + iss + "'. Assertion Subject: '" + sub + "'. Assertion Audience: '"
          + String.join(",", aud) + "'. https://docs.microsoft.com/azure/active-directory/develop/workload-identity-federation"));
    }
    try {
      verifier.verify(assertion);
    } catch (OidcVerifier.Rejection e) {
      return error(switch (e.reason()) {
        case ISSUER_UNREACHABLE, ISSUER_MISMATCH -> EntraWire.forCode(50166, "Request to External OIDC endpoint failed.");
        case EXPIRED, NOT_YET_VALID -> timeRange(now, nbf, exp);
        case MALFORMED -> EntraWire.forCode(50027, "JWT token is invalid or malformed.");
        default -> EntraWire.forCode(700027, "Client assertion failed signature validation.");
      });
    }
    return json(200, success(tenant, clientId, resource, now));
  }

  private static EntraWire.Error timeRange(Instant now, Instant nbf, Instant exp) {
    return EntraWire.forCode(700024, "Client assertion is not within its valid time range. Current time: "
        + EntraWire.time(now) + ", assertion valid from " + (nbf == null ? "unspecified" : EntraWire.time(nbf))
        + ", expiry time of assertion " + EntraWire.time(exp) + ". Review the documentation at"
        + " https://docs.microsoft.com/azure/active-directory/develop/active-directory-certificate-credentials .");
  }

  private Map<String, Object> success(String tenant, String clientId, String resource, Instant now) {
    long lifetime = tokenLifetime.toSeconds();
    Instant expiresAt = now.plusSeconds(lifetime);
    JWTClaimsSet claims = new JWTClaimsSet.Builder()
        .audience(resource)
        .issuer("https://sts.windows.net/" + tenant + "/")
        .issueTime(Date.from(now))
        .notBeforeTime(Date.from(now))
        .expirationTime(Date.from(expiresAt))
        .claim("appid", clientId)
        .claim("azp", clientId)
        .claim("tid", tenant)
        .claim("idtyp", "app")
        .subject(UUID.nameUUIDFromBytes((tenant + "/" + clientId).getBytes(java.nio.charset.StandardCharsets.UTF_8))
            .toString())
        .jwtID(UUID.randomUUID().toString())
        .build();
    SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(signingKey.getKeyID()).build(), claims);
    try {
      jwt.sign(new RSASSASigner(signingKey));
    } catch (JOSEException e) {
      throw new IllegalStateException("Could not sign the access token", e);
    }
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token_type", "Bearer");
    body.put("expires_in", lifetime);
    body.put("ext_expires_in", lifetime);
    Duration refresh = refreshIn != null ? refreshIn
        : tokenLifetime.compareTo(Duration.ofHours(2)) >= 0 ? tokenLifetime.dividedBy(2) : null;
    if (refresh != null) {
      body.put("refresh_in", refresh.toSeconds());
    }
    body.put("access_token", SecretRegistry.register(jwt.serialize(), "an access token issued by FakeEntraId"));
    return body;
  }

  private MockResponse openidConfiguration(String tenant) {
    if (!tenants.containsKey(tenant) && !"common".equals(tenant) && !"organizations".equals(tenant)) {
      return error(new EntraWire.Error(400, "invalid_tenant", 90002, "Tenant '" + tenant + "' not found."));
    }
    String base = baseUrl() + "/" + tenant;
    Map<String, Object> doc = new LinkedHashMap<>();
    doc.put("token_endpoint", base + "/oauth2/v2.0/token");
    doc.put("token_endpoint_auth_methods_supported", List.of("client_secret_post", "private_key_jwt", "client_secret_basic"));
    doc.put("jwks_uri", base + "/discovery/v2.0/keys");
    doc.put("response_types_supported", List.of("code", "id_token", "code id_token", "id_token token"));
    doc.put("subject_types_supported", List.of("pairwise"));
    doc.put("id_token_signing_alg_values_supported", List.of("RS256"));
    doc.put("issuer", base + "/v2.0");
    doc.put("authorization_endpoint", base + "/oauth2/v2.0/authorize");
    doc.put("tenant_region_scope", "WW");
    return json(200, doc);
  }

  private MockResponse instanceDiscovery() {
    String host = authorityHost().substring("https://".length(), authorityHost().length() - 1);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("tenant_discovery_endpoint", baseUrl() + "/common/v2.0/.well-known/openid-configuration");
    body.put("api-version", "1.1");
    body.put("metadata", List.of(Map.of("preferred_network", host, "preferred_cache", host, "aliases", List.of(host))));
    return json(200, body);
  }

  private MockResponse error(EntraWire.Error e) {
    return json(e.status(), EntraWire.body(e, clock));
  }

  /** Settings of a {@link FakeEntraId}. */
  public static final class Builder {
    private Clock clock = Clock.systemUTC();
    private Duration tokenLifetime = Duration.ofSeconds(3599);
    private Duration refreshIn;

    private Builder() {}

    /**
     * The clock for assertion validity and token times; share it with the cluster.
     *
     * @param clock the clock, not {@code null}; default the system clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * The access-token lifetime ({@code expires_in}), by the server's clock.
     *
     * @param lifetime at least one second; default 3599 s, like Entra's app tokens
     * @return this builder
     * @throws IllegalArgumentException if {@code lifetime} is under one second
     */
    public Builder tokenLifetime(Duration lifetime) {
      if (lifetime.toSeconds() < 1) {
        throw new IllegalArgumentException("tokenLifetime must be at least 1 s: " + lifetime);
      }
      this.tokenLifetime = lifetime;
      return this;
    }

    /**
     * The {@code refresh_in} to send with every token. Default: none below a 2-hour lifetime, half the
     * lifetime from 2 hours.
     *
     * @param refreshIn the hint, sent in whole seconds, whatever the lifetime; not {@code null}
     * @return this builder
     */
    public Builder refreshIn(Duration refreshIn) {
      this.refreshIn = Objects.requireNonNull(refreshIn, "refreshIn");
      return this;
    }

    /**
     * Starts the server.
     *
     * @return the started server, with no tenant yet
     */
    public FakeEntraId build() {
      return new FakeEntraId(this);
    }
  }
}
