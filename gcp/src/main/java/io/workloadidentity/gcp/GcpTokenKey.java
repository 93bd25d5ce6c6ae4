package io.workloadidentity.gcp;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which Google access token a credential cache event is about: the workload identity provider (or
 * the GKE metadata server), the impersonated service account, if any, and the OAuth scopes. The key
 * of {@link GcpWorkloadIdentityCredentials.Builder#listener}'s events; a copy made with {@link
 * GcpWorkloadIdentityCredentials#createScoped} has its own key (same provider and account, other
 * scopes).
 *
 * <p>Immutable and thread-safe; equal when all three parts are equal. {@link #toString()} shows the
 * configuration, never a token.
 */
public final class GcpTokenKey {
  private final String provider;
  private final String serviceAccount;
  private final List<String> scopes;

  private GcpTokenKey(String provider, String serviceAccount, List<String> scopes) {
    this.provider = provider;
    this.serviceAccount = serviceAccount;
    this.scopes = List.copyOf(Objects.requireNonNull(scopes, "scopes"));
    if (this.scopes.isEmpty()) {
      throw new IllegalArgumentException("scopes must not be empty");
    }
  }

  /**
   * The key of a token obtained by workload identity federation.
   *
   * @param provider the workload identity provider,
   *     {@code //iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER}
   * @param serviceAccount the impersonated service account's email, or {@code null} for the
   *     federated token itself (direct resource access)
   * @param scopes the OAuth scopes, in order; not empty
   * @return the key
   */
  public static GcpTokenKey federated(String provider, String serviceAccount, List<String> scopes) {
    return new GcpTokenKey(Objects.requireNonNull(provider, "provider"), serviceAccount, scopes);
  }

  /**
   * The key of a token from the GKE metadata server (GKE Workload Identity).
   *
   * @param scopes the OAuth scopes, in order; not empty
   * @return the key
   */
  public static GcpTokenKey metadataServer(List<String> scopes) {
    return new GcpTokenKey(null, null, scopes);
  }

  /**
   * The workload identity provider.
   *
   * @return its resource name; empty for a token from the GKE metadata server
   */
  public Optional<String> provider() {
    return Optional.ofNullable(provider);
  }

  /**
   * The impersonated service account.
   *
   * @return its email; empty without impersonation and for the metadata server
   */
  public Optional<String> serviceAccount() {
    return Optional.ofNullable(serviceAccount);
  }

  /**
   * The OAuth scopes.
   *
   * @return the scopes, in order; unmodifiable
   */
  public List<String> scopes() {
    return scopes;
  }

  /**
   * Whether the token comes from the GKE metadata server.
   *
   * @return true for the metadata server, false for workload identity federation
   */
  public boolean isMetadataServer() {
    return provider == null;
  }

  /** This key with other scopes (a scoped copy's key). */
  GcpTokenKey withScopes(List<String> other) {
    return new GcpTokenKey(provider, serviceAccount, other);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof GcpTokenKey k && Objects.equals(provider, k.provider)
        && Objects.equals(serviceAccount, k.serviceAccount) && scopes.equals(k.scopes);
  }

  @Override
  public int hashCode() {
    return Objects.hash(provider, serviceAccount, scopes);
  }

  /** The provider (or "metadata server"), the service account and the scopes. */
  @Override
  public String toString() {
    return (provider == null ? "metadata server" : provider) + (serviceAccount == null ? "" : " as " + serviceAccount)
        + " " + scopes;
  }
}
