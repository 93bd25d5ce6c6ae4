package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import io.workloadidentity.core.internal.Shared;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The shape every cloud module has, and azure-core's conventions, written the way a user calls them:
 * sharing, one request per cache attempt, allocation-free cached reads, tenants, close.
 */
class AzureConventionsTest extends EntraFixture {
  static final String OTHER_TENANT = "aaaaaaaa-2222-3333-4444-555555555555";

  @Test
  void tenCreateCallsInOneJvmShareOneSessionAndOneTokenRequest() {
    Map<String, String> pod = Map.of("AZURE_CLIENT_ID", CLIENT, "AZURE_TENANT_ID", TENANT,
        "AZURE_FEDERATED_TOKEN_FILE", volume.tokenFile().toString(), "AZURE_AUTHORITY_HOST", entra.authorityHost());
    pod.forEach(System::setProperty); // what the webhook's variables are for create(); a property of the same name wins
    int before = Shared.live();
    List<AzureWorkloadIdentityCredential> credentials = new ArrayList<>();
    try {
      for (int i = 0; i < 10; i++) {
        credentials.add(closeLater(AzureWorkloadIdentityCredential.create()));
      }
      assertThat(Shared.live()).isEqualTo(before + 1);
      for (AzureWorkloadIdentityCredential c : credentials) {
        SecretLeakGuard.secret(c.getTokenSync(VAULT_REQUEST).getToken());
      }
    } finally {
      pod.keySet().forEach(System::clearProperty);
    }
    assertThat(posts()).hasSize(1);
    credentials.forEach(AzureWorkloadIdentityCredential::close);
    assertThat(Shared.live()).isEqualTo(before);
  }

  @Test
  void tenIdenticalCredentialsMakeOneRequestPerRefreshCycleAndEachListenerHearsIt() throws Exception {
    List<AzureWorkloadIdentityCredential> credentials = new ArrayList<>();
    List<CacheEvents> listeners = new ArrayList<>();
    for (int i = 0; i < 10; i++) {
      CacheEvents own = CacheEvents.withTimeout(WAIT);
      listeners.add(own);
      credentials.add(closeLater(builder().listener(own).build())); // a listener each: still one session
    }
    String first = SecretLeakGuard.secret(credentials.get(3).getTokenSync(VAULT_REQUEST).getToken());
    for (AzureWorkloadIdentityCredential c : credentials) {
      assertThat(c.getTokenSync(VAULT_REQUEST).getToken()).isEqualTo(first);
    }
    for (CacheEvents l : listeners) {
      l.awaitRefreshed();
    }
    assertThat(posts()).hasSize(1);

    clock.advance(Duration.ofMinutes(50)); // past the refresh point of a 1-hour token
    for (AzureWorkloadIdentityCredential c : credentials) {
      c.getTokenSync(VAULT_REQUEST); // served at once; one background refresh for all ten
    }
    for (CacheEvents l : listeners) {
      l.awaitRefreshed();
    }
    assertThat(posts()).hasSize(2);
    String second = SecretLeakGuard.secret(credentials.get(7).getTokenSync(VAULT_REQUEST).getToken());
    assertThat(second).isNotEqualTo(first);

    for (int i = 0; i < 9; i++) {
      credentials.get(i).close(); // the others' shares keep the session open
    }
    assertThat(credentials.get(9).getTokenSync(VAULT_REQUEST).getToken()).isEqualTo(second);
    assertThat(catchThrowable(() -> credentials.get(0).getTokenSync(VAULT_REQUEST)))
        .isInstanceOf(IllegalStateException.class);
  }

  @Test
  void anOutageCostsOneRequestPerCacheAttempt() throws Exception {
    AzureWorkloadIdentityCredential credential = credential();
    String token = SecretLeakGuard.secret(credential.getTokenSync(VAULT_REQUEST).getToken());
    events.awaitRefreshed();
    entra.faults().failAlways(Fault.serverError(503));
    clock.advance(Duration.ofMinutes(50)); // past the refresh point

    int attempts = 5;
    for (int i = 0; i < attempts; i++) {
      assertThat(credential.getTokenSync(VAULT_REQUEST).getToken()).isEqualTo(token); // served throughout
      AzureTokenException e = (AzureTokenException) SecretLeakGuard.inspect(events.awaitFailure());
      assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.UNAVAILABLE);
      assertThat(events.failureCount()).isEqualTo(i + 1);
      clock.advance(Duration.ofSeconds(61)); // past any backoff window (at most 60 s)
    }

