package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.core.Environment;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.gcp.GcpCredentialsException.Reason;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.FakeGcpMetadataServer;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** GKE Workload Identity: tokens from the (fake) GKE metadata server through google-auth's ComputeEngineCredentials. */
class MetadataServerTest {
  @RegisterExtension
  static final SecretLeakGuard LEAKS = GcpFixture.leakGuard();
  static final RefreshPolicy FAST = RefreshPolicy.builder().backoff(Duration.ofMillis(1), Duration.ofMillis(8)).build();
  final TestClock clock = TestClock.create();
  final FakeGcpMetadataServer mds = FakeGcpMetadataServer.builder().clock(clock).build();

  @AfterEach
  void stop() {
    mds.close();
  }

  GcpWorkloadIdentityCredentials.Builder credentials() {
    return GcpWorkloadIdentityCredentials.builder().clock(clock).refreshPolicy(FAST);
  }

  static String bearer(GcpWorkloadIdentityCredentials c) throws IOException {
    return c.getRequestMetadata(URI.create("https://pubsub.googleapis.com")).get("Authorization").get(0);
  }

  @Test
  void gceMetadataHostSelectsTheMetadataServer() throws Exception {
    Environment env = Environment.of(Map.of("GCE_METADATA_HOST", mds.host()));
    try (GcpWorkloadIdentityCredentials c = credentials().environment(env).build()) {
      assertThat(bearer(c)).startsWith("Bearer ya29.fake-mds-");
      ReceivedRequest r = mds.requests(FakeGcpMetadataServer.TOKEN_PATH).get(0);
      assertThat(r.header("Metadata-Flavor")).contains("Google");
      assertThat(r.query()).isEmpty(); // the default scopes are the metadata server's own
      assertThat(c.toString()).contains("metadata server http://" + mds.host());
    }
  }

  /**
   * The metadata server speaks plain http; a JVM proxy setting must not see its access tokens. The
   * JDK's own exemptions (localhost, 127.*) are cleared here so that the fake's loopback address
   * stands for the link-local metadata address, which no default exemption covers.
   */
  @Test
  void plainHttpToTheMetadataServerNeverGoesThroughAProxy() throws Exception {
    try (FakeGcpMetadataServer proxy = FakeGcpMetadataServer.builder().clock(clock).build()) {
      System.setProperty("http.proxyHost", "127.0.0.1");
      System.setProperty("http.proxyPort", String.valueOf(proxy.port()));
      System.setProperty("http.nonProxyHosts", "");
      try (GcpWorkloadIdentityCredentials c = credentials().metadataServer(mds.host()).build()) {
        assertThat(bearer(c)).startsWith("Bearer ya29.fake-mds-");
      } finally {
        System.clearProperty("http.proxyHost");
        System.clearProperty("http.proxyPort");
        System.clearProperty("http.nonProxyHosts");
      }
      assertThat(proxy.requests(FakeGcpMetadataServer.TOKEN_PATH)).isEmpty();
      assertThat(mds.requests(FakeGcpMetadataServer.TOKEN_PATH)).hasSize(1);
    }
  }

  @Test
  void explicitScopesAreAskedFor() throws Exception {
    try (GcpWorkloadIdentityCredentials c = credentials().metadataServer(mds.host()).scopes("s1", "s2").build()) {
      String token = bearer(c).substring("Bearer ".length());
      assertThat(mds.scopesOf(token)).hasValueSatisfying(s -> assertThat(s).containsExactly("s1", "s2"));
    }
  }

  /**
   * The pod started before the GKE metadata server answered: it refuses connections for a few
   * seconds. Each read after the backoff window is one cache attempt, one exchange and one connection
   * attempt (no retry loop inside the exchange); reads inside the window fail fast without one.
   */
  @Test
  void aMetadataServerStillStartingCostsOneExchangePerCacheAttempt() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort(); // closed: connections are refused, as by a metadata server not started yet
    }
    CacheEvents events = CacheEvents.create();
    try (GcpWorkloadIdentityCredentials c = credentials().metadataServer("127.0.0.1:" + port).listener(events).build()) {
      for (int attempt = 1; attempt <= 3; attempt++) {
        Throwable t = catchThrowable(() -> bearer(c));
        assertThat(t).isInstanceOf(IOException.class).hasRootCauseInstanceOf(java.net.ConnectException.class);
        assertThat(((GcpCredentialsException) t.getCause()).reason()).isEqualTo(Reason.UNREACHABLE);
        assertThat(catchThrowable(() -> bearer(c))).isInstanceOf(IOException.class); // backing off: no exchange
        assertThat(events.startedCount()).isEqualTo(attempt);
        clock.advance(Duration.ofSeconds(1)); // past this test's millisecond backoff
      }
    }
  }

  /** The outage test for the metadata server: one request per cache attempt, counted at the server. */
  @Test
  void serverErrorsCostOneRequestPerCacheAttempt() throws Exception {
    mds.faults().failNext(3, Fault.serverError(503));
    try (GcpWorkloadIdentityCredentials c = credentials().metadataServer(mds.host()).build()) {
      for (int attempt = 1; attempt <= 3; attempt++) {
        assertThat(catchThrowable(() -> bearer(c))).isInstanceOf(IOException.class)
            .cause().isInstanceOf(GcpCredentialsException.class);
        assertThat(catchThrowable(() -> bearer(c))).isInstanceOf(IOException.class); // backing off: no request
        assertThat(mds.requestCount()).isEqualTo(attempt);
        clock.advance(Duration.ofSeconds(1));
      }
      assertThat(bearer(c)).startsWith("Bearer ya29.fake-mds-");
    }
    assertThat(mds.requests()).extracting(ReceivedRequest::status).containsExactly(503, 503, 503, 200);
  }

  @Test
  void aRefusalIsExplained() {
    mds.faults().failAlways(Fault.error(404, "not_found", "Not Found"));
    try (GcpWorkloadIdentityCredentials c = credentials().metadataServer(mds.host()).build()) {
      Throwable t = catchThrowable(() -> bearer(c));
      assertThat(t).isInstanceOf(GcpCredentialsException.class);
      GcpCredentialsException e = (GcpCredentialsException) t;
      SecretLeakGuard.assertNoSecrets(e);
      assertThat(e.reason()).isEqualTo(Reason.METADATA_SERVER_REFUSED);
      assertThat(e.httpStatus()).hasValue(404);
      assertThat(e.getMessage()).contains("HTTP 404").contains("Not Found").contains("iam.gke.io/gcp-service-account");
      assertThat(mds.requestCount()).isEqualTo(1); // not retried
    }
  }

  @Test
  void anAbsentMetadataServerIsReportedAsUnreachable() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = s.getLocalPort();
    }
    try (GcpWorkloadIdentityCredentials c = credentials().metadataServer("127.0.0.1:" + port).build()) {
      Throwable t = catchThrowable(() -> bearer(c));
      assertThat(t).isInstanceOf(IOException.class).hasCauseInstanceOf(GcpCredentialsException.class);
      GcpCredentialsException e = (GcpCredentialsException) t.getCause();
      assertThat(e.reason()).isEqualTo(Reason.UNREACHABLE);
      assertThat(e.getMessage()).contains("GKE metadata server at http://127.0.0.1:" + port)
          .contains("did not answer").contains("few seconds").contains("GKE_METADATA");
    }
  }
}
