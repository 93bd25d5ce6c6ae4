package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenFileException;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeAwsCredentials;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.identity.spi.AwsCredentialsIdentity;
import software.amazon.awssdk.services.s3.S3Client;

/** The IRSA provider against the testkit's cluster and fake STS, with the real SDK clients over HTTP. */
@ExtendWith(SecretLeakGuard.class) // no token, key or session token of the fakes in any log or console output
class AwsWebIdentityCredentialsProviderTest {
  @TempDir Path dir;
  Testbed bed;

  @BeforeEach
  void start() {
    bed = new Testbed(dir);
  }

  @AfterEach
  void stop() {
    bed.close();
  }

  private static AwsSessionCredentials session(AwsWebIdentityCredentialsProvider p) {
    return (AwsSessionCredentials) p.resolveCredentials();
  }

  /** Acceptance: an S3-style SDK client signs with our credentials, obtained with the trimmed token. */
  @Test
  void anSdkClientSignsWithCredentialsFromTheTrimmedToken() throws Exception {
    String token = bed.volume.current().value();
    bed.volume.writeRaw("\n" + token + "\n"); // some writers add whitespace; the SDK would send it verbatim
    Environment env = Environment.of(Map.of(
        "AWS_ROLE_ARN", " " + Testbed.ROLE + " ",
        "AWS_WEB_IDENTITY_TOKEN_FILE", bed.volume.tokenFile().toString(),
        "AWS_REGION", "us-west-2",
        "AWS_ENDPOINT_URL_STS", bed.sts.endpoint().toString()));
    try (var credentials = AwsWebIdentityCredentialsProvider.builder().environment(env).clock(bed.clock).build();
        S3Recorder s3 = new S3Recorder();
        S3Client client = s3.client(credentials)) {
      client.headBucket(b -> b.bucket("orders"));

      FakeAwsCredentials issued = bed.sts.issued().get(0);
      ReceivedRequest signed = s3.take();
      assertThat(S3Recorder.verifySigV4(signed, issued.secretAccessKey())).isEqualTo(issued.accessKeyId());
      assertThat(signed.header("X-Amz-Security-Token")).hasValue(issued.sessionToken());

      ReceivedRequest assume = bed.sts.assumeRoleRequests().get(0);
      assertThat(assume.header("Authorization")).as("unsigned, like the SDK's own call").isEmpty();
      assertThat(assume.form())
          .containsEntry("WebIdentityToken", token)
          .containsEntry("RoleArn", Testbed.ROLE)
          .containsEntry("RoleSessionName", Testbed.POD)
          .doesNotContainKey("DurationSeconds");

      AwsSessionCredentials c = session(credentials);
      assertThat(c.accessKeyId()).isEqualTo(issued.accessKeyId());
      assertThat(c.expirationTime()).contains(issued.expiration());
      assertThat(c.accountId()).contains("111122223333");
      assertThat(credentials.toString()).contains(Testbed.ROLE, "us-west-2").doesNotContain(token, issued.secretAccessKey());
    }
    assertThat(bed.sts.assumeRoleRequests()).hasSize(1);
  }

  @Test
  void sessionDurationPoliciesAndSessionNameAreSent() {
    try (var p = bed.provider().roleSessionName("orders-api").sessionDuration(Duration.ofMinutes(30))
        .sessionPolicy("{\"Version\":\"2012-10-17\"}").policyArns("arn:aws:iam::aws:policy/ReadOnlyAccess").build()) {
      assertThat(session(p).expirationTime()).contains(bed.clock.instant().plus(Duration.ofMinutes(30)));
    }
    assertThat(bed.sts.assumeRoleRequests().get(0).form())
        .containsEntry("RoleSessionName", "orders-api")
        .containsEntry("DurationSeconds", "1800")
        .containsEntry("Policy", "{\"Version\":\"2012-10-17\"}")
        .containsEntry("PolicyArns.member.1.arn", "arn:aws:iam::aws:policy/ReadOnlyAccess");
  }

