package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.gcp.GcpCredentialsException.Reason;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TokenSpec;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.NotSerializableException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.io.Serializable;
import java.net.HttpURLConnection;
import java.net.URI;
import java.net.URL;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * One test per Google item measured in issue 12, each written against what the issue measured:
 * every one failed on the code before the fix (see the commit that adds this class).
 */
class Issue12MeasuredTest extends GcpFixture {

  /**
   * A transport that behaves as if every host resolved to the fake (DNS pointing at it), and
   * records the URL of every request google-auth asked it to send.
   */
  final class Redirecting {
    final List<String> urls = new CopyOnWriteArrayList<>();
    final HttpTransport transport = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory())
        .setConnectionFactory(this::open).build();

    HttpURLConnection open(URL url) throws IOException {
      urls.add(url.toString());
      URI u = URI.create(url.toString());
      return (HttpURLConnection) new URL(gcp.baseUrl() + u.getRawPath()
          + (u.getRawQuery() == null ? "" : "?" + u.getRawQuery())).openConnection();
    }
  }

  String configJson(String fields) {
    return "{\"type\": \"external_account\", \"audience\": \"" + audience + "\","
        + " \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\", " + fields
        + " \"credential_source\": {\"file\": \"" + volume.tokenFile() + "\", \"format\": {\"type\": \"text\"}}}";
  }

  Path configFile(String fields) {
    return write("cfg-" + System.nanoTime() + ".json", configJson(fields));
  }

  /** The credentials fail to build, or their first use fails; closed either way. */
  Throwable firstUse(GcpWorkloadIdentityCredentials.Builder b) {
    return catchThrowable(() -> {
      try (GcpWorkloadIdentityCredentials c = b.build()) {
        bearer(c);
      }
    });
  }

  // ---- 1. endpoint policy ----

  @Test
  void aTokenUrlOnAForeignHostIsRefusedAndNothingIsSent() {
    Redirecting dns = new Redirecting();
    Path file = configFile("\"token_url\": \"https://sts.evil.example/v1/token\",");
    Throwable t = firstUse(credentials().httpTransportFactory(() -> dns.transport).credentialsFile(file));
    assertThat(t).isInstanceOf(ConfigurationException.class).hasMessageContaining("sts.evil.example")
        .hasMessageContaining("allowEndpoint");
    assertThat(dns.urls).isEmpty();
    assertThat(gcp.requestCount()).isZero();
  }

  @Test
  void anImpersonationUrlOnAForeignHostIsRefusedAndNothingIsSent() {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    Redirecting dns = new Redirecting();
    Path file = configFile("\"token_url\": \"" + gcp.stsUrl() + "\", \"service_account_impersonation_url\":"
        + " \"https://iamcredentials.evil.example/v1/projects/-/serviceAccounts/" + SA + ":generateAccessToken\",");
    Throwable t = firstUse(credentials().httpTransportFactory(() -> dns.transport).credentialsFile(file));
    assertThat(t).isInstanceOf(ConfigurationException.class).hasMessageContaining("iamcredentials.evil.example")
        .hasMessageContaining("allowEndpoint");
    assertThat(dns.urls).isEmpty();
    assertThat(gcp.requestCount()).isZero();
  }

  @Test
  void aUniverseDomainWithUserInfoIsRefusedAndNothingIsSent() {
    String hidden = "googleapis.com@127.0.0.1:" + gcp.port();
    Throwable t = firstUse(credentials().credentialsFile(configFile("\"universe_domain\": \"" + hidden + "\",")));
    assertThat(t).isInstanceOf(ConfigurationException.class).hasMessageContaining("universe_domain")
        .hasMessageContaining("DNS name");
    assertThat(gcp.requestCount()).isZero();
  }

  // ---- 2. the API server's token ----

  @Test
  void theApiServerTokenIsNeverSentToGoogle() throws IOException {
    try (ProjectedVolume apiServer = cluster.projectedVolume(Files.createDirectory(dir.resolve("kube")),
        TokenSpec.builder().namespace("default").serviceAccount("app").audiences("https://kubernetes.default.svc")
            .extended(true).build())) {
      Throwable t = firstUse(credentials().credentialsFile(config(audience, apiServer.tokenFile(), null, null)));
      assertThat(t).isInstanceOf(ConfigurationException.class).hasMessageContaining("API server")
          .hasMessageContaining("https:" + audience);
      SecretLeakGuard.assertNoSecrets(t);
      assertThat(gcp.requestCount()).isZero();
    }
  }

  // ---- 3. configuration parsing ----

  @Test
  void jsonNullsMeanAbsentFormatTypeIgnoresCaseAndALifetimeWithoutImpersonationIsIgnored() throws Exception {
    List<LogRecord> records = new CopyOnWriteArrayList<>();
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= Level.INFO.intValue() && r.getLoggerName().startsWith("io.workloadidentity.gcp")) {
          records.add(r);
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    Logger root = Logger.getLogger("");
    root.addHandler(h);
    try {
      String text = configJson("\"token_url\": \"" + gcp.stsUrl() + "\", \"service_account_impersonation_url\": null,"
          + " \"quota_project_id\": null, \"universe_domain\": null, \"workforce_pool_user_project\": null,"
          + " \"service_account_impersonation\": {\"token_lifetime_seconds\": 1800},").replace("\"text\"", "\"TEXT\"");
      try (GcpWorkloadIdentityCredentials c = credentials().credentialsFile(write("nulls.json", text)).build()) {
        assertThat(bearer(c)).startsWith("ya29.fake-sts-");
        assertThat(c.getUniverseDomain()).isEqualTo("googleapis.com");
      }
      String nullTokenUrl = configJson("\"token_url\": null,");
      try (GcpWorkloadIdentityCredentials c = credentials().credentialsFile(write("null-url.json", nullTokenUrl)).build()) {
        assertThat(c.toString()).contains(audience);
      }
    } finally {
      root.removeHandler(h);
    }
    assertThat(records).extracting(LogRecord::getMessage)
        .anySatisfy(m -> assertThat(m).contains("token_lifetime_seconds").contains("ignored"));
  }

  // ---- 4. responses ----

  @Test
  void aHugeResponseIsRefusedAtTheCap() {
    String huge = "{\"access_token\": \"ya29." + "a".repeat(10 * 1024 * 1024) + "\", \"expires_in\": 3599,"
        + " \"issued_token_type\": \"urn:ietf:params:oauth:token-type:access_token\", \"token_type\": \"Bearer\"}";
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.response(200, "application/json", huge));
    Throwable t = firstUse(credentials().credentialsFile(config(audience, volume.tokenFile(), null, null)));
    assertThat(t).isInstanceOf(IOException.class).hasCauseInstanceOf(GcpCredentialsException.class);
    GcpCredentialsException e = (GcpCredentialsException) t.getCause();
    assertThat(e.reason()).isEqualTo(Reason.UNEXPECTED_RESPONSE);
    assertThat(e.getMessage()).contains("65536 bytes");
  }

  @Test
  void aResponseWithoutExpiresInIsATypedErrorNotAnHour() {
    String token = SecretLeakGuard.secret("ya29.no-expiry-" + System.nanoTime());
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.response(200, "application/json", "{\"access_token\": \"" + token
        + "\", \"issued_token_type\": \"urn:ietf:params:oauth:token-type:access_token\", \"token_type\": \"Bearer\"}"));
    Throwable t = firstUse(credentials().credentialsFile(config(audience, volume.tokenFile(), null, null)));
    assertThat(t).isInstanceOf(IOException.class).hasCauseInstanceOf(GcpCredentialsException.class);
    GcpCredentialsException e = (GcpCredentialsException) t.getCause();
    assertThat(e.reason()).isEqualTo(Reason.UNEXPECTED_RESPONSE);
    assertThat(e.getMessage()).contains("expires_in").doesNotContain(token).doesNotContain("clock");
  }

  // ---- 5. serialization ----

  @Test
  void serializationWritesNoTokenAndDeserializesToWorkingCredentials() throws Exception {
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    GcpWorkloadIdentityCredentials c = closeLater(GcpWorkloadIdentityCredentials.builder()
        .httpTransportFactory(TrustingFactory.INSTANCE).credentialsFile(config(audience, volume.tokenFile(), SA, null))
        .build());
    TrustingFactory.trust(gcp);
    String token = bearer(c);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    Throwable refused = catchThrowable(() -> {
      try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
        out.writeObject(c);
      }
    });
    String written = new String(bytes.toByteArray(), StandardCharsets.ISO_8859_1);
    assertThat(written).doesNotContain(token).doesNotContain(volume.current().value()).doesNotContain("ya29.");
    SecretLeakGuard.assertNoSecrets(written); // every token the fakes minted, in every encoding
    if (refused != null) {
      assertThat(refused).isInstanceOf(NotSerializableException.class);
      assertThat(bytes.size()).isLessThanOrEqualTo(4); // the stream header only
      return;
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
      GcpWorkloadIdentityCredentials copy = closeLater((GcpWorkloadIdentityCredentials) in.readObject());
      assertThat(bearer(copy)).isEqualTo(token); // the same session: its cached token, no exchange
      assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);
    }
  }

  /** A transport factory that survives serialization as itself (an enum constant). */
  enum TrustingFactory implements com.google.auth.http.HttpTransportFactory, Serializable {
    INSTANCE;

    private static volatile HttpTransport transport;

    static void trust(FakeGcp gcp) {
      transport = new NetHttpTransport.Builder().setSslSocketFactory(gcp.sslSocketFactory()).build();
    }

    @Override
    public HttpTransport create() {
      return transport;
    }
  }

  // ---- 6. local validation ----

  @Test
  void crLfInTheServiceAccountOrQuotaProjectIsRefusedLocally() {
    Throwable sa = firstUse(credentials().audience(audience).tokenFile(volume.tokenFile()).stsEndpoint(gcp.stsUrl())
        .iamEndpoint(gcp.iamUrl()).serviceAccount("app@p.iam.gserviceaccount.com\r\nX-Forged: 1"));
    assertThat(sa).isInstanceOf(ConfigurationException.class).hasMessageContaining("serviceAccount")
        .hasMessageContaining("\\r\\n");
    Throwable quota = firstUse(credentials().environment(Environment.of(Map.of("GOOGLE_CLOUD_QUOTA_PROJECT",
        "my-project\nX-Forged: 1"))).audience(audience).tokenFile(volume.tokenFile()).stsEndpoint(gcp.stsUrl()));
    assertThat(quota).isInstanceOf(ConfigurationException.class).hasMessageContaining("GOOGLE_CLOUD_QUOTA_PROJECT");
    assertThat(gcp.requestCount()).isZero();
  }

  // ---- 8. third-party text ----

  @Test
  void serverTextCannotForgeLinesInMessages() {
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.error(400, "invalid_request",
        "bad\r\n[OK] exchange succeeded \u001b[32m"));
    Throwable t = firstUse(credentials().credentialsFile(config(audience, volume.tokenFile(), null, null)));
    assertThat(t).isInstanceOf(GcpCredentialsException.class);
    assertThat(t.getMessage()).doesNotContain("\r").doesNotContain("\n").doesNotContain("\u001b")
        .contains("bad\\r\\n[OK] exchange succeeded \\u001B[32m");
  }
}
