package io.workloadidentity.azure;

import com.azure.core.credential.TokenRequestContext;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;

/**
 * What one cached Entra ID access token is for: the requested scopes (normalised), the tenant, and
 * the request options that change what Entra issues (a claims challenge, continuous access
 * evaluation). Listeners given to {@link AzureWorkloadIdentityCredential.Builder#listener} receive
 * their events with this key.
 *
 * <p>Normalisation: {@code https://x/.default} and {@code https://x//.default} (a resource URI with
 * a trailing slash, plus {@code /.default}) are one key, surrounding whitespace is ignored and the
 * order of scopes does not matter, so callers that spell a scope differently share one token. The
 * token request sends the spelling of the request that created the key ({@link #requestedScopes()}):
 * Entra and the resources accept both the slash and the double-slash form.
 *
 * <p>Immutable. {@link #toString()} shows the scopes and the tenant, never the claims text.
 */
public final class AzureTokenKey {
  private static final String DEFAULT_SUFFIX = "/.default";

  private final List<String> requested;
  private final List<String> scopes;
  private final String tenantId;
  private final String claims;
  private final boolean caeEnabled;

  private AzureTokenKey(List<String> requested, List<String> scopes, String tenantId, String claims,
      boolean caeEnabled) {
    this.requested = requested;
    this.scopes = scopes;
    this.tenantId = tenantId;
    this.claims = claims;
    this.caeEnabled = caeEnabled;
  }

  /**
   * The key of a token request: its scopes, tenant, claims challenge and CAE flag.
   *
   * @param request the request, as an Azure SDK client passes it to {@code getToken}
   * @return the key
   * @throws NullPointerException if {@code request} is null
   * @throws IllegalArgumentException if the request names no scope
   */
  public static AzureTokenKey of(TokenRequestContext request) {
    Objects.requireNonNull(request, "request");
    List<String> requested = new ArrayList<>();
    if (request.getScopes() != null) {
      for (String s : request.getScopes()) {
        if (s != null && !s.isBlank()) {
          requested.add(s.strip());
        }
      }
    }
    if (requested.isEmpty()) {
      throw new IllegalArgumentException("The token request names no scope: ask for a resource's \".default\" scope,"
          + " for example https://management.azure.com/.default");
    }
    TreeSet<String> normalised = new TreeSet<>();
    for (String s : requested) {
      normalised.add(normalise(s));
    }
    return new AzureTokenKey(List.copyOf(requested), List.copyOf(normalised), blankToNull(request.getTenantId()),
        blankToNull(request.getClaims()), request.isCaeEnabled());
  }

  /** {@code https://x//.default} and {@code https://x/.default} name the same resource's default scope. */
  static String normalise(String scope) {
    if (!scope.endsWith(DEFAULT_SUFFIX)) {
      return scope;
    }
    int end = scope.length() - DEFAULT_SUFFIX.length();
    while (end > 0 && scope.charAt(end - 1) == '/') {
      end--;
    }
    return scope.substring(0, end) + DEFAULT_SUFFIX;
  }

  /**
   * The scopes, normalised and sorted: what makes two requests share a token.
   *
   * @return an unmodifiable, non-empty list
   */
  public List<String> scopes() {
    return scopes;
  }

  /**
   * The scopes as the first request for this key spelled them (stripped): what is sent to Entra.
   *
   * @return an unmodifiable, non-empty list
   */
  public List<String> requestedScopes() {
    return requested;
  }

  /**
   * The tenant the request named, when it is not the credential's own.
   *
   * @return the tenant, empty for the credential's configured tenant
   */
  public Optional<String> tenantId() {
    return Optional.ofNullable(tenantId);
  }

  /**
   * The claims challenge the request carried (a resource asked for a token with these claims).
   *
   * @return the claims JSON, empty when there is none
   */
  public Optional<String> claims() {
    return Optional.ofNullable(claims);
  }

  /**
   * Whether the request enabled continuous access evaluation.
   *
   * @return true for a CAE token
   */
  public boolean caeEnabled() {
    return caeEnabled;
  }

  /**
   * This key for the credential's configured tenant: a request naming that tenant explicitly shares
   * the token of requests naming none.
   *
   * @return a key without a tenant (this key if it has none)
   */
  public AzureTokenKey withoutTenant() {
    return tenantId == null ? this : new AzureTokenKey(requested, scopes, null, claims, caeEnabled);
  }

  /**
   * A token request for this key, as azure-identity takes it.
   *
   * @return a new request with the requested scopes, the tenant, claims and CAE flag
   */
  public TokenRequestContext toRequest() {
    return new TokenRequestContext().setScopes(new ArrayList<>(requested)).setTenantId(tenantId).setClaims(claims)
        .setCaeEnabled(caeEnabled);
  }

  /** Keys are equal when their normalised scopes, tenant, claims and CAE flag are. */
  @Override
  public boolean equals(Object o) {
    return o instanceof AzureTokenKey k && scopes.equals(k.scopes) && Objects.equals(tenantId, k.tenantId)
        && Objects.equals(claims, k.claims) && caeEnabled == k.caeEnabled;
  }

  @Override
  public int hashCode() {
    return Objects.hash(scopes, tenantId, claims, caeEnabled);
  }

  /** The scopes, the tenant when not the configured one, and whether claims or CAE apply; never the claims text. */
  @Override
  public String toString() {
    return "scopes " + scopes + (tenantId == null ? "" : " tenant " + tenantId) + (claims == null ? "" : " with claims")
        + (caeEnabled ? " (CAE)" : "");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