  @Test
  void resolveIdentityNeverBlocksOnceCredentialsAreCached() throws Exception {
    try (var p = bed.provider().build()) {
      CompletableFuture<? extends AwsCredentialsIdentity> first = p.resolveIdentity();
      assertThat(first.get(10, java.util.concurrent.TimeUnit.SECONDS).accessKeyId())
          .isEqualTo(bed.sts.issued().get(0).accessKeyId());
      bed.sts.faults().latency(Duration.ofSeconds(30)); // any network call now would hang the caller
      CompletableFuture<? extends AwsCredentialsIdentity> cached = p.resolveIdentity();
      assertThat(cached).isCompleted();
      assertThat(cached.join()).isInstanceOf(AwsSessionCredentials.class);
    }
  }

  /** Acceptance: rotation with the kubelet's layout; the next refresh uses the new token, callers never fail. */
  @Test
  void afterRotationTheNextRefreshUsesTheNewTokenAndNoCallerSeesAnError() throws Exception {
    CacheEvents events = CacheEvents.create();
    try (var p = bed.provider().listener(events).build()) {
      AwsSessionCredentials before = session(p);
      events.awaitRefreshed();
      ProjectedToken old = bed.volume.current();
      ProjectedToken rotated = bed.volume.rotate();
      bed.sts.rejectAsExpired(old.value());

      bed.clock.advance(Duration.ofMinutes(50)); // past the credentials' refresh point, not their expiry
      assertThat(session(p).accessKeyId()).as("still the valid credentials while refreshing").isEqualTo(before.accessKeyId());
      events.awaitRefreshed();

      AwsSessionCredentials after = session(p); // the cache serves the new credentials before it reports them
      assertThat(after.accessKeyId()).isNotEqualTo(before.accessKeyId());
      FakeAwsCredentials issued = bed.sts.credentials(after.accessKeyId()).orElseThrow();
      assertThat(issued.tokenFingerprint()).isEqualTo(rotated.fingerprint());
      // If the refresh raced ahead of the file watch, STS refused the old token once, the re-read found
      // the new one and the cache retried at once; either way no caller saw an error.
      assertThat(events.failures()).hasSizeLessThanOrEqualTo(1)
          .allSatisfy(e -> assertThat(((AwsExchangeException) e).tokenRejected()).isTrue());
    }
  }

  /**
   * ExpiredTokenException: the exchange re-reads the token file and fails token-rejected (one
   * request per attempt); the re-read saw the kubelet's new token, so the cache retries at once,
   * without waiting for its backoff (the test clock does not move).
   */
  @Test
  void expiredTokenExceptionRereadsTheTokenFileAndTheNextAttemptSendsTheNewTokenAtOnce() throws Exception {
    CacheEvents events = CacheEvents.create();
    // No watcher: the source keeps serving the old (locally unexpired) token until told to re-read.
    try (FileTokenSource tokens = FileTokenSource.builder(bed.volume.tokenFile()).watch(false).clock(bed.clock).build();
        var p = bed.provider().tokenSource(tokens).listener(events).build()) {
      session(p);
      events.awaitRefreshed();
      ProjectedToken old = bed.volume.current();
      ProjectedToken rotated = bed.volume.rotate();
      bed.sts.rejectAsExpired(old.value());
      bed.sts.clearRequests();

      bed.clock.advance(Duration.ofMinutes(50));
      session(p);
      AwsExchangeException rejected = (AwsExchangeException) events.awaitFailure();
      events.awaitRefreshed();

      assertThat(rejected.reason()).isEqualTo(AwsExchangeException.Reason.TOKEN_EXPIRED);
      assertThat(rejected.tokenRejected()).isTrue();
      assertThat(rejected.retryable()).isTrue();
      assertThat(rejected.advice()).contains("holds a newer token");
      List<ReceivedRequest> calls = bed.sts.assumeRoleRequests();
      assertThat(calls).extracting(ReceivedRequest::status).containsExactly(400, 200);
      assertThat(calls.get(0).form()).containsEntry("WebIdentityToken", old.value());
      assertThat(calls.get(1).form()).containsEntry("WebIdentityToken", rotated.value());
      assertThat(events.rotations()).extracting(ProjectedToken::value).containsExactly(rotated.value());
    }
  }

