package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.testkit.FakeAwsCredentials;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Disabled;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.services.s3.S3Client;

/**
 * Security review 3: the AWS SDK's own logging. The SDK logs through SLF4J; this module's tests
 * have no SLF4J binding, so SLF4J 1.7 discards every record and SecretLeakGuard has never seen
 * them. To run this test, add {@code org.slf4j:slf4j-jdk14:1.7.36} (test scope) to aws/pom.xml
 * (with it, five existing tests that sign with an SDK client fail the same way under their guard).
 *
 * <p>Checked and found safe (test not kept): the library's own STS call (AssumeRoleWithWebIdentity,
 * unsigned) and the Pod Identity call at FINEST: {@code software.amazon.awssdk.request} prints only
 * header names, the interceptor chain and retry records carry no request or response body, and
 * neither the WebIdentityToken nor the returned keys appear, on success or on an STS refusal.
 */
class Review3FindingsTest {
  @TempDir Path dir;
  private final List<LogRecord> sdkRecords = new CopyOnWriteArrayList<>();
  private final Logger sdk = Logger.getLogger("software.amazon.awssdk");
  private final Handler counter = new Handler() {
    @Override public void publish(LogRecord r) { sdkRecords.add(r); }
    @Override public void flush() {}
    @Override public void close() {}
  };

  @BeforeEach
  void listen() {
    sdk.setLevel(Level.FINE); // DEBUG: what an operator turns on to troubleshoot
    sdk.addHandler(counter);
  }

  @AfterEach
  void unlisten() {
    sdk.removeHandler(counter);
    sdk.setLevel(null);
  }

  /**
   * SECURITY.md: "No token, client assertion, access key, session token or access token appears in
   * ... a log line". With the SDK at DEBUG, every request an SDK client signs with the library's
   * credentials logs its SigV4 canonical request, x-amz-security-token header value included: the
   * session token the library obtained, in clear, in the application's log.
   */
  @Test
  @Disabled("finding 3: the AWS SDK's SigV4 signer logs the session token at DEBUG for every request signed with our credentials")
  void theSessionTokenDoesNotReachTheSdksDebugLog() throws Exception {
    FakeAwsCredentials issued;
    try (Testbed bed = new Testbed(dir.resolve("pod"));
        AwsWebIdentityCredentialsProvider credentials = bed.provider().build();
        S3Recorder s3 = new S3Recorder();
        S3Client client = s3.client(credentials)) {
      client.headBucket(b -> b.bucket("orders"));
      issued = bed.sts.issued().get(0);
    }
    assertThat(sdkRecords).as("AWS SDK records reached java.util.logging: this test needs"
        + " org.slf4j:slf4j-jdk14:1.7.36 (test scope) in aws/pom.xml; without an SLF4J binding they are discarded").isNotEmpty();
    List<String> leaking = new ArrayList<>();
    for (LogRecord r : sdkRecords) {
      String text = new SimpleFormatter().format(r);
      if (text.contains(issued.sessionToken()) || text.contains(issued.secretAccessKey())) {
        leaking.add(r.getLevel() + " " + r.getLoggerName());
      }
    }
    assertThat(leaking).as("SDK log records carrying the session token or secret key").isEmpty();
  }
}
