package io.workloadidentity.testkit;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * What a {@link KubernetesCluster} puts in a minted projected service-account token: the pod's
 * namespace, service account, pod and node, the audiences and the lifetime ({@code
 * serviceAccountToken.expirationSeconds}).
 *
 * <pre>{@code
 * TokenSpec spec = TokenSpec.builder()
 *     .namespace("payments").serviceAccount("api")
 *     .audiences("sts.amazonaws.com")
 *     .lifetime(Duration.ofHours(24))
 *     .build();
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 */
public final class TokenSpec {
  /** The shortest lifetime Kubernetes accepts ({@code expirationSeconds >= 600}). */
  public static final Duration MIN_LIFETIME = Duration.ofMinutes(10);
  /** The kubelet's default lifetime when {@code expirationSeconds} is not set. */
  public static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);
  /** How far an extended token's {@code exp} lies: one year (kube-apiserver's extension). */
  public static final Duration EXTENDED_EXPIRY = Duration.ofDays(365);

  private final String namespace;
  private final String serviceAccount;
  private final List<String> audiences;
  private final Duration lifetime;
  private final String podName;
  private final String nodeName;
  private final boolean extended;
  private final Instant issuedAt;

  private TokenSpec(Builder b) {
    this.namespace = b.namespace;
    this.serviceAccount = b.serviceAccount;
    this.audiences = b.audiences;
    this.lifetime = b.lifetime;
    this.podName = b.podName; // null: derived from the service account
    this.nodeName = b.nodeName;
    this.extended = b.extended;
    this.issuedAt = b.issuedAt;
  }

  /**
   * A spec with the defaults (service account {@code default/default}, one-hour lifetime) and the
   * given audiences.
   *
   * @param audiences the {@code aud} values, at least one, none blank
   * @return the spec
   * @throws IllegalArgumentException if there is no audience or one is blank
   */
  public static TokenSpec of(String... audiences) {
    return builder().audiences(audiences).build();
  }

  /**
   * A builder; {@link Builder#audiences(String...)} is required.
   *
   * @return a builder with the defaults and no audience
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder initialised from this spec, to derive a variant (another service account, say).
   *
   * @return a new builder; changing it does not change this spec
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.namespace = namespace;
    b.serviceAccount = serviceAccount;
    b.audiences = audiences;
    b.lifetime = lifetime;
    b.podName = podName;
    b.nodeName = nodeName;
    b.extended = extended;
    b.issuedAt = issuedAt;
    return b;
  }

  /**
   * The service account's namespace.
   *
   * @return the namespace; {@code default} unless set
   */
  public String namespace() {
    return namespace;
  }

  /**
   * The service account's name.
   *
   * @return the name; {@code default} unless set
   */
  public String serviceAccount() {
    return serviceAccount;
  }

  /**
   * The {@code sub} claim, which cloud trust policies match on.
   *
   * @return {@code system:serviceaccount:<namespace>:<serviceAccount>}
   */
  public String subject() {
    return "system:serviceaccount:" + namespace + ":" + serviceAccount;
  }

  /**
   * The {@code aud} claim values.
   *
   * @return the audiences in order, unmodifiable, never empty
   */
  public List<String> audiences() {
    return audiences;
  }

  /**
   * The requested lifetime ({@code serviceAccountToken.expirationSeconds}).
   *
   * @return {@code exp - iat}, or {@code warnafter - iat} when extended; one hour unless set
   */
  public Duration lifetime() {
    return lifetime;
  }

  /**
   * The pod the token is bound to.
   *
   * @return the name in {@code kubernetes.io.pod.name}; {@code <serviceAccount>-6d5f8b7c9-x7k2p}
   *     unless set
   */
  public String podName() {
    return podName != null ? podName : serviceAccount + "-6d5f8b7c9-x7k2p";
  }

  /**
   * The node the pod runs on.
   *
   * @return the name in {@code kubernetes.io.node.name}; {@code testkit-node} unless set
   */
  public String nodeName() {
    return nodeName;
  }

  /**
   * Whether the token is "extended" like kube-apiserver's default API-audience tokens: {@code exp}
   * one year ahead and {@code warnafter} at the requested lifetime. Default false (cloud audiences
   * are never extended).
   *
   * @return true for an extended token
   */
  public boolean extended() {
    return extended;
  }

  /**
   * A fixed issue time, for tokens issued in the past or the future.
   *
   * @return the {@code iat} in whole seconds; empty (the default) means "now by the cluster's clock"
   */
  public Optional<Instant> issuedAt() {
    return Optional.ofNullable(issuedAt);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TokenSpec t && namespace.equals(t.namespace) && serviceAccount.equals(t.serviceAccount)
        && audiences.equals(t.audiences) && lifetime.equals(t.lifetime) && podName().equals(t.podName())
        && nodeName.equals(t.nodeName) && extended == t.extended && Objects.equals(issuedAt, t.issuedAt);
  }

  @Override
  public int hashCode() {
    return Objects.hash(namespace, serviceAccount, audiences, lifetime, podName(), nodeName, extended, issuedAt);
  }

  @Override
  public String toString() {
    return "TokenSpec{sub=" + subject() + ", aud=" + audiences + ", lifetime=" + lifetime + ", pod=" + podName()
        + ", node=" + nodeName + (extended ? ", extended" : "") + (issuedAt == null ? "" : ", iat=" + issuedAt) + "}";
  }

  /** Builder of a {@link TokenSpec}. Not thread-safe. */
  public static final class Builder {
    private String namespace = "default";
    private String serviceAccount = "default";
    private List<String> audiences;
    private Duration lifetime = DEFAULT_LIFETIME;
    private String podName;
    private String nodeName = "testkit-node";
    private boolean extended;
    private Instant issuedAt;

    private Builder() {}

    /**
     * The service account's namespace.
     *
     * @param namespace not blank; default {@code default}
     * @return this builder
     * @throws IllegalArgumentException if {@code namespace} is null or blank
     */
    public Builder namespace(String namespace) {
      this.namespace = nonBlank(namespace, "namespace");
      return this;
    }

    /**
     * The service account's name; it also names the default pod.
     *
     * @param serviceAccount not blank; default {@code default}
     * @return this builder
     * @throws IllegalArgumentException if {@code serviceAccount} is null or blank
     */
    public Builder serviceAccount(String serviceAccount) {
      this.serviceAccount = nonBlank(serviceAccount, "serviceAccount");
      return this;
    }

    /**
     * The audiences (required, at least one).
     *
     * @param audiences the {@code aud} values in order, none blank
     * @return this builder
     * @throws IllegalArgumentException if there is no audience or one is blank
     */
    public Builder audiences(String... audiences) {
      return audiences(Arrays.asList(audiences));
    }

    /**
     * The audiences (required, at least one).
     *
     * @param audiences the {@code aud} values in order, none blank; copied
     * @return this builder
     * @throws IllegalArgumentException if there is no audience or one is blank
     */
    public Builder audiences(List<String> audiences) {
      if (audiences == null || audiences.isEmpty()) {
        throw new IllegalArgumentException("A projected token needs at least one audience");
      }
      audiences.forEach(a -> nonBlank(a, "audience"));
      this.audiences = List.copyOf(audiences);
      return this;
    }

    /**
     * The lifetime, at least {@link #MIN_LIFETIME} as Kubernetes requires. To test expiry, advance
     * a {@link TestClock} instead of asking for a shorter token.
     *
     * @param lifetime the requested lifetime; default {@link #DEFAULT_LIFETIME}
     * @return this builder
     * @throws IllegalArgumentException if {@code lifetime} is under {@link #MIN_LIFETIME}
     */
    public Builder lifetime(Duration lifetime) {
      if (lifetime.compareTo(MIN_LIFETIME) < 0) {
        throw new IllegalArgumentException("Kubernetes rejects token lifetimes under 10 minutes (got " + lifetime
            + "); to test expiry, advance a TestClock shared with the cluster instead");
      }
      this.lifetime = lifetime;
      return this;
    }

    /**
     * The pod name in {@code kubernetes.io.pod.name}.
     *
     * @param podName not blank; by default derived from the service account
     * @return this builder
     * @throws IllegalArgumentException if {@code podName} is null or blank
     */
    public Builder podName(String podName) {
      this.podName = nonBlank(podName, "podName");
      return this;
    }

    /**
     * The node name in {@code kubernetes.io.node.name}.
     *
     * @param nodeName not blank; default {@code testkit-node}
     * @return this builder
     * @throws IllegalArgumentException if {@code nodeName} is null or blank
     */
    public Builder nodeName(String nodeName) {
      this.nodeName = nonBlank(nodeName, "nodeName");
      return this;
    }

    /**
     * Whether to mint an extended token ({@code exp} in a year, {@code warnafter} at the lifetime),
     * as kube-apiserver does for its own audience: to test that such a token is recognised as the
     * wrong file for a cloud.
     *
     * @param extended true for an extended token; default false
     * @return this builder
     */
    public Builder extended(boolean extended) {
      this.extended = extended;
      return this;
    }

    /**
     * A fixed issue time instead of the cluster clock's "now".
     *
     * @param issuedAt the {@code iat}, truncated to whole seconds; {@code null} for the clock's now
     * @return this builder
     */
    public Builder issuedAt(Instant issuedAt) {
      this.issuedAt = issuedAt == null ? null : Instant.ofEpochSecond(issuedAt.getEpochSecond());
      return this;
    }

    /**
     * Builds the spec.
     *
     * @return an immutable spec; the builder may be reused
     * @throws IllegalStateException if no audience was set
     */
    public TokenSpec build() {
      if (audiences == null) {
        throw new IllegalStateException("TokenSpec needs audiences(...), e.g. \"sts.amazonaws.com\"");
      }
      return new TokenSpec(this);
    }

    private static String nonBlank(String value, String name) {
      if (value == null || value.isBlank()) {
        throw new IllegalArgumentException(name + " must not be blank");
      }
      return value;
    }
  }
}
