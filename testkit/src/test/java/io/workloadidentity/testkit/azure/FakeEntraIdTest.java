package io.workloadidentity.testkit.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.ConfigurationBuilder;
import com.azure.core.util.Context;
import com.azure.core.util.ConfigurationSource;
import com.azure.identity.ClientAssertionCredential;
import com.azure.identity.ClientAssertionCredentialBuilder;
import com.microsoft.aad.msal4j.MsalClientException;
import com.microsoft.aad.msal4j.MsalServiceException;
import com.nimbusds.jwt.JWTClaimsSet;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.net.URL;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

/**
 * The fake Entra ID token endpoint driven by the real azure-identity {@link ClientAssertionCredential}
 * (MSAL4J underneath) over HTTPS: one success and every rejection.
 */
class FakeEntraIdTest {
  static final Instant T0 = Instant.parse("2025-01-15T10:00:00Z");
  static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";
  static final String SUBJECT = "system:serviceaccount:default:app";
  static final String SCOPE = "https://management.azure.com/.default";
  static final ConfigurationSource NONE = path -> Map.of();

  TestClock clock;
  KubernetesCluster cluster;
  FakeEntraId entra;
  String token;

  @BeforeEach
  void start() {
    clock = TestClock.at(T0);
    cluster = KubernetesCluster.builder().clock(clock).build();
    entra = FakeEntraId.builder().clock(clock).build();
    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), SUBJECT);
    token = cluster.mint(spec().build());
  }

  @AfterEach
  void stop() {
    entra.close();
    cluster.close();
  }

  static TokenSpec.Builder spec() {
    return TokenSpec.builder().namespace("default").serviceAccount("app").audiences(FakeEntraId.DEFAULT_AUDIENCE);
  }

  /** The real SDK credential pointed at the fake, as the reference recipe says: isolated config first. */
  ClientAssertionCredential credential(String tenant, String client, Supplier<String> assertion) {
    HttpClient http = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(entra.sslContext()))
        .build();
    return new ClientAssertionCredentialBuilder()
        .configuration(new ConfigurationBuilder(NONE, NONE, NONE).build())
        .authorityHost(entra.authorityHost())
        .disableInstanceDiscovery()
        .tenantId(tenant)
        .clientId(client)
        .clientAssertion(assertion)
        .httpClient(http)
        .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
        .build();
  }

  AccessToken getToken(String tenant, String client, String assertion) {
    return credential(tenant, client, () -> assertion).getTokenSync(new TokenRequestContext().addScopes(SCOPE));
  }

  /** What the SDK threw, unwrapped to MSAL's service exception (azure-identity nests it three deep). */
  MsalServiceException rejection(String tenant, String client, String assertion) {
    Throwable t = catchThrowable(() -> getToken(tenant, client, assertion));
    assertThat(t).as("the token request must fail").isNotNull();
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof MsalServiceException e) {
        return e;
      }
    }
    throw new AssertionError("no MsalServiceException in the chain", t);
  }

  @Test
  void issuesAnAccessTokenForAValidFederatedAssertion() {
    AccessToken at = getToken(TENANT, CLIENT, token);

    JWTClaimsSet claims = entra.verifyAccessToken(at.getToken());
    assertThat(claims.getAudience()).containsExactly("https://management.azure.com");
    assertThat(claims.getClaim("appid")).isEqualTo(CLIENT);
    assertThat(claims.getClaim("tid")).isEqualTo(TENANT);
    assertThat(at.getDurationUntilExpiration()).isBetween(Duration.ofMinutes(58), Duration.ofMinutes(60));
    // A 1-hour token comes without refresh_in, and azure-identity then reports the epoch (reference §1.4).
    assertThat(at.getRefreshAt().toInstant()).isEqualTo(Instant.EPOCH);

    ReceivedRequest post = entra.requests(FakeEntraId.tokenPath(TENANT)).get(0);
    assertThat(post.method()).isEqualTo("POST");
    assertThat(post.status()).isEqualTo(200);
    Map<String, String> form = post.form();
    assertThat(form).containsEntry("client_id", CLIENT)
        .containsEntry("grant_type", "client_credentials")
        .containsEntry("client_assertion_type", FakeEntraId.JWT_BEARER)
        .containsEntry("client_assertion", token);
    assertThat(form.get("scope").split(" ")).contains(SCOPE);
  }

  @Test
  void longLivedTokensComeWithRefreshIn() {
    entra.close();
    entra = FakeEntraId.builder().clock(clock).tokenLifetime(Duration.ofHours(24)).build();
    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), SUBJECT);

    AccessToken at = getToken(TENANT, CLIENT, token);

    OffsetDateTime refreshAt = at.getRefreshAt();
    assertThat(Duration.between(Instant.now(), refreshAt.toInstant())).isBetween(Duration.ofHours(11), Duration.ofHours(12));
  }

  @Test
  void unknownTenantIs90002() {
    MsalServiceException e = rejection("no-such-tenant", CLIENT, token);
    assertThat(e.getMessage()).startsWith("AADSTS90002: Tenant 'no-such-tenant' not found.");
    assertThat(e.errorCode()).isEqualTo("invalid_request");
    assertThat(e.statusCode()).isEqualTo(400);
    assertThat(e.correlationId()).isNotBlank();
  }

  @Test
  void unknownApplicationIs700016() {
    MsalServiceException e = rejection(TENANT, "00000000-0000-0000-0000-000000000000", token);
    assertThat(e.getMessage()).startsWith("AADSTS700016: Application with identifier"
        + " '00000000-0000-0000-0000-000000000000' was not found in the directory '" + TENANT + "'.");
    assertThat(e.errorCode()).isEqualTo("unauthorized_client");
    assertThat(e.statusCode()).isEqualTo(400);
  }

  @Test
  void subjectMismatchIs70021QuotingTheAssertionClaims() {
    String other = cluster.mint(spec().serviceAccount("other").build());
    MsalServiceException e = rejection(TENANT, CLIENT, other);
    assertThat(e.getMessage()).startsWith("AADSTS70021: No matching federated identity record found for presented"
            + " assertion.")
        .contains("Assertion Issuer: '" + cluster.issuer() + "'")
        .contains("Assertion Subject: 'system:serviceaccount:default:other'")
        .contains("Assertion Audience: 'api://AzureADTokenExchange'");
    assertThat(e.errorCode()).isEqualTo("invalid_request");
    assertThat(e.statusCode()).isEqualTo(400);
  }

  @Test
  void matchingIsExactTrailingSlashCaseAndAudience() {
    entra.clearFederatedCredentials(TENANT, CLIENT);
    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer() + "/", SUBJECT);
    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), "system:serviceaccount:Default:app");
    entra.addFederatedCredential(TENANT, CLIENT,
        new FakeEntraId.FederatedCredential(cluster.issuer(), SUBJECT, "api://AzureADTokenExchangeChina"));
    assertThat(rejection(TENANT, CLIENT, token).getMessage()).startsWith("AADSTS70021:");

    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), SUBJECT);
    assertThat(getToken(TENANT, CLIENT, token).getToken()).isNotBlank();
  }

  @Test
  void wrongTokenAudienceIs70021() {
    String aws = cluster.mint(spec().audiences("sts.amazonaws.com").build());
    assertThat(rejection(TENANT, CLIENT, aws).getMessage()).startsWith("AADSTS70021:")
        .contains("Assertion Audience: 'sts.amazonaws.com'");
  }

  @Test
  void expiredAssertionIs700024WithEntrasTimes() {
    clock.advance(Duration.ofMinutes(61));
    MsalServiceException e = rejection(TENANT, CLIENT, token);
    assertThat(e.getMessage()).startsWith("AADSTS700024: Client assertion is not within its valid time range. Current"
        + " time: 2025-01-15T11:01:00.0000000Z, assertion valid from 2025-01-15T10:00:00.0000000Z, expiry time of"
        + " assertion 2025-01-15T11:00:00.0000000Z.");
    assertThat(e.errorCode()).isEqualTo("invalid_client");
    assertThat(e.statusCode()).isEqualTo(401);
  }

  @Test
  void assertionFromTheFutureIs700024() {
    String future = cluster.mint(spec().issuedAt(T0.plus(Duration.ofMinutes(10))).build());
    assertThat(rejection(TENANT, CLIENT, future).getMessage()).startsWith("AADSTS700024:");
  }

  @Test
  void forgedSignatureIs700027() {
    MsalServiceException e = rejection(TENANT, CLIENT, cluster.mintForged(spec().build()));
    assertThat(e.getMessage()).startsWith("AADSTS700027: Client assertion failed signature validation.");
    assertThat(e.statusCode()).isEqualTo(401);
  }

  @Test
  void unreachableIssuerIs50166() {
    cluster.faults().failAlways(Fault.serverError(503));
    assertThat(rejection(TENANT, CLIENT, token).getMessage()).startsWith("AADSTS50166:");
    assertThat(cluster.requestCount(KubernetesCluster.DISCOVERY_PATH)).isEqualTo(1);
  }

  @Test
  void tokenFromTheClusterIsAcceptedUntilItExpiresAndRejectedAfter() {
    clock.advance(Duration.ofMinutes(59));
    assertThat(getToken(TENANT, CLIENT, token).getToken()).isNotBlank();
    String rotated = cluster.mint(spec().build()); // what the kubelet writes at its rotation point
    clock.advance(Duration.ofMinutes(2));
    assertThat(rejection(TENANT, CLIENT, token).getMessage()).startsWith("AADSTS700024:");
    assertThat(getToken(TENANT, CLIENT, rotated).getToken()).isNotBlank();
  }

  @Test
  void throttlingIs429WithAadsts90055AndRetryAfter() {
    entra.faults().failNext(1, Fault.throttled());
    MsalServiceException e = rejection(TENANT, CLIENT, token);
    assertThat(e.getMessage()).startsWith("AADSTS90055:");
    assertThat(e.statusCode()).isEqualTo(429);
    assertThat(entra.requests().get(0).status()).isEqualTo(429);
  }

  @Test
  void rateLimitThrottlesBeyondTheLimitPerSecond() {
    entra.faults().rateLimit(2);
    getToken(TENANT, CLIENT, token);
    getToken(TENANT, CLIENT, token);
    assertThat(rejection(TENANT, CLIENT, token).statusCode()).isEqualTo(429);
    clock.advance(Duration.ofSeconds(1));
    assertThat(getToken(TENANT, CLIENT, token).getToken()).isNotBlank();
  }

  @Test
  void serverErrorIsTemporarilyUnavailable() {
    entra.faults().failAlways(Fault.serverError(503));
    MsalServiceException e = rejection(TENANT, CLIENT, token);
    assertThat(e.getMessage()).startsWith("AADSTS90033:");
    assertThat(e.errorCode()).isEqualTo("temporarily_unavailable");
    assertThat(e.statusCode()).isEqualTo(503);
  }

  @Test
  void injectedAadstsErrorIsRenderedLikeEntra() {
    entra.faults().failNext(1, Fault.error(401, "AADSTS700024", "Client assertion is not within its valid time range."));
    MsalServiceException e = rejection(TENANT, CLIENT, token);
    assertThat(e.getMessage()).startsWith("AADSTS700024: Client assertion is not within its valid time range.");
    assertThat(e.errorCode()).isEqualTo("invalid_client");
    assertThat(e.statusCode()).isEqualTo(401);
  }

  @Test
  void connectionResetSurfacesAsAnIoFailure() {
    entra.faults().failNext(1, Fault.connectionReset());
    Throwable t = catchThrowable(() -> getToken(TENANT, CLIENT, token));
    assertThat(t).hasRootCauseInstanceOf(IOException.class);
    assertThat(entra.requests().get(0).status()).isZero();
  }

  @Test
  void malformedBodyFailsToParse() {
    entra.faults().failNext(1, Fault.malformedBody());
    Throwable t = catchThrowable(() -> getToken(TENANT, CLIENT, token));
    assertThat(t).isNotNull();
    boolean msal = false;
    for (Throwable c = t; c != null; c = c.getCause()) {
      msal |= c instanceof MsalClientException || c instanceof MsalServiceException;
    }
    assertThat(msal).as("MSAL reports the unparsable response: %s", t).isTrue();
  }

  @Test
  void servesTheOpenidConfigurationOfATenant() throws Exception {
    var http = java.net.http.HttpClient.newBuilder().sslContext(entra.sslContext()).build();
    var response = http.send(java.net.http.HttpRequest.newBuilder(
            java.net.URI.create(entra.url("/" + TENANT + "/v2.0/.well-known/openid-configuration"))).build(),
        java.net.http.HttpResponse.BodyHandlers.ofString());
    assertThat(response.statusCode()).isEqualTo(200);
    assertThat(response.body()).contains("\"token_endpoint\":\"" + entra.url(FakeEntraId.tokenPath(TENANT)) + "\"");
  }

  /**
   * An azure-core client that sends requests for {@code hosts} to the fake instead, so MSAL's
   * instance discovery (always asked of login.microsoftonline.com for a host it does not know)
   * reaches the fake too, as it would reach Entra.
   */
  HttpClient redirecting(Set<String> hosts) {
    HttpClient jdk = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(entra.sslContext()))
        .build();
    java.util.function.UnaryOperator<HttpRequest> redirect = request -> {
      URL url = request.getUrl();
      if (hosts.contains(url.getHost())) {
        request.setUrl(entra.baseUrl() + url.getFile());
      }
      return request;
    };
    return new HttpClient() {
      @Override
      public Mono<HttpResponse> send(HttpRequest request) {
        return jdk.send(redirect.apply(request));
      }

      @Override
      public Mono<HttpResponse> send(HttpRequest request, Context context) {
        return jdk.send(redirect.apply(request), context);
      }

      @Override
      public HttpResponse sendSync(HttpRequest request, Context context) {
        return jdk.sendSync(redirect.apply(request), context);
      }
    };
  }

  @Test
  void faultsThatNameNoPathBreakTokenRequestsNotMsalsDiscovery() {
    // A host of its own, so MSAL's process-wide discovery cache (keyed by host) cannot answer for it.
    String host = "login-" + java.util.UUID.randomUUID() + ".example";
    ClientAssertionCredential credential = new ClientAssertionCredentialBuilder()
        .configuration(new ConfigurationBuilder(NONE, NONE, NONE).build())
        .authorityHost("https://" + host + "/")   // instance discovery stays on
        .tenantId(TENANT)
        .clientId(CLIENT)
        .clientAssertion(() -> token)
        .httpClient(redirecting(Set.of(host, "login.microsoftonline.com")))
        .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
        .build();
    TokenRequestContext request = new TokenRequestContext().addScopes(SCOPE);
    entra.faults().failNext(2, Fault.throttled());

    for (int i = 0; i < 2; i++) {
      Throwable t = catchThrowable(() -> credential.getTokenSync(request));
      assertThat(t).as("token request %d is throttled", i + 1).isNotNull();
    }
    assertThat(entra.verifyAccessToken(credential.getTokenSync(request).getToken())).isNotNull();

    List<ReceivedRequest> discovery = entra.requests("/common/discovery/instance");
    assertThat(discovery).as("MSAL asked for instance discovery").isNotEmpty()
        .allSatisfy(r -> {
          assertThat(r.method()).isEqualTo("GET");
          assertThat(r.status()).isEqualTo(200);
          assertThat(r.fault()).isEmpty();
        });
    assertThat(entra.requests(FakeEntraId.tokenPath(TENANT))).extracting(ReceivedRequest::status)
        .containsExactly(429, 429, 200);
  }

  @Test
  void aFaultScopedToTheDiscoveryPathStillBreaksIt() throws Exception {
    entra.faults().failAlways(Fault.serverError(503)).failAlways("/common/discovery/", Fault.serverError(503));
    var http = java.net.http.HttpClient.newBuilder().sslContext(entra.sslContext()).build();
    java.util.function.Function<String, Integer> get = path -> {
      try {
        return http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(entra.url(path))).build(),
            java.net.http.HttpResponse.BodyHandlers.discarding()).statusCode();
      } catch (IOException | InterruptedException e) {
        throw new AssertionError(e);
      }
    };
    assertThat(get.apply("/" + TENANT + "/v2.0/.well-known/openid-configuration")).as("unscoped: spared").isEqualTo(200);
    assertThat(get.apply("/common/discovery/instance?api-version=1.1")).as("scoped to it").isEqualTo(503);
    assertThat(rejection(TENANT, CLIENT, token).statusCode()).as("the token endpoint").isEqualTo(503);
  }
}
