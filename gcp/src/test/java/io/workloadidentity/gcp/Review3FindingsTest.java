package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.FakeGcpMetadataServer;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import java.net.URI;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Security review 3 for Google. Checked and found safe (tests not kept): google-http-client's
 * HttpTransport logger at ALL during STS + IAM exchanges logs no token (SecretLeakGuard with the
 * fixture's JWT / ya29 patterns); GOOGLE_CLOUD_UNIVERSE_DOMAIN and GCE_METADATA_IP are read by
 * neither google-auth 1.57 nor the library; NO_GCE_CHECK only changes GKE detection;
 * GOOGLE_API_USE_CLIENT_CERTIFICATE only selects google-auth's mTLS / agent-identity certificate
 * binding, never a host.
 */
@ExtendWith(SecretLeakGuard.class)
class Review3FindingsTest {
  private final TestClock clock = TestClock.create();

  private static String bearer(GcpWorkloadIdentityCredentials c) throws Exception {
    return c.getRequestMetadata(URI.create("https://pubsub.googleapis.com")).get("Authorization").get(0);
  }

  /**
   * SECURITY.md: plain http to any host but loopback is refused without allowHttp ("the token would
   * cross the network in clear"); the AWS Pod Identity agent is held to the SDK's link-local rule.
   * GCE_METADATA_HOST accepts any host name or address, so the access token the metadata server
   * hands out travels in clear from wherever the variable points, and that host chooses which
   * identity (whose token) the workload uses. 0.0.0.0 is not loopback by the library's rule, yet
   * reaches the fake on 127.0.0.1 on Linux.
   */
  @Test
  void aMetadataHostThatIsNeitherLinkLocalNorLoopbackIsRefusedWithoutAllowHttp() throws Exception {
    try (FakeGcpMetadataServer mds = FakeGcpMetadataServer.builder().clock(clock).build()) {
      String remote = "0.0.0.0:" + mds.port();
      Environment env = Environment.of(Map.of("GCE_METADATA_HOST", remote));
      Throwable t = catchThrowable(() -> {
        try (GcpWorkloadIdentityCredentials c = GcpWorkloadIdentityCredentials.builder().environment(env).clock(clock)
            .build()) {
          bearer(c);
        }
      });
      assertThat(mds.requests(FakeGcpMetadataServer.TOKEN_PATH))
          .as("plain-http token requests to %s (not loopback, not link-local, no allowHttp)", remote).isEmpty();
      assertThat(t).isInstanceOf(ConfigurationException.class);
    }
  }
}
