package io.workloadidentity.spring.boot;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import io.workloadidentity.spring.boot.internal.HealthView;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TokenSpec;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

/** The Google Cloud part of the starter against the testkit's cluster and Google endpoints. */
@ExtendWith(SecretLeakGuard.class)
class GcpAutoConfigurationTest {
  static final String SA = "orders@demo.iam.gserviceaccount.com";

  @TempDir Path dir;
  KubernetesCluster cluster;
  FakeGcp gcp;
  String audience;
  ProjectedVolume volume;
  final CacheEvents events = CacheEvents.withTimeout(Duration.ofSeconds(10));

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.start();
    gcp = FakeGcp.start();
    audience = gcp.addProvider("pool", "cluster", cluster.issuer());
    volume = cluster.projectedVolume(dir.resolve("token"), TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .audiences("https:" + audience).build());
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, "system:serviceaccount:shop:orders"));
  }

  @AfterEach
  void stop() {
    volume.close();
    gcp.close();
    cluster.close();
  }

  /** The runner with an HTTP transport that trusts the fake's CA, as an application's own transport would be passed. */
  ApplicationContextRunner runner() {
    HttpTransport transport = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory()).build();
    return Contexts.customizer(Contexts.runner(), "trustTheFake", GcpWorkloadIdentityCredentials.Builder.class,
            b -> b.httpTransportFactory(() -> transport))
        .withBean("testEvents", CredentialListenerFactory.class, () -> cloud -> events);
  }

  @Test
  void registersGoogleCredentialsFromTheCredentialsFileProperty() throws Exception {
    Path config = Files.writeString(dir.resolve("credential-configuration.json"), "{\"type\": \"external_account\","
        + "\"audience\": \"" + audience + "\", \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\","
        + "\"token_url\": \"" + gcp.stsUrl() + "\", \"service_account_impersonation_url\": \"" + gcp.impersonationUrl(SA) + "\","
        + "\"credential_source\": {\"file\": \"" + volume.tokenFile() + "\"}}");
    runner().withPropertyValues("workload-identity.gcp.credentials-file=" + config).run(context -> {
      assertThat(context).hasNotFailed().hasSingleBean(GoogleCredentials.class);
      GoogleCredentials credentials = context.getBean(GoogleCredentials.class);
      assertThat(credentials).isInstanceOf(GcpWorkloadIdentityCredentials.class);
      Map<String, List<String>> metadata = credentials.getRequestMetadata(URI.create("https://storage.googleapis.com"));
      String bearer = metadata.get("Authorization").get(0).substring("Bearer ".length());
      assertThat(gcp.tokenInfo(bearer)).hasValueSatisfying(t -> assertThat(t.serviceAccount()).isEqualTo(SA));
      events.awaitRefreshed();
      assertThat(SecretLeakGuard.inspect(HealthProbe.read(context, "gcp")).status()).isEqualTo(HealthView.UP);
      assertThat(context.getBean(WorkloadIdentityDetection.class).report()).contains("gcp").doesNotContain(bearer);
    });
  }

  @Test
  void theAudiencePropertyConfiguresFederationWithoutAnyFile() throws Exception {
    Contexts.customizer(runner(), "fakeSts", GcpWorkloadIdentityCredentials.Builder.class, b -> b.stsEndpoint(gcp.stsUrl()))
        .withPropertyValues("workload-identity.gcp.audience=" + audience, "workload-identity.gcp.token-file=" + volume.tokenFile())
        .run(context -> {
          assertThat(context).hasNotFailed().hasSingleBean(GoogleCredentials.class);
          Map<String, List<String>> metadata = context.getBean(GoogleCredentials.class)
              .getRequestMetadata(URI.create("https://storage.googleapis.com"));
          String bearer = metadata.get("Authorization").get(0).substring("Bearer ".length());
          assertThat(gcp.tokenInfo(bearer)).hasValueSatisfying(t -> assertThat(t.serviceAccount()).isNull());
        });
  }
}
