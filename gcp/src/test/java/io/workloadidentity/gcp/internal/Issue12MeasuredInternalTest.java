package io.workloadidentity.gcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenFileException;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.gcp.GcpCredentialsException;
import io.workloadidentity.gcp.GcpTokenKey;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.FakeGcpMetadataServer;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TokenSpec;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/** The measured items of issue 12 that are about one exchange or one token source, tested on them directly. */
class Issue12MeasuredInternalTest {
  @RegisterExtension
  static final SecretLeakGuard LEAKS = SecretLeakGuard.builder().build();
  static final List<String> SCOPES = GcpSettings.DEFAULT_SCOPES;
  @TempDir Path dir;

  static GcpSettings settings(String audience, String tokenUrl, String metadataUrl, HttpTransport t, Duration deadline) {
    return new GcpSettings(audience, GcpSettings.DEFAULT_LIFETIME, tokenUrl, metadataUrl == null ? "https://127.0.0.1:1" : null,
        "googleapis.com", null, null, null, null, metadataUrl, () -> t, Duration.ofSeconds(2), Duration.ofSeconds(5),
        deadline, Clock.systemUTC(), RefreshPolicy.defaults());
  }

  /** A server sending a byte every 150 ms never trips the 5 s read timeout; the 1 s deadline must end the attempt. */
  @Test
  void aDrippingStsResponseEndsAtTheExchangeDeadline() throws Exception {
    try (KubernetesCluster cluster = KubernetesCluster.start(); FakeGcp gcp = FakeGcp.start()) {
      String audience = gcp.addProvider("pool", "k8s", cluster.issuer());
      TokenSource tokens = TokenSource.of(io.workloadidentity.core.ProjectedToken.parse(
          cluster.mint(TokenSpec.builder().namespace("default").serviceAccount("app").audiences("https:" + audience).build())));
      gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.slowBody(Duration.ofMillis(150)));
      HttpTransport t = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory()).build();
      GcpSettings s = settings(audience, gcp.stsUrl(), null, t, Duration.ofSeconds(1));
      Http http = Http.of(s);
      FederationExchange exchange = new FederationExchange(s, tokens, http);
      long started = System.nanoTime();
      Throwable error = catchThrowable(() -> exchange.exchange(GcpTokenKey.federated(audience, null, SCOPES)));
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      http.close();
      assertThat(error).isInstanceOf(GcpCredentialsException.class);
      assertThat(((GcpCredentialsException) error).retryable()).isTrue();
      assertThat(error.getMessage()).contains("deadline");
      assertThat(took).isLessThan(Duration.ofMillis(2500)); // the body alone takes over 25 s
    }
  }

  @Test
  void aDrippingMetadataServerResponseEndsAtTheExchangeDeadline() {
    try (FakeGcpMetadataServer mds = FakeGcpMetadataServer.start()) {
      mds.faults().failAlways(FakeGcpMetadataServer.TOKEN_PATH, Fault.slowBody(Duration.ofMillis(150)));
      GcpSettings s = settings(null, null, "http://" + mds.host(), new NetHttpTransport(), Duration.ofSeconds(1));
      Http http = Http.of(s);
      MetadataServerExchange exchange = new MetadataServerExchange(s, http);
      long started = System.nanoTime();
      Throwable error = catchThrowable(() -> exchange.exchange(GcpTokenKey.metadataServer(SCOPES)));
      Duration took = Duration.ofNanos(System.nanoTime() - started);
      http.close();
      assertThat(error).isInstanceOf(GcpCredentialsException.class);
      assertThat(error.getMessage()).contains("deadline");
      assertThat(took).isLessThan(Duration.ofMillis(2500));
    }
  }

  /** Opening a FIFO for reading blocks until a writer appears: the JSON-format source must refuse it instead. */
  @Test
  void aJsonFormatTokenSourceRefusesAFifoInsteadOfHanging() throws Exception {
    Path fifo = dir.resolve("token.json");
    Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).start();
    assertThat(mkfifo.waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(mkfifo.exitValue()).isZero();
    JsonFieldTokenSource source = new JsonFieldTokenSource(fifo, "id_token", Clock.systemUTC());
    CompletableFuture<Throwable> read = CompletableFuture.supplyAsync(() -> catchThrowable(source::token));
    try {
      Throwable t = read.get(5, TimeUnit.SECONDS);
      assertThat(t).isInstanceOf(TokenFileException.class).hasMessageContaining("FIFO");
    } finally {
      if (!read.isDone()) {
        try (OutputStream unblock = Files.newOutputStream(fifo)) {
          unblock.flush(); // lets the hung reader see end of file
        }
        read.get(5, TimeUnit.SECONDS);
      }
    }
  }
}
