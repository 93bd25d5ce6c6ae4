package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.ReceivedRequest;
import io.workloadidentity.testkit.SecretLeakGuard;
import org.junit.jupiter.api.Test;

/**
 * Each Entra rejection, produced by the fake for the real reason, arrives as its typed exception
 * with an explanation, after exactly one request (no stacked retries), and without any token in it.
 */
class EntraErrorsTest extends EntraFixture {

  private AzureTokenException failure(AzureWorkloadIdentityCredential credential) {
    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));
    assertThat(t).isInstanceOf(AzureTokenException.class);
    AzureTokenException e = (AzureTokenException) t;
    assertThat(e.cloud()).isEqualTo("azure");
    assertThat(e.getMessage()).contains(e.advice()).doesNotContain(volume.current().value());
    return e;
  }

  @Test
  void noMatchingFederatedCredentialNamesTheExactIssuerAndSubjectToRegister() {
    entra.clearFederatedCredentials(TENANT, CLIENT);
    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer() + "/", SUBJECT); // trailing slash: no match
    ProjectedToken token = volume.current();

    AzureTokenException e = failure(credential());

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.FEDERATED_CREDENTIAL_MISMATCH);
    assertThat(e.code()).contains("AADSTS70021");
    assertThat(e.oauthError()).contains("invalid_request");
    assertThat(e.httpStatus()).hasValue(400);
    assertThat(e.retryable()).isFalse();
    assertThat(e.correlationId()).isPresent();
    assertThat(e.advice())
        .contains("issuer \"" + token.issuer() + "\"", "subject \"" + SUBJECT + "\"",
            "audience \"api://AzureADTokenExchange\"", "client ID " + CLIENT)
        .contains("case-sensitive", "trailing slash");
    assertThat(e.getMessage()).contains("Assertion Subject: '" + SUBJECT + "'").doesNotContain("Trace ID");
    assertThat(posts()).hasSize(1);
  }

  @Test
  void unknownApplicationIsApplicationNotFound() {
    AzureTokenException e = failure(closeLater(builder().clientId("00000000-0000-0000-0000-000000000000").build()));

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.APPLICATION_NOT_FOUND);
    assertThat(e.code()).contains("AADSTS700016");
    assertThat(e.oauthError()).contains("unauthorized_client");
    assertThat(e.retryable()).isFalse();
    assertThat(e.advice()).contains("AZURE_CLIENT_ID", "azure.workload.identity/client-id",
        "00000000-0000-0000-0000-000000000000", "principal (object) ID is not its client ID");
    assertThat(posts()).hasSize(1);
    assertThat(posts().get(0).form()).containsEntry("client_id", "00000000-0000-0000-0000-000000000000");
  }

  @Test
  void unknownTenantIsTenantNotFound() {
    AzureTokenException e = failure(closeLater(builder().tenantId("contoso.onmicrosoft.com").build()));

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.TENANT_NOT_FOUND);
    assertThat(e.code()).contains("AADSTS90002");
    assertThat(e.httpStatus()).hasValue(400);
    assertThat(e.retryable()).isFalse();
    assertThat(e.advice()).contains("contoso.onmicrosoft.com", "AZURE_TENANT_ID", "AZURE_AUTHORITY_HOST");
    assertThat(entra.requests(FakeEntraId.tokenPath("contoso.onmicrosoft.com"))).hasSize(1);
  }

  @Test
  void expiredAssertionAtEntraIsAssertionTimeRange() {
    // Entra's clock is ahead of this node's: the token is valid here and expired there.
    entra.close();
    entra = closeLater(FakeEntraId.builder().clock(java.time.Clock.offset(clock, java.time.Duration.ofHours(2))).build());
    entra.addFederatedCredential(TENANT, CLIENT, cluster.issuer(), SUBJECT);

    AzureTokenException e = failure(credential());

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.ASSERTION_TIME_RANGE);
    assertThat(e.retryable()).isTrue();
    assertThat(e.tokenRejected()).isTrue();
    assertThat(e.code()).contains("AADSTS700024");
    assertThat(e.httpStatus()).hasValue(401);
    assertThat(e.getMessage()).contains("Current time:", "this machine's time is " + clock.instant(), "skewed");
    assertThat(posts()).extracting(ReceivedRequest::status).containsExactly(401); // the cache retries, not the exchange
  }

  @Test
  void forgedTokenIsASignatureFailure() {
    volume.writeRaw(SecretLeakGuard.secret(cluster.mintForged(spec().build())));

    AzureTokenException e = failure(credential());

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.INVALID_SIGNATURE);
    assertThat(e.code()).contains("AADSTS700027");
    assertThat(e.retryable()).isFalse();
    assertThat(e.tokenRejected()).isTrue(); // a token signed with a key Entra knows may pass
    assertThat(e.advice()).contains("signature", cluster.issuer(), "JWKS");
  }

  @Test
  void unreachableIssuerSaysTheIssuerMustBePublic() {
    cluster.faults().failAlways(Fault.serverError(503)); // Entra cannot fetch the discovery document

    AzureTokenException e = failure(credential());

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.ISSUER_UNREACHABLE);
    assertThat(e.code()).contains("AADSTS50166");
    assertThat(e.retryable()).isTrue();
    assertThat(e.advice()).contains(cluster.issuer(), "reachable from the internet");
  }

  @Test
  void throttlingIsRetryableAndCostsOneRequest() {
    entra.faults().failNext(1, Fault.throttled());

    AzureTokenException e = failure(credential());

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.THROTTLED);
    assertThat(e.code()).contains("AADSTS90055");
    assertThat(e.httpStatus()).hasValue(429);
    assertThat(e.retryable()).isTrue();
    assertThat(e.advice()).contains("throttling", "backoff");
    assertThat(posts()).hasSize(1);
  }

  @Test
  void serverErrorIsRetryableAndCostsOneRequestNotAzuresStackedEight() {
    entra.faults().failAlways(Fault.serverError(503));

    AzureTokenException e = failure(credential());

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.UNAVAILABLE);
    assertThat(e.code()).contains("AADSTS90033");
    assertThat(e.oauthError()).contains("temporarily_unavailable");
    assertThat(e.httpStatus()).hasValue(503);
    assertThat(e.retryable()).isTrue();
    assertThat(posts()).hasSize(1);
  }

  @Test
  void serverErrorWithoutEntraBodyIsStillTypedWithItsStatus() {
    entra.faults().failNext(1, Fault.error(502, "bad_gateway", "upstream"));

    AzureTokenException e = failure(credential());

    assertThat(e.httpStatus()).hasValue(502);
    assertThat(e.retryable()).isTrue();
    assertThat(posts()).hasSize(1);
  }

  @Test
  void connectionResetIsARetryableNetworkFailure() {
    entra.faults().failNext(1, Fault.connectionReset());

    AzureTokenException e = failure(credential());

    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.NETWORK);
    assertThat(e.httpStatus()).isEmpty();
    assertThat(e.code()).isEmpty();
    assertThat(e.retryable()).isTrue();
    assertThat(e.getMessage()).contains("Could not reach Entra ID at " + entra.authorityHost(), "proxy");
  }

  @Test
  void malformedResponseIsRetryable() {
    entra.faults().failNext(1, Fault.malformedBody());

    AzureTokenException e = failure(credential());

    assertThat(e.retryable()).isTrue();
    assertThat(posts()).hasSize(1);
  }

  @Test
  void missingTokenFileIsTheCoreTypedError() {
    AzureWorkloadIdentityCredential credential = closeLater(builder().tokenFile(dir.resolve("nope/token")).build());
    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));
    assertThat(t).isInstanceOf(io.workloadidentity.core.TokenFileException.class).hasMessageContaining("does not exist");
    assertThat(t).isNotInstanceOf(CredentialExchangeException.class);
    assertThat(posts()).isEmpty();
  }

  @Test
  void failuresReachAsyncCallersUnwrapped() {
    entra.clearFederatedCredentials(TENANT, CLIENT);
    AzureWorkloadIdentityCredential credential = credential();
    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getToken(VAULT_REQUEST).block()));
    assertThat(t).isInstanceOf(AzureTokenException.class);
    assertThat(((AzureTokenException) t).reason()).isEqualTo(AzureTokenException.Reason.FEDERATED_CREDENTIAL_MISMATCH);
  }
}
