package io.workloadidentity.examples;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** The README's first command runs this main; CI runs it in-process so a broken demo fails the build. */
class DemoTest {
  @Test
  void theWholeDemoTellsItsStoryAndSucceeds() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = Demo.run(new String[0], new PrintStream(bytes, true, StandardCharsets.UTF_8));
    String out = bytes.toString(StandardCharsets.UTF_8);
    assertThat(code).as(out).isZero();
    assertThat(out)
        .contains("WorkloadIdentity.detect()", "aws: detected", "azure: detected", "gcp: detected")
        .contains("aws: a token rotation is picked up", "azure: a token rotation is picked up", "gcp: a token rotation is picked up")
        .contains("refreshed ahead of expiry", "an outage shorter than the credential's life is invisible", "a misconfiguration, explained")
        .contains("Done in");
    // The two longest steps (detection, first exchanges) print progress as each part happens.
    assertThat(out)
        .contains("] aws: detect() read the variables", "] azure: create() built AzureWorkloadIdentityCredential",
            "] gcp: create() built GcpWorkloadIdentityCredentials")
        .contains("] aws: AwsCredentialsProvider.resolveCredentials()", "] azure: TokenCredential.getTokenSync()",
            "] gcp: GoogleCredentials.getRequestMetadata()");
    assertThat(out.indexOf("] azure: TokenCredential.getTokenSync()"))
        .as("each cloud's progress line comes before its result")
        .isLessThan(out.indexOf("azure: TokenCredential -> AccessToken"));
    assertThat(out).doesNotContain("Demo step failed");
  }

  @Test
  void oneCloudCanBeChosenAndBadArgumentsAreRefused() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    assertThat(Demo.run(new String[] {"--cloud", "aws"}, new PrintStream(bytes, true, StandardCharsets.UTF_8))).isZero();
    assertThat(bytes.toString(StandardCharsets.UTF_8)).contains("aws: a token rotation").doesNotContain("gcp: a token rotation");
    assertThat(Demo.run(new String[] {"--cloud", "ibm"}, new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))).isEqualTo(2);
  }
}
