package io.workloadidentity.gcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentity;
import io.workloadidentity.core.spi.CredentialsProvider;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import io.workloadidentity.testkit.FakeGcpMetadataServer;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Auto-detection from {@code Environment.of(...)}: local evidence only, never the network. */
class GcpCredentialsProviderTest {
  static final String AUD = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/k8s";
  @TempDir Path dir;
  KubernetesCluster cluster;
  GcpCredentialsProvider provider;
  Path resolvConf;
  Path productName;

  @BeforeEach
  void setUp() {
    cluster = KubernetesCluster.start();
    resolvConf = dir.resolve("resolv.conf");
    productName = dir.resolve("product_name");
    provider = new GcpCredentialsProvider(new GkeSignals(resolvConf, productName));
  }

  @AfterEach
  void tearDown() {
    cluster.close();
  }

  Path config(Path tokenFile, String extra) throws Exception {
    return Files.writeString(dir.resolve("gcp.json"), "{\"type\": \"external_account\", \"audience\": \"" + AUD + "\","
        + " \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\", \"token_url\": \"https://sts.googleapis.com/v1/token\", "
        + extra + " \"credential_source\": {\"file\": \"" + tokenFile + "\"}}");
  }

  static Environment gac(Path file) {
    return Environment.of(Map.of("GOOGLE_APPLICATION_CREDENTIALS", file.toString()));
  }

  @Test
  void isRegisteredForServiceLoader() {
    assertThat(ServiceLoader.load(CredentialsProvider.class).stream().map(p -> p.type().getName()))
        .contains(GcpCredentialsProvider.class.getName());
    assertThat(provider.name()).isEqualTo("gcp");
  }

