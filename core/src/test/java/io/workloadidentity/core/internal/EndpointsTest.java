package io.workloadidentity.core.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class EndpointsTest {
  @ParameterizedTest
  @ValueSource(strings = {"https://sts.amazonaws.com", "http://127.0.0.1:8080/token", "http://localhost:9/x",
      "http://[::1]:443/", "https://sts.us-east-1.amazonaws.com/", "http://127.10.0.3/"})
  void acceptsHttpsAndLoopback(String url) {
    assertThat(Endpoints.requireSecure(url, "The endpoint", false, "allowHttp(true)").toString()).isEqualTo(url);
  }

  @ParameterizedTest
  @ValueSource(strings = {"http://sts.example.com", "http://10.0.0.1/", "http://127.0.0.1.evil.example/",
      "http://localhost.evil.example./", "http://127.0.0.1.nip.io/"})
  void refusesPlainHttpElsewhereNamingTheHostAndTheOptIn(String url) {
    assertThatThrownBy(() -> Endpoints.requireSecure(url, "The endpoint", false, "allowHttp(true)"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("plain http").hasMessageContaining("allowHttp(true)")
        .hasMessageContaining(Endpoints.ALLOW_HTTP_PROPERTY);
    assertThat(Endpoints.requireSecure(url, "The endpoint", true, "allowHttp(true)")).isNotNull();
  }

  @ParameterizedTest
  @ValueSource(strings = {"https://googleapis.com@evil.example/v1/token", "ftp://x/", "sts.amazonaws.com",
      "https://sts.amazonaws.com/\r\nX-Injected: 1", "https:///nohost", "https://a b/", "", "http://1270.0.0.1/"})
  void refusesMalformedOrHostHidingEndpoints(String url) {
    assertThatThrownBy(() -> Endpoints.requireSecure(url, "The endpoint", true, "x"))
        .isInstanceOf(ConfigurationException.class)
        .satisfies(e -> assertThat(e.getMessage()).doesNotContain("\r").doesNotContain("\n"));
  }

  @Test
  void theOptInComesFromAPropertyOrAVariable() {
    assertThat(Endpoints.httpAllowed(Environment.of(Map.of()))).isFalse();
    assertThat(Endpoints.httpAllowed(Environment.of(Map.of(Endpoints.ALLOW_HTTP_VARIABLE, "true")))).isTrue();
    assertThat(Endpoints.httpAllowed(Environment.of(Map.of(), Map.of(Endpoints.ALLOW_HTTP_PROPERTY, "TRUE")))).isTrue();
    assertThat(Endpoints.httpAllowed(Environment.of(Map.of(Endpoints.ALLOW_HTTP_VARIABLE, "yes")))).isFalse();
  }

  @Test
  void valuesAreCheckedLocally() {
    assertThat(Values.requireClean("abc", "X", 10)).isEqualTo("abc");
    assertThatThrownBy(() -> Values.requireClean("a\r\nINFO forged", "AZURE_CLIENT_ID", 100))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("AZURE_CLIENT_ID")
        .hasMessageContaining("U+000D").satisfies(e -> assertThat(e.getMessage()).doesNotContain("\n"));
    assertThatThrownBy(() -> Values.requireClean("x".repeat(101), "X", 100)).hasMessageContaining("101 characters");
    assertThat(Values.isGuid("72f988bf-86f1-41af-91ab-2d7cd011db47")).isTrue();
    assertThat(Values.isGuid("72f988bf-86f1-41af-91ab-2d7cd011db4")).isFalse();
    assertThat(Values.isGuid("72f988bf_86f1-41af-91ab-2d7cd011db47")).isFalse();
    assertThat(Values.isDnsName("googleapis.com")).isTrue();
    assertThat(Values.isDnsName("googleapis.com@evil")).isFalse();
    assertThat(Values.isDnsName("-a.com")).isFalse();
    assertThat(Values.isDnsName("a..com")).isFalse();
    assertThat(Values.isDnsName("a".repeat(64) + ".com")).isFalse();
  }

  @Test
  void bodiesAreCapped() throws Exception {
    assertThat(BoundedBodies.read(new java.io.ByteArrayInputStream("ok".getBytes()), 10)).isEqualTo("ok");
    assertThatThrownBy(() -> BoundedBodies.read(new java.io.ByteArrayInputStream(new byte[11]), 10))
        .isInstanceOf(BoundedBodies.TooLarge.class).hasMessageContaining("10 bytes");
  }
}
