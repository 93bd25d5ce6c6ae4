package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.TokenRequestContext;
import org.junit.jupiter.api.Test;

class AzureTokenKeyTest {
  static AzureTokenKey key(String... scopes) {
    return AzureTokenKey.of(new TokenRequestContext().addScopes(scopes));
  }

  @Test
  void slashVariantsOfADefaultScopeAreOneKey() {
    assertThat(key("https://x/.default")).isEqualTo(key("https://x//.default")).isEqualTo(key(" https://x/.default "))
        .hasSameHashCodeAs(key("https://x//.default"));
    assertThat(AzureTokenKey.normalise("https://storage.azure.com///.default")).isEqualTo("https://storage.azure.com/.default");
    assertThat(key("https://x//.default").scopes()).containsExactly("https://x/.default");
  }

  @Test
  void orderDoesNotMatterButContentDoes() {
    assertThat(key("a/.default", "b")).isEqualTo(key("b", "a/.default"));
    assertThat(key("https://x/.default")).isNotEqualTo(key("https://y/.default"));
    assertThat(key("https://x/.default")).isNotEqualTo(key("https://x/user.read"));
  }

  @Test
  void tenantClaimsAndCaeSeparateKeys() {
    TokenRequestContext base = new TokenRequestContext().addScopes("https://x/.default");
    assertThat(AzureTokenKey.of(base)).isNotEqualTo(AzureTokenKey.of(new TokenRequestContext()
        .addScopes("https://x/.default").setTenantId("other")));
    assertThat(AzureTokenKey.of(base)).isNotEqualTo(AzureTokenKey.of(new TokenRequestContext()
        .addScopes("https://x/.default").setClaims("{\"access_token\":{}}")));
    assertThat(AzureTokenKey.of(base)).isNotEqualTo(AzureTokenKey.of(new TokenRequestContext()
        .addScopes("https://x/.default").setCaeEnabled(true)));
    assertThat(AzureTokenKey.of(new TokenRequestContext().addScopes("https://x/.default").setTenantId("t"))
        .withoutTenant()).isEqualTo(AzureTokenKey.of(base));
  }

  @Test
  void theRequestKeepsTheFirstSpellingAndOptions() {
    TokenRequestContext r = key("https://x//.default").toRequest();
    assertThat(r.getScopes()).containsExactly("https://x//.default");
    TokenRequestContext c = AzureTokenKey.of(new TokenRequestContext().addScopes("s/.default").setTenantId("t")
        .setCaeEnabled(true)).toRequest();
    assertThat(c.getTenantId()).isEqualTo("t");
    assertThat(c.isCaeEnabled()).isTrue();
  }

  @Test
  void toStringShowsScopesAndTenantButNeverTheClaims() {
    AzureTokenKey k = AzureTokenKey.of(new TokenRequestContext().addScopes("https://x/.default").setTenantId("t")
        .setClaims("{\"access_token\":{\"nbf\":{\"essential\":true,\"value\":\"1700000000\"}}}"));
    assertThat(k.toString()).contains("https://x/.default", "tenant t", "with claims").doesNotContain("nbf");
  }

  @Test
  void noScopeIsRefused() {
    assertThatThrownBy(() -> AzureTokenKey.of(new TokenRequestContext())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(".default");
    assertThatThrownBy(() -> key(" ")).isInstanceOf(IllegalArgumentException.class);
  }
}
