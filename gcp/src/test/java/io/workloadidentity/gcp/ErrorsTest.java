package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.gcp.GcpCredentialsException.Reason;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.SocketTimeoutException;
import java.nio.file.Files;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * Every typed error, produced from the fake's real error responses through google-auth's HTTP stack.
 * Messages explain the cause and the fix, name claims, and never contain a token. Each exchange is
 * one attempt: one request per step. Credentials with the same configuration share a session, so a
 * test that expects a new exchange closes the previous credentials first.
 */
class ErrorsTest extends GcpFixture {

  GcpWorkloadIdentityCredentials direct() {
    return credentials().credentialsFile(config(audience, volume.tokenFile(), null, null)).build();
  }

  GcpWorkloadIdentityCredentials impersonating() {
    return credentials().credentialsFile(config(audience, volume.tokenFile(), SA, null)).build();
  }

  /** The failure of the first read of fresh credentials, which are closed afterwards. */
  static Throwable firstRead(GcpWorkloadIdentityCredentials c) {
    try (c) {
      return org.assertj.core.api.Assertions.catchThrowable(() -> bearer(c));
    }
  }

  /** A non-retryable failure: thrown as is. */
  GcpCredentialsException permanent(GcpWorkloadIdentityCredentials c, Reason reason) {
    Throwable t = firstRead(c);
    assertThat(t).isInstanceOf(GcpCredentialsException.class);
    GcpCredentialsException e = (GcpCredentialsException) t;
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.retryable()).isFalse();
    assertThat(e.isRetryable()).isFalse();
    assertThat(e.cloud()).isEqualTo("gcp");
    assertSafe(e);
    return e;
  }

  /** A retryable failure with no valid token cached: an IOException (gRPC UNAVAILABLE) caused by the typed error. */
  GcpCredentialsException transientFailure(GcpWorkloadIdentityCredentials c, Reason reason) {
    Throwable t = firstRead(c);
    assertThat(t).isInstanceOf(IOException.class).hasCauseInstanceOf(GcpCredentialsException.class);
    GcpCredentialsException e = (GcpCredentialsException) t.getCause();
    assertThat(t.getMessage()).isEqualTo(e.getMessage());
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.retryable()).isTrue();
    assertSafe(e);
    return e;
  }

  void assertSafe(Exception e) {
    assertThat(e.getMessage()).doesNotContain(volume.current().value()).doesNotContain("ya29.");
    SecretLeakGuard.assertNoSecrets(e);
  }

  @Test
  void audienceMismatch() throws IOException {
    try (ProjectedVolume wrong = cluster.projectedVolume(Files.createDirectory(dir.resolve("wrong")), spec("sts.amazonaws.com"))) {
      GcpWorkloadIdentityCredentials c = credentials().credentialsFile(config(audience, wrong.tokenFile(), null, null)).build();
      GcpCredentialsException e = permanent(c, Reason.AUDIENCE_MISMATCH);
      assertThat(e.tokenRejected()).isFalse(); // a configuration problem: a rotated token has the same audience
      assertThat(e.advice()).contains("serviceAccountToken.audience").doesNotContain("HTTP 400");
      assertThat(e.code()).contains("invalid_grant");
      assertThat(e.httpStatus()).hasValue(400);
      assertThat(e.getMessage())
          .contains("The audience in ID Token [sts.amazonaws.com] does not match the expected audience.")
          .contains("sub=" + SUBJECT).contains("aud=[sts.amazonaws.com]").contains(audience)
          .contains("serviceAccountToken.audience").contains("https:" + audience)
          .contains("--allowed-audiences");
    }
  }

  @Test
  void unknownOrDisabledProvider() {
    String unknown = audience.replace("/providers/cluster", "/providers/gone");
    GcpWorkloadIdentityCredentials c = credentials().credentialsFile(config(unknown, volume.tokenFile(), null, null)).build();
    GcpCredentialsException e = permanent(c, Reason.PROVIDER_NOT_FOUND);
    assertThat(e.code()).contains("invalid_target");
    assertThat(e.getMessage()).contains(unknown).contains("project NUMBER").contains("disabled or deleted");

    gcp.setProviderDisabled(audience, true);
    permanent(direct(), Reason.PROVIDER_NOT_FOUND);
  }

  @Test
  void anExpiredTokenOnDiskIsNeverSent() {
    clock.advance(Duration.ofMinutes(61)); // the kubelet stopped rotating: the token on disk has expired
    volume.mode(ProjectedVolume.Mode.STOPPED);
    assertThat(firstRead(direct())).isInstanceOf(io.workloadidentity.core.TokenExpiredException.class);
    assertThat(gcp.requestCount()).isZero(); // never sent
  }

  /**
   * A refused projected token is retryable and token-rejected: the file is re-read at once and the
   * cache retries as soon as a rotation is seen (the kubelet may have rotated it a moment ago).
   */
  @Test
  void aRejectedSubjectTokenIsRereadAndRetryable() {
    cluster.rotateSigningKey();
    cluster.retireOldSigningKeys(); // the token on disk no longer verifies
    io.workloadidentity.testkit.CountingTokenSource tokens =
        io.workloadidentity.testkit.CountingTokenSource.of(io.workloadidentity.core.TokenSource.of(volume.current()));
    GcpCredentialsException e = transientFailure(credentials().audience(audience).tokenSource(tokens)
        .stsEndpoint(gcp.stsUrl()).build(), Reason.SUBJECT_TOKEN_REJECTED);
    assertThat(e.tokenRejected()).isTrue();
    assertThat(e.code()).contains("invalid_grant");
    assertThat(e.getMessage()).contains("Invalid JWT signature").contains("iss=" + cluster.issuer())
        .contains("issuer URI " + cluster.issuer()).contains("JWKS");
    assertThat(tokens.refreshes()).isEqualTo(1); // re-read once, not retried inside the exchange
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);
  }

  @Test
  void impersonationDeniedNamesThePrincipalAndTheRoleToGrant() {
    GcpCredentialsException e = permanent(impersonating(), Reason.IMPERSONATION_DENIED);
    String principal = gcp.principal(audience, SUBJECT);
    assertThat(e.code()).contains("PERMISSION_DENIED");
    assertThat(e.httpStatus()).hasValue(403);
    assertThat(e.getMessage())
        .contains("Permission 'iam.serviceAccounts.getAccessToken' denied on resource (or it may not exist).")
        .contains(principal).contains("roles/iam.workloadIdentityUser").contains(SA)
        .contains("gcloud iam service-accounts add-iam-policy-binding " + SA + " --role=roles/iam.workloadIdentityUser --member=" + principal);
  }

  @Test
  void invalidRequests() {
    GcpWorkloadIdentityCredentials tooLong = credentials().audience(audience).tokenFile(volume.tokenFile())
        .serviceAccount(SA).tokenLifetime(Duration.ofHours(2)).stsEndpoint(gcp.stsUrl()).iamEndpoint(gcp.iamUrl()).build();
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    GcpCredentialsException e = permanent(tooLong, Reason.INVALID_REQUEST);
    assertThat(e.code()).contains("INVALID_ARGUMENT");
    assertThat(e.getMessage()).contains("7200s").contains("allowServiceAccountCredentialLifetimeExtension");

    gcp.faults().failNext(FakeGcp.STS_PATH, 1, Fault.error(400, "invalid_request", "Invalid value for \"audience\"."));
    GcpCredentialsException sts = permanent(direct(), Reason.INVALID_REQUEST);
    assertThat(sts.getMessage()).contains("Invalid value for \"audience\"").contains(audience + " is well formed");
  }

  @Test
  void throttlingIsReportedAsTransientAfterOneRequest() {
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.throttled());
    GcpCredentialsException e = transientFailure(direct(), Reason.THROTTLED);
    assertThat(e.code()).contains("rate_limit_exceeded");
    assertThat(e.httpStatus()).hasValue(429);
    assertThat(e.getMessage()).contains("throttled").contains("retried with backoff");
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1); // no retry inside the exchange

    gcp.faults().clear();
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    gcp.faults().failAlways(FakeGcp.IAM_PATH_PREFIX, Fault.throttled());
    GcpCredentialsException iam = transientFailure(impersonating(), Reason.THROTTLED);
    assertThat(iam.code()).contains("RESOURCE_EXHAUSTED");
    assertThat(gcp.requestCount("/v1/projects/-/serviceAccounts/" + SA + ":generateAccessToken")).isEqualTo(1);
  }

  /** Failures are retried by the cache, one exchange (one request) per attempt, never inside an exchange. */
  @Test
  void failuresAreRetriedByTheCacheOneRequestPerAttempt() throws Exception {
    gcp.faults().failNext(FakeGcp.STS_PATH, 1, Fault.serverError(503)).failNext(FakeGcp.STS_PATH, 1, Fault.throttled());
    GcpWorkloadIdentityCredentials c = closeLater(direct());
    assertThatThrownBy(() -> bearer(c)).isInstanceOf(IOException.class);
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);
    assertThatThrownBy(() -> bearer(c)).isInstanceOf(IOException.class); // inside the backoff window: no request
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);
    clock.advance(Duration.ofSeconds(1)); // past the (millisecond) backoff of this test's policy
    assertThatThrownBy(() -> bearer(c)).isInstanceOf(IOException.class);
    clock.advance(Duration.ofSeconds(1));
    assertThat(bearer(c)).startsWith("ya29.fake-sts-");
    assertThat(gcp.requests(FakeGcp.STS_PATH)).extracting(r -> r.status()).containsExactly(503, 429, 200);
    assertThat(events.failureCount()).isEqualTo(2);
  }

  @Test
  void serverErrorsUnreachableEndpointsTimeoutsAndGarbage() throws Exception {
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.serverError(503));
    GcpCredentialsException e = transientFailure(direct(), Reason.SERVER_ERROR);
    assertThat(e.code()).contains("UNAVAILABLE");
    assertThat(e.httpStatus()).hasValue(503);
    gcp.faults().clear();

    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.malformedBody()); // google-auth throws a NullPointerException
    transientFailure(direct(), Reason.UNEXPECTED_RESPONSE);
    gcp.faults().clear();

    // (Always: the JDK silently retries a request once when a reused keep-alive connection drops.)
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.connectionReset());
    transientFailure(direct(), Reason.UNREACHABLE);
    gcp.faults().clear();

    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    GcpCredentialsException down = transientFailure(credentials().audience(audience).tokenFile(volume.tokenFile())
        .stsEndpoint("https://127.0.0.1:" + closedPort + "/v1/token").build(), Reason.UNREACHABLE);
    assertThat(down.getMessage()).contains("https://127.0.0.1:" + closedPort + "/v1/token").contains("ConnectException")
        .contains("did not answer");
    assertThat(down.httpStatus()).isEmpty();
    assertThat(down.code()).isEmpty();

    gcp.faults().latency(Duration.ofSeconds(3));
    GcpCredentialsException slow = transientFailure(credentials().connectTimeout(Duration.ofSeconds(1))
        .readTimeout(Duration.ofMillis(200)).credentialsFile(config(audience, volume.tokenFile(), null, null)).build(),
        Reason.UNREACHABLE);
    assertThat(slow).hasRootCauseInstanceOf(SocketTimeoutException.class);
  }

  /**
   * A hung endpoint costs one request and at most the exchange deadline: the request's timeouts are
   * capped by the time left (google-auth's HTTP stack ignores interrupts).
   */
  @Test
  void aHungEndpointFailsWithinTheExchangeDeadline() {
    gcp.faults().latency(Duration.ofSeconds(5));
    long started = System.nanoTime();
    Throwable t = firstRead(credentials().exchangeTimeout(Duration.ofMillis(500))
        .credentialsFile(config(audience, volume.tokenFile(), null, null)).build());
    Duration took = Duration.ofNanos(System.nanoTime() - started);
    assertThat(t).isInstanceOf(IOException.class).hasCauseInstanceOf(io.workloadidentity.core.CredentialExchangeException.class);
    assertThat(((io.workloadidentity.core.CredentialExchangeException) t.getCause()).retryable()).isTrue();
    assertThat(took).isLessThan(Duration.ofSeconds(3)); // 500 ms, far from the 5 s latency or the 5 s read timeout
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(1);
  }
}
