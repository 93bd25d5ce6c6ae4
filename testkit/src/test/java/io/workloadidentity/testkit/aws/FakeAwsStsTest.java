package io.workloadidentity.testkit.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.FakeAwsCredentials;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Path;
import java.time.Duration;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.awscore.retry.AwsRetryStrategy;
import software.amazon.awssdk.core.exception.SdkClientException;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityRequest;
import software.amazon.awssdk.services.sts.model.AssumeRoleWithWebIdentityResponse;
import software.amazon.awssdk.services.sts.model.ExpiredTokenException;
import software.amazon.awssdk.services.sts.model.IdpCommunicationErrorException;
import software.amazon.awssdk.services.sts.model.InvalidIdentityTokenException;
import software.amazon.awssdk.services.sts.model.StsException;

/** The fake STS driven by the AWS SDK's real {@code StsClient} over HTTP. */
class FakeAwsStsTest {
  static final String ROLE = "arn:aws:iam::111122223333:role/orders";
  static final String SUBJECT = "system:serviceaccount:shop:orders";

  final TestClock clock = TestClock.create();
  KubernetesCluster cluster;
  FakeAwsSts sts;
  StsClient client;
  TokenSpec spec;

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.builder().clock(clock).build();
    sts = FakeAwsSts.builder().clock(clock).build();
    sts.trustIssuer(cluster.issuer());
    sts.role(ROLE, "system:serviceaccount:shop:*");
    spec = TokenSpec.builder().namespace("shop").serviceAccount("orders").podName("orders-7d9f8c6b5-x2x4q")
        .audiences("sts.amazonaws.com").build();
    client = stsClient(sts.endpoint());
  }

  /** The real SDK client, unsigned as for web identity, without retries so every call is one request. */
  static StsClient stsClient(java.net.URI endpoint) {
    return StsClient.builder()
        .endpointOverride(endpoint)
        .region(Region.US_WEST_2)
        .credentialsProvider(AnonymousCredentialsProvider.create())
        .httpClientBuilder(UrlConnectionHttpClient.builder())
        .overrideConfiguration(o -> o.retryStrategy(AwsRetryStrategy.doNotRetry()))
        .build();
  }

  @AfterEach
  void stop() {
    client.close();
    sts.close();
    cluster.close();
  }

  private AssumeRoleWithWebIdentityResponse assume(String token) {
    return assume(token, r -> {});
  }

  private AssumeRoleWithWebIdentityResponse assume(String token, Consumer<AssumeRoleWithWebIdentityRequest.Builder> more) {
    return client.assumeRoleWithWebIdentity(r -> {
      r.roleArn(ROLE).roleSessionName("orders-7d9f8c6b5-x2x4q").webIdentityToken(token);
      more.accept(r);
    });
  }

  private <T extends StsException> T rejected(Class<T> type, String token) {
    return rejected(type, token, r -> {});
  }

  private <T extends StsException> T rejected(Class<T> type, String token,
      Consumer<AssumeRoleWithWebIdentityRequest.Builder> more) {
    T e = catchThrowableOfType(type, () -> assume(token, more));
    assertThat(e).as("expected %s", type.getSimpleName()).isNotNull();
    return e;
  }

  private static void assertError(StsException e, int status, String code, String message) {
    assertThat(e.statusCode()).isEqualTo(status);
    assertThat(e.awsErrorDetails().errorCode()).isEqualTo(code);
    assertThat(e.awsErrorDetails().errorMessage()).contains(message);
    assertThat(e.requestId()).isNotBlank();
  }

  @Test
  void issuesCredentialsForAValidTokenAsStsDoes() {
    String token = cluster.mint(spec);
    AssumeRoleWithWebIdentityResponse r = assume(token, b -> b.durationSeconds(1800));

    assertThat(r.subjectFromWebIdentityToken()).isEqualTo(SUBJECT);
    assertThat(r.audience()).isEqualTo("sts.amazonaws.com");
    assertThat(r.provider()).isEqualTo(cluster.issuer());
    assertThat(r.assumedRoleUser().arn())
        .isEqualTo("arn:aws:sts::111122223333:assumed-role/orders/orders-7d9f8c6b5-x2x4q");
    assertThat(r.assumedRoleUser().assumedRoleId()).matches("AROA[A-Z0-9]{17}:orders-7d9f8c6b5-x2x4q");
    assertThat(r.credentials().accessKeyId()).matches("ASIA[A-Z2-7]{16}");
    assertThat(r.credentials().expiration()).isEqualTo(clock.instant().plus(Duration.ofMinutes(30)));
    assertThat(r.responseMetadata().requestId()).isNotBlank();

    FakeAwsCredentials issued = sts.issued().get(0);
    assertThat(issued.accessKeyId()).isEqualTo(r.credentials().accessKeyId());
    assertThat(issued.secretAccessKey()).isEqualTo(r.credentials().secretAccessKey());
    assertThat(issued.sessionToken()).isEqualTo(r.credentials().sessionToken());
    assertThat(issued.accountId()).isEqualTo("111122223333");
    assertThat(issued.toString()).doesNotContain(issued.secretAccessKey(), issued.sessionToken());

    // The request is the unsigned awsQuery form the SDK sends.
    ReceivedRequest request = sts.assumeRoleRequests().get(0);
    assertThat(request.method()).isEqualTo("POST");
    assertThat(request.header("Authorization")).isEmpty();
    assertThat(request.form()).containsEntry("Version", "2011-06-15").containsEntry("RoleArn", ROLE)
        .containsEntry("WebIdentityToken", token).containsEntry("DurationSeconds", "1800");
  }

  @Test
  void defaultDurationIsOneHourAndConfiguredLifetimeWins() {
    assertThat(assume(cluster.mint(spec)).credentials().expiration()).isEqualTo(clock.instant().plus(Duration.ofHours(1)));
    try (FakeAwsSts shortLived = FakeAwsSts.builder().clock(clock).credentialLifetime(Duration.ofMinutes(15)).build()) {
      shortLived.trustIssuer(cluster.issuer()).role(ROLE, SUBJECT);
      try (StsClient c = stsClient(shortLived.endpoint())) {
        var r = c.assumeRoleWithWebIdentity(b -> b.roleArn(ROLE).roleSessionName("s1").webIdentityToken(cluster.mint(spec)));
        assertThat(r.credentials().expiration()).isEqualTo(clock.instant().plus(Duration.ofMinutes(15)));
      }
    }
  }

  @Test
  void parameterConstraintsAreValidationErrors() {
    String token = cluster.mint(spec);
    assertError(rejected(StsException.class, token, r -> r.roleSessionName("has space")), 400, "ValidationError",
        "regular expression pattern");
    assertError(rejected(StsException.class, token, r -> r.roleSessionName("x".repeat(65))), 400, "ValidationError",
        "less than or equal to 64");
    assertError(rejected(StsException.class, token, r -> r.durationSeconds(899)), 400, "ValidationError",
        "greater than or equal to 900");
    assertError(rejected(StsException.class, token, r -> r.durationSeconds(43_201)), 400, "ValidationError",
        "less than or equal to 43200");
    assertError(rejected(StsException.class, token, r -> r.durationSeconds(7200)), 400, "ValidationError",
        "exceeds the MaxSessionDuration");
    assertThat(sts.issued()).isEmpty();
  }

  @Test
  void unregisteredIssuerHasNoOpenIdConnectProvider() {
    sts.untrustIssuer(cluster.issuer());
    assertError(rejected(InvalidIdentityTokenException.class, cluster.mint(spec)), 400, "InvalidIdentityToken",
        "No OpenIDConnect provider found in your account for " + cluster.issuer());
  }

  @Test
  void issuerRegisteredInAnotherAccountDoesNotCount() {
    sts.untrustIssuer(cluster.issuer()).trustIssuerInAccount("444455556666", cluster.issuer());
    assertError(rejected(InvalidIdentityTokenException.class, cluster.mint(spec)), 400, "InvalidIdentityToken",
        "No OpenIDConnect provider found");
  }

  @Test
  void audienceMustBeAClientIdOfTheProvider() {
    String token = cluster.mint(spec.toBuilder().audiences("api").build());
    assertError(rejected(InvalidIdentityTokenException.class, token), 400, "InvalidIdentityToken",
        "Incorrect token audience");
  }

  @Test
  void unreachableKeysAreTheVerificationKeyError() {
    cluster.faults().failAlways(Fault.serverError(503));
    assertError(rejected(InvalidIdentityTokenException.class, cluster.mint(spec)), 400, "InvalidIdentityToken",
        "Couldn't retrieve verification key from your identity provider");
    cluster.faults().clear();
    assertThat(assume(cluster.mint(spec)).credentials()).isNotNull();
  }

  @Test
  void forgedSignatureIsRejected() {
    assertError(rejected(InvalidIdentityTokenException.class, cluster.mintForged(spec)), 400, "InvalidIdentityToken",
        "Signature");
  }

  @Test
  void expiredTokenIsExpiredTokenException() {
    String token = cluster.mint(spec);
    clock.advance(Duration.ofHours(1));
    ExpiredTokenException e = rejected(ExpiredTokenException.class, token);
    assertError(e, 400, "ExpiredTokenException", "Token expired: current date/time " + clock.instant().getEpochSecond()
        + " must be before the expiration date/time");
  }

  @Test
  void tokenMarkedExpiredIsRejectedWhileOthersPass() {
    String old = cluster.mint(spec);
    sts.rejectAsExpired(old);
    assertError(rejected(ExpiredTokenException.class, old), 400, "ExpiredTokenException", "Token expired");
    clock.advance(Duration.ofSeconds(1));
    assertThat(assume(cluster.mint(spec)).credentials()).isNotNull();
  }

  @Test
  void trustPolicyConditionsAndMissingRolesAreAccessDenied() {
    String other = cluster.mint(spec.toBuilder().namespace("billing").build());
    assertError(rejected(StsException.class, other), 403, "AccessDenied",
        "Not authorized to perform sts:AssumeRoleWithWebIdentity");
    sts.deleteRole(ROLE);
    assertError(rejected(StsException.class, cluster.mint(spec)), 403, "AccessDenied", "Not authorized");
    sts.role(ROLE, SUBJECT, "other-audience", Duration.ofHours(1));
    assertError(rejected(StsException.class, cluster.mint(spec)), 403, "AccessDenied", "Not authorized");
  }

  @Test
  void injectedFaultsUseStsCodesAndStatuses() {
    String token = cluster.mint(spec);
    sts.faults().failNext(1, Fault.throttled());
    assertError(rejected(StsException.class, token), 400, "Throttling", "Rate exceeded");
    sts.faults().failNext(1, Fault.serverError(503));
    assertError(rejected(StsException.class, token), 503, "ServiceUnavailable", "");
    sts.faults().failNext(1, Fault.serverError(500));
    assertError(rejected(StsException.class, token), 500, "InternalFailure", "");
    sts.faults().failNext(1, Fault.error(400, "IDPCommunicationError", "The identity provider could not be reached"));
    assertError(rejected(IdpCommunicationErrorException.class, token), 400, "IDPCommunicationError", "could not be reached");
    sts.faults().failNext(1, Fault.connectionReset());
    assertThat(catchThrowableOfType(SdkClientException.class, () -> assume(token))).isNotNull();
    sts.faults().failNext(1, Fault.malformedBody());
    assertThat(catchThrowableOfType(SdkClientException.class, () -> assume(token))).isNotNull();
    assertThat(assume(token).credentials()).isNotNull();
    assertThat(sts.issued()).hasSize(1);
    assertThat(sts.requestCount("/")).isEqualTo(7);
  }

  @Test
  void rateLimitThrottlesWithinOneSecondOfTheClock() {
    String token = cluster.mint(spec);
    sts.faults().rateLimit(2);
    assume(token);
    assume(token);
    assertError(rejected(StsException.class, token), 400, "Throttling", "Rate exceeded");
    clock.advance(Duration.ofSeconds(1));
    assertThat(assume(token).credentials()).isNotNull();
  }

  @Test
  void rotatedProjectedTokenIsAcceptedUntilItExpiresAndRejectedAfter(@TempDir Path dir) {
    try (ProjectedVolume volume = cluster.projectedVolume(dir, spec)) {
      String first = volume.current().value();
      assertThat(assume(first).credentials()).isNotNull();

      clock.advance(Duration.ofMinutes(49)); // past 80% of the hour: the kubelet rotates
      assertThat(volume.rotateIfDue()).isTrue();
      String second = volume.current().value();
      assertThat(second).isNotEqualTo(first);
      assertThat(assume(first).credentials()).as("the old token is valid until its exp").isNotNull();
      assertThat(assume(second).credentials()).isNotNull();

      clock.advance(Duration.ofMinutes(11)); // 60 min after the first token was issued
      assertError(rejected(ExpiredTokenException.class, first), 400, "ExpiredTokenException", "Token expired");
      assertThat(assume(second).credentials()).isNotNull();

      clock.advance(Duration.ofMinutes(50)); // the second one expires too
      assertError(rejected(ExpiredTokenException.class, second), 400, "ExpiredTokenException", "Token expired");
    }
  }
}
