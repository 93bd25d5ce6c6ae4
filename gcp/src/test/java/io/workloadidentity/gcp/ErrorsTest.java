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
import org.assertj.core.api.ThrowableAssert.ThrowingCallable;
import org.junit.jupiter.api.Test;

/**
 * Every typed error, produced from the fake's real error responses through google-auth's HTTP stack.
 * Messages explain the cause and the fix, name claims, and never contain a token.
 */
class ErrorsTest extends GcpFixture {

  GcpWorkloadIdentityCredentials direct() {
    return closeLater(credentials().maxAttempts(2).credentialsFile(config(audience, volume.tokenFile(), null, null)).build());
  }

  GcpWorkloadIdentityCredentials impersonating() {
    return closeLater(credentials().maxAttempts(2).credentialsFile(config(audience, volume.tokenFile(), SA, null)).build());
  }

  /** A non-retryable failure: thrown as is. */
  GcpCredentialsException permanent(ThrowingCallable call, Reason reason) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
    assertThat(t).isInstanceOf(GcpCredentialsException.class);
    GcpCredentialsException e = (GcpCredentialsException) t;
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.retryable()).isFalse();
    assertThat(e.isRetryable()).isFalse();
    assertThat(e.cloud()).isEqualTo("gcp");
    assertSafe(e);
    return e;
  }

  /** A retryable failure that outlasted the retries: an IOException (gRPC UNAVAILABLE) caused by the typed error. */
  GcpCredentialsException transientFailure(ThrowingCallable call, Reason reason) {
    Throwable t = org.assertj.core.api.Assertions.catchThrowable(call);
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
      GcpWorkloadIdentityCredentials c = closeLater(credentials().credentialsFile(config(audience, wrong.tokenFile(), null, null)).build());
      GcpCredentialsException e = permanent(() -> bearer(c), Reason.AUDIENCE_MISMATCH);
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
    GcpWorkloadIdentityCredentials c = closeLater(credentials().credentialsFile(config(unknown, volume.tokenFile(), null, null)).build());
    GcpCredentialsException e = permanent(() -> bearer(c), Reason.PROVIDER_NOT_FOUND);
    assertThat(e.code()).contains("invalid_target");
    assertThat(e.getMessage()).contains(unknown).contains("project NUMBER").contains("disabled or deleted");

    gcp.setProviderDisabled(audience, true);
    permanent(() -> bearer(direct()), Reason.PROVIDER_NOT_FOUND);
  }

  @Test
  void subjectTokenRejected() {
    clock.advance(Duration.ofMinutes(61)); // the kubelet stopped rotating: the token on disk has expired
    volume.mode(ProjectedVolume.Mode.STOPPED);
    assertThatThrownBy(() -> bearer(direct())).isInstanceOf(io.workloadidentity.core.TokenExpiredException.class);
    assertThat(gcp.requestCount()).isZero(); // never sent

    clock.advance(Duration.ofMinutes(-61));
    cluster.rotateSigningKey();
    cluster.retireOldSigningKeys(); // the token on disk no longer verifies
    GcpCredentialsException e = permanent(() -> bearer(direct()), Reason.SUBJECT_TOKEN_REJECTED);
    assertThat(e.code()).contains("invalid_grant");
    assertThat(e.getMessage()).contains("Invalid JWT signature").contains("iss=" + cluster.issuer())
        .contains("issuer URI " + cluster.issuer()).contains("JWKS");
  }

  @Test
  void impersonationDeniedNamesThePrincipalAndTheRoleToGrant() {
    GcpCredentialsException e = permanent(() -> bearer(impersonating()), Reason.IMPERSONATION_DENIED);
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
    GcpWorkloadIdentityCredentials tooLong = closeLater(credentials().audience(audience).tokenFile(volume.tokenFile())
        .serviceAccount(SA).tokenLifetime(Duration.ofHours(2)).stsEndpoint(gcp.stsUrl()).iamEndpoint(gcp.iamUrl()).build());
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    GcpCredentialsException e = permanent(() -> bearer(tooLong), Reason.INVALID_REQUEST);
    assertThat(e.code()).contains("INVALID_ARGUMENT");
    assertThat(e.getMessage()).contains("7200s").contains("allowServiceAccountCredentialLifetimeExtension");

    gcp.faults().failNext(FakeGcp.STS_PATH, 1, Fault.error(400, "invalid_request", "Invalid value for \"audience\"."));
    GcpCredentialsException sts = permanent(() -> bearer(direct()), Reason.INVALID_REQUEST);
    assertThat(sts.getMessage()).contains("Invalid value for \"audience\"").contains(audience + " is well formed");
  }

  @Test
  void throttlingIsRetriedWithBackoffThenReportedAsTransient() {
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.throttled());
    GcpCredentialsException e = transientFailure(() -> bearer(direct()), Reason.THROTTLED);
    assertThat(e.code()).contains("rate_limit_exceeded");
    assertThat(e.httpStatus()).hasValue(429);
    assertThat(e.getMessage()).contains("throttled").contains("2 attempt(s)");
    assertThat(gcp.requestCount(FakeGcp.STS_PATH)).isEqualTo(2);

    gcp.faults().clear();
    gcp.grantWorkloadIdentityUser(SA, gcp.principal(audience, SUBJECT));
    gcp.faults().failAlways(FakeGcp.IAM_PATH_PREFIX, Fault.throttled());
    GcpCredentialsException iam = transientFailure(() -> bearer(impersonating()), Reason.THROTTLED);
    assertThat(iam.code()).contains("RESOURCE_EXHAUSTED");
  }

  @Test
  void aFewFailuresAreRetriedInsideOneExchange() throws IOException {
    gcp.faults().failNext(FakeGcp.STS_PATH, 1, Fault.serverError(503)).failNext(FakeGcp.STS_PATH, 1, Fault.throttled());
    GcpWorkloadIdentityCredentials c = closeLater(credentials().maxAttempts(3)
        .credentialsFile(config(audience, volume.tokenFile(), null, null)).build());
    assertThat(bearer(c)).startsWith("ya29.fake-sts-");
    assertThat(gcp.requests(FakeGcp.STS_PATH)).extracting(r -> r.status()).containsExactly(503, 429, 200);
  }

  @Test
  void serverErrorsUnreachableEndpointsTimeoutsAndGarbage() throws Exception {
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.serverError(503));
    GcpCredentialsException e = transientFailure(() -> bearer(direct()), Reason.SERVER_ERROR);
    assertThat(e.code()).contains("UNAVAILABLE");
    assertThat(e.httpStatus()).hasValue(503);
    gcp.faults().clear();

    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.malformedBody()); // google-auth throws a NullPointerException
    transientFailure(() -> bearer(direct()), Reason.UNEXPECTED_RESPONSE);
    gcp.faults().clear();

    // (Always: the JDK silently retries a request once when a reused keep-alive connection drops.)
    gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.connectionReset());
    transientFailure(() -> bearer(direct()), Reason.UNREACHABLE);
    gcp.faults().clear();

    int closedPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      closedPort = s.getLocalPort();
    }
    GcpWorkloadIdentityCredentials nowhere = closeLater(credentials().maxAttempts(2).audience(audience)
        .tokenFile(volume.tokenFile()).stsEndpoint("https://127.0.0.1:" + closedPort + "/v1/token").build());
    GcpCredentialsException down = transientFailure(() -> bearer(nowhere), Reason.UNREACHABLE);
    assertThat(down.getMessage()).contains("https://127.0.0.1:" + closedPort + "/v1/token").contains("ConnectException")
        .contains("did not answer after 2 attempt(s)");
    assertThat(down.httpStatus()).isEmpty();
    assertThat(down.code()).isEmpty();

    gcp.faults().latency(Duration.ofSeconds(3));
    GcpWorkloadIdentityCredentials impatient = closeLater(credentials().maxAttempts(1)
        .timeouts(Duration.ofSeconds(1), Duration.ofMillis(200))
        .credentialsFile(config(audience, volume.tokenFile(), null, null)).build());
    GcpCredentialsException slow = transientFailure(() -> bearer(impatient), Reason.UNREACHABLE);
    assertThat(slow).hasRootCauseInstanceOf(SocketTimeoutException.class);
  }
}
