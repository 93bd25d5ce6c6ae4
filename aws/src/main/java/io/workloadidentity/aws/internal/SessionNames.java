package io.workloadidentity.aws.internal;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.KubernetesClaims;
import io.workloadidentity.core.ProjectedToken;
import java.time.Clock;
import java.util.Optional;

/**
 * STS role session names: {@code [\w+=,.@-]{2,64}}. The session name shows up in CloudTrail and in
 * the assumed-role ARN, so the default names the pod rather than a timestamp as the SDK does.
 */
public final class SessionNames {
  private SessionNames() {}

  /**
   * Checks a configured session name; STS would reject an invalid one with a less helpful message.
   *
   * @param name the name
   * @param source where it came from, named in the message
   * @return {@code name}
   * @throws ConfigurationException if it does not match {@code [\w+=,.@-]{2,64}}
   */
  public static String validate(String name, String source) {
    return AwsValues.sessionName(name, source);
  }

  /**
   * The default session name for a token: the pod name, else the service account name, else a name
   * with the current time; always sanitised to the STS pattern.
   *
   * @param token the token
   * @param clock for the fallback name
   * @return a valid session name
   */
  public static String fromToken(ProjectedToken token, Clock clock) {
    Optional<KubernetesClaims> k8s = token.kubernetes();
    Optional<String> name = k8s.flatMap(KubernetesClaims::podName)
        .or(() -> k8s.flatMap(KubernetesClaims::serviceAccountName));
    return sanitise(name.orElse("workload-identity-java-" + clock.millis()));
  }

  /**
   * Replaces characters STS does not accept with '-', cuts to 64 and pads to 2.
   *
   * @param raw any text
   * @return a valid session name
   */
  public static String sanitise(String raw) {
    // Cut first: a claim may be long, and only 64 characters can be kept anyway.
    int n = Math.min(raw.length(), 64);
    StringBuilder s = new StringBuilder(Math.max(n, 2));
    for (int i = 0; i < n; i++) {
      char c = raw.charAt(i);
      s.append(AwsValues.isSessionNameChar(c) ? c : '-');
    }
    while (s.length() < 2) {
      s.append('-');
    }
    return s.toString();
  }
}
