package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Shared;
import io.workloadidentity.testkit.FakeGcp;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/**
 * google-auth's conventions, each written the way a user (or a Google client library) calls it on a
 * {@link GoogleCredentials}: {@code toBuilder().build()}, {@code refresh()}, {@code createScoped},
 * {@code createWithQuotaProject}; and this library's builder vocabulary and null rules.
 */
class SdkConventionsTest extends GcpFixture {
  static final String IAM_PATH = "/v1/projects/-/serviceAccounts/" + SA + ":generateAccessToken";
  static final String READ_ONLY = "https://www.googleapis.com/auth/devstorage.read_only";

  GoogleCredentials impersonating() {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    return closeLater(credentials().credentialsFile(config(audience, volume.tokenFile(), SA, null)).build());
  }

  static String bearerOf(GoogleCredentials credentials) throws Exception {
    return credentials.getRequestMetadata(API).get("Authorization").get(0).substring("Bearer ".length());
  }

  @Test
  void toBuilderBuildsWorkingCredentialsThatRefreshAndShareTheSession() throws Exception {
    GoogleCredentials credentials = impersonating();
    String token = bearerOf(credentials);
    int sessions = Shared.live();

    GoogleCredentials copy = credentials.toBuilder().build();
    closeLater((AutoCloseable) copy);

    assertThat(copy).isInstanceOf(GcpWorkloadIdentityCredentials.class).isNotSameAs(credentials);
    assertThat(Shared.live()).isEqualTo(sessions); // the same session...
    assertThat(bearerOf(copy)).isEqualTo(token); // ...and the same cached token: no exchange
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);

    copy.refresh(); // google-auth's plain GoogleCredentials copy threw IllegalStateException here
    String refreshed = bearerOf(copy);
    assertThat(refreshed).isNotEqualTo(token).startsWith("ya29.fake-sa-");
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(2);
    assertThat(bearerOf(credentials)).isEqualTo(refreshed); // one cache for both

