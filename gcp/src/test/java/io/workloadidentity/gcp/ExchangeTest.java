package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.auth.oauth2.ExternalAccountCredentials;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.ReceivedRequest;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The exchanges, end to end over HTTPS against the testkit's fake Google STS and IAM Credentials. */
class ExchangeTest extends GcpFixture {
  static final String IAM_PATH = "/v1/projects/-/serviceAccounts/" + SA + ":generateAccessToken";

  @Test
  void aGcloudConfigFileYieldsAFederatedTokenFromTheTrimmedProjectedToken() throws Exception {
    String token = volume.current().value();
    volume.writeRaw(token + "\n"); // as many token writers (and hand-made files) leave it
    Path config = config(audience, volume.tokenFile(), null, null);
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials().credentialsFile(config).build());

    String bearer = bearer(credentials);

    assertThat(bearer).startsWith("ya29.fake-sts-");
    ReceivedRequest sts = gcp.requests(FakeGcp.STS_PATH).get(0);
    assertThat(sts.form())
        .containsEntry("subject_token", token) // trimmed: no trailing newline on the wire
        .containsEntry("audience", audience)
        .containsEntry("subject_token_type", "urn:ietf:params:oauth:token-type:jwt")
        .containsEntry("requested_token_type", "urn:ietf:params:oauth:token-type:access_token")
        .containsEntry("scope", "https://www.googleapis.com/auth/cloud-platform");
    assertThat(sts.header("Authorization")).isEmpty();
    assertThat(gcp.tokenInfo(bearer).orElseThrow().principal()).isEqualTo(gcp.principal(audience, SUBJECT));
    assertThat(gcp.requestCount()).isEqualTo(1);
  }

  @Test
  void googleAuthAloneSendsTheTrailingNewline() throws Exception {
    volume.writeRaw(volume.current().value() + "\n");
    try (InputStream in = Files.newInputStream(config(audience, volume.tokenFile(), null, null))) {
      ExternalAccountCredentials google = ExternalAccountCredentials.fromStream(in, transport);
      google.refresh();
    }
    assertThat(gcp.requests(FakeGcp.STS_PATH).get(0).form().get("subject_token")).endsWith("\n");
  }

  @Test
  void withImpersonationIamGetsTheStsTokenTheScopesAndTheLifetime() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    Path config = config(audience, volume.tokenFile(), SA, 1200);
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials().credentialsFile(config)
        .scopes("https://www.googleapis.com/auth/devstorage.read_only", "https://www.googleapis.com/auth/pubsub").build());

    String bearer = bearer(credentials);

    assertThat(bearer).startsWith("ya29.fake-sa-");
    ReceivedRequest sts = gcp.requests(FakeGcp.STS_PATH).get(0);
    ReceivedRequest iam = gcp.requests(IAM_PATH).get(0);
    String stsToken = iam.header("Authorization").orElseThrow().substring("Bearer ".length());
    assertThat(gcp.tokenInfo(stsToken).orElseThrow().serviceAccount()).isNull(); // the federated STS token
    assertThat(sts.form()).containsEntry("scope", "https://www.googleapis.com/auth/cloud-platform")
        .containsEntry("subject_token", volume.current().value());
    assertThat(iam.body()).isEqualTo("{\"delegates\":[],\"scope\":[\"https://www.googleapis.com/auth/devstorage.read_only\","
        + "\"https://www.googleapis.com/auth/pubsub\"],\"lifetime\":\"1200s\"}");
    FakeGcp.IssuedToken issued = gcp.tokenInfo(bearer).orElseThrow();
    assertThat(issued.serviceAccount()).isEqualTo(SA);
    assertThat(issued.expiresAt()).isEqualTo(clock.instant().plusSeconds(1200));
    assertThat(credentials.getAccessToken().getExpirationTime().toInstant()).isEqualTo(issued.expiresAt());
  }

  @Test
  void explicitBuilderConfigurationNeedsNoFile() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principalSet(audience));
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials()
        .workloadIdentityProvider(gcp.projectNumber(), "k8s-pool", "cluster")
        .tokenFile(volume.tokenFile())
        .serviceAccount(SA)
        .tokenLifetime(Duration.ofMinutes(15))
        .stsEndpoint(gcp.stsUrl())
        .iamEndpoint(gcp.iamUrl() + "/")
        .build());

    assertThat(bearer(credentials)).startsWith("ya29.fake-sa-");
    assertThat(gcp.requests(FakeGcp.STS_PATH).get(0).form()).containsEntry("audience", audience);
    assertThat(gcp.requests(IAM_PATH).get(0).body()).contains("\"lifetime\":\"900s\"");
  }

  @Test
  void createReadsGoogleApplicationCredentialsFromTheEnvironment() throws Exception {
    Path config = config(audience, volume.tokenFile(), null, null);
    Environment env = Environment.of(Map.of("GOOGLE_APPLICATION_CREDENTIALS", config.toString(),
        "GOOGLE_CLOUD_QUOTA_PROJECT", "billing-project"));
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials().environment(env).build());

    Map<String, List<String>> metadata = credentials.getRequestMetadata(API);

    assertThat(metadata.get("Authorization").get(0)).startsWith("Bearer ya29.fake-sts-");
    assertThat(metadata).containsEntry("x-goog-user-project", List.of("billing-project"));
    assertThat(credentials.getQuotaProjectId()).isEqualTo("billing-project");
  }

  @Test
  void aJsonFormatCredentialSourceIsReadFromItsField() throws Exception {
    Path tokenJson = write("token.json", "{\"id_token\": \"" + volume.current().value() + "\", \"other\": 1}");
    String json = Files.readString(config(audience, tokenJson, null, null))
        .replace("\"type\": \"text\"", "\"type\": \"json\", \"subject_token_field_name\": \"id_token\"");
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials().credentialsFile(write("json-config.json", json)).build());

    assertThat(bearer(credentials)).startsWith("ya29.fake-sts-");
    assertThat(gcp.requests(FakeGcp.STS_PATH).get(0).form()).containsEntry("subject_token", volume.current().value());
  }

  /**
   * The kubelet rotates the token and the old one stops verifying (its signing key is retired).
   * google-auth would keep using the STS token it cached from the old subject token; here every
   * exchange starts at STS, and a rejected token makes the source re-read the file at once, so the
   * cache's next attempt sends the new token even when the file watch has not noticed yet. The
   * rejected attempt is not retried inside the exchange.
   */
  @Test
  void afterRotationAndRevocationTheNextExchangeUsesTheNewTokenEvenWithImpersonation() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    // No file watch, one poll a minute: the source has not seen the rotation when the refresh runs.
    FileTokenSource tokens = closeLater(FileTokenSource.builder(volume.tokenFile()).clock(clock).watch(false)
        .pollInterval(Duration.ofSeconds(60)).build());
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials().audience(audience).tokenSource(tokens)
        .serviceAccount(SA).tokenLifetime(Duration.ofMinutes(10)).stsEndpoint(gcp.stsUrl()).iamEndpoint(gcp.iamUrl()).build());
    String first = bearer(credentials);
    assertThat(nextEvent()).isEqualTo("refreshed");
    ProjectedToken old = volume.current();

    clock.advance(Duration.ofMinutes(9)); // past the refresh point of the 10-minute token, before its expiry
    cluster.rotateSigningKey();
    ProjectedToken rotated = volume.rotate();
    cluster.retireOldSigningKeys();
    gcp.forgetIssuerKeys(); // Google's JWKS cache expires: the old token no longer verifies

    assertThat(bearer(credentials)).isEqualTo(first); // served at once; the refresh runs in the background
    assertThat(readUntilEvent(credentials)).isEqualTo("failed");
    WorkloadIdentityException rejected = events.failures().get(0);
    assertThat(rejected).isInstanceOf(GcpCredentialsException.class);
    assertThat(((GcpCredentialsException) rejected).tokenRejected()).isTrue();
    assertThat(((GcpCredentialsException) rejected).retryable()).isTrue();
    assertThat(bearer(credentials)).isEqualTo(first); // the valid token stays in service
    clock.advance(Duration.ofSeconds(1)); // past this test's millisecond backoff
    assertThat(readUntilEvent(credentials)).isEqualTo("refreshed");

    List<ReceivedRequest> sts = gcp.requests(FakeGcp.STS_PATH);
    assertThat(sts).extracting(r -> r.form().get("subject_token"), ReceivedRequest::status).containsExactly(
        org.assertj.core.groups.Tuple.tuple(old.value(), 200),
        org.assertj.core.groups.Tuple.tuple(old.value(), 400),
        org.assertj.core.groups.Tuple.tuple(rotated.value(), 200));
    List<ReceivedRequest> iam = gcp.requests(IAM_PATH);
    assertThat(iam).hasSize(2);
    String secondStsToken = iam.get(1).header("Authorization").orElseThrow().substring("Bearer ".length());
    assertThat(gcp.tokenInfo(secondStsToken).orElseThrow().expiresAt()).isAfter(clock.instant());
  }

  @Test
  void aWatchedRotationIsUsedAtTheNextExchangeWithoutARejectedAttempt() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    FileTokenSource tokens = closeLater(FileTokenSource.builder(volume.tokenFile()).clock(clock).build());
    CountDownLatch seen = new CountDownLatch(1);
    tokens.onRotation(t -> seen.countDown());
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials().audience(audience).tokenSource(tokens)
        .serviceAccount(SA).tokenLifetime(Duration.ofMinutes(10)).stsEndpoint(gcp.stsUrl()).iamEndpoint(gcp.iamUrl()).build());
    bearer(credentials);
    assertThat(nextEvent()).isEqualTo("refreshed");

    clock.advance(Duration.ofMinutes(9));
    ProjectedToken rotated = volume.rotate();
    assertThat(seen.await(10, TimeUnit.SECONDS)).isTrue(); // the shared watcher saw the ..data swap
    assertThat(readUntilEvent(credentials)).isEqualTo("refreshed");

    assertThat(gcp.requests(FakeGcp.STS_PATH)).extracting(ReceivedRequest::status).containsExactly(200, 200);
    assertThat(gcp.requests(FakeGcp.STS_PATH).get(1).form()).containsEntry("subject_token", rotated.value());
    assertThat(gcp.requests(IAM_PATH)).hasSize(2);
  }
}
