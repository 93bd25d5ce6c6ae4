package io.workloadidentity.gcp;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.http.HttpTransportFactory;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * A cluster, a projected volume and the fake Google endpoints sharing one test clock, plus helpers
 * to write gcloud-style configuration files and to wait for cache events.
 */
abstract class GcpFixture {
  /** A compact JWT (header.payload.signature), or an access token of the fakes (Google's ya29. prefix). */
  static final Pattern SECRET_SHAPE = Pattern.compile("eyJ[\\w-]{4,}\\.eyJ[\\w-]{4,}\\.[\\w-]{8,}|ya29\\.[\\w.-]*");

  /**
   * Fails a test if a token the fakes minted, or anything shaped like a JWT or a Google access token,
   * reaches a log record (every level) or the console; and the class if it saw no log record at all.
   */
  @RegisterExtension
  static final SecretLeakGuard LEAKS = leakGuard();

  static SecretLeakGuard leakGuard() {
    return SecretLeakGuard.builder().forbid(SECRET_SHAPE, "a JWT or a Google access token").expectLogRecords(true).build();
  }

  static final String SA = "app@my-project.iam.gserviceaccount.com";
  static final String SUBJECT = "system:serviceaccount:default:app";
  static final URI API = URI.create("https://storage.googleapis.com/storage/v1/b");
  /** Short backoffs so retries take milliseconds; the shapes stay the default ones. */
  static final RefreshPolicy FAST = RefreshPolicy.builder().backoff(Duration.ofMillis(1), Duration.ofMillis(8)).build();

  final TestClock clock = TestClock.at(Instant.ofEpochSecond(Instant.now().getEpochSecond()));
  final List<AutoCloseable> closeables = new ArrayList<>();
  final CacheEvents events = CacheEvents.create();
  KubernetesCluster cluster;
  FakeGcp gcp;
  String audience;
  ProjectedVolume volume;
  HttpTransportFactory transport;
  @TempDir Path dir;

  /** The FakeGcp settings of this test class. */
  FakeGcp.Builder fake() {
    return FakeGcp.builder();
  }

  @BeforeEach
  void startFakes() throws IOException {
    cluster = KubernetesCluster.builder().clock(clock).build();
    gcp = fake().clock(clock).build();
    audience = gcp.addProvider("k8s-pool", "cluster", cluster.issuer());
    volume = cluster.projectedVolume(Files.createDirectory(dir.resolve("token")), spec("https:" + audience));
    HttpTransport t = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory()).build();
    transport = () -> t;
  }

  @AfterEach
  void stopFakes() throws Exception {
    for (int i = closeables.size() - 1; i >= 0; i--) {
      closeables.get(i).close();
    }
    volume.close();
    gcp.close();
    cluster.close();
  }

  static TokenSpec spec(String aud) {
    return TokenSpec.builder().namespace("default").serviceAccount("app").audiences(aud).build();
  }

  <T extends AutoCloseable> T closeLater(T c) {
    closeables.add(c);
    return c;
  }

  /** Writes an external_account file exactly as gcloud's create-cred-config does. */
  Path config(String aud, Path tokenFile, String serviceAccount, Integer lifetimeSeconds) {
    StringBuilder sb = new StringBuilder("{\n  \"universe_domain\": \"googleapis.com\",\n  \"type\": \"external_account\",\n"
        + "  \"audience\": \"" + aud + "\",\n  \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\",\n"
        + "  \"token_url\": \"" + gcp.stsUrl() + "\",\n");
    if (serviceAccount != null) {
      sb.append("  \"service_account_impersonation_url\": \"").append(gcp.impersonationUrl(serviceAccount)).append("\",\n");
      if (lifetimeSeconds != null) {
        sb.append("  \"service_account_impersonation\": {\"token_lifetime_seconds\": ").append(lifetimeSeconds).append("},\n");
      }
    }
    sb.append("  \"credential_source\": {\n    \"file\": \"").append(tokenFile)
        .append("\",\n    \"format\": {\n      \"type\": \"text\"\n    }\n  }\n}\n");
    return write("gcp-config-" + System.nanoTime() + ".json", sb.toString());
  }

  Path write(String name, String content) {
    try {
      return Files.writeString(dir.resolve(name), content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A builder talking to the fakes, with the test clock, fast backoff and cache events recorded. */
  GcpWorkloadIdentityCredentials.Builder credentials() {
    return GcpWorkloadIdentityCredentials.builder()
        .httpTransportFactory(transport)
        .clock(clock)
        .refreshPolicy(FAST)
        .listener(events);
  }

  /** Waits (bounded) for the next cache event. */
  String nextEvent() throws InterruptedException {
    return name(events.awaitOutcome());
  }

  /** "refreshed" or "failed". */
  static String name(CacheEvents.Event e) {
    return e.kind() == CacheEvents.Kind.REFRESHED ? "refreshed" : "failed";
  }

  /**
   * Reads until the next cache event. The cache reports an exchange just before Caffeine completes
   * it; a read in that instant joins the finishing refresh instead of starting one, so one read
   * right after an event may not start the next refresh.
   */
  String readUntilEvent(GcpWorkloadIdentityCredentials credentials) throws Exception {
    for (int i = 0; i < 200; i++) {
      bearer(credentials);
      Optional<CacheEvents.Event> e = events.pollOutcome(Duration.ofMillis(50));
      if (e.isPresent()) {
        return name(e.get());
      }
    }
    throw new AssertionError("no cache event within 10 s of reads");
  }

  /** Reads until the cache serves a token other than {@code old} (installed just after its event). */
  String awaitNewToken(GcpWorkloadIdentityCredentials credentials, String old) throws Exception {
    for (int i = 0; i < 1000; i++) {
      String now = bearer(credentials);
      if (!now.equals(old)) {
        return now;
      }
      assertNoEvent(events.pollOutcome(Duration.ofMillis(10)));
    }
    throw new AssertionError("the new token was not served within 10 s");
  }

  private static void assertNoEvent(Optional<CacheEvents.Event> e) {
    if (e.isPresent()) {
      throw new AssertionError("unexpected cache event " + name(e.get()));
    }
  }

  static String bearer(GcpWorkloadIdentityCredentials credentials) throws IOException {
    return credentials.getRequestMetadata(API).get("Authorization").get(0).substring("Bearer ".length());
  }
}
