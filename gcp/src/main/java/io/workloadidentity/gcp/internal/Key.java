package io.workloadidentity.gcp.internal;

import java.util.List;
import java.util.Objects;

/**
 * What distinguishes one Google access token from another in the credential cache: the workload
 * identity provider (or the metadata server), the impersonated service account and the scopes.
 *
 * @param audience the provider resource name, or {@link #METADATA_SERVER}
 * @param serviceAccount the impersonated service account, or {@code null} for the federated token itself
 * @param scopes the OAuth scopes, in order
 */
public record Key(String audience, String serviceAccount, List<String> scopes) {
  /** The audience of tokens from the GKE metadata server. */
  public static final String METADATA_SERVER = "metadata-server";

  public Key {
    Objects.requireNonNull(audience, "audience");
    scopes = List.copyOf(scopes);
  }

  /** This key with other scopes. */
  public Key withScopes(List<String> other) {
    return new Key(audience, serviceAccount, other);
  }

  @Override
  public String toString() {
    return audience + (serviceAccount == null ? "" : " as " + serviceAccount) + " " + scopes;
  }
}
