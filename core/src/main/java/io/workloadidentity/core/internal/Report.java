package io.workloadidentity.core.internal;

import io.workloadidentity.core.Detection;
import io.workloadidentity.core.KubernetesClaims;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/** Renders the detection report of {@code WorkloadIdentity.report()}. */
public final class Report {
  private Report() {}

  public static String render(List<Detection> detections, Clock clock) {
    StringBuilder sb = new StringBuilder("Workload identity report\n");
    if (detections.isEmpty()) {
      sb.append("  No cloud modules on the class path: add workload-identity-aws, -azure or -gcp.\n");
    }
    Instant now = clock.instant();
    for (Detection d : detections) {
      sb.append("  ").append(d.cloud()).append(": ").append(label(d.status())).append('\n');
      for (String r : d.reasons()) {
        sb.append("    - ").append(r).append('\n');
      }
      d.tokenFile().ifPresent(p -> describeToken(sb, p, d, now));
    }
    return sb.toString();
  }

  /** The token's claims and audience check for one detection; never the token itself. */
  public static void describeToken(StringBuilder sb, Path file, Detection d, Instant now) {
    ProjectedToken token;
    try {
      token = readOnce(file);
    } catch (WorkloadIdentityException e) {
      sb.append("    token: ").append(e.getMessage()).append('\n');
      return;
    }
    sb.append("    token: ").append(file).append('\n');
    sb.append("      iss: ").append(token.issuer()).append('\n');
    sb.append("      sub: ").append(token.subject()).append('\n');
    sb.append("      aud: ").append(token.audiences()).append('\n');
    token.kubernetes().flatMap(KubernetesClaims::podName).ifPresent(p -> sb.append("      pod: ").append(p).append('\n'));
    Duration left = Duration.between(now, token.expiresAt());
    sb.append("      exp: ").append(token.expiresAt())
        .append(left.isNegative() ? " (EXPIRED " + Tokens.human(left.negated()) + " ago: the kubelet is not rotating it)"
            : " (in " + Tokens.human(left) + ")").append('\n');
    if (!d.expectedAudiences().isEmpty() && token.audiences().stream().noneMatch(d.expectedAudiences()::contains)) {
      sb.append("      WARNING: audience ").append(token.audiences()).append(" is not one ").append(d.cloud())
          .append(" accepts ").append(d.expectedAudiences())
          .append(": set the projected volume's serviceAccountToken.audience to one of them.\n");
    }
    token.kubernetes().flatMap(KubernetesClaims::warnAfter).ifPresent(w -> sb.append(
        "      WARNING: this is an extended API-server token (warnafter), not a cloud-audience token: wrong file?\n"));
  }

  /** Reads and parses a token file once, with typed errors. */
  public static ProjectedToken readOnce(Path file) {
    byte[] bytes;
    try (InputStream in = Files.newInputStream(file)) {
      bytes = in.readNBytes(ProjectedToken.MAX_SIZE_BYTES + 1);
    } catch (IOException e) {
      throw new io.workloadidentity.core.TokenFileException(
          "cannot read " + file + ": " + e.getClass().getSimpleName() + " (is the projected volume mounted and readable?)",
          file, null, e);
    }
    return ProjectedToken.parse(new String(bytes, StandardCharsets.UTF_8));
  }

  private static String label(Detection.Status s) {
    return switch (s) {
      case DETECTED -> "detected";
      case NOT_CONFIGURED -> "not configured";
      case MISCONFIGURED -> "MISCONFIGURED";
    };
  }
}
