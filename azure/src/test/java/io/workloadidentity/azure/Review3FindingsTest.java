package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.testkit.SecretLeakGuard;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Security review 3: MSAL's and azure-identity's own logging. They log through SLF4J; this module's
 * tests have no SLF4J binding, so SLF4J 1.7 discards every record and the fixture's SecretLeakGuard
 * has never seen them. To run this test, add {@code org.slf4j:slf4j-jdk14:1.7.36} (test scope) to
 * azure/pom.xml (with it, AzureCorpusTest's "HTTP 401 INVALID_SIGNATURE" case fails the same way). Checked and found safe (tests not kept): a successful
 * and a refused exchange log neither the assertion nor the access token at any level; with instance
 * discovery on a custom authority, MSAL's only other request (login.microsoftonline.com's discovery
 * endpoint) carries no assertion, and the assertion goes only to the configured authority.
 */
class Review3FindingsTest extends EntraFixture {
  private final List<LogRecord> sdkRecords = new CopyOnWriteArrayList<>();
  private final List<Logger> watched = List.of(Logger.getLogger("com.microsoft.aad.msal4j"), Logger.getLogger("com.azure"));
  private final Handler counter = new Handler() {
    @Override public void publish(LogRecord r) { sdkRecords.add(r); }
    @Override public void flush() {}
    @Override public void close() {}
  };

  @BeforeEach
  void listen() {
    watched.forEach(l -> { l.setLevel(Level.ALL); l.addHandler(counter); });
  }

  @AfterEach
  void unlisten() {
    watched.forEach(l -> { l.removeHandler(counter); l.setLevel(null); });
  }

  /**
   * An error answer's text is untrusted (SECURITY.md: "Everything a server sends back ... error
   * text"; "Every third-party message ... passes through core's internal.Redaction before it reaches
   * ours"). azure-identity and MSAL log the raw MsalServiceException themselves, at ERROR with its
   * stack trace, before the library maps it: a JWT-shaped value and a CR/LF in error_description
   * reach the application's log unredacted and unescaped.
   */
  @Test
  void entraErrorTextReachesTheLogOnlyRedacted() throws Exception {
    String echoed = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJlY2hvZWQtYnktdGhlLWVuZHBvaW50In0.c2lnbmF0dXJlLW9mLXRoZS1lY2hv";
    SecretLeakGuard.secret(echoed);
    try (mockwebserver3.MockWebServer server = new mockwebserver3.MockWebServer()) {
      server.start(java.net.InetAddress.getLoopbackAddress(), 0);
      String body = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS700024: Client assertion is not"
          + " within its valid time range. Presented assertion: " + echoed + "\\r\\n[OK] forged log line\","
          + "\"error_codes\":[700024],\"timestamp\":\"2026-12-02 07:00:00Z\",\"trace_id\":\"0b5c6f4e-0000-0000-0000-000000000000\","
          + "\"correlation_id\":\"3c2d1e0f-0000-0000-0000-000000000000\"}";
      for (int i = 0; i < 4; i++) {
        server.enqueue(new mockwebserver3.MockResponse.Builder().code(401)
            .addHeader("Content-Type", "application/json; charset=utf-8").body(body).build());
      }
      AzureWorkloadIdentityCredential c = closeLater(builder()
          .authorityHost("http://127.0.0.1:" + server.getPort()).build());
      Throwable t = org.assertj.core.api.Assertions.catchThrowable(() -> c.getTokenSync(VAULT_REQUEST));
      SecretLeakGuard.inspect(t); // ours is clean
      assertThat(t.getMessage()).doesNotContain(echoed);
    }
    assertThat(sdkRecords).as("MSAL / azure-identity records reached java.util.logging: this test needs"
        + " org.slf4j:slf4j-jdk14:1.7.36 (test scope) in azure/pom.xml; without an SLF4J binding they are discarded").isNotEmpty();
    List<String> raw = new java.util.ArrayList<>();
    for (LogRecord r : sdkRecords) {
      String text = new java.util.logging.SimpleFormatter().format(r);
      if (text.contains(echoed) || text.contains("\r\n[OK] forged") || text.contains("\n[OK] forged")) {
        raw.add(r.getLevel() + " " + r.getLoggerName() + (r.getThrown() != null ? " (with stack trace)" : ""));
      }
    }
    assertThat(raw).as("third-party log records carrying the server's raw error text").isEmpty();
  }
}
