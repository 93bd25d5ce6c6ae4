package io.workloadidentity.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.TokenRequestContext;
import org.junit.jupiter.api.Test;

class ScopeKeyTest {
  static ScopeKey key(String... scopes) {
    return ScopeKey.of(new TokenRequestContext().addScopes(scopes));
  }

  @Test
  void slashVariantsOfADefaultScopeAreOneKey() {
    assertThat(key("https://x/.default")).isEqualTo(key("https://x//.default")).isEqualTo(key(" https://x/.default "))
        .hasSameHashCodeAs(key("https://x//.default"));
    assertThat(ScopeKey.normalise("https://storage.azure.com///.default")).isEqualTo("https://storage.azure.com/.default");
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
    assertThat(ScopeKey.of(base)).isNotEqualTo(ScopeKey.of(new TokenRequestContext().addScopes("https://x/.default")
        .setTenantId("other")));
    assertThat(ScopeKey.of(base)).isNotEqualTo(ScopeKey.of(new TokenRequestContext().addScopes("https://x/.default")
        .setClaims("{\"access_token\":{}}")));
    assertThat(ScopeKey.of(base)).isNotEqualTo(ScopeKey.of(new TokenRequestContext().addScopes("https://x/.default")
        .setCaeEnabled(true)));
  }

  @Test
  void theRequestKeepsTheFirstSpellingAndOptions() {
    TokenRequestContext r = key("https://x//.default").toRequest();
    assertThat(r.getScopes()).containsExactly("https://x//.default");
    assertThat(ScopeKey.of(new TokenRequestContext().addScopes("s/.default").setTenantId("t").setCaeEnabled(true))
        .toRequest()).satisfies(c -> {
          assertThat(c.getTenantId()).isEqualTo("t");
          assertThat(c.isCaeEnabled()).isTrue();
        });
  }

  @Test
  void noScopeIsRefused() {
    assertThatThrownBy(() -> ScopeKey.of(new TokenRequestContext())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(".default");
    assertThatThrownBy(() -> key(" ")).isInstanceOf(IllegalArgumentException.class);
  }
}
