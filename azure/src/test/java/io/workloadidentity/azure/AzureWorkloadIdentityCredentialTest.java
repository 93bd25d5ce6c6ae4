package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpMethod;
import com.azure.core.http.HttpPipeline;
import com.azure.core.http.HttpPipelineBuilder;
import com.azure.core.http.HttpRequest;
import com.azure.core.http.HttpResponse;
import com.azure.core.http.policy.BearerTokenAuthenticationPolicy;
import com.nimbusds.jwt.JWTClaimsSet;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.testkit.FakeResourceServer;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.ReceivedRequest;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The credential against the testkit's Entra ID over real HTTPS, with the real azure-identity stack. */
class AzureWorkloadIdentityCredentialTest extends EntraFixture {
  /** MSAL states expiry in whole seconds. */
  private static final org.assertj.core.data.TemporalUnitOffset SECOND =
      org.assertj.core.api.Assertions.within(1500, java.time.temporal.ChronoUnit.MILLIS);

  @Test
  void anSdkStyleCallGetsATokenAndEntraSeesTheTrimmedProjectedToken() {
    String projected = volume.current().value();
    volume.writeRaw(projected + "\n"); // some writers end the file with a newline; Entra wants the bare JWT
    AzureWorkloadIdentityCredential credential = credential();
    // A resource server an Azure SDK client would call: answers 200 and records the Authorization header.
    FakeResourceServer vault = closeLater(FakeResourceServer.builder().https(true).json("{\"value\":\"s3cr3t-value\"}").build());
    // What every Azure SDK client does with a TokenCredential: a pipeline with the bearer policy.
    HttpPipeline pipeline = new HttpPipelineBuilder()
        .policies(new BearerTokenAuthenticationPolicy(credential, VAULT))
        .httpClient(trustingClient())
        .build();

    try (HttpResponse response = pipeline.sendSync(new HttpRequest(HttpMethod.GET, vault.url("/secrets/db")),
        com.azure.core.util.Context.NONE)) {
      assertThat(response.getStatusCode()).isEqualTo(200);
    }

    String authorization = vault.requests().get(0).header("Authorization").orElseThrow();
    assertThat(authorization).startsWith("Bearer ");
    String accessToken = SecretLeakGuard.secret(authorization.substring("Bearer ".length()));
    JWTClaimsSet claims = entra.verifyAccessToken(accessToken);
    assertThat(claims.getAudience()).containsExactly("https://vault.azure.net");
    assertThat(claims.getClaim("appid")).isEqualTo(CLIENT);
    assertThat(claims.getClaim("tid")).isEqualTo(TENANT);

    ReceivedRequest post = posts().get(0);
    assertThat(posts()).hasSize(1);
    assertThat(post.form())
        .containsEntry("client_assertion", projected)
        .containsEntry("client_id", CLIENT)
        .containsEntry("grant_type", "client_credentials")
        .containsEntry("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer");
    assertThat(SecretLeakGuard.inspect(credential.toString())).contains(CLIENT, TENANT, volume.tokenFile().toString());
  }

