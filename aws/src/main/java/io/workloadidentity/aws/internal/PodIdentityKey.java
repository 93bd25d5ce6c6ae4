package io.workloadidentity.aws.internal;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import java.net.URI;
import java.time.Clock;

/**
 * Everything that makes one EKS Pod Identity session different from another; providers with equal
 * keys share a {@link SharedSession}.
 *
 * @param endpoint the agent's credentials URL
 * @param tokenOrigin the absolute token file {@link java.nio.file.Path}, or a caller's token source
 */
public record PodIdentityKey(URI endpoint, Object tokenOrigin, Clock clock, RefreshPolicy refreshPolicy,
    CredentialCache.Listener<Object> listener) {

  @Override
  public String toString() {
    return "pod-identity{endpoint=" + endpoint + ", token="
        + (tokenOrigin instanceof TokenSource t ? t.description() : tokenOrigin) + "}";
  }
}
