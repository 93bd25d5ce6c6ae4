package io.workloadidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.ProjectedToken;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

class WorkloadIdentityExtensionTest {
  static final OkHttpClient HTTP = new OkHttpClient.Builder().retryOnConnectionFailure(false).build();

  static int get(String url) throws IOException {
    try (Response r = HTTP.newCall(new Request.Builder().url(url).build()).execute()) {
      return r.code();
    }
  }

  @Nested
  @WorkloadIdentityTest(audiences = "sts.amazonaws.com", namespace = "payments", serviceAccount = "api")
  @TestMethodOrder(MethodOrderer.OrderAnnotation.class)
  class PerTest {
    static KubernetesCluster previousCluster;
    static Path previousVolume;

    @Test
    @Order(1)
    void injectsAClusterAVolumeAndTheirSharedClock(KubernetesCluster cluster, ProjectedVolume volume, TestClock clock)
        throws Exception {
      ProjectedToken token = ProjectedToken.parse(Files.readString(volume.tokenFile()));
      assertThat(token.issuer()).isEqualTo(cluster.issuer());
      assertThat(token.subject()).isEqualTo("system:serviceaccount:payments:api");
      assertThat(token.audiences()).containsExactly("sts.amazonaws.com");
      assertThat(token.issuedAt()).contains(clock.instant());
      assertThat(cluster.clock()).isSameAs(clock);
      clock.advance(Duration.ofMinutes(49));
      assertThat(volume.rotateIfDue()).isTrue();
      assertThat(get(cluster.jwksUri())).isEqualTo(200);
      previousCluster = cluster;
      previousVolume = volume.directory();
    }

    @Test
    @Order(2)
    void closesWhatItStartedWhenTheTestEnds(KubernetesCluster cluster) {
      assertThat(cluster).isNotSameAs(previousCluster);
      assertThatThrownBy(() -> get(previousCluster.jwksUri())).isInstanceOf(IOException.class);
      assertThat(previousVolume).doesNotExist();
    }
  }

  @Nested
  @WorkloadIdentityTest
  class PerClass {
    static KubernetesCluster shared;

    @BeforeAll
    static void startOnce(KubernetesCluster cluster) {
      shared = cluster;
    }

    @Test
    void objectsFromBeforeAllAreSharedByTheTests(KubernetesCluster cluster, ProjectedVolume volume) {
      assertThat(cluster).isSameAs(shared);
      assertThat(volume.current().audiences()).containsExactly(WorkloadIdentityExtension.DEFAULT_AUDIENCE);
    }

    @Test
    void sameClusterInTheNextTest(KubernetesCluster cluster) {
      assertThat(cluster).isSameAs(shared);
    }
  }

  @Nested
  class Registered {
    record Probe(KubernetesCluster cluster) {}

    @RegisterExtension
    final WorkloadIdentityExtension wi = WorkloadIdentityExtension.builder()
        .https(true)
        .audiences("api://AzureADTokenExchange")
        .provide(Probe.class, r -> new Probe(r.cluster()))
        .build();

    @Test
    void customTypesAndSettings(Probe probe, KubernetesCluster cluster, ProjectedVolume volume) throws Exception {
      assertThat(probe.cluster()).isSameAs(cluster);
      assertThat(cluster.issuer()).startsWith("https://127.0.0.1:");
      assertThat(volume.current().audiences()).containsExactly("api://AzureADTokenExchange");
      OkHttpClient tls = HTTP.newBuilder().sslSocketFactory(cluster.sslSocketFactory(), cluster.trustManager()).build();
      try (Response r = tls.newCall(new Request.Builder().url(cluster.discoveryUri()).build()).execute()) {
        assertThat(r.code()).isEqualTo(200);
      }
    }
  }
}