  @Test
  void withoutRefreshInTwentyCallsOverAnHourMakeOneRequestPerRefreshCycle() throws Exception {
    // No jitter, so the refresh point is exactly 80% of 3599 s (47:59) and the test knows which call
    // starts the background refresh; it waits for that refresh before moving the clock on, as real
    // time would (an exchange takes milliseconds, not minutes).
    AzureWorkloadIdentityCredential credential = closeLater(builder()
        .refreshPolicy(io.workloadidentity.core.RefreshPolicy.builder().jitter(0, Duration.ZERO)
            .maximumLifetime(Duration.ofHours(24)).build()) // the default 12 h cap would refresh earlier
        .build());
    Instant start = clock.instant();
    List<String> tokens = new ArrayList<>();
    List<Instant> refreshAts = new ArrayList<>();

    for (int i = 0; i < 20; i++) {
      clock.set(start.plus(Duration.ofMinutes(3L * i)));
      AccessToken token = i % 2 == 0 ? credential.getTokenSync(VAULT_REQUEST) : credential.getToken(VAULT_REQUEST).block();
      assertThat(token.getExpiresAt().toInstant()).isAfter(clock.instant());
      tokens.add(SecretLeakGuard.secret(token.getToken()));
      refreshAts.add(token.getRefreshAt().toInstant());
      if (i == 0) {
        events.awaitRefreshed();
      }
      if (i == 16) { // the 48-minute call was served the first token and started the refresh
        events.awaitRefreshed();
      }
    }

    // 3599 s tokens without refresh_in: azure-core's own cache would see refreshAt = 1970 and ask
    // again every 30 s (120 requests in this hour). Here: the first one, and one refresh at 80%.
    assertThat(posts()).hasSize(2);
    assertThat(Duration.between(start, posts().get(1).receivedAt())).isEqualTo(Duration.ofMinutes(48));
    assertThat(refreshAts.get(0)).isCloseTo(start.plusMillis(3599_000L * 8 / 10), SECOND); // our refresh point, 47:59
    assertThat(tokens.subList(0, 17)).containsOnly(tokens.get(0)); // the 48-minute call is served, not held
    assertThat(tokens.subList(17, 20)).doesNotContain(tokens.get(0)).containsOnly(tokens.get(17));
    assertThat(events.failures()).isEmpty();
  }

  @Test
  void aSaneRefreshInComesBeforeTheLifetimeBasedPoint() throws Exception {
    refreshesAt(Duration.ofHours(12), Duration.ofHours(12)); // earlier than 80% of 24 h
  }

  @Test
  void aRefreshInBeyondExpiryIsIgnored() throws Exception {
    refreshesAt(Duration.ofHours(48), Duration.ofMinutes(24 * 60 * 8 / 10)); // 80% of 24 h applies
  }

