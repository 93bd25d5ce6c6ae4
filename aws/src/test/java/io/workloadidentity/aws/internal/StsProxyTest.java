package io.workloadidentity.aws.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.internal.NonProxyHosts;
import java.net.URI;
import org.junit.jupiter.api.Test;
import software.amazon.awssdk.http.urlconnection.ProxyConfiguration;

/** Which STS requests may go through a proxy, decided without the SDK's per-request regular expressions. */
class StsProxyTest {
  private static final NonProxyHosts NONE = NonProxyHosts.parse();

  @org.junit.jupiter.api.BeforeEach
  void aProxyIsConfigured() {
    System.setProperty("http.proxyHost", "proxy.example");
    System.setProperty("http.proxyPort", "3128");
    System.setProperty("https.proxyHost", "proxy.example");
    System.setProperty("https.proxyPort", "3128");
  }

  @org.junit.jupiter.api.AfterEach
  void clear() {
    for (String p : new String[] {"http.proxyHost", "http.proxyPort", "https.proxyHost", "https.proxyPort"}) {
      System.clearProperty(p);
    }
  }

  @Test
  void plainHttpAndLoopbackNeverUseAProxy() {
    for (String url : new String[] {"http://127.0.0.1:4566", "http://sts.example.internal", "https://localhost:8443",
        "https://[::1]:8443"}) {
      ProxyConfiguration p = AwsSession.proxyFor(URI.create(url), NONE);
      assertThat(p.host()).as(url).isNull();
      assertThat(p.port()).as(url).isZero();
    }
  }

  @Test
  void anExemptHostIsDecidedHereAndTheSdkMatchesNoPattern() {
    // A crafted exemption list would backtrack as the SDK's regular expressions; here it is one linear check.
    NonProxyHosts crafted = NonProxyHosts.parse("*".repeat(200) + "x|*.amazonaws.com");
    assertThat(AwsSession.proxyFor(URI.create("https://sts.us-west-2.amazonaws.com"), crafted).host()).isNull();

    ProxyConfiguration viaProxy = AwsSession.proxyFor(URI.create("https://sts.us-west-2.amazonaws.com"),
        NonProxyHosts.parse("*".repeat(200) + "x"));
    assertThat(viaProxy.host()).isEqualTo("proxy.example"); // https: the JVM's proxy, as configured
    assertThat(viaProxy.nonProxyHosts()).isEmpty();
  }
}
