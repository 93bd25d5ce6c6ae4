package io.workloadidentity.examples.samples;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.Expiring;
import io.workloadidentity.examples.samples.CustomCloudSample.MyCredential;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The core-only sample with an identity provider of our own: the exchange receives the projected token. */
class CustomCloudSampleTest {
  @TempDir Path dir;

  @Test
  void theCacheExchangesTheProjectedTokenOnce() {
    try (KubernetesCluster cluster = KubernetesCluster.start();
        ProjectedVolume volume = cluster.projectedVolume(dir, TokenSpec.of("my-cloud"))) {
      List<String> exchanged = new ArrayList<>();
      MyCredential credential = CustomCloudSample.credential(volume.tokenFile(), (token, audience) -> {
        exchanged.add(token.subject() + " for " + audience);
        return Expiring.of(new MyCredential("credential-for-" + token.fingerprint()), Instant.now().plus(Duration.ofHours(1)));
      });
      assertThat(credential.accessToken()).isEqualTo("credential-for-" + volume.current().fingerprint());
      assertThat(exchanged).containsExactly("system:serviceaccount:default:default for my-audience");
    }
  }
}
