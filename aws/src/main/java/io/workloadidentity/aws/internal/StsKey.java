package io.workloadidentity.aws.internal;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenSource;
import java.net.URI;
import java.time.Clock;
import java.util.List;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * Everything that makes one STS role session different from another; providers with equal keys
 * share a {@link SharedSession}. Caller-supplied objects (token source, STS client, listener, clock)
 * compare by identity unless they define equality, so only providers built with the same instances
 * share.
 *
 * @param sessionName the configured session name, or null to derive it from the token's pod
 * @param tokenOrigin the absolute token file {@link java.nio.file.Path}, or a caller's token source
 * @param region the configured region, or null (global endpoint)
 * @param globalEndpoint whether {@code AWS_STS_REGIONAL_ENDPOINTS=legacy} selected the global endpoint
 * @param endpointOverride an explicit STS endpoint, or null
 * @param durationSeconds the requested session duration, or null for STS's default (1 h)
 * @param policy an inline session policy, or null
 * @param client a caller-supplied STS client, or null for ours
 */
public record StsKey(String roleArn, String sessionName, Object tokenOrigin, String region, boolean globalEndpoint,
    URI endpointOverride, Integer durationSeconds, String policy, List<String> policyArns, StsClient client,
    Clock clock, RefreshPolicy refreshPolicy, CredentialCache.Listener<Object> listener) {

  public StsKey {
    policyArns = List.copyOf(policyArns);
  }

  /** Names the role session for logs; never shows the policy text or anything secret. */
  @Override
  public String toString() {
    return "sts{role=" + roleArn + ", session=" + (sessionName == null ? "<pod name>" : sessionName)
        + ", token=" + (tokenOrigin instanceof TokenSource t ? t.description() : tokenOrigin) + ", region=" + (region == null ? "none (global endpoint)" : region)
        + (endpointOverride == null ? "" : ", endpoint=" + endpointOverride)
        + (client == null ? "" : ", client=caller's StsClient") + "}";
  }
}
