package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.auth.RequestMetadataCallback;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.ImpersonatedCredentials;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.testkit.FakeGcp;
import java.io.ByteArrayOutputStream;
import java.io.NotSerializableException;
import java.io.ObjectOutputStream;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** How the credentials behave as a google-auth {@link GoogleCredentials} in client libraries' hands. */
class GoogleCredentialsContractTest extends GcpFixture {

  GcpWorkloadIdentityCredentials credentials(String serviceAccount) {
    if (serviceAccount != null) {
      gcp.grantWorkloadIdentityUser(serviceAccount, gcp.principal(audience, SUBJECT));
    }
    return closeLater(credentials().credentialsFile(config(audience, volume.tokenFile(), serviceAccount, null)).build());
  }

  @Test
  void repeatedCallsReturnTheSameMetadataMapAndPublishTheTokenToGoogleAuth() throws Exception {
    GcpWorkloadIdentityCredentials c = credentials(null);
    AtomicInteger changes = new AtomicInteger();
    c.addChangeListener(changed -> changes.incrementAndGet());
    assertThat(c.getAccessToken()).isNull();

    Map<String, List<String>> first = c.getRequestMetadata(API);
    Map<String, List<String>> second = c.getRequestMetadata();

    assertThat(second).isSameAs(first); // gRPC reuses its headers object when the map is the same
    assertThat(first).containsOnlyKeys("Authorization");
    assertThat(c.getAccessToken().getTokenValue()).isEqualTo(first.get("Authorization").get(0).substring(7));
    assertThat(changes).hasValue(1);
    assertThat(c.hasRequestMetadata()).isTrue();
    assertThat(c.createScopedRequired()).isFalse();
    c.refreshIfExpired();
    assertThat(gcp.requestCount()).isEqualTo(1);
    assertThat(changes).hasValue(1);

    c.refresh(); // forced: a new exchange, published at once
    assertThat(gcp.requestCount()).isEqualTo(2);
    assertThat(changes).hasValue(2);
    assertThat(c.getAccessToken().getTokenValue()).isNotEqualTo(first.get("Authorization").get(0).substring(7));
    assertThat(c.refreshAccessToken().getTokenValue()).startsWith("ya29.fake-sts-"); // from the cache, no exchange
    assertThat(gcp.requestCount()).isEqualTo(2);
  }

  @Test
  void asyncMetadataAnswersThroughTheCallback() throws Exception {
    GcpWorkloadIdentityCredentials c = credentials(null);
    CompletableFuture<Map<String, List<String>>> result = new CompletableFuture<>();
    RequestMetadataCallback callback = new RequestMetadataCallback() {
      @Override
      public void onSuccess(Map<String, List<String>> metadata) {
        result.complete(metadata);
      }

      @Override
      public void onFailure(Throwable exception) {
        result.completeExceptionally(exception);
      }
    };
    c.getRequestMetadata(API, Runnable::run, callback);
    assertThat(result.get(10, TimeUnit.SECONDS).get("Authorization").get(0)).startsWith("Bearer ya29.fake-sts-");

    c.close(); // else the next credentials, configured alike, would share its session and its cached token
    gcp.setProviderDisabled(audience, true);
    GcpWorkloadIdentityCredentials broken = closeLater(credentials()
        .credentialsFile(config(audience, volume.tokenFile(), null, null)).build());
    CompletableFuture<Map<String, List<String>>> failed = new CompletableFuture<>();
    broken.getRequestMetadata(API, Runnable::run, new RequestMetadataCallback() {
      @Override
      public void onSuccess(Map<String, List<String>> metadata) {
        failed.complete(metadata);
      }

      @Override
      public void onFailure(Throwable exception) {
        failed.completeExceptionally(exception);
      }
    });
    assertThatThrownBy(() -> failed.get(10, TimeUnit.SECONDS)).hasCauseInstanceOf(GcpCredentialsException.class);
  }

