package io.workloadidentity.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class NonProxyHostsTest {
  @Test
  void readsTheJavaAndTheCurlForms() {
    NonProxyHosts h = NonProxyHosts.parse("localhost|*.internal.example|10.0.*", "  .corp.example, metadata ");
    assertThat(h.matches("localhost")).isTrue();
    assertThat(h.matches("LOCALHOST")).isTrue();
    assertThat(h.matches("a.b.internal.example")).isTrue();
    assertThat(h.matches("internal.example")).isFalse(); // "*." needs a label before it
    assertThat(h.matches("10.0.3.4")).isTrue();
    assertThat(h.matches("corp.example")).isTrue(); // a leading dot: the domain and its subdomains
    assertThat(h.matches("x.corp.example")).isTrue();
    assertThat(h.matches("notcorp.example")).isFalse();
    assertThat(h.matches("metadata")).isTrue();
    assertThat(h.matches("login.microsoftonline.com")).isFalse();
    assertThat(h.matches(null)).isFalse();
  }

  @Test
  void aLoneStarExemptsEveryHostAndEmptyListsNone() {
    assertThat(NonProxyHosts.parse("*").matches("anything.example")).isTrue();
    assertThat(NonProxyHosts.parse((String) null, "", " , | ").matches("anything.example")).isFalse();
  }

  @Test
  void aValueMadeToBacktrackIsMatchedLinearly() {
    // As a regular expression (each * a .*?) this takes hours against a long host; here it is
    // at most glob length times host length steps.
    String crafted = "*".repeat(200) + "x";
    String host = "a".repeat(250);
    assertThat(NonProxyHosts.parse(crafted).matches(host)).isFalse();
    assertThat(NonProxyHosts.matches("*a*b*c*", "xxaxxbxxcxx")).isTrue();
    assertThat(NonProxyHosts.matches("*a*b*c", "xxaxxbxxcxx")).isFalse();
  }

  @Test
  void theListIsBounded() {
    String many = "h0" + "|h".repeat(200);
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < 100; i++) {
      b.append("host").append(i).append('|');
    }
    NonProxyHosts h = NonProxyHosts.parse(b.toString());
    assertThat(h.matches("host63")).isTrue();
    assertThat(h.matches("host64")).isFalse();
    assertThat(NonProxyHosts.parse("x".repeat(NonProxyHosts.MAX_ENTRY_LENGTH + 1)).matches("x".repeat(256))).isFalse();
    assertThat(NonProxyHosts.parse(many).matches("h")).isTrue();
  }
}