  @Test
  void aTokenStillExpiredAfterTheRereadIsATypedRetryableTokenRejectionAfterExactlyOneCall() {
    bed.sts.rejectAsExpired(bed.volume.current().value());
    try (var p = bed.provider().build()) {
      AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
      assertThat(e.code()).contains("ExpiredTokenException");
      assertThat(e.reason()).isEqualTo(AwsExchangeException.Reason.TOKEN_EXPIRED);
      assertThat(e.retryable()).isTrue();
      assertThat(e.tokenRejected()).isTrue();
      assertThat(e.getMessage()).contains("re-read and still holds the same token", Testbed.ROLE);
    }
    assertThat(bed.sts.assumeRoleRequests()).as("one request per attempt: no retry inside the exchange").hasSize(1)
        .allSatisfy(r -> assertThat(r.form()).containsEntry("WebIdentityToken", bed.volume.current().value()));
  }

  /** Acceptance: AccessDenied is typed, not retried, and says what the trust policy must contain. */
  @Test
  void accessDeniedIsTypedNotRetriedAndExplainsTheTrustPolicy() {
    bed.sts.role(Testbed.ROLE, "system:serviceaccount:billing:*");
    try (var p = bed.provider().build()) {
      AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
      assertThat(e.code()).contains("AccessDenied");
      assertThat(e.reason()).isEqualTo(AwsExchangeException.Reason.ACCESS_DENIED);
      assertThat(e.httpStatus()).hasValue(403);
      assertThat(e.retryable()).isFalse();
      assertThat(e.roleArn()).contains(Testbed.ROLE);
      assertThat(e.requestId()).isPresent();
      String provider = bed.cluster.issuer().replace("http://", "");
      assertThat(e.getMessage()).contains(
          Testbed.ROLE,
          "iss=" + bed.cluster.issuer(),
          "sub=" + Testbed.SUBJECT,
          "aud=[sts.amazonaws.com]",
          "\"Federated\": \"arn:aws:iam::111122223333:oidc-provider/" + provider + "\"",
          "\"" + provider + ":sub\": \"" + Testbed.SUBJECT + "\"",
          "\"" + provider + ":aud\": \"sts.amazonaws.com\"");
      assertThat(e.advice()).contains("trust policy");
      assertThat(e.getMessage()).doesNotContain(bed.volume.current().value());
      assertThat(bed.sts.assumeRoleRequests()).as("no re-read retry for AccessDenied").hasSize(1);

      // Not retried: callers within the backoff get the same error without another STS call.
      assertThat(catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials)).isSameAs(e);
      assertThat(bed.sts.assumeRoleRequests()).hasSize(1);

      // A fixed trust policy is picked up after the maximum backoff.
      bed.sts.role(Testbed.ROLE, Testbed.SUBJECT);
      bed.clock.advance(Duration.ofSeconds(61));
      assertThat(session(p).accessKeyId()).isEqualTo(bed.sts.issued().get(0).accessKeyId());
    }
  }

  @Test
  void refusalsThatNeedAFixAreNotRetryable() {
    record Case(Fault fault, String code, AwsExchangeException.Reason reason) {}
    List<Case> cases = List.of(
        new Case(Fault.error(403, "IDPRejectedClaim", "Claim rejected"), "IDPRejectedClaim",
            AwsExchangeException.Reason.CLAIM_REJECTED),
        new Case(Fault.error(403, "RegionDisabledException", "STS is not activated in this region"),
            "RegionDisabledException", AwsExchangeException.Reason.REGION_DISABLED),
        new Case(Fault.error(400, "MalformedPolicyDocument", "bad policy"), "MalformedPolicyDocument",
            AwsExchangeException.Reason.INVALID_REQUEST));
    for (Case c : cases) {
      try (Testbed fresh = new Testbed(dir.resolve(c.code())); var p = fresh.provider().build()) {
        fresh.sts.faults().failNext(1, c.fault());
        AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(e.code()).contains(c.code());
        assertThat(e.retryable()).as(c.code()).isFalse();
        assertThat(e.reason()).as(c.code()).isEqualTo(c.reason());
        assertThat(e.advice()).isNotBlank();
        assertThat(fresh.sts.assumeRoleRequests()).hasSize(1);
      }
    }
  }

  @Test
  void transientFailuresAreRetryable() throws Exception {
    record Case(Fault fault, String code, AwsExchangeException.Reason reason) {}
    List<Case> cases = List.of(
        new Case(Fault.throttled(), "Throttling", AwsExchangeException.Reason.THROTTLED),
        new Case(Fault.serverError(503), "ServiceUnavailable", AwsExchangeException.Reason.SERVICE_ERROR),
        new Case(Fault.serverError(500), "InternalFailure", AwsExchangeException.Reason.SERVICE_ERROR),
        new Case(Fault.error(400, "IDPCommunicationError", "unreachable"), "IDPCommunicationError",
            AwsExchangeException.Reason.IDENTITY_PROVIDER_UNREACHABLE),
        new Case(Fault.error(400, "InvalidIdentityToken", "Couldn't retrieve verification key from your identity"
            + " provider,  please reference AssumeRoleWithWebIdentity documentation for requirements"),
            "InvalidIdentityToken", AwsExchangeException.Reason.IDENTITY_PROVIDER_UNREACHABLE),
        new Case(Fault.connectionReset(), null, AwsExchangeException.Reason.UNREACHABLE),
        new Case(Fault.malformedBody(), null, AwsExchangeException.Reason.MALFORMED_RESPONSE));
    for (Case c : cases) {
      String name = c.fault().kind() + "-" + c.code();
      try (Testbed fresh = new Testbed(dir.resolve(name)); var p = fresh.provider().build()) {
        fresh.sts.faults().failNext(1, c.fault());
        AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(e).as(name).isNotNull();
        assertThat(e.code()).as(name).isEqualTo(java.util.Optional.ofNullable(c.code()));
        assertThat(e.retryable()).as(name).isTrue();
        assertThat(e.reason()).as(name).isEqualTo(c.reason());
        assertThat(fresh.sts.assumeRoleRequests()).as("one HTTP request: no SDK retries").hasSize(1);
        fresh.clock.advance(Duration.ofSeconds(2)); // past the first backoff (at most 1 s)
        assertThat(session(p).accessKeyId()).isEqualTo(fresh.sts.issued().get(0).accessKeyId());
      }
    }
  }

  @Test
  void registrationProblemsNameTheFix() {
    bed.sts.untrustIssuer(bed.cluster.issuer());
    try (var p = bed.provider().build()) {
      AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
      assertThat(e.code()).contains("InvalidIdentityToken");
      assertThat(e.retryable()).isFalse();
      assertThat(e.reason()).isEqualTo(AwsExchangeException.Reason.NO_OIDC_PROVIDER);
      assertThat(e.tokenRejected()).as("a newer token would not help").isFalse();
      assertThat(e.getMessage()).contains("No OpenIDConnect provider found", "associate-iam-oidc-provider",
          bed.cluster.issuer(), "111122223333");
      assertThat(bed.sts.assumeRoleRequests()).as("one request").hasSize(1);
    }
    bed.sts.trustIssuer(bed.cluster.issuer(), "some-other-client");
    try (var p = bed.provider().roleSessionName("second").build()) {
      AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
      assertThat(e.reason()).isEqualTo(AwsExchangeException.Reason.AUDIENCE_MISMATCH);
      assertThat(e.getMessage()).contains("Incorrect token audience", "[sts.amazonaws.com]", "client ID");
    }
  }

  @Test
  void aMissingTokenFileIsATypedErrorWithoutAnStsCall() throws Exception {
    try (var p = bed.provider().tokenFile(dir.resolve("nowhere/token")).build()) {
      TokenFileException e = catchThrowableOfType(TokenFileException.class, p::resolveCredentials);
      assertThat(e.getMessage()).contains("does not exist", "projected");
    }
    assertThat(bed.sts.requestCount()).isZero();
  }

  @Test
  void configurationErrorsNameTheSettingAndTheFix() {
    Environment empty = Environment.of(Map.of());
    assertThatThrownBy(() -> AwsWebIdentityCredentialsProvider.builder().environment(empty).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("AWS_ROLE_ARN").hasMessageContaining("role-arn");
    assertThatThrownBy(() -> AwsWebIdentityCredentialsProvider.builder().environment(empty).roleArn(Testbed.ROLE).build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("AWS_WEB_IDENTITY_TOKEN_FILE");
    assertThatThrownBy(() -> bed.provider().roleArn("arn:aws:iam::12:user/x").build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("not an IAM role ARN");
    assertThatThrownBy(() -> bed.provider().roleSessionName("a b").build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("2 to 64");
    assertThatThrownBy(() -> bed.provider().sessionDuration(Duration.ofMinutes(10)))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("15 minutes");
    assertThatThrownBy(() -> bed.provider().region("Mars").build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("region");
    assertThatThrownBy(() -> AwsWebIdentityCredentialsProvider.builder()
        .environment(Environment.of(Map.of("AWS_ROLE_ARN", Testbed.ROLE, "AWS_WEB_IDENTITY_TOKEN_FILE", "/t",
            "AWS_ENDPOINT_URL_STS", "sts.example.com")))
        .build()).isInstanceOf(ConfigurationException.class).hasMessageContaining("AWS_ENDPOINT_URL_STS");
  }

  @Test
  void closedProviderSaysSoAndClosingTwiceIsHarmless() {
    var p = bed.provider().build();
    p.close();
    p.close();
    assertThatThrownBy(p::resolveCredentials).isInstanceOf(IllegalStateException.class).hasMessageContaining("closed");
  }

  @Test
  void expirationAndRefreshFollowTheInjectedClock() throws Exception {
    CacheEvents events = CacheEvents.create();
    try (var p = bed.provider().listener(events).build()) {
      Instant firstExpiry = session(p).expirationTime().orElseThrow();
      events.awaitRefreshed();
      bed.clock.advance(Duration.ofMinutes(30));
      assertThat(session(p).expirationTime()).contains(firstExpiry);
      assertThat(bed.sts.assumeRoleRequests()).as("no refresh before ~80% of the lifetime").hasSize(1);
      // Past the hard expiry without any refresh (suspended host): never hand out the dead credential.
      bed.clock.advance(Duration.ofMinutes(31));
      AwsSessionCredentials fresh = session(p);
      assertThat(fresh.expirationTime().orElseThrow()).isAfter(bed.clock.instant());
    }
  }

  @Test
  void theDoctorsProbeDescribesAnExchangeWithoutSecrets() {
    var spi = new io.workloadidentity.aws.internal.AwsCredentialsProvider();
    try (var p = bed.provider().build()) {
      String d = spi.probe(p);
      FakeAwsCredentials issued = bed.sts.issued().get(0);
      assertThat(d).contains(Testbed.ROLE, issued.accessKeyId(), "account 111122223333", issued.expiration().toString())
          .doesNotContain(issued.secretAccessKey(), issued.sessionToken(), bed.volume.current().value());
    }
    bed.sts.deleteRole(Testbed.ROLE);
    try (var p = bed.provider().roleSessionName("probe-denied").build()) {
      assertThatThrownBy(() -> spi.probe(p)).isInstanceOf(AwsExchangeException.class).hasMessageContaining("AccessDenied");
    }
  }

  @Test
  void tokenFileWithOnlyWhitespaceIsTyped() throws Exception {
    Path file = Files.writeString(dir.resolve("blank-token"), "  \n");
    try (var p = bed.provider().tokenFile(file).build()) {
      assertThatThrownBy(p::resolveCredentials).isInstanceOf(io.workloadidentity.core.MalformedTokenException.class)
          .hasMessageContaining("empty");
    }
  }
}
