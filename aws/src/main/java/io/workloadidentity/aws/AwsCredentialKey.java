package io.workloadidentity.aws;

import java.net.URI;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link io.workloadidentity.core.CredentialCache.Listener} given to a provider's builder is
 * told the events are about: the STS role session or the EKS Pod Identity agent of the provider.
 * Immutable; equal when all parts are equal; its {@link #toString()} holds no secret, so it can be
 * logged and used as a metric tag.
 *
 * <pre>{@code
 * AwsWebIdentityCredentialsProvider.builder()
 *     .listener(new CredentialCache.Listener<AwsCredentialKey>() {
 *       @Override public void onRefreshFailed(AwsCredentialKey key, WorkloadIdentityException e, Duration retryIn) {
 *         metrics.counter("aws.refresh.failed", "role", key.roleArn().orElse("pod-identity")).increment();
 *       }
 *     })
 *     .build();
 * }</pre>
 */
public final class AwsCredentialKey {
  /** How the credentials are obtained. */
  public enum Source {
    /** STS {@code AssumeRoleWithWebIdentity} (IRSA): {@link AwsWebIdentityCredentialsProvider}. */
    STS_WEB_IDENTITY,
    /** The EKS Pod Identity agent: {@link EksPodIdentityCredentialsProvider}. */
    EKS_POD_IDENTITY
  }

  private final Source source;
  private final String roleArn;
  private final String roleSessionName;
  private final String endpoint;

  private AwsCredentialKey(Source source, String roleArn, String roleSessionName, String endpoint) {
    this.source = source;
    this.roleArn = roleArn;
    this.roleSessionName = roleSessionName;
    this.endpoint = endpoint;
  }

  /**
   * The key of an STS web-identity session.
   *
   * @param roleArn the role assumed
   * @param roleSessionName the configured session name, or {@code null} when it is derived from the token
   * @param endpoint the STS endpoint called, as text (a URL, or a description for a caller's {@code StsClient})
   * @return the key
   */
  public static AwsCredentialKey stsWebIdentity(String roleArn, String roleSessionName, String endpoint) {
    return new AwsCredentialKey(Source.STS_WEB_IDENTITY, Objects.requireNonNull(roleArn, "roleArn"), roleSessionName,
        Objects.requireNonNull(endpoint, "endpoint"));
  }

  /**
   * The key of an EKS Pod Identity agent session.
   *
   * @param endpoint the agent's credentials URL
   * @return the key
   */
  public static AwsCredentialKey eksPodIdentity(URI endpoint) {
    return new AwsCredentialKey(Source.EKS_POD_IDENTITY, null, null,
        Objects.requireNonNull(endpoint, "endpoint").toString());
  }

  /**
   * How the credentials are obtained.
   *
   * @return the source
   */
  public Source source() {
    return source;
  }

  /**
   * The role assumed through STS.
   *
   * @return the role ARN; empty for EKS Pod Identity (the agent picks the role)
   */
  public Optional<String> roleArn() {
    return Optional.ofNullable(roleArn);
  }

  /**
   * The configured role session name.
   *
   * @return the name; empty when it is derived from the token's pod name, and for EKS Pod Identity
   */
  public Optional<String> roleSessionName() {
    return Optional.ofNullable(roleSessionName);
  }

  /**
   * Where the credentials come from.
   *
   * @return the STS endpoint or the agent URL, as text
   */
  public String endpoint() {
    return endpoint;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof AwsCredentialKey k && source == k.source && Objects.equals(roleArn, k.roleArn)
        && Objects.equals(roleSessionName, k.roleSessionName) && endpoint.equals(k.endpoint);
  }

  @Override
  public int hashCode() {
    return Objects.hash(source, roleArn, roleSessionName, endpoint);
  }

  /** The source, role, session name and endpoint; never a secret. */
  @Override
  public String toString() {
    return source == Source.STS_WEB_IDENTITY
        ? "sts{role=" + roleArn + ", session=" + (roleSessionName == null ? "<pod name>" : roleSessionName)
            + ", endpoint=" + endpoint + "}"
        : "pod-identity{endpoint=" + endpoint + "}";
  }
}
