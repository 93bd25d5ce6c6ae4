package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.net.InetAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import mockwebserver3.MockResponse;
import mockwebserver3.MockWebServer;
import mockwebserver3.RecordedRequest;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Security review findings (review2) for Azure: each test states a promise of SECURITY.md and fails
 * while the hole is open.
 */
class ReviewFindingsTest extends EntraFixture {
  /**
   * azure-core's global configuration, as JdkTransport reads it. It caches what it read from system
   * properties and the environment on first use, so a test sets values here; a deployment sets the
   * same names with -D (or HTTPS_PROXY / NO_PROXY with java.net.useSystemProxies=true) at startup.
   */
  @SuppressWarnings("deprecation")
  private static final com.azure.core.util.Configuration GLOBAL = com.azure.core.util.Configuration.getGlobalConfiguration();

  @SuppressWarnings("deprecation")
  private static void set(String name, String value) {
    GLOBAL.put(name, value);
  }

  @AfterEach
  void clearProxy() {
    for (String name : new String[] {"https.proxyHost", "https.proxyPort", "http.nonProxyHosts"}) {
      GLOBAL.remove(name);
    }
  }

  /**
   * Plain http is allowed to a loopback authority without an opt-in because the client assertion
   * then never crosses the network; but JdkTransport applies azure-core's proxy (here
   * {@code https.proxyHost}; also {@code HTTPS_PROXY} with {@code java.net.useSystemProxies}) to
   * every URI, loopback and http included, so the projected token goes in clear to the proxy.
   */
  @Test
  void aLoopbackHttpAuthorityIsNotSentThroughAProxy() throws Exception {
    try (MockWebServer proxy = new MockWebServer()) {
      proxy.start(InetAddress.getLoopbackAddress(), 0);
      proxy.enqueue(new MockResponse.Builder().code(400).body("{}").build());
      set("https.proxyHost", "127.0.0.1");
      set("https.proxyPort", String.valueOf(proxy.getPort()));
      AzureWorkloadIdentityCredential c = closeLater(builder().authorityHost("http://127.0.0.1:9").build());

      catchThrowable(() -> c.getTokenSync(VAULT_REQUEST));

      RecordedRequest r = proxy.takeRequest(1, TimeUnit.SECONDS);
      boolean leaked = r != null && r.getBody().utf8().contains("client_assertion=ey");
      assertThat(leaked).as("the proxy received the client assertion in clear (%s)",
          r == null ? "no request" : r.getRequestLine()).isFalse();
    }
  }

  /**
   * Untrusted text must not cost super-linear time: JdkTransport.Selector compiles azure-core's
   * translation of {@code NO_PROXY} / {@code http.nonProxyHosts} ({@code *} becomes {@code .*?}) and
   * matches every request's host against it; a value of many {@code *} then {@code x} backtracks
   * for minutes to hours (the cost grows like C(host length + stars, stars): 16 stars on
   * {@code login.microsoftonline.com}, 60 on the fixture's {@code 127.0.0.1}), on the request path, past the exchange deadline.
   */
  @Test
  void aCraftedNonProxyHostsValueDoesNotHangTokenRequests() {
    set("https.proxyHost", "127.0.0.1");
    set("https.proxyPort", "9");
    set("http.nonProxyHosts", "*".repeat(60) + "x|127.0.0.1");
    AzureWorkloadIdentityCredential c = closeLater(builder().exchangeTimeout(Duration.ofSeconds(2)).build());

    Throwable t = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> catchThrowable(() -> c.getTokenSync(VAULT_REQUEST)));
    // The caller got its deadline error; the attempt's HTTP thread is still matching the pattern
    // (and every retry adds one more such thread to the unbounded pool).
    List<String> matching = Thread.getAllStackTraces().entrySet().stream()
        .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().endsWith("JdkTransport$Selector")))
        .filter(e -> Arrays.stream(e.getValue()).anyMatch(f -> f.getClassName().startsWith("java.util.regex")))
        .map(e -> e.getKey().getName()).toList();
    assertThat(matching).as("threads still matching http.nonProxyHosts after the call returned (%s)",
        t == null ? "no error" : t.getClass().getSimpleName()).isEmpty();
  }
}