  @Test
  void scopedAndQuotaProjectViewsShareTheCache() throws Exception {
    GcpWorkloadIdentityCredentials c = credentials(SA);
    GoogleCredentials readOnly = c.createScoped(List.of("https://www.googleapis.com/auth/devstorage.read_only"));
    GoogleCredentials billed = c.createWithQuotaProject("billing");

    assertThat(c.createScoped(List.of())).isSameAs(c);
    assertThat(c.createScoped(List.of("https://www.googleapis.com/auth/cloud-platform"))).isSameAs(c);
    String token = c.getRequestMetadata(API).get("Authorization").get(0);
    assertThat(billed.getRequestMetadata(API)).containsEntry("Authorization", List.of(token))
        .containsEntry("x-goog-user-project", List.of("billing"));
    String scoped = readOnly.getRequestMetadata(API).get("Authorization").get(0);
    assertThat(scoped).isNotEqualTo(token);
    String iamPath = "/v1/projects/-/serviceAccounts/" + SA + ":generateAccessToken";
    assertThat(gcp.requests(iamPath)).hasSize(2);
    assertThat(gcp.requests(iamPath).get(1).body()).contains("devstorage.read_only");

    ((AutoCloseable) readOnly).close(); // a view does not own the cache
    assertThat(c.getRequestMetadata(API).get("Authorization").get(0)).isEqualTo(token);
  }

  @Test
  void worksAsTheSourceOfGoogleAuthsOwnImpersonation() throws Exception {
    GcpWorkloadIdentityCredentials federated = credentials(null);
    String other = "other@my-project.iam.gserviceaccount.com";
    gcp.grantWorkloadIdentityUser(other, gcp.principal(audience, SUBJECT));
    ImpersonatedCredentials chained = ImpersonatedCredentials.newBuilder().setSourceCredentials(federated)
        .setTargetPrincipal(other).setScopes(List.of(FakeGcp.CLOUD_PLATFORM)).setLifetime(600)
        .setHttpTransportFactory(transport).setIamEndpointOverride(gcp.impersonationUrl(other)).build();
    assertThat(chained.refreshAccessToken().getTokenValue()).startsWith("ya29.fake-sa-");
  }

  @Test
  void neverShowsTokensAndRefusesToSerializeWithCallerObjects() throws Exception {
    GcpWorkloadIdentityCredentials c = credentials(SA);
    String token = c.getRequestMetadata(API).get("Authorization").get(0).substring(7);
    assertThat(c.toString()).contains(audience).contains(SA).doesNotContain(token).doesNotContain(volume.current().value())
        .doesNotContain("ya29");
    assertThat(c).isEqualTo(c).isNotEqualTo(credentials(SA));
    assertThatThrownBy(() -> new ObjectOutputStream(new ByteArrayOutputStream()).writeObject(c))
        .isInstanceOf(NotSerializableException.class);
  }

  @Test
  void closingStopsTheCredentials() throws Exception {
    GcpWorkloadIdentityCredentials c = credentials().credentialsFile(config(audience, volume.tokenFile(), null, null)).build();
    c.getRequestMetadata(API);
    c.close();
    c.close();
    assertThatThrownBy(() -> c.getRequestMetadata(API)).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void builderRejectsInconsistentSettings() {
    assertThatThrownBy(() -> credentials().audience(audience).tokenFile(volume.tokenFile())
        .tokenLifetime(java.time.Duration.ofMinutes(20)).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("only with serviceAccount");
    assertThatThrownBy(() -> credentials().audience(audience).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("tokenFile(path)");
    assertThatThrownBy(() -> credentials().audience(audience).tokenFile(volume.tokenFile()).stsEndpoint("http://sts.googleapis.com/v1/token").build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("plain http").hasMessageContaining("allowHttp(true)");
    assertThatThrownBy(() -> credentials().metadataServer("127.0.0.1:1").serviceAccount(SA).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("iam.gke.io/gcp-service-account");
    assertThatThrownBy(() -> credentials().audience("https:" + audience).tokenFile(volume.tokenFile()).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("without the scheme");
  }
}
