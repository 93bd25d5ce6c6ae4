package io.workloadidentity.testkit.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.FakeAwsCredentials;
import io.workloadidentity.testkit.FakeAwsPodIdentityAgent;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.io.IOException;
import java.io.InputStream;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.auth.credentials.ContainerCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkClientException;

/**
 * The fake EKS Pod Identity agent driven by the AWS SDK's own {@link ContainerCredentialsProvider}
 * (configured, as on EKS, through {@code AWS_CONTAINER_CREDENTIALS_FULL_URI} and {@code
 * AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE}, here as the equivalent system properties), plus raw
 * requests where the error body format is the point.
 */
class FakeAwsPodIdentityAgentTest {
  static final String ROLE = "arn:aws:iam::111122223333:role/orders";

  final TestClock clock = TestClock.create();
  @TempDir Path dir;
  KubernetesCluster cluster;
  FakeAwsPodIdentityAgent agent;
  ProjectedVolume volume;
  TokenSpec spec;

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.builder().clock(clock).build();
    agent = FakeAwsPodIdentityAgent.start(clock, Duration.ofHours(6));
    agent.trustIssuer(cluster.issuer()).associate("shop", "orders", ROLE);
    spec = TokenSpec.builder().namespace("shop").serviceAccount("orders").audiences("pods.eks.amazonaws.com").build();
    volume = cluster.projectedVolume(dir, spec);
    System.setProperty("aws.containerCredentialsFullUri", agent.credentialsUrl().toString());
    System.setProperty("aws.containerAuthorizationTokenFile", volume.tokenFile().toString());
  }

  @AfterEach
  void stop() {
    System.clearProperty("aws.containerCredentialsFullUri");
    System.clearProperty("aws.containerAuthorizationTokenFile");
    volume.close();
    agent.close();
    cluster.close();
  }

  private static AwsSessionCredentials sdkFetch() {
    // A new provider per fetch: the SDK's own cache would otherwise hide later requests.
    return (AwsSessionCredentials) ContainerCredentialsProvider.builder().build().resolveCredentials();
  }

  private Response raw(String token) throws IOException {
    HttpURLConnection c = (HttpURLConnection) agent.credentialsUrl().toURL().openConnection();
    if (token != null) {
      c.setRequestProperty("Authorization", token);
    }
    int status = c.getResponseCode();
    try (InputStream in = status >= 400 ? c.getErrorStream() : c.getInputStream()) {
      return new Response(status, new String(in.readAllBytes(), StandardCharsets.UTF_8));
    }
  }

  record Response(int status, String body) {}

  @Test
  void theSdkGetsCredentialsForTheAssociatedRole() throws IOException {
    AwsSessionCredentials c = sdkFetch();
    FakeAwsCredentials issued = agent.issued().get(0);
    assertThat(c.accessKeyId()).isEqualTo(issued.accessKeyId());
    assertThat(c.secretAccessKey()).isEqualTo(issued.secretAccessKey());
    assertThat(c.sessionToken()).isEqualTo(issued.sessionToken());
    assertThat(c.expirationTime()).contains(clock.instant().plus(Duration.ofHours(6)));
    assertThat(issued.roleArn()).isEqualTo(ROLE);
    assertThat(issued.accountId()).isEqualTo("111122223333");
    // The raw token in Authorization, no "Bearer".
    assertThat(agent.requests().get(0).header("Authorization")).contains(Files.readString(volume.tokenFile()).strip());
    Response r = raw(volume.current().value());
    assertThat(r.body()).contains("\"AccessKeyId\"", "\"SecretAccessKey\"", "\"Token\"", "\"AccountId\":\"111122223333\"",
        "\"Expiration\"");
  }

  @Test
  void rejectionsUseTheAgentsTextFormatAndEksAuthStatuses() throws IOException {
    assertThat(raw(null)).satisfies(r -> {
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).matches("\\[[0-9a-f-]{36}\\]: \\(InvalidParameterException\\): .*, fault: client\\n");
    });
    assertThat(raw(cluster.mint(spec.toBuilder().audiences("sts.amazonaws.com").build())).body())
        .contains("(InvalidTokenException)", "audience");
    assertThat(raw(cluster.mintForged(spec)).body()).contains("(InvalidTokenException)");
    Response unassociated = raw(cluster.mint(spec.toBuilder().serviceAccount("billing").build()));
    assertThat(unassociated.status()).isEqualTo(404);
    assertThat(unassociated.body()).contains("(ResourceNotFoundException)");
    String token = cluster.mint(spec);
    agent.rejectAsExpired(token);
    assertThat(raw(token)).satisfies(r -> {
      assertThat(r.status()).isEqualTo(400);
      assertThat(r.body()).contains("(ExpiredTokenException)");
    });
  }

  @Test
  void theSdkFailsOnEveryRejection() {
    volume.writeRaw(cluster.mint(spec.toBuilder().serviceAccount("billing").build()));
    assertThat(catchThrowableOfType(SdkClientException.class, FakeAwsPodIdentityAgentTest::sdkFetch)).isNotNull();
    assertThat(agent.requests().get(0).status()).isEqualTo(404);

    volume.writeRaw(cluster.mint(spec.toBuilder().audiences("sts.amazonaws.com").build()));
    assertThat(catchThrowableOfType(SdkClientException.class, FakeAwsPodIdentityAgentTest::sdkFetch)).isNotNull();
    assertThat(agent.requests().get(1).status()).isEqualTo(400);
    assertThat(agent.issued()).isEmpty();
  }

  @Test
  void injectedFaults() throws IOException {
    String token = volume.current().value();
    agent.faults().failNext(1, Fault.throttled());
    assertThat(raw(token)).satisfies(r -> {
      assertThat(r.status()).isEqualTo(429);
      assertThat(r.body()).contains("(ThrottlingException)");
    });
    agent.faults().failNext(1, Fault.serverError(503));
    assertThat(raw(token).body()).contains("(ServiceUnavailableException)");
    // The SDK retries 5xx itself: an outage of two answers is invisible to it.
    agent.faults().failNext(2, Fault.serverError(500));
    assertThat(sdkFetch().accessKeyId()).isEqualTo(agent.issued().get(0).accessKeyId());
  }

  @Test
  void rotatedTokenIsAcceptedUntilItExpiresAndRejectedAfter() {
    assertThat(sdkFetch()).isNotNull();
    String first = volume.current().value();
    clock.advance(Duration.ofMinutes(49));
    assertThat(volume.rotateIfDue()).isTrue();
    assertThat(sdkFetch()).isNotNull();
    assertThat(agent.requests().get(1).header("Authorization")).contains(volume.current().value());

    clock.advance(Duration.ofMinutes(11)); // the first token's exp
    volume.writeRaw(first);
    assertThat(catchThrowableOfType(SdkClientException.class, FakeAwsPodIdentityAgentTest::sdkFetch)).isNotNull();
    assertThat(agent.requests().get(2).status()).isEqualTo(400);
    assertThat(agent.issued()).hasSize(2);
  }
}
