package io.workloadidentity.gcp.internal;

import io.workloadidentity.core.KubernetesClaims;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.internal.Redaction;
import java.util.Locale;
import java.util.Optional;

/**
 * Recognizes the Kubernetes API server's own service-account token: the one every pod gets at
 * {@code /var/run/secrets/kubernetes.io/serviceaccount/token}, whose audience is the API server. It
 * authenticates the pod to its cluster; sent to Google STS it would give whoever runs the STS
 * endpoint (or a proxy on the way, or a log) the pod's cluster credentials, and Google refuses it
 * anyway unless the provider was told to accept the API server's audience. So it is never sent: the
 * fix is a projected token with the workload identity provider's audience.
 *
 * <p>Recognized from the token itself: an audience naming the in-cluster API server ({@code
 * https://kubernetes.default.svc}, with or without the cluster domain), or the {@code warnafter}
 * claim that only the API server's extended automounted tokens carry. (A legacy secret-based token,
 * issuer {@code kubernetes/serviceaccount}, is refused by the core's token parser already.)
 */
final class ApiServerTokens {
  /** Where the kubelet mounts the API server's token in every container. */
  static final String AUTOMOUNT_PATH = "/var/run/secrets/kubernetes.io/serviceaccount/token";

  private ApiServerTokens() {}

  /**
   * Why {@code token} must not be sent to Google, or empty.
   *
   * @param token the token about to be sent
   * @param where where it was read, for the message
   * @param audience the workload identity provider
   * @return the message with the fix, or empty for a token meant for Google
   */
  static Optional<String> problem(ProjectedToken token, String where, String audience) {
    String apiAudience = null;
    for (String aud : token.audiences()) {
      if (isApiServer(aud)) {
        apiAudience = aud;
        break;
      }
    }
    boolean extended = token.kubernetes().flatMap(KubernetesClaims::warnAfter).isPresent();
    if (apiAudience == null && !extended) {
      return Optional.empty();
    }
    String why = apiAudience != null ? "its audience " + Redaction.escape(apiAudience) + " is the Kubernetes API server"
        : "it is the API server's extended automounted token (it carries the kubernetes.io warnafter claim)";
    return Optional.of("The subject token from " + Redaction.escape(where) + " is the Kubernetes API server's"
        + " service-account token (" + why + "; sub=" + Redaction.escape(token.subject()) + ", claims not verified):"
        + " it is the pod's credential for its own cluster and is never sent to Google. Mount a projected"
        + " serviceAccountToken volume with audience " + Failures.defaultAudience(audience) + " (the workload identity"
        + " provider's default allowed audience) and point credential_source.file (or tokenFile) at it, not at "
        + AUTOMOUNT_PATH + ".");
  }

  /** {@code https://kubernetes.default.svc[.cluster.local]}, {@code kubernetes.default.svc}, {@code kubernetes.default}. */
  static boolean isApiServer(String audience) {
    String a = audience.toLowerCase(Locale.ROOT);
    if (a.startsWith("https://")) {
      a = a.substring("https://".length());
    }
    int end = 0;
    while (end < a.length() && a.charAt(end) != '/' && a.charAt(end) != ':') {
      end++;
    }
    String host = a.substring(0, end);
    return host.equals("kubernetes") || host.equals("kubernetes.default") || host.equals("kubernetes.default.svc")
        || host.startsWith("kubernetes.default.svc.");
  }
}
