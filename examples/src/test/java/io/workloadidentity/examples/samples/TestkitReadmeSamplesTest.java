package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.azure.core.http.jdk.httpclient.JdkHttpClientBuilder;
import com.azure.core.http.policy.FixedDelayOptions;
import com.azure.core.http.policy.RetryOptions;
import com.azure.core.util.ConfigurationBuilder;
import com.azure.core.util.ConfigurationSource;
import com.azure.identity.ClientAssertionCredentialBuilder;
import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.oauth2.ExternalAccountCredentials;
import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.FakeResourceServer;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import io.workloadidentity.testkit.WorkloadIdentityTest;
import java.io.ByteArrayInputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * The testkit README's snippets, each a test method of this class: {@code @WorkloadIdentityTest}
 * injects the {@code KubernetesCluster}, {@code TestClock} and {@code ProjectedVolume} parameters
 * (one clock for all of them). {@code ReadmeSnippetsTest} checks the README quotes them verbatim.
 */
@WorkloadIdentityTest(audiences = "sts.amazonaws.com")
class TestkitReadmeSamplesTest {
  @Test
  void startAClusterAndMintAToken() {
    // tag::mint[]
    try (KubernetesCluster cluster = KubernetesCluster.start()) {
      String jwt = cluster.mint(TokenSpec.builder()
          .namespace("payments").serviceAccount("api")
          .audiences("sts.amazonaws.com")
          .lifetime(Duration.ofHours(24))
          .build());
      assertThat(jwt.split("\\.")).hasSize(3); // header.claims.signature, RS256
    }
    // end::mint[]
  }

  @Test
  void controlTime() {
    // tag::clock[]
    TestClock clock = TestClock.create();
    try (KubernetesCluster cluster = KubernetesCluster.builder().clock(clock).build()) {
      String jwt = cluster.mint(TokenSpec.of("sts.amazonaws.com"));
      clock.advance(Duration.ofMinutes(61)); // every 1-hour token is now expired
    }
    // end::clock[]
  }

  // tag::volume[]
  @Test
  void writeAProjectedVolume(KubernetesCluster cluster, @TempDir Path tempDir) {
    ProjectedVolume volume = cluster.projectedVolume(tempDir, TokenSpec.of("sts.amazonaws.com"));
    Path tokenFile = volume.tokenFile();   // tempDir/token
    assertThat(tokenFile).hasContent(volume.current().value());
  }
  // end::volume[]

  // tag::faults[]
  @Test
  void injectFaults(KubernetesCluster cluster, TestClock clock) {
    try (FakeAwsSts sts = FakeAwsSts.builder().clock(clock).build()) {
      sts.faults().failNext(2, Fault.throttled());                 // two throttled answers, then normal
      sts.faults().failNext(1, Fault.error(400, "InvalidIdentityToken", "Couldn't retrieve verification key"));
      cluster.faults().failAlways(Fault.serverError(503));        // JWKS outage until clear()
      cluster.faults().failAlways("/openid/v1/jwks", Fault.connectionReset()); // only one path
      sts.faults().rateLimit(5);                                  // the 6th request within a clock second is throttled
      sts.faults().latency(Duration.ofSeconds(3));                // test your client timeouts
      sts.faults().clear();
      cluster.faults().clear();
    }
  }
  // end::faults[]

  // tag::aws-sts[]
  @Test
  void theSdksStsClientAgainstFakeAwsSts(KubernetesCluster cluster, TestClock clock, ProjectedVolume volume) {
    try (FakeAwsSts sts = FakeAwsSts.builder().clock(clock).build();     // .credentialLifetime(d), .https(true)
        StsClient client = StsClient.builder().endpointOverride(sts.endpoint()).region(Region.US_WEST_2)
            .credentialsProvider(AnonymousCredentialsProvider.create()).build()) {
      sts.trustIssuer(cluster.issuer());                               // IAM OIDC provider, client ID sts.amazonaws.com
      sts.role("arn:aws:iam::111122223333:role/app", "system:serviceaccount:default:*"); // trust on :sub (StringLike) and :aud
      client.assumeRoleWithWebIdentity(r -> r.roleArn("arn:aws:iam::111122223333:role/app")
          .roleSessionName("test").webIdentityToken(volume.current().value()));
      assertThat(sts.issued()).hasSize(1);
    }
  }
  // end::aws-sts[]