    // One request for the first token, then exactly one per attempt: no azure-core or MSAL retries.
    assertThat(posts()).hasSize(1 + attempts);
    assertThat(posts().subList(1, 1 + attempts)).extracting(ReceivedRequest::status).containsOnly(503);
  }

  @Test
  void aCachedGetTokenSyncAllocatesNothingAndGetTokenReusesItsMono() {
    AzureWorkloadIdentityCredential credential = credential();
    TokenRequestContext request = new TokenRequestContext().addScopes(VAULT);
    SecretLeakGuard.secret(credential.getTokenSync(request).getToken());
    // Another request object with the same scopes: the memo matches by content, not identity.
    TokenRequestContext again = new TokenRequestContext().setScopes(List.of(VAULT));
    com.sun.management.ThreadMXBean threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    for (int i = 0; i < 20_000; i++) { // let the JIT settle
      credential.getTokenSync(i % 2 == 0 ? request : again);
    }

    long before = threads.getThreadAllocatedBytes(id);
    AccessToken last = null;
    for (int i = 0; i < 100_000; i++) {
      last = credential.getTokenSync(i % 2 == 0 ? request : again);
    }
    long allocated = threads.getThreadAllocatedBytes(id) - before;

    assertThat(last).isNotNull();
    assertThat(allocated).as("bytes allocated by 100,000 cached reads").isLessThan(1_000);
    assertThat(credential.getToken(request)).isSameAs(credential.getToken(again));
    assertThat(credential.getToken(request).block()).isSameAs(last);
    assertThat(posts()).hasSize(1);
  }

  @Test
  void aRequestForAnotherTenantIsRefusedBeforeItIsSentWithAdviceAndNeverRetried() throws Exception {
    AzureWorkloadIdentityCredential credential = credential();
    TokenRequestContext other = new TokenRequestContext().addScopes(VAULT).setTenantId(OTHER_TENANT);

    AzureTokenException e = (AzureTokenException) SecretLeakGuard.inspect(
        catchThrowable(() -> credential.getTokenSync(other)));

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.TENANT_NOT_ALLOWED);
    assertThat(e.retryable()).isFalse();
    assertThat(e.advice()).contains("additionallyAllowedTenants(\"" + OTHER_TENANT + "\")", "\"*\"",
        "AZURE_ADDITIONALLY_ALLOWED_TENANTS");
    assertThat(e.getMessage()).contains(OTHER_TENANT, TENANT, "not sent");
    Throwable async = catchThrowable(() -> credential.getToken(other).block());
    assertThat(async).isInstanceOf(AzureTokenException.class);

    clock.advance(Duration.ofMinutes(10)); // ten backoff windows: nothing runs in the background
    assertThat(catchThrowable(() -> credential.getTokenSync(other))).isInstanceOf(AzureTokenException.class);
    assertThat(events.startedCount()).isZero();
    assertThat(entra.requestCount()).isZero();
  }

  @Test
  void anAdditionallyAllowedTenantGetsItsOwnTokenAndTheConfiguredTenantSharesTheDefault() {
    entra.addFederatedCredential(OTHER_TENANT, CLIENT, cluster.issuer(), SUBJECT); // a multi-tenant application
    // Tenant IDs are case-insensitive.
    AzureWorkloadIdentityCredential credential = closeLater(builder()
        .additionallyAllowedTenants(OTHER_TENANT.toUpperCase(java.util.Locale.ROOT)).build());

    String home = SecretLeakGuard.secret(credential.getTokenSync(VAULT_REQUEST).getToken());
    String explicitHome = credential.getTokenSync(new TokenRequestContext().addScopes(VAULT)
        .setTenantId(TENANT.toUpperCase(java.util.Locale.ROOT)))
        .getToken();
    String away = SecretLeakGuard.secret(credential.getTokenSync(new TokenRequestContext().addScopes(VAULT)
        .setTenantId(OTHER_TENANT)).getToken());

    assertThat(explicitHome).isEqualTo(home);
    assertThat(entra.verifyAccessToken(away).getClaim("tid")).isEqualTo(OTHER_TENANT);
    assertThat(posts()).hasSize(1);
    assertThat(entra.requests(FakeEntraId.tokenPath(OTHER_TENANT))).hasSize(1);
  }

  @Test
  void aStarAllowsAnyTenant() {
    entra.addFederatedCredential(OTHER_TENANT, CLIENT, cluster.issuer(), SUBJECT);
    AzureWorkloadIdentityCredential credential = closeLater(builder().additionallyAllowedTenants("*").build());
    String away = SecretLeakGuard.secret(credential.getTokenSync(new TokenRequestContext().addScopes(VAULT)
        .setTenantId(OTHER_TENANT)).getToken());
    assertThat(entra.verifyAccessToken(away).getClaim("tid")).isEqualTo(OTHER_TENANT);
  }

  @Test
  void claimsAndCaeRequestsAreTokensOfTheirOwn() {
    AzureWorkloadIdentityCredential credential = credential();
    String plain = SecretLeakGuard.secret(credential.getTokenSync(VAULT_REQUEST).getToken());
    String cae = SecretLeakGuard.secret(credential.getTokenSync(new TokenRequestContext().addScopes(VAULT)
        .setCaeEnabled(true)).getToken());
    assertThat(cae).isNotEqualTo(plain);
    assertThat(posts()).hasSize(2);
    assertThat(credential.getTokenSync(new TokenRequestContext().addScopes(VAULT).setCaeEnabled(true)).getToken())
        .isEqualTo(cae);
    assertThat(posts()).hasSize(2);
  }

  @Test
  void aHundredCreateUseCloseCyclesLeaveNoThreadAndNoFileDescriptor() throws Exception {
    Consumer<Integer> cycles = n -> {
      for (int i = 0; i < n; i++) {
        try (AzureWorkloadIdentityCredential c = builder().build()) {
          SecretLeakGuard.secret(c.getTokenSync(VAULT_REQUEST).getToken());
        }
      }
    };
    cycles.accept(2); // classes loaded, jars opened, the JVM's lazy resources created
    int sessions = Shared.live();
    Set<Thread> before = Thread.getAllStackTraces().keySet();
    long descriptors = descriptors();

    cycles.accept(100);

    assertThat(posts()).hasSize(102);
    Set<Thread> added = new HashSet<>(Thread.getAllStackTraces().keySet());
    added.removeAll(before);
    long deadline = System.nanoTime() + WAIT.toNanos();
    for (Thread t : added) {
      t.join(Math.max(1, (deadline - System.nanoTime()) / 1_000_000)); // threads stopped by close() end promptly
    }
    // The fake Entra ID runs in this JVM: its server threads (okhttp's TaskRunner keeps one idle for
    // a minute) are the test's, not the credential's.
    added.removeIf(t -> !t.isAlive() || t.getName().startsWith("MockWebServer"));
    assertThat(added).extracting(Thread::getName).isEmpty();
    assertThat(descriptors()).isLessThanOrEqualTo(descriptors);
    assertThat(Shared.live()).isEqualTo(sessions);
  }

  @Test
  void closeReleasesTheHttpClientsThreadsAtOnce() throws Exception {
    // Threads of clients other tests left behind (azure-core's JDK client has no close) are not ours.
    java.util.Set<Thread> before = Thread.getAllStackTraces().keySet();
    AzureWorkloadIdentityCredential credential = builder().build();
    SecretLeakGuard.secret(credential.getTokenSync(VAULT_REQUEST).getToken());
    List<Thread> http = Thread.getAllStackTraces().keySet().stream()
        .filter(t -> !before.contains(t))
        .filter(t -> t.getName().startsWith("HttpClient-") || t.getName().startsWith("workload-identity-azure"))
        .toList();
    assertThat(http).extracting(Thread::getName).anyMatch(n -> n.endsWith("-SelectorManager"));

    credential.close(); // returns once the client's threads have ended

    assertThat(http).filteredOn(Thread::isAlive).extracting(Thread::getName)
        .noneMatch(n -> n.endsWith("-SelectorManager") || n.startsWith("workload-identity-azure-http"));
    assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName)
        .noneMatch(n -> n.startsWith("azure-sdk-global-thread"));
  }

  @Test
  void everyBuilderSetterRejectsNullNamingTheSetting() {
    AzureWorkloadIdentityCredential.Builder b = AzureWorkloadIdentityCredential.builder();
    Map<String, Runnable> setters = new java.util.LinkedHashMap<>();
    setters.put("environment", () -> b.environment(null));
    setters.put("clientId", () -> b.clientId(null));
    setters.put("tenantId", () -> b.tenantId(null));
    setters.put("authorityHost", () -> b.authorityHost(null));
    setters.put("tokenFile", () -> b.tokenFile(null));
    setters.put("tokenSource", () -> b.tokenSource(null));
    setters.put("httpClient", () -> b.httpClient(null));
    setters.put("pipeline", () -> b.pipeline(null));
    setters.put("clock", () -> b.clock(null));
    setters.put("refreshPolicy", () -> b.refreshPolicy(null));
    setters.put("listener", () -> b.listener(null));
    setters.put("exchangeTimeout", () -> b.exchangeTimeout(null));
    setters.put("connectTimeout", () -> b.connectTimeout(null));
    setters.put("readTimeout", () -> b.readTimeout(null));
    setters.put("additionallyAllowedTenants", () -> b.additionallyAllowedTenants((String[]) null));
    setters.forEach((name, call) -> assertThatThrownBy(call::run).as(name)
        .isInstanceOf(NullPointerException.class).hasMessage(name));
    assertThatThrownBy(() -> b.additionallyAllowedTenants("a", null)).isInstanceOf(NullPointerException.class)
        .hasMessage("additionallyAllowedTenants");
    assertThatThrownBy(() -> b.exchangeTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exchangeTimeout");
    assertThatThrownBy(() -> b.readTimeout(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void timeoutsAreSettableAndTheDeadlineEndsAHungExchange() {
    entra.faults().latency(Duration.ofSeconds(30)); // Entra accepts the request and does not answer
    AzureWorkloadIdentityCredential credential = closeLater(builder().readTimeout(Duration.ofMillis(300)).build());
    long start = System.nanoTime();

    AzureTokenException e = (AzureTokenException) SecretLeakGuard.inspect(
        catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));

    assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(10));
    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.NETWORK);
    assertThat(e.retryable()).isTrue();
    assertThat(posts()).hasSize(1);
  }

  private static long descriptors() throws IOException {
    try (Stream<Path> fds = Files.list(Path.of("/proc/self/fd"))) {
      return fds.count();
    }
  }
}
