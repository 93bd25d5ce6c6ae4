package io.workloadidentity.azure;

import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.HttpClient;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster, its projected volume and a fake Entra ID sharing one test clock, and a credential
 * builder pointed at them over HTTPS. The credential uses its own default HTTP client (the one users
 * get); the JVM's default SSL context trusts the testkit CA during each test, as a pod's trust store
 * trusts Entra's.
 */
@ExtendWith(SecretLeakGuard.class)
abstract class EntraFixture {
  static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";
  static final String SUBJECT = "system:serviceaccount:payments:api";
  static final String VAULT = "https://vault.azure.net/.default";
  static final TokenRequestContext VAULT_REQUEST = new TokenRequestContext().addScopes(VAULT);
  static final Duration WAIT = Duration.ofSeconds(10);

  @TempDir
  Path dir;
  TestClock clock;
  KubernetesCluster cluster;
  FakeEntraId entra;
  ProjectedVolume volume;
  /** Cache events, so tests wait for background refreshes instead of sleeping. */
  final CacheEvents events = CacheEvents.withTimeout(WAIT);
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private SSLContext previousDefault;
  private HttpClient trusting;

  @BeforeEach
  void startFixture() throws Exception {
    clock = TestClock.create();
    cluster = KubernetesCluster.builder().clock(clock).build();
    entra = FakeEntraId.builder().clock(clock).build();
    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), SUBJECT);
    volume = cluster.projectedVolume(dir.resolve("azure-identity-token"), spec().build());
    SecretLeakGuard.secret(volume.current().value());
    closeables.add(volume);
    closeables.add(entra);
    closeables.add(cluster);
    previousDefault = SSLContext.getDefault();
    SSLContext.setDefault(entra.sslContext()); // the testkit CA signs every fake's certificate
    // closeLater() puts credentials in front, so they stop before the servers they talk to.
  }

  @AfterEach
  void stopFixture() throws Exception {
    try {
      for (AutoCloseable c : closeables) { // newest first
        c.close();
      }
    } finally {
      SSLContext.setDefault(previousDefault);
    }
  }

  static TokenSpec.Builder spec() {
    return TokenSpec.builder().namespace("payments").serviceAccount("api").audiences(FakeEntraId.DEFAULT_AUDIENCE);
  }

  /** The credential configured for the fixture; closed after the test. */
  AzureWorkloadIdentityCredential.Builder builder() {
    return AzureWorkloadIdentityCredential.builder()
        .environment(Environment.of(Map.of()))
        .tenantId(TENANT)
        .clientId(CLIENT)
        .authorityHost(entra.authorityHost())
        .instanceDiscovery(false)
        .clock(clock)
        .tokenFile(volume.tokenFile())
        .listener(events);
  }

  AzureWorkloadIdentityCredential credential() {
    return closeLater(builder().build());
  }

  <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(0, c);
    return c;
  }

  /** An azure-core client trusting the testkit CA, for a resource server the test calls; one per test. */
  HttpClient trustingClient() {
    if (trusting == null) {
      trusting = new JdkHttpClientBuilder(java.net.http.HttpClient.newBuilder().sslContext(entra.sslContext())).build();
    }
    return trusting;
  }

  /** The token requests Entra received, oldest first. */
  List<ReceivedRequest> posts() {
    return entra.requests(FakeEntraId.tokenPath(TENANT));
  }

  /** The projected token each token request carried. */
  List<String> assertions() {
    return posts().stream().map(r -> r.form().get("client_assertion")).toList();
  }

  static AzureTokenKey key(String scope) {
    return AzureTokenKey.of(new TokenRequestContext().addScopes(scope));
  }
}
