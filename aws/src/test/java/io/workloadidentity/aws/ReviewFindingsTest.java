package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.FakeAwsSts;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Security review findings (review2): each test states the promise of SECURITY.md and fails while
 * the hole is open.
 */
class ReviewFindingsTest {
  @TempDir Path dir;

  @AfterEach
  void clearProperties() {
    System.clearProperty("aws.configFile");
    System.clearProperty("aws.sharedCredentialsFile");
    System.clearProperty("http.proxyHost");
    System.clearProperty("http.proxyPort");
  }

  /** 0.0.0.0 is not loopback by the library's rule, yet on Linux it reaches the fake on 127.0.0.1. */
  private static String nonLoopback(FakeAwsSts sts) {
    return "http://0.0.0.0:" + sts.port();
  }

  /**
   * Finding 1: with no endpoint override, the AWS SDK resolves the STS endpoint itself, from the
   * shared config file ({@code AWS_CONFIG_FILE} / {@code aws.configFile}, {@code AWS_PROFILE}): a
   * profile's {@code endpoint_url} (or a {@code services} section) sends the projected token to any
   * host, over plain http, with none of the library's checks.
   */
  @Test
  
  void aProfileEndpointUrlIsCheckedLikeTheEndpointVariable() throws Exception {
    try (Testbed bed = new Testbed(dir.resolve("pod"))) {
      // The same endpoint through AWS_ENDPOINT_URL_STS is refused, with no request:
      Throwable refused = catchThrowable(() -> AwsWebIdentityCredentialsProvider.builder()
          .environment(Environment.of(Map.of("AWS_ENDPOINT_URL_STS", nonLoopback(bed.sts))))
          .roleArn(Testbed.ROLE).tokenFile(bed.volume.tokenFile()).region("us-west-2").clock(bed.clock)
          .build().resolveCredentials());
      assertThat(refused).isInstanceOf(ConfigurationException.class);
      assertThat(bed.sts.requestCount()).isZero();

      Path config = dir.resolve("config");
      Files.writeString(config, "[default]\nendpoint_url = " + nonLoopback(bed.sts) + "\n");
      System.setProperty("aws.configFile", config.toString());
      System.setProperty("aws.sharedCredentialsFile", dir.resolve("none").toString());
      // Refused when the provider is built, like the variable: nothing is sent.
      Throwable t = catchThrowable(() -> {
        try (AwsWebIdentityCredentialsProvider p = AwsWebIdentityCredentialsProvider.builder()
            .environment(Environment.of(Map.of()))
            .roleArn(Testbed.ROLE).tokenFile(bed.volume.tokenFile()).region("us-west-2").clock(bed.clock).build()) {
          p.resolveCredentials();
        }
      });
      assertThat(bed.sts.requestCount())
          .as("requests with the projected token to %s (plain http, not loopback, from the profile file)",
              nonLoopback(bed.sts))
          .isZero();
      assertThat(t).isInstanceOf(ConfigurationException.class);
    }
  }

  /** Finding 1b: the same through a {@code services} section. */
  @Test
  
  void aProfileServicesSectionIsCheckedLikeTheEndpointVariable() throws Exception {
    try (Testbed bed = new Testbed(dir.resolve("pod"))) {
      Path config = dir.resolve("config");
      Files.writeString(config, "[default]\nservices = evil\n\n[services evil]\nsts =\n  endpoint_url = "
          + nonLoopback(bed.sts) + "\n");
      System.setProperty("aws.configFile", config.toString());
      System.setProperty("aws.sharedCredentialsFile", dir.resolve("none").toString());
      // Refused when the provider is built, like the variable: nothing is sent.
      Throwable t = catchThrowable(() -> {
        try (AwsWebIdentityCredentialsProvider p = AwsWebIdentityCredentialsProvider.builder()
            .environment(Environment.of(Map.of()))
            .roleArn(Testbed.ROLE).tokenFile(bed.volume.tokenFile()).region("us-west-2").clock(bed.clock).build()) {
          p.resolveCredentials();
        }
      });
      assertThat(bed.sts.requestCount()).as("requests sent to the profile's services endpoint").isZero();
      assertThat(t).isInstanceOf(ConfigurationException.class);
    }
  }

  /**
   * Finding 2: plain http is allowed to loopback because the token then never crosses the network;
   * but the SDK's url-connection client sends it to the configured HTTP proxy ({@code http.proxyHost},
   * {@code HTTP_PROXY}) in clear, loopback included.
   */
  @Test
  
  void aLoopbackHttpEndpointIsNotSentThroughAProxy() throws Exception {
    try (Testbed bed = new Testbed(dir.resolve("pod"));
        FakeAwsSts proxy = FakeAwsSts.builder().clock(bed.clock).build()) {
      System.setProperty("http.proxyHost", "127.0.0.1");
      System.setProperty("http.proxyPort", String.valueOf(proxy.port()));
      try (AwsWebIdentityCredentialsProvider p = bed.provider().build()) {
        catchThrowable(p::resolveCredentials);
      }
      boolean tokenAtProxy = proxy.requests().stream()
          .anyMatch(r -> r.form().getOrDefault("WebIdentityToken", "").startsWith("ey"));
      assertThat(tokenAtProxy).as("the proxy received the projected token in clear (%d requests)",
          proxy.requestCount()).isFalse();
    }
  }

  /** The shared config file's STS endpoint still works where the policy allows it (LocalStack on loopback). */
  @Test
  void aProfileEndpointOnLoopbackIsHonouredAndCanBeIgnored() throws Exception {
    try (Testbed bed = new Testbed(dir.resolve("pod"))) {
      Path config = dir.resolve("config");
      Files.writeString(config, "[default]\nendpoint_url = " + bed.sts.endpoint() + "\n");
      System.setProperty("aws.configFile", config.toString());
      try (AwsWebIdentityCredentialsProvider p = AwsWebIdentityCredentialsProvider.builder()
          .environment(Environment.of(Map.of()))
          .roleArn(Testbed.ROLE).tokenFile(bed.volume.tokenFile()).region("us-west-2").clock(bed.clock).build()) {
        assertThat(p.resolveCredentials().accessKeyId()).isNotEmpty();
      }
      assertThat(bed.sts.requestCount()).isEqualTo(1);

      // AWS_IGNORE_CONFIGURED_ENDPOINT_URLS: the file's endpoint is not used (the default is, so the
      // provider is only built here: no request leaves for AWS from a test).
      Environment ignore = Environment.of(Map.of("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"));
      assertThat(io.workloadidentity.aws.internal.AwsSettings.endpointOverride(ignore)).isEmpty();
      assertThat(io.workloadidentity.aws.internal.AwsSettings.endpointOverride(Environment.of(Map.of())))
          .map(o -> o.value().toString()).contains(bed.sts.endpoint().toString());
    }
  }
}