    ((AutoCloseable) copy).close(); // the copy owns its share: closing it leaves the original working
    assertThat(bearerOf(credentials)).isEqualTo(refreshed);
  }

  @Test
  void toBuilderKeepsScopesAndQuotaProjectAndAcceptsGoogleAuthsSetters() throws Exception {
    GoogleCredentials credentials = impersonating();
    GoogleCredentials billed = credentials.toBuilder().setQuotaProjectId("billing").build();
    closeLater((AutoCloseable) billed);
    assertThat(billed.getRequestMetadata(API)).containsEntry("x-goog-user-project", List.of("billing"));
    assertThat(billed.getQuotaProjectId()).isEqualTo("billing");
    assertThat(bearerOf(billed)).isEqualTo(bearerOf(credentials));

    GoogleCredentials scoped = credentials.createScoped(List.of(READ_ONLY)).createWithQuotaProject("other");
    GcpWorkloadIdentityCredentials rebuilt = closeLater(((GcpWorkloadIdentityCredentials) scoped).toBuilder().build());
    assertThat(rebuilt.key().scopes()).containsExactly(READ_ONLY);
    assertThat(rebuilt.getQuotaProjectId()).isEqualTo("other");
    assertThat(bearerOf(rebuilt)).isEqualTo(bearerOf(scoped));

    GcpWorkloadIdentityCredentials.Builder b = ((GcpWorkloadIdentityCredentials) credentials).toBuilder();
    assertThatThrownBy(() -> b.setRefreshMargin(Duration.ofMinutes(5)))
        .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("refreshPolicy");
    assertThatThrownBy(() -> b.setExpirationMargin(Duration.ofMinutes(1)))
        .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("expirySkew");
    assertThatThrownBy(() -> b.setAccessToken(new AccessToken("x", null)))
        .isInstanceOf(UnsupportedOperationException.class).hasMessageContaining("GoogleCredentials.create");
  }

  /** google-auth refreshes only the IAM token and reuses its cached STS token; here it is a full exchange. */
  @Test
  void refreshForcesAFullExchange() throws Exception {
    GoogleCredentials credentials = impersonating();
    String token = bearerOf(credentials);
    credentials.refresh();
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(2);
    assertThat(gcp.requestCount(IAM_PATH)).isEqualTo(2);
    assertThat(credentials.getAccessToken().getTokenValue()).isNotEqualTo(token);
    assertThat(bearerOf(credentials)).isEqualTo(credentials.getAccessToken().getTokenValue());
  }

  @Test
  void scopedAndQuotaProjectCopiesShareTheParentsSession() throws Exception {
    GoogleCredentials credentials = impersonating();
    int sessions = Shared.live();
    GoogleCredentials readOnly = credentials.createScoped(READ_ONLY);
    GoogleCredentials billed = credentials.createWithQuotaProject("billing");

    String token = bearerOf(credentials);
    assertThat(bearerOf(billed)).isEqualTo(token); // same key: the same token, no exchange
    assertThat(bearerOf(readOnly)).isNotEqualTo(token); // another key in the same cache
    assertThat(Shared.live()).isEqualTo(sessions);
    assertThat(gcp.requests(IAM_PATH)).hasSize(2);
    assertThat(events.startedCount()).isEqualTo(2); // both keys report to the parent's listener
    assertThat(((GcpWorkloadIdentityCredentials) readOnly).key())
        .isEqualTo(GcpTokenKey.federated(audience, SA, List.of(READ_ONLY)));

    ((GcpWorkloadIdentityCredentials) credentials).close(); // closing the parent stops its copies
    assertThatThrownBy(() -> bearerOf(readOnly)).isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> bearerOf(billed)).isInstanceOf(IllegalStateException.class);
  }

  @Test
  void aTypedListenerSeesTheTokenKey() throws Exception {
    List<GcpTokenKey> refreshed = new CopyOnWriteArrayList<>();
    CountDownLatch once = new CountDownLatch(1);
    CredentialCache.Listener<GcpTokenKey> listener = new CredentialCache.Listener<>() {
      @Override
      public void onRefreshed(GcpTokenKey key, Instant expiresAt) {
        refreshed.add(key);
        once.countDown();
      }
    };
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    GcpWorkloadIdentityCredentials credentials = closeLater(credentials().listener(listener)
        .credentialsFile(config(audience, volume.tokenFile(), SA, null)).build());
    bearer(credentials);
    assertThat(once.await(10, TimeUnit.SECONDS)).isTrue();
    GcpTokenKey key = refreshed.get(0);
    assertThat(key.provider()).contains(audience);
    assertThat(key.serviceAccount()).contains(SA);
    assertThat(key.scopes()).containsExactly(FakeGcp.CLOUD_PLATFORM);
    assertThat(key.isMetadataServer()).isFalse();
    assertThat(key.toString()).contains(audience).contains(SA);
  }

  @Test
  void everyBuilderSetterRejectsNullWithItsName() {
    GcpWorkloadIdentityCredentials.Builder b = GcpWorkloadIdentityCredentials.builder();
    Map<String, Consumer<GcpWorkloadIdentityCredentials.Builder>> setters = Map.ofEntries(
        Map.entry("environment", x -> x.environment((Environment) null)),
        Map.entry("credentialsFile", x -> x.credentialsFile((Path) null)),
        Map.entry("audience", x -> x.audience(null)),
        Map.entry("serviceAccount", x -> x.serviceAccount(null)),
        Map.entry("scopes", x -> x.scopes((List<String>) null)),
        Map.entry("tokenLifetime", x -> x.tokenLifetime(null)),
        Map.entry("tokenSource", x -> x.tokenSource((TokenSource) null)),
        Map.entry("tokenFile", x -> x.tokenFile(null)),
        Map.entry("stsEndpoint", x -> x.stsEndpoint(null)),
        Map.entry("iamEndpoint", x -> x.iamEndpoint(null)),
        Map.entry("metadataServer", x -> x.metadataServer(null)),
        Map.entry("httpTransportFactory", x -> x.httpTransportFactory(null)),
        Map.entry("connectTimeout", x -> x.connectTimeout(null)),
        Map.entry("readTimeout", x -> x.readTimeout(null)),
        Map.entry("exchangeTimeout", x -> x.exchangeTimeout(null)),
        Map.entry("clock", x -> x.clock((Clock) null)),
        Map.entry("refreshPolicy", x -> x.refreshPolicy((RefreshPolicy) null)),
        Map.entry("quotaProject", x -> x.quotaProject(null)),
        Map.entry("listener", x -> x.listener(null)));
    setters.forEach((name, setter) ->
        assertThatThrownBy(() -> setter.accept(b)).as(name).isInstanceOf(NullPointerException.class).hasMessage(name));
    assertThatThrownBy(() -> b.connectTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("connectTimeout");
    assertThatThrownBy(() -> b.exchangeTimeout(Duration.ofSeconds(-1))).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("exchangeTimeout");
    // google-auth's own setters keep google-auth's meaning: null is "not set".
    assertThat(b.setQuotaProjectId(null).getQuotaProjectId()).isNull();
    assertThat(b.setUniverseDomain(null).getUniverseDomain()).isNull();
  }
}
