package io.workloadidentity.azure.internal;

import com.azure.core.credential.TokenRequestContext;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * The cache key of one access token: the requested scopes, normalised, plus the request options
 * that change what Entra issues (tenant, claims challenge, CAE).
 *
 * <p>Normalisation: {@code https://x/.default} and {@code https://x//.default} (a resource URI with
 * a trailing slash plus {@code /.default}) are one key, and scope order does not matter, so callers that spell a scope differently share one token instead of one exchange each.
 * The exchange sends the spelling of the request that created the key: Entra and the resources
 * accept both the slash and the double-slash form.
 */
public final class ScopeKey {
  private static final String DEFAULT_SUFFIX = "/.default";

  private final List<String> requested;
  private final Set<String> normalised;
  private final String tenantId;
  private final String claims;
  private final boolean cae;

  private ScopeKey(List<String> requested, Set<String> normalised, String tenantId, String claims, boolean cae) {
    this.requested = requested;
    this.normalised = normalised;
    this.tenantId = tenantId;
    this.claims = claims;
    this.cae = cae;
  }

  /**
   * The key for a request.
   *
   * @throws IllegalArgumentException if the request names no scope
   */
  public static ScopeKey of(TokenRequestContext request) {
    Objects.requireNonNull(request, "request");
    List<String> scopes = request.getScopes() == null ? List.of()
        : request.getScopes().stream().filter(Objects::nonNull).map(String::strip).filter(s -> !s.isEmpty()).toList();
    if (scopes.isEmpty()) {
      throw new IllegalArgumentException("The token request names no scope: ask for a resource's \".default\" scope,"
          + " for example https://management.azure.com/.default");
    }
    Set<String> normalised = new TreeSet<>();
    for (String s : scopes) {
      normalised.add(normalise(s));
    }
    return new ScopeKey(scopes, Set.copyOf(normalised), blankToNull(request.getTenantId()),
        blankToNull(request.getClaims()), request.isCaeEnabled());
  }

  static String normalise(String scope) {
    if (!scope.endsWith(DEFAULT_SUFFIX)) {
      return scope;
    }
    String resource = scope.substring(0, scope.length() - DEFAULT_SUFFIX.length());
    int end = resource.length();
    while (end > 0 && resource.charAt(end - 1) == '/') {
      end--;
    }
    return resource.substring(0, end) + DEFAULT_SUFFIX;
  }

  /** A request for this key, as azure-identity expects it. */
  public TokenRequestContext toRequest() {
    return new TokenRequestContext().setScopes(requested).setTenantId(tenantId).setClaims(claims).setCaeEnabled(cae);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ScopeKey k && normalised.equals(k.normalised) && Objects.equals(tenantId, k.tenantId)
        && Objects.equals(claims, k.claims) && cae == k.cae;
  }

  @Override
  public int hashCode() {
    return Objects.hash(normalised, tenantId, claims, cae);
  }

  @Override
  public String toString() {
    return "scopes " + normalised + (tenantId == null ? "" : " tenant " + tenantId) + (claims == null ? "" : " with claims")
        + (cae ? " (CAE)" : "");
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