  @Test
  void detectsAnExternalAccountConfigAndDeclaresTheExpectedAudiences() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir.resolve("vol"), TokenSpec.of("https:" + AUD))) {
      Path config = config(volume.tokenFile(), "\"service_account_impersonation_url\":"
          + " \"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken\",");
      Detection d = provider.detect(gac(config));
      assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
      assertThat(d.expectedAudiences()).containsExactlyInAnyOrder("https:" + AUD, AUD);
      assertThat(d.tokenFile()).contains(volume.tokenFile());
      assertThat(String.join(" ", d.reasons())).contains("GOOGLE_APPLICATION_CREDENTIALS=" + config)
          .contains(AUD).contains("impersonating sa@p.iam.gserviceaccount.com").contains(volume.tokenFile().toString());
      // The doctor prints the reasons: where the tokens go, and whether the file overrides it.
      assertThat(d.reasons()).anyMatch(r -> r.startsWith("Endpoints: STS ") && r.contains("IAM Credentials https://iamcredentials.googleapis.com"));

      try (WorkloadIdentity wi = WorkloadIdentity.detect(gac(config), List.of(provider), Clock.systemUTC())) {
        assertThat(wi.get(GoogleCredentials.class)).isInstanceOf(GcpWorkloadIdentityCredentials.class);
        assertThat(wi.report()).contains("gcp: detected").doesNotContain("WARNING").doesNotContain(volume.current().value());
      }
    }
  }

  @Test
  void theReportWarnsWhenTheProjectedAudienceIsNotTheProvidersDefault() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir.resolve("vol"), TokenSpec.of("sts.amazonaws.com"))) {
      Environment env = gac(config(volume.tokenFile(), ""));
      try (WorkloadIdentity wi = WorkloadIdentity.detect(env, List.of(provider), Clock.systemUTC())) {
        assertThat(wi.report()).contains("WARNING: audience [sts.amazonaws.com]").contains("https:" + AUD);
      }
    }
  }

  @Test
  void reportsHalfConfiguredPodsAsMisconfigured() throws Exception {
    Detection noFile = provider.detect(gac(dir.resolve("absent.json")));
    assertThat(noFile.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(noFile.reasons().get(0)).contains("absent.json does not exist").contains("ConfigMap");

    Detection noToken = provider.detect(gac(config(dir.resolve("no-token"), "")));
    assertThat(noToken.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", noToken.reasons())).contains("no-token does not exist").contains("serviceAccountToken.audience: https:" + AUD);
    assertThat(noToken.expectedAudiences()).contains("https:" + AUD);

    Path bad = Files.writeString(dir.resolve("bad.json"), "{\"type\": \"external_account\", \"audience\": \"" + AUD
        + "\", \"token_url\": \"http://sts.googleapis.com/v1/token\", \"credential_source\": {\"file\": \"/t\"}}");
    Detection insecure = provider.detect(gac(bad));
    assertThat(insecure.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(insecure.reasons().get(0)).contains("plain http").contains("sts.googleapis.com").contains("allowHttp");
  }

  @Test
  void anExpiredTokenOnDiskIsMisconfigured() throws Exception {
    io.workloadidentity.testkit.TestClock past = io.workloadidentity.testkit.TestClock.at(java.time.Instant.now().minus(java.time.Duration.ofDays(2)));
    try (KubernetesCluster old = KubernetesCluster.builder().clock(past).build();
        ProjectedVolume volume = old.projectedVolume(dir.resolve("vol"), TokenSpec.of("https:" + AUD))) {
      Detection d = provider.detect(gac(config(volume.tokenFile(), "")));
      assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
      assertThat(String.join(" ", d.reasons())).contains("expired at").contains("not rotating it");
      assertThat(d.expectedAudiences()).contains("https:" + AUD);
    }
  }

  @Test
  void leavesOtherGoogleCredentialTypesToGoogle() throws Exception {
    Path key = Files.writeString(dir.resolve("key.json"), "{\"type\": \"service_account\", \"client_email\": \"x\"}");
    Detection d = provider.detect(gac(key));
    assertThat(d.status()).isEqualTo(Detection.Status.NOT_CONFIGURED);
    assertThat(d.reasons().get(0)).contains("\"service_account\" credential");
  }

  @Test
  void detectsTheGkeMetadataServerWithoutCallingIt() throws Exception {
    try (FakeGcpMetadataServer mds = FakeGcpMetadataServer.start()) {
      Environment env = Environment.of(Map.of("GCE_METADATA_HOST", mds.host()));
      Detection d = provider.detect(env);
      assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
      assertThat(d.reasons().get(0)).contains("GCE_METADATA_HOST=" + mds.host()).contains("GKE Workload Identity");
      try (AutoCloseable created = provider.create(env)) {
        assertThat(created).isInstanceOf(GcpWorkloadIdentityCredentials.class);
      }
      assertThat(mds.requestCount()).isZero();
    }
  }

  @Test
  void recognisesAGkePodFromItsDnsSearchPath() throws Exception {
    Environment pod = Environment.of(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1"));
    assertThat(provider.detect(pod).status()).isEqualTo(Detection.Status.NOT_CONFIGURED);

    Files.writeString(resolvConf, "search default.svc.cluster.local svc.cluster.local cluster.local"
        + " c.my-project.internal google.internal\nnameserver 10.0.0.10\noptions ndots:5\n");
    Detection d = provider.detect(pod);
    assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
    assertThat(d.reasons().get(0)).contains("google.internal").contains("http://metadata.google.internal");
    try (AutoCloseable created = provider.create(pod)) {
      assertThat(created.toString()).contains("metadata server http://metadata.google.internal");
    }

    assertThat(provider.detect(Environment.of(Map.of("KUBERNETES_SERVICE_HOST", "10.0.0.1", "NO_GCE_CHECK", "true"))).status())
        .isEqualTo(Detection.Status.NOT_CONFIGURED);
    Files.delete(resolvConf);
    Files.writeString(productName, "Google Compute Engine\n");
    assertThat(provider.detect(Environment.of(Map.of())).status()).isEqualTo(Detection.Status.DETECTED);
  }

  @Test
  void notConfiguredOutsideGoogleAndCreateExplains() {
    Detection d = provider.detect(Environment.of(Map.of()));
    assertThat(d.status()).isEqualTo(Detection.Status.NOT_CONFIGURED);
    assertThat(d.reasons().get(0)).contains("GOOGLE_APPLICATION_CREDENTIALS is not set");
    assertThatThrownBy(() -> GcpWorkloadIdentityCredentials.builder().environment(Environment.of(Map.of("NO_GCE_CHECK", "true"))).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("GOOGLE_APPLICATION_CREDENTIALS").hasMessageContaining("create-cred-config")
        .hasMessageContaining("builder().audience(...).tokenFile(...)");
  }

  @Test
  void theSystemPropertyWinsOverTheVariable() throws Exception {
    try (ProjectedVolume volume = cluster.projectedVolume(dir.resolve("vol"), TokenSpec.of("https:" + AUD))) {
      Path config = config(volume.tokenFile(), "");
      Environment env = Environment.of(Map.of("GOOGLE_APPLICATION_CREDENTIALS", "/nope.json"),
          Map.of("workloadidentity.gcp.credentials", config.toString()));
      assertThat(provider.detect(env).status()).isEqualTo(Detection.Status.DETECTED);
    }
  }
}
