package io.workloadidentity.testkit.gcp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.ComputeEngineCredentials;
import com.google.auth.oauth2.ExternalAccountCredentials;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.IdentityPoolCredentials;
import com.google.auth.oauth2.ImpersonatedCredentials;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.FakeGcpMetadataServer;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.HttpURLConnection;
import java.net.Proxy;
import java.net.URI;
import java.net.URL;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Date;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Drives {@link FakeGcp} and {@link FakeGcpMetadataServer} with google-auth-library-java itself:
 * {@code IdentityPoolCredentials} (from a gcloud-style {@code external_account} file),
 * {@code ImpersonatedCredentials} and {@code ComputeEngineCredentials}, over real HTTPS.
 */
class FakeGcpTest {
  static final String SA = "app@my-project.iam.gserviceaccount.com";
  static final String SUBJECT = "system:serviceaccount:default:app";

  // google-auth computes expiries from the system clock: keep the shared test clock at real time.
  final TestClock clock = TestClock.create();
  KubernetesCluster cluster;
  FakeGcp gcp;
  HttpTransport transport;
  String audience;
  @TempDir Path dir;

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.builder().clock(clock).build();
    gcp = FakeGcp.builder().clock(clock).build();
    audience = gcp.addProvider("k8s-pool", "cluster", cluster.issuer());
    transport = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory()).build();
  }

  @AfterEach
  void stop() {
    gcp.close();
    cluster.close();
  }

  TokenSpec spec(String aud) {
    return TokenSpec.builder().namespace("default").serviceAccount("app").audiences(aud).build();
  }

  ProjectedVolume volume() {
    return cluster.projectedVolume(dir, spec("https:" + audience));
  }

  /** A credential configuration exactly as {@code gcloud iam workload-identity-pools create-cred-config} writes it. */
  String config(String aud, Path tokenFile, String serviceAccount, Integer lifetime) {
    StringBuilder sb = new StringBuilder("{\"type\":\"external_account\",\"audience\":\"" + aud + "\","
        + "\"subject_token_type\":\"urn:ietf:params:oauth:token-type:jwt\",\"token_url\":\"" + gcp.stsUrl() + "\",");
    if (serviceAccount != null) {
      sb.append("\"service_account_impersonation_url\":\"").append(gcp.impersonationUrl(serviceAccount)).append("\",");
      if (lifetime != null) {
        sb.append("\"service_account_impersonation\":{\"token_lifetime_seconds\":").append(lifetime).append("},");
      }
    }
    sb.append("\"credential_source\":{\"file\":\"").append(tokenFile).append("\",\"format\":{\"type\":\"text\"}}}");
    return sb.toString();
  }

  ExternalAccountCredentials googleAuth(String json) throws IOException {
    return ExternalAccountCredentials.fromStream(new ByteArrayInputStream(json.getBytes(UTF_8)), () -> transport);
  }

  String bearer(GoogleCredentials credentials) throws IOException {
    return credentials.getRequestMetadata(URI.create("https://storage.googleapis.com")).get("Authorization").get(0);
  }

  @Test
  void stsExchangesAValidProjectedTokenForAFederatedToken() throws Exception {
    try (ProjectedVolume volume = volume()) {
      String bearer = bearer(googleAuth(config(audience, volume.tokenFile(), null, null)));

      assertThat(bearer).startsWith("Bearer ya29.fake-sts-");
      ReceivedRequest sts = gcp.requests(FakeGcp.STS_PATH).get(0);
      assertThat(sts.status()).isEqualTo(200);
      assertThat(sts.header("Authorization")).isEmpty();
      assertThat(sts.form())
          .containsEntry("grant_type", "urn:ietf:params:oauth:grant-type:token-exchange")
          .containsEntry("subject_token_type", "urn:ietf:params:oauth:token-type:jwt")
          .containsEntry("subject_token", volume.current().value())
          .containsEntry("audience", audience)
          .containsEntry("scope", FakeGcp.CLOUD_PLATFORM);
      FakeGcp.IssuedToken info = gcp.tokenInfo(bearer.substring(7)).orElseThrow();
      assertThat(info.principal()).isEqualTo(gcp.principal(audience, SUBJECT))
          .isEqualTo("principal://iam.googleapis.com/projects/123456789012/locations/global/workloadIdentityPools/k8s-pool/subject/" + SUBJECT);
      assertThat(info.serviceAccount()).isNull();
    }
  }

  @Test
  void iamCredentialsIssuesAServiceAccountTokenToABoundPrincipal() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    try (ProjectedVolume volume = volume()) {
      ExternalAccountCredentials creds = googleAuth(config(audience, volume.tokenFile(), SA, 1200));
      String bearer = bearer(creds.createScoped(List.of("https://www.googleapis.com/auth/devstorage.read_only")));

      assertThat(bearer).startsWith("Bearer ya29.fake-sa-");
      ReceivedRequest sts = gcp.requests(FakeGcp.STS_PATH).get(0);
      String iamPath = "/v1/projects/-/serviceAccounts/" + SA + ":generateAccessToken";
      ReceivedRequest iam = gcp.requests(iamPath).get(0);
      assertThat(sts.form()).containsEntry("scope", FakeGcp.CLOUD_PLATFORM); // google-auth: STS always cloud-platform
      assertThat(iam.status()).isEqualTo(200);
      assertThat(iam.header("Authorization")).hasValueSatisfying(a -> assertThat(a).startsWith("Bearer ya29.fake-sts-"));
      assertThat(iam.body()).contains("\"scope\":[\"https://www.googleapis.com/auth/devstorage.read_only\"]")
          .contains("\"lifetime\":\"1200s\"");
      FakeGcp.IssuedToken info = gcp.tokenInfo(bearer.substring(7)).orElseThrow();
      assertThat(info.serviceAccount()).isEqualTo(SA);
      assertThat(info.expiresAt()).isEqualTo(clock.instant().plusSeconds(1200));
    }
  }

  @Test
  void aPrincipalSetBindingCoversEveryIdentityOfThePool() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principalSet(audience));
    try (ProjectedVolume volume = volume()) {
      assertThat(bearer(googleAuth(config(audience, volume.tokenFile(), SA, null)))).startsWith("Bearer ya29.fake-sa-");
    }
  }

  @Test
  void rejectsATokenWhoseAudienceIsNotAllowed() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, spec("sts.amazonaws.com"))) {
      assertThatThrownBy(() -> bearer(googleAuth(config(audience, volume.tokenFile(), null, null))))
          .hasMessage("Error code invalid_grant: The audience in ID Token [sts.amazonaws.com] does not match the expected audience.");
      assertThat(gcp.requests(FakeGcp.STS_PATH).get(0).status()).isEqualTo(400);
    }
  }

  @Test
  void honoursCustomAllowedAudiences() throws Exception {
    String custom = gcp.addProvider("k8s-pool", "custom", cluster.issuer(), "my-cluster");
    try (ProjectedVolume volume = cluster.projectedVolume(dir, spec("my-cluster"))) {
      assertThat(bearer(googleAuth(config(custom, volume.tokenFile(), null, null)))).startsWith("Bearer ya29.fake-sts-");
      assertThatThrownBy(() -> bearer(googleAuth(config(audience, volume.tokenFile(), null, null))))
          .hasMessageContaining("invalid_grant").hasMessageContaining("does not match the expected audience");
    }
  }

  @Test
  void rejectsUnknownDisabledAndMalformedProviders() throws Exception {
    try (ProjectedVolume volume = volume()) {
      String unknown = audience.replace("/providers/cluster", "/providers/nope");
      assertThatThrownBy(() -> bearer(googleAuth(config(unknown, volume.tokenFile(), null, null))))
          .hasMessageStartingWith("Error code invalid_target: The target service indicated by the \"audience\" parameters is invalid.");
      gcp.setProviderDisabled(audience, true);
      assertThatThrownBy(() -> bearer(googleAuth(config(audience, volume.tokenFile(), null, null))))
          .hasMessageContaining("invalid_target").hasMessageContaining("disabled or deleted");
      assertThatThrownBy(() -> bearer(googleAuth(config("https:" + audience, volume.tokenFile(), null, null))))
          .hasMessageStartingWith("Error code invalid_request: Invalid value for \"audience\".");
    }
  }

  @Test
  void rejectsATokenFromAnotherIssuer() throws Exception {
    try (KubernetesCluster other = KubernetesCluster.builder().clock(clock).build();
        ProjectedVolume volume = other.projectedVolume(dir, spec("https:" + audience))) {
      assertThatThrownBy(() -> bearer(googleAuth(config(audience, volume.tokenFile(), null, null))))
          .hasMessage("Error code invalid_grant: The issuer in ID Token " + other.issuer()
              + " does not match the expected ones: " + cluster.issuer() + ".");
    }
  }

  @Test
  void rejectsAForgedSignatureAndAnUnreachableJwks() throws Exception {
    String forged = cluster.mintForged(spec("https:" + audience));
    IdentityPoolCredentials creds = IdentityPoolCredentials.newBuilder()
        .setSubjectTokenSupplier(ctx -> forged).setAudience(audience)
        .setSubjectTokenType("urn:ietf:params:oauth:token-type:jwt").setTokenUrl(gcp.stsUrl())
        .setHttpTransportFactory(() -> transport).build();
    assertThatThrownBy(() -> bearer(creds)).hasMessageStartingWith("Error code invalid_grant: Invalid JWT signature.");

    cluster.faults().failAlways(Fault.serverError(503));
    // The fake cached the JWKS during the first call; a kid it has not seen forces a re-fetch.
    cluster.rotateSigningKey();
    String rotated = cluster.mint(spec("https:" + audience));
    assertThatThrownBy(() -> bearer(creds.toBuilder().setSubjectTokenSupplier(ctx -> rotated).build()))
        .hasMessageStartingWith("Error code invalid_grant: Failed to fetch the JWKS for issuer " + cluster.issuer());
  }

  @Test
  void rejectsASubjectLongerThan127Bytes() throws Exception {
    String longName = "a".repeat(100);
    String token = cluster.mint(TokenSpec.builder().namespace("default").serviceAccount(longName).audiences("https:" + audience).build());
    IdentityPoolCredentials creds = IdentityPoolCredentials.newBuilder()
        .setSubjectTokenSupplier(ctx -> token).setAudience(audience)
        .setSubjectTokenType("urn:ietf:params:oauth:token-type:jwt").setTokenUrl(gcp.stsUrl())
        .setHttpTransportFactory(() -> transport).build();
    assertThatThrownBy(() -> bearer(creds)).hasMessageContaining("invalid_grant").hasMessageContaining("127 bytes");
  }

  @Test
  void impersonationWithoutABindingIsPermissionDenied() throws Exception {
    try (ProjectedVolume volume = volume()) {
      ExternalAccountCredentials creds = googleAuth(config(audience, volume.tokenFile(), SA, null));
      assertThatThrownBy(() -> bearer(creds))
          .hasMessage("Error requesting access token")
          .cause().hasMessageContaining("403")
          .hasMessageContaining("\"status\":\"PERMISSION_DENIED\"")
          .hasMessageContaining("Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).")
          .hasMessageContaining("\"reason\":\"IAM_PERMISSION_DENIED\"");
      // A grant to another principal does not help.
      gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, "system:serviceaccount:default:other"));
      assertThatThrownBy(() -> bearer(googleAuth(config(audience, volume.tokenFile(), SA, null))))
          .cause().hasMessageContaining("PERMISSION_DENIED");
    }
  }

  @Test
  void iamRejectsLifetimesAboveTheMaximumAndCallersWithoutAValidStsToken() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    try (ProjectedVolume volume = volume()) {
      assertThatThrownBy(() -> bearer(googleAuth(config(audience, volume.tokenFile(), SA, 7200))))
          .cause().hasMessageContaining("400").hasMessageContaining("INVALID_ARGUMENT").hasMessageContaining("7200s");
    }
    GoogleCredentials.Builder b = GoogleCredentials.newBuilder();
    b.setAccessToken(new AccessToken("ya29.not-issued-here", Date.from(clock.instant().plusSeconds(3600))));
    // On a 401 google-auth refreshes the source and retries; a source that cannot refresh stops that.
    GoogleCredentials bogus = new GoogleCredentials(b) {
      @Override
      public AccessToken refreshAccessToken() throws IOException {
        throw new IOException("cannot refresh");
      }
    };
    ImpersonatedCredentials imp = ImpersonatedCredentials.newBuilder().setSourceCredentials(bogus).setTargetPrincipal(SA)
        .setScopes(List.of(FakeGcp.CLOUD_PLATFORM)).setLifetime(600).setHttpTransportFactory(() -> transport)
        .setIamEndpointOverride(gcp.impersonationUrl(SA)).build();
    // google-auth drops the 401 body after its refresh attempt; the status is what reaches the caller.
    assertThatThrownBy(imp::refreshAccessToken).cause().hasMessageStartingWith("401");
    assertThat(gcp.requests()).last().extracting(ReceivedRequest::status, r -> r.header("Authorization").orElseThrow())
        .containsExactly(401, "Bearer ya29.not-issued-here");
  }

  @Test
  void rendersInjectedFaultsInGoogleWireFormats() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    try (ProjectedVolume volume = volume()) {
      ExternalAccountCredentials direct = googleAuth(config(audience, volume.tokenFile(), null, null));
      gcp.faults().failNext(FakeGcp.STS_PATH, 1, Fault.throttled());
      assertThatThrownBy(() -> bearer(direct)).hasMessage("Error code rate_limit_exceeded: [Security Token Service]"
          + " The request was throttled due to rate limit. Please retry after a few seconds.");
      gcp.faults().failNext(FakeGcp.STS_PATH, 1, Fault.serverError(503));
      assertThatThrownBy(() -> bearer(direct)).hasMessage("Error code UNAVAILABLE: The service is currently unavailable.");
      gcp.faults().failNext(FakeGcp.STS_PATH, 1, Fault.error(400, "invalid_grant", "ID Token issued at 1 is stale to sign-in."));
      assertThatThrownBy(() -> bearer(direct)).hasMessage("Error code invalid_grant: ID Token issued at 1 is stale to sign-in.");
      gcp.faults().failNext(FakeGcp.STS_PATH, 1, Fault.connectionReset());
      assertThatThrownBy(() -> bearer(direct)).isInstanceOf(IOException.class);
      gcp.faults().failNext(FakeGcp.STS_PATH, 1, Fault.malformedBody());
      // google-auth 1.57 surfaces a truncated JSON body as a NullPointerException from the JSON parser.
      assertThatThrownBy(() -> bearer(direct)).isInstanceOf(NullPointerException.class);
      assertThat(bearer(direct)).startsWith("Bearer ya29.fake-sts-");

      ExternalAccountCredentials impersonated = googleAuth(config(audience, volume.tokenFile(), SA, null));
      gcp.faults().failNext(FakeGcp.IAM_PATH_PREFIX, 1, Fault.throttled());
      assertThatThrownBy(() -> bearer(impersonated)).cause().hasMessageContaining("429").hasMessageContaining("RESOURCE_EXHAUSTED");
      assertThat(gcp.requests()).extracting(ReceivedRequest::status).containsExactly(429, 503, 400, 0, 200, 200, 200, 429);
    }
  }

  @Test
  void acceptsTheRotatedProjectedTokenUntilItExpiresAndRejectsItAfter() throws Exception {
    try (ProjectedVolume volume = volume()) {
      ExternalAccountCredentials creds = googleAuth(config(audience, volume.tokenFile(), null, null));
      String first = volume.current().value();
      assertThat(bearer(creds)).startsWith("Bearer ");

      clock.advance(Duration.ofMinutes(50)); // past 80% of the one-hour token: the kubelet rotates
      assertThat(volume.rotateIfDue()).isTrue();
      creds.refresh(); // google-auth re-reads the file on every refresh
      assertThat(gcp.requests(FakeGcp.STS_PATH).get(1).form().get("subject_token"))
          .isEqualTo(volume.current().value()).isNotEqualTo(first);

      clock.advance(Duration.ofMinutes(11)); // the first token has expired, the rotated one has not
      IdentityPoolCredentials stale = IdentityPoolCredentials.newBuilder().setSubjectTokenSupplier(ctx -> first)
          .setAudience(audience).setSubjectTokenType("urn:ietf:params:oauth:token-type:jwt").setTokenUrl(gcp.stsUrl())
          .setHttpTransportFactory(() -> transport).build();
      assertThatThrownBy(() -> bearer(stale)).hasMessageStartingWith("Error code invalid_grant: ID Token expired at");
      creds.refresh();
      assertThat(gcp.requests(FakeGcp.STS_PATH)).extracting(ReceivedRequest::status).containsExactly(200, 200, 400, 200);

      volume.mode(ProjectedVolume.Mode.STOPPED); // the kubelet stops rotating: rejected once expired
      clock.advance(Duration.ofHours(1));
      assertThatThrownBy(creds::refresh).hasMessageStartingWith("Error code invalid_grant: ID Token expired at");
    }
  }

  @Test
  void metadataServerServesTokensToComputeEngineCredentials() throws Exception {
    try (FakeGcpMetadataServer mds = FakeGcpMetadataServer.builder().clock(clock).build()) {
      // Recipe A of the reference: keep google-auth's metadata.google.internal URL, rewrite the socket.
      HttpTransport rewriting = new NetHttpTransport.Builder().setConnectionFactory(url -> (HttpURLConnection)
          new URL(mds.baseUrl() + url.getFile()).openConnection(Proxy.NO_PROXY)).build();
      ComputeEngineCredentials creds = ComputeEngineCredentials.newBuilder()
          .setHttpTransportFactory(() -> rewriting).setScopes(List.of("a", "b")).build();

      String bearer = bearer(creds);
      assertThat(bearer).startsWith("Bearer ya29.fake-mds-");
      assertThat(mds.scopesOf(bearer.substring(7))).contains(List.of("a", "b"));
      ReceivedRequest r = mds.requests(FakeGcpMetadataServer.TOKEN_PATH).get(0);
      assertThat(r.header("Metadata-Flavor")).contains("Google");

      // Not ready yet at pod start. (Always: the JDK retries a failed GET once on a reused connection.)
      mds.faults().failAlways(Fault.connectionReset());
      assertThatThrownBy(creds::refresh).isInstanceOf(IOException.class);
      mds.faults().clear();
      mds.faults().failNext(1, Fault.error(404, "not_found", "Not Found"));
      assertThatThrownBy(creds::refresh).hasMessageContaining("404");
    }
  }

  @Test
  void metadataServerRequiresTheMetadataFlavorHeader() throws Exception {
    try (FakeGcpMetadataServer mds = FakeGcpMetadataServer.start()) {
      HttpURLConnection c = (HttpURLConnection) new URL(mds.url(FakeGcpMetadataServer.TOKEN_PATH)).openConnection(Proxy.NO_PROXY);
      assertThat(c.getResponseCode()).isEqualTo(403);
      assertThat(new String(c.getErrorStream().readAllBytes(), UTF_8)).contains("Metadata-Flavor");
      assertThat(mds.host()).isEqualTo("127.0.0.1:" + mds.port());
    }
  }

  @Test
  void iamRequiresABearerToken() throws Exception {
    HttpURLConnection c = (HttpURLConnection) new URL(gcp.impersonationUrl(SA)).openConnection(Proxy.NO_PROXY);
    ((javax.net.ssl.HttpsURLConnection) c).setSSLSocketFactory(gcp.sslSocketFactory());
    c.setRequestMethod("POST");
    c.setDoOutput(true);
    c.getOutputStream().write("{\"scope\":[\"x\"]}".getBytes(UTF_8));
    assertThat(c.getResponseCode()).isEqualTo(401);
    assertThat(new String(c.getErrorStream().readAllBytes(), UTF_8))
        .contains("\"status\":\"UNAUTHENTICATED\"").contains("missing required authentication credential");
  }
}
