package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeAwsCredentials;
import io.workloadidentity.testkit.FakeAwsPodIdentityAgent;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.services.s3.S3Client;

/** The EKS Pod Identity provider against the testkit's agent and cluster. */
@ExtendWith(SecretLeakGuard.class) // no token, key or session token of the fakes in any log or console output
class EksPodIdentityCredentialsProviderTest {
  static final String ROLE = "arn:aws:iam::444455556666:role/orders";

  @TempDir Path dir;
  final TestClock clock = TestClock.create();
  KubernetesCluster cluster;
  FakeAwsPodIdentityAgent agent;
  TokenSpec spec;
  ProjectedVolume volume;

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.builder().clock(clock).build();
    agent = FakeAwsPodIdentityAgent.start(clock, Duration.ofHours(6));
    agent.trustIssuer(cluster.issuer()).associate("shop", "orders", ROLE);
    spec = TokenSpec.builder().namespace("shop").serviceAccount("orders").audiences("pods.eks.amazonaws.com")
        .lifetime(Duration.ofHours(24)).build();
    volume = cluster.projectedVolume(dir, spec);
  }

  @AfterEach
  void stop() {
    volume.close();
    agent.close();
    cluster.close();
  }

  private EksPodIdentityCredentialsProvider.Builder provider() {
    return EksPodIdentityCredentialsProvider.builder().environment(Environment.of(Map.of()))
        .endpoint(agent.credentialsUrl()).tokenFile(volume.tokenFile()).clock(clock);
  }

  @Test
  void anSdkClientSignsWithTheAgentsCredentials() throws Exception {
    String token = volume.current().value();
    volume.writeRaw(token + "\n");
    Environment env = Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.credentialsUrl().toString(),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", volume.tokenFile().toString()));
    try (var credentials = EksPodIdentityCredentialsProvider.builder().environment(env).clock(clock).build();
        S3Recorder s3 = new S3Recorder();
        S3Client client = s3.client(credentials)) {
      client.headBucket(b -> b.bucket("orders"));
      FakeAwsCredentials issued = agent.issued().get(0);
      assertThat(S3Recorder.verifySigV4(s3.take(), issued.secretAccessKey())).isEqualTo(issued.accessKeyId());

      assertThat(agent.requests().get(0).header("Authorization")).as("the raw, trimmed token").contains(token);
      AwsSessionCredentials c = (AwsSessionCredentials) credentials.resolveCredentials();
      assertThat(c.accountId()).contains("444455556666");
      assertThat(c.expirationTime()).contains(clock.instant().plus(Duration.ofHours(6)));
      assertThat(credentials.toString()).contains(agent.credentialsUrl().toString()).doesNotContain(token);
    }
  }

  @Test
  void anExpiredTokenIsReReadAndTheNextAttemptSendsTheNewTokenAtOnce() throws Exception {
    CacheEvents events = CacheEvents.create();
    try (FileTokenSource tokens = FileTokenSource.builder(volume.tokenFile()).watch(false).clock(clock).build();
        var p = provider().tokenSource(tokens).listener(events).build()) {
      p.resolveCredentials();
      events.awaitRefreshed();
      ProjectedToken old = volume.current();
      ProjectedToken rotated = volume.rotate();
      agent.rejectAsExpired(old.value());
      agent.clearRequests();

      clock.advance(Duration.ofHours(5)); // past the refresh point of six-hour credentials
      p.resolveCredentials();
      AwsExchangeException rejected = (AwsExchangeException) events.awaitFailure();
      events.awaitRefreshed(); // without moving the clock: the rotation the re-read found ends the backoff

      assertThat(rejected.reason()).isEqualTo(AwsExchangeException.Reason.TOKEN_EXPIRED);
      assertThat(rejected.tokenRejected()).isTrue();
      List<ReceivedRequest> calls = agent.requests();
      assertThat(calls).extracting(ReceivedRequest::status).containsExactly(400, 200);
      assertThat(calls.get(0).header("Authorization")).contains(old.value());
      assertThat(calls.get(1).header("Authorization")).contains(rotated.value());
    }
  }

  @Test
  void noAssociationIsTypedNotRetriedAndSaysHowToCreateOne() {
    try (FakeAwsPodIdentityAgent other = FakeAwsPodIdentityAgent.start(clock, Duration.ofHours(6))) {
      other.trustIssuer(cluster.issuer());
      try (var p = provider().endpoint(other.credentialsUrl()).build()) {
        AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(e.code()).contains("ResourceNotFoundException");
        assertThat(e.reason()).isEqualTo(AwsExchangeException.Reason.NO_ASSOCIATION);
        assertThat(e.httpStatus()).hasValue(404);
        assertThat(e.retryable()).isFalse();
        assertThat(e.requestId()).isPresent();
        assertThat(e.advice()).contains("create-pod-identity-association", "shop/orders");
        assertThat(e.getMessage()).doesNotContain(volume.current().value());
        assertThat(other.requestCount()).isEqualTo(1);
      }
    }
  }

  @Test
  void aWrongAudienceIsReportedWithTheExpectedAudienceAfterOneRequest() {
    volume.writeRaw(cluster.mint(spec.toBuilder().audiences("sts.amazonaws.com").build()));
    try (var p = provider().build()) {
      AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
      assertThat(e.code()).contains("InvalidTokenException");
      assertThat(e.reason()).isEqualTo(AwsExchangeException.Reason.TOKEN_INVALID);
      assertThat(e.retryable()).isFalse();
      assertThat(e.tokenRejected()).as("a rotated token may be accepted").isTrue();
      assertThat(e.advice()).contains("pods.eks.amazonaws.com");
      assertThat(agent.requestCount()).isEqualTo(1);
    }
  }

  @Test
  void throttlingAndUnreachableAgentsAreRetryable() {
    agent.faults().failNext(1, Fault.throttled());
    try (var p = provider().build()) {
      AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
      assertThat(e.code()).contains("ThrottlingException");
      assertThat(e.httpStatus()).hasValue(429);
      assertThat(e.retryable()).isTrue();
      clock.advance(Duration.ofSeconds(2));
      assertThat(p.resolveCredentials().accessKeyId()).isEqualTo(agent.issued().get(0).accessKeyId());
    }
    URI gone = agent.credentialsUrl();
    agent.close();
    try (var p = provider().endpoint(gone).build()) {
      AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
      assertThat(e.code()).isEmpty();
      assertThat(e.retryable()).isTrue();
      assertThat(e.advice()).contains("eks-pod-identity-agent");
    }
  }

  @Test
  void configurationIsChecked() {
    Environment empty = Environment.of(Map.of());
    assertThatThrownBy(() -> EksPodIdentityCredentialsProvider.builder().environment(empty).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("AWS_CONTAINER_CREDENTIALS_FULL_URI");
    assertThatThrownBy(() -> EksPodIdentityCredentialsProvider.builder().environment(empty)
        .endpoint(agent.credentialsUrl()).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    assertThatThrownBy(() -> provider().endpoint(URI.create("http://169.254.169.254/latest/meta-data/")).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("plain http");
    provider().endpoint(URI.create("http://169.254.170.23/v1/credentials")).build().close();
    provider().endpoint(URI.create("https://credentials.example.com/v1")).build().close();
  }
}
