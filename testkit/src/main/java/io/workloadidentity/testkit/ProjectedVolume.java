package io.workloadidentity.testkit;

import java.nio.file.Path;

/** Placeholder, filled in by deliverable 2. */
public final class ProjectedVolume implements AutoCloseable {
  ProjectedVolume(KubernetesCluster cluster, Path dir, TokenSpec spec) {
    throw new UnsupportedOperationException("not yet");
  }

  @Override
  public void close() {}
}
