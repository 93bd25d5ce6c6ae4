package io.workloadidentity.core.internal;

import io.workloadidentity.core.Detection;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.KubernetesClaims;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentityException;
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
      token = FileTokenSource.readOnce(file, null);
    } catch (WorkloadIdentityException e) {
      sb.append("    token: ").append(Redaction.message(e.getMessage())).append('\n');
      return;
    }
    sb.append("    token: ").append(file).append(" (claims as read, not verified)\n");
    sb.append("      iss: ").append(Redaction.escape(token.issuer())).append('\n');
    sb.append("      sub: ").append(Redaction.escape(token.subject())).append('\n');
    sb.append("      aud: ").append(Redaction.escape(String.valueOf(token.audiences()))).append('\n');
    token.kubernetes().flatMap(KubernetesClaims::podName)
        .ifPresent(p -> sb.append("      pod: ").append(Redaction.escape(p)).append('\n'));
    Duration left = Duration.between(now, token.expiresAt());
    sb.append("      exp: ").append(token.expiresAt())
        .append(left.isNegative() ? " (EXPIRED " + Tokens.human(left.negated()) + " ago: the kubelet is not rotating it)"
            : " (in " + Tokens.human(left) + ")").append('\n');
    if (!d.expectedAudiences().isEmpty() && token.audiences().stream().noneMatch(d.expectedAudiences()::contains)) {
      sb.append("      WARNING: audience ").append(Redaction.escape(String.valueOf(token.audiences()))).append(" is not one ").append(d.cloud())
          .append(" accepts ").append(d.expectedAudiences())
          .append(": set the projected volume's serviceAccountToken.audience to one of them.\n");
    }
    token.kubernetes().flatMap(KubernetesClaims::warnAfter).ifPresent(w -> sb.append(
        "      WARNING: this is an extended API-server token (warnafter), not a cloud-audience token: wrong file?\n"));
  }

  private static String label(Detection.Status s) {
    return switch (s) {
      case DETECTED -> "detected";
      case NOT_CONFIGURED -> "not configured";
      case MISCONFIGURED -> "MISCONFIGURED";
    };
  }
}
