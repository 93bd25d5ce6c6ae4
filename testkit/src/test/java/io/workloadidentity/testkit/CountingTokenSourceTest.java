package io.workloadidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import org.junit.jupiter.api.Test;

class CountingTokenSourceTest {
  @Test
  void countsReadsAndRefreshesOfTheWrappedSource() {
    try (KubernetesCluster cluster = KubernetesCluster.start()) {
      ProjectedToken token = ProjectedToken.parse(cluster.mint(TokenSpec.of("sts.amazonaws.com")));
      CountingTokenSource counting = CountingTokenSource.of(TokenSource.of(token));
      assertThat(counting.token()).isEqualTo(token);
      counting.token();
      counting.refresh();
      assertThat(counting.reads()).isEqualTo(2);
      assertThat(counting.refreshes()).isOne();
      assertThat(counting.toString()).startsWith("CountingTokenSource{reads=2, refreshes=1").doesNotContain(token.value());
    }
  }
}
