package io.workloadidentity.core.internal;

import io.workloadidentity.core.Detection;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.ProjectedToken;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.function.Supplier;

/** What every cloud's detection does alike: never throw, and look at the token it would send. */
public final class Detections {
  private Detections() {}

  /**
   * Runs {@code detect}; an exception becomes {@link Detection.Status#MISCONFIGURED} with its
   * (redacted) message, because detection must never throw.
   *
   * @param cloud the cloud's short name
   * @param audiences the audiences the cloud accepts
   * @param detect the cloud's detection
   * @return the detection
   */
  public static Detection guarded(String cloud, Set<String> audiences, Supplier<Detection> detect) {
    try {
      return detect.get();
    } catch (RuntimeException e) {
      return Detection.misconfigured(cloud, List.of("Detection failed: " + Redaction.describe(e)), audiences, null);
    }
  }

  /**
   * Reads the token file once and says what is wrong with the token for this cloud: an audience
   * it does not accept, an expiry in the past.
   *
   * @param file the token file
   * @param variable the variable that named it, or {@code null}
   * @param audiences the audiences the cloud accepts; empty accepts any
   * @param audienceFix the sentence that says how to set the audience
   * @param now the current time
   * @return sentences for the detection's reasons; empty when the token looks right
   * @throws io.workloadidentity.core.WorkloadIdentityException if the file cannot be read or parsed
   */
  public static List<String> tokenFindings(Path file, String variable, Set<String> audiences, String audienceFix,
      Instant now) {
    ProjectedToken token = FileTokenSource.readOnce(file, variable);
    List<String> findings = new ArrayList<>();
    if (!audiences.isEmpty() && token.audiences().stream().noneMatch(audiences::contains)) {
      findings.add("The token's audience " + Redaction.escape(String.valueOf(token.audiences())) + " is not "
          + String.join(" or ", audiences) + ": the cloud will refuse it. " + audienceFix);
    }
    if (token.isExpiredAt(now)) {
      findings.add("The token in " + file + " expired at " + token.expiresAt() + ": the kubelet is not rotating it"
          + " (is the file mounted with subPath, or copied?).");
    }
    return findings;
  }
}