  // tag::entra[]
  @Test
  void azureIdentityAgainstFakeEntraId(KubernetesCluster cluster, TestClock clock) {
    String tenant = "72f988bf-86f1-41af-91ab-2d7cd011db47";
    String clientId = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";
    try (FakeEntraId entra = FakeEntraId.builder().clock(clock).build()) {   // .tokenLifetime(d), .refreshIn(d)
      entra.addFederatedCredential(tenant, clientId, cluster.issuer(), "system:serviceaccount:default:app");
      String assertion = cluster.mint(TokenSpec.builder().serviceAccount("app").audiences(FakeEntraId.DEFAULT_AUDIENCE).build());
      ConfigurationSource none = path -> Map.of();
      TokenCredential credential = new ClientAssertionCredentialBuilder()
          .configuration(new ConfigurationBuilder(none, none, none).build())  // first: isolated, and it resets the authority
          .authorityHost(entra.authorityHost())                               // https://127.0.0.1:PORT/
          .disableInstanceDiscovery()                                         // else MSAL asks login.microsoftonline.com
          .tenantId(tenant).clientId(clientId).clientAssertion(() -> assertion)
          .httpClient(new JdkHttpClientBuilder(HttpClient.newBuilder().sslContext(entra.sslContext())).build())
          .retryOptions(new RetryOptions(new FixedDelayOptions(0, Duration.ofMillis(1))))
          .build();
      AccessToken token = credential.getTokenSync(new TokenRequestContext().addScopes("https://vault.azure.net/.default"));
      assertThat(entra.verifyAccessToken(token.getToken()).getAudience()).containsExactly("https://vault.azure.net");
    }
  }
  // end::entra[]

  // tag::gcp[]
  @Test
  void googleAuthAgainstFakeGcp(KubernetesCluster cluster, TestClock clock, @TempDir Path tempDir) throws Exception {
    String email = "app@p.iam.gserviceaccount.com";
    try (FakeGcp gcp = FakeGcp.builder().clock(clock).build()) {            // project number 123456789012
      String audience = gcp.addProvider("pool", "cluster", cluster.issuer()); // default allowed audiences
      gcp.grantWorkloadIdentityUser(email, gcp.principal(audience, "system:serviceaccount:default:app"));
      ProjectedVolume volume = cluster.projectedVolume(tempDir, TokenSpec.builder()
          .serviceAccount("app").audiences("https:" + audience).build());
      HttpTransport transport = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory()).build();
      String configJson = "{\"type\": \"external_account\", \"audience\": \"" + audience + "\","
          + " \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\", \"token_url\": \"" + gcp.stsUrl() + "\","
          + " \"service_account_impersonation_url\": \"" + gcp.impersonationUrl(email) + "\","
          + " \"credential_source\": {\"file\": \"" + volume.tokenFile() + "\"}}";
      GoogleCredentials credentials = ExternalAccountCredentials.fromStream(
          new ByteArrayInputStream(configJson.getBytes(StandardCharsets.UTF_8)), () -> transport)
          .createScoped("https://www.googleapis.com/auth/cloud-platform");
      String accessToken = credentials.refreshAccessToken().getTokenValue();
      assertThat(gcp.tokenInfo(accessToken).orElseThrow().serviceAccount()).isEqualTo(email);
    }
  }
  // end::gcp[]

  // tag::resource-server[]
  @Test
  void checkWhatTheClientSent() throws Exception {
    try (FakeResourceServer vault = FakeResourceServer.builder().https(true).json("{\"value\":[]}").build()) {
      HttpClient client = HttpClient.newBuilder().sslContext(vault.sslContext()).build();
      client.send(HttpRequest.newBuilder(URI.create(vault.url("/secrets/db"))).header("Authorization", "Bearer abc")
          .build(), HttpResponse.BodyHandlers.ofString());
      ReceivedRequest r = vault.takeRequest(Duration.ofSeconds(5));
      assertThat(r.header("Authorization")).hasValueSatisfying(v -> assertThat(v).startsWith("Bearer "));
    }
  }
  // end::resource-server[]
}