  /** With 24-hour tokens and the given refresh_in, the one refresh happens at {@code expected}. */
  private void refreshesAt(Duration refreshIn, Duration expected) throws Exception {
    entra.close();
    entra = closeLater(io.workloadidentity.testkit.FakeEntraId.builder().clock(clock)
        .tokenLifetime(Duration.ofHours(24)).refreshIn(refreshIn).build());
    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), SUBJECT);
    AzureWorkloadIdentityCredential credential = closeLater(builder()
        .refreshPolicy(io.workloadidentity.core.RefreshPolicy.builder().jitter(0, Duration.ZERO)
            .maximumLifetime(Duration.ofHours(24)).build()) // the default 12 h cap would refresh earlier
        .build());
    Instant start = clock.instant();
    AccessToken first = credential.getTokenSync(VAULT_REQUEST);
    SecretLeakGuard.secret(first.getToken());
    events.awaitRefreshed();
    // What azure-core's token cache above us reads: the point at which we will have a new token.
    assertThat(first.getRefreshAt().toInstant()).isCloseTo(start.plus(expected), SECOND);

    clock.set(start.plus(expected).minusSeconds(30));
    volume.rotateIfDue(); // the kubelet has rotated the projected token many times by then
    SecretLeakGuard.secret(volume.current().value());
    clock.advance(Duration.ofSeconds(2));
    credential.getTokenSync(VAULT_REQUEST);
    assertThat(posts()).hasSize(1);

    clock.set(start.plus(expected).plusSeconds(30));
    credential.getTokenSync(VAULT_REQUEST);
    events.awaitRefreshed();
    assertThat(posts()).hasSize(2);
  }

  @Test
  void afterTheVolumeRotatesTheNextBackgroundRefreshSendsTheNewToken() throws Exception {
    AzureWorkloadIdentityCredential credential = credential();
    String first = credential.getTokenSync(VAULT_REQUEST).getToken();
    events.awaitRefreshed();
    ProjectedToken old = volume.current();

    clock.advance(Duration.ofMinutes(50)); // past the kubelet's 80% point and the credential's
    assertThat(volume.rotateIfDue()).isTrue();
    // A read just before the swap holds the old (still valid) token for one more second: let it pass.
    clock.advance(Duration.ofMinutes(1));
    ProjectedToken rotated = volume.current();
    SecretLeakGuard.secret(rotated.value());
    AccessToken served = credential.getTokenSync(VAULT_REQUEST); // never waits: serves, refreshes behind
    assertThat(served.getToken()).isEqualTo(first);
    events.awaitRefreshed();

    assertThat(assertions()).containsExactly(old.value(), rotated.value());
    assertThat(SecretLeakGuard.secret(credential.getTokenSync(VAULT_REQUEST).getToken())).isNotEqualTo(first);
  }

  @Test
  void whenTheOldTokenHasExpiredTheNextExchangeSendsTheRotatedOne() {
    AzureWorkloadIdentityCredential credential = credential();
    credential.getTokenSync(VAULT_REQUEST);
    ProjectedToken old = volume.current();
    clock.advance(Duration.ofMinutes(49));
    assertThat(volume.rotateIfDue()).isTrue();
    ProjectedToken rotated = volume.current();
    SecretLeakGuard.secret(rotated.value());

    clock.advance(Duration.ofMinutes(13)); // the old projected token and the access token are both dead
    AccessToken fresh = credential.getTokenSync(VAULT_REQUEST);

    assertThat(fresh.getExpiresAt().toInstant()).isAfter(clock.instant().plus(Duration.ofMinutes(55)));
    assertThat(assertions()).containsExactly(old.value(), rotated.value());
    assertThat(clock.instant()).isAfter(old.expiresAt()); // Entra would refuse the old one now
  }

  @Test
  void aTimeRangeRejectionRereadsTheFileAndTheCacheRetriesWithTheRotatedToken() throws Exception {
    // The kubelet has just rotated the file, but the source still holds the old token (no watch
    // event yet): Entra refuses the old one with AADSTS700024.
    try (io.workloadidentity.core.FileTokenSource file = io.workloadidentity.core.FileTokenSource
        .builder(volume.tokenFile()).clock(clock).watch(false).build()) {
      io.workloadidentity.testkit.CountingTokenSource source = io.workloadidentity.testkit.CountingTokenSource.of(file);
      AzureWorkloadIdentityCredential credential = closeLater(builder().tokenSource(source).build());
      ProjectedToken old = file.token();
      clock.advance(Duration.ofMinutes(10));
      ProjectedToken rotated = volume.rotate();
      SecretLeakGuard.secret(rotated.value());
      entra.faults().failNext(1, Fault.error(401, "AADSTS700024", "Client assertion is not within its valid time range."));

      AzureTokenException rejected = (AzureTokenException) SecretLeakGuard.inspect(
          org.assertj.core.api.Assertions.catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));

      // One attempt, one request: the exchange re-read the file and left the retry to the cache.
      assertThat(rejected.reason()).isEqualTo(AzureTokenException.Reason.ASSERTION_TIME_RANGE);
      assertThat(rejected.tokenRejected()).isTrue();
      assertThat(rejected.retryable()).isTrue();
      assertThat(source.refreshes()).isEqualTo(1);
      assertThat(posts()).extracting(ReceivedRequest::status).containsExactly(401);

      clock.advance(Duration.ofSeconds(2)); // past the first backoff step (at most 1 s)
      AccessToken token = credential.getTokenSync(VAULT_REQUEST);

      assertThat(entra.verifyAccessToken(SecretLeakGuard.secret(token.getToken())).getAudience())
          .containsExactly("https://vault.azure.net");
      assertThat(posts()).extracting(ReceivedRequest::status).containsExactly(401, 200);
      assertThat(assertions()).containsExactly(old.value(), rotated.value());
    }
  }

  @Test
  void aTimeRangeRejectionIsTypedRetryableAndTokenRejectedAfterOneRequest() {
    AzureWorkloadIdentityCredential credential = credential();
    entra.faults().failNext(1, Fault.error(401, "AADSTS700024", "Client assertion is not within its valid time range."));

    Throwable t = SecretLeakGuard.inspect(org.assertj.core.api.Assertions.catchThrowable(
        () -> credential.getTokenSync(VAULT_REQUEST)));

    assertThat(t).isInstanceOf(AzureTokenException.class);
    AzureTokenException e = (AzureTokenException) t;
    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.ASSERTION_TIME_RANGE);
    assertThat(e.code()).contains("AADSTS700024");
    assertThat(e.oauthError()).contains("invalid_client");
    assertThat(e.httpStatus()).hasValue(401);
    assertThat(e.retryable()).isTrue();
    assertThat(e.tokenRejected()).isTrue();
    assertThat(e.correlationId()).isPresent();
    assertThat(e.advice()).contains("skewed", "kubelet", "re-read", "exp " + volume.current().expiresAt());
    assertThat(posts()).hasSize(1);
  }

  @Test
  void aTimeRangeRejectionWithAnExpiredFileSaysTheKubeletStoppedRotating() {
    ProjectedToken token = volume.current();
    io.workloadidentity.core.TokenSource expiredOnReread = new io.workloadidentity.core.TokenSource() {
      @Override
      public ProjectedToken token() {
        return token;
      }

      @Override
      public ProjectedToken refresh() {
        throw new io.workloadidentity.core.TokenExpiredException("The projected token expired.", token.expiresAt());
      }

      @Override
      public Subscription onRotation(java.util.function.Consumer<ProjectedToken> listener) {
        return () -> {};
      }

      @Override
      public String description() {
        return "/var/run/secrets/azure/tokens/azure-identity-token";
      }
    };
    AzureWorkloadIdentityCredential credential = closeLater(builder().tokenSource(expiredOnReread).build());
    entra.faults().failNext(1, Fault.error(401, "AADSTS700024", "Client assertion is not within its valid time range."));

    Throwable t = SecretLeakGuard.inspect(org.assertj.core.api.Assertions.catchThrowable(
        () -> credential.getTokenSync(VAULT_REQUEST)));

    assertThat(t).isInstanceOf(AzureTokenException.class)
        .hasMessageContaining("has itself expired")
        .hasMessageContaining("the kubelet stopped rotating it, or this machine's clock is wrong")
        .hasMessageContaining("/var/run/secrets/azure/tokens/azure-identity-token");
    AzureTokenException e = (AzureTokenException) t;
    // "Expired even after re-reading the file" is retryable on every cloud: a rotation ends the backoff.
    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.ASSERTION_TIME_RANGE);
    assertThat(e.retryable()).isTrue();
    assertThat(e.tokenRejected()).isTrue();
    assertThat(posts()).hasSize(1);
  }

  @Test
  void anOutageShorterThanTheLifetimeIsInvisibleToSixteenCallersAndEach503CostsOneRequest() throws Exception {
    AzureWorkloadIdentityCredential credential = credential();
    String token = SecretLeakGuard.secret(credential.getTokenSync(VAULT_REQUEST).getToken());
    events.awaitRefreshed();
    entra.faults().failAlways(Fault.serverError(503));
    clock.advance(Duration.ofMinutes(50)); // past the refresh point

    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> calls = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        boolean async = i % 2 == 0;
        calls.add(pool.submit(() -> {
          go.await();
          return async ? credential.getToken(VAULT_REQUEST).block().getToken()
              : credential.getTokenSync(VAULT_REQUEST).getToken();
        }));
      }
      go.countDown();
      for (Future<String> call : calls) {
        assertThat(call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(token);
      }
    } finally {
      pool.shutdownNow();
    }

    AzureTokenException outage = (AzureTokenException) SecretLeakGuard.inspect(events.awaitFailure());
    assertThat(outage.reason()).isEqualTo(AzureTokenException.Reason.UNAVAILABLE);
    assertThat(outage.retryable()).isTrue();
    assertThat(outage.httpStatus()).hasValue(503);
    assertThat(outage.code()).contains("AADSTS90033");
    // One refresh attempt, one request: no azure-core RetryPolicy, MSAL's own 5xx retry suppressed.
    assertThat(posts()).extracting(ReceivedRequest::status).containsExactly(200, 503);

    clock.advance(Duration.ofMinutes(2)); // past the backoff; Entra is back
    entra.faults().clear();
    assertThat(credential.getTokenSync(VAULT_REQUEST).getToken()).isEqualTo(token); // still served...
    events.awaitRefreshed(); // ...while the retry succeeds behind it
    assertThat(posts()).extracting(ReceivedRequest::status).containsExactly(200, 503, 200);
    assertThat(SecretLeakGuard.secret(credential.getTokenSync(VAULT_REQUEST).getToken())).isNotEqualTo(token);
  }

  @Test
  void concurrentFirstCallersShareOneExchange() throws Exception {
    AzureWorkloadIdentityCredential credential = credential();
    entra.faults().latency(Duration.ofMillis(200));
    ExecutorService pool = Executors.newFixedThreadPool(16);
    try {
      CountDownLatch go = new CountDownLatch(1);
      List<Future<String>> calls = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        calls.add(pool.submit(() -> {
          go.await();
          return credential.getTokenSync(VAULT_REQUEST).getToken();
        }));
      }
      go.countDown();
      String first = calls.get(0).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
      for (Future<String> call : calls) {
        assertThat(call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS)).isEqualTo(first);
      }
      SecretLeakGuard.secret(first);
    } finally {
      pool.shutdownNow();
    }
    assertThat(posts()).hasSize(1);
  }

  @Test
  void getTokenAnswersFromTheCacheWithoutWaitingAndSharesItWithGetTokenSync() {
    AzureWorkloadIdentityCredential credential = credential();
    AccessToken sync = credential.getTokenSync(VAULT_REQUEST);
    SecretLeakGuard.secret(sync.getToken());
    entra.faults().latency(Duration.ofSeconds(5)).failAlways(Fault.serverError(503));

    // Subscribing completes the future on this thread: the Mono is a Mono.just of the cached token.
    java.util.concurrent.CompletableFuture<AccessToken> async = credential.getToken(VAULT_REQUEST).toFuture();
    assertThat(async).isCompleted();
    assertThat(async.join().getToken()).isEqualTo(sync.getToken());
    assertThat(posts()).hasSize(1); // azure-identity's sync and async paths would have made two
  }

  @Test
  void scopeSpellingsOfOneResourceShareOneToken() {
    AzureWorkloadIdentityCredential credential = credential();
    String a = credential.getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net/.default")).getToken();
    String b = credential.getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net//.default")).getToken();
    String c = credential.getTokenSync(new TokenRequestContext().addScopes(" https://vault.azure.net/.default ")).getToken();
    SecretLeakGuard.secret(a);
    assertThat(b).isEqualTo(a);
    assertThat(c).isEqualTo(a);
    assertThat(posts()).hasSize(1);

    String arm = credential.getTokenSync(new TokenRequestContext().addScopes("https://management.azure.com/.default"))
        .getToken();
    SecretLeakGuard.secret(arm);
    assertThat(entra.verifyAccessToken(arm).getAudience()).containsExactly("https://management.azure.com");
    assertThat(posts()).hasSize(2);
  }

  @Test
  void closeStopsTheCredential() {
    AzureWorkloadIdentityCredential credential = builder().build();
    credential.close();
    credential.close();
    assertThat(org.assertj.core.api.Assertions.catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)))
        .isInstanceOf(IllegalStateException.class);
    assertThat(credential.getToken(VAULT_REQUEST).onErrorResume(e -> reactor.core.publisher.Mono.empty()).block())
        .isNull();
    assertThat(posts()).isEmpty();
  }
}
