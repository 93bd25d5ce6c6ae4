package io.workloadidentity.core;

import java.time.Instant;
import java.util.Optional;

/**
 * The private {@code kubernetes.io} claim of a projected service-account token: which namespace,
 * service account, pod and node the token is bound to. Every field is optional because older API
 * servers and tokens bound to other objects omit some of them.
 *
 * @param namespace the service account's namespace
 * @param serviceAccountName the service account's name
 * @param serviceAccountUid the service account's UID
 * @param podName the pod the token is bound to
 * @param podUid that pod's UID
 * @param nodeName the node the pod runs on (Kubernetes 1.30+)
 * @param warnAfter present only on "extended" API-server-audience tokens: the point after which the
 *     API server counts the token as stale, although {@code exp} is a year away
 */
public record KubernetesClaims(
    Optional<String> namespace,
    Optional<String> serviceAccountName,
    Optional<String> serviceAccountUid,
    Optional<String> podName,
    Optional<String> podUid,
    Optional<String> nodeName,
    Optional<Instant> warnAfter) {}
