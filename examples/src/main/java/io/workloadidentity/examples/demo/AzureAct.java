package io.workloadidentity.examples.demo;

import static io.workloadidentity.examples.demo.CloudAct.redact;
import static io.workloadidentity.examples.demo.Stage.check;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenCredential;
import com.azure.core.credential.TokenRequestContext;
import com.nimbusds.jwt.JWTClaimsSet;
import io.workloadidentity.azure.AzureTokenException;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentity;
import io.workloadidentity.core.internal.Tokens;
import io.workloadidentity.testkit.FakeEntraId;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.text.ParseException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/** Azure: the Entra ID client-assertion flow against the testkit's Entra endpoint (HTTPS). */
final class AzureAct implements CloudAct {
  static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";
  static final TokenRequestContext VAULT = new TokenRequestContext().addScopes("https://vault.azure.net/.default");

  private final Stage stage;
  private final FakeEntraId entra;
  private final ProjectedVolume volume;

  AzureAct(Stage stage) {
    this.stage = stage;
    this.entra = FakeEntraId.builder().clock(stage.clock()).build();
    entra.addFederatedCredential(TENANT, CLIENT, stage.cluster().issuer(), "system:serviceaccount:shop:orders");
    this.volume = stage.cluster().projectedVolume(stage.volumeDirectory("azure"),
        TokenSpec.builder().namespace("shop").serviceAccount("orders").podName("orders-7d9f8c6b5-x2x4q")
            .audiences(FakeEntraId.DEFAULT_AUDIENCE).lifetime(Duration.ofHours(24)).build());
  }

  @Override
  public String name() {
    return "azure";
  }

  @Override
  public void describeEndpoints() {
    stage.detail("Entra ID " + entra.authorityHost() + TENANT + "/oauth2/v2.0/token (HTTPS; app " + CLIENT
        + " has a federated credential for system:serviceaccount:shop:orders)");
  }

  @Override
  public void describeVolume() {
    ProjectedToken t = volume.current();
    stage.detail(volume.tokenFile() + "  aud=" + t.audiences() + "  expires in "
        + Tokens.human(Duration.between(stage.clock().instant(), t.expiresAt())));
  }

  @Override
  public Map<String, String> webhookEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AZURE_CLIENT_ID", CLIENT);
    env.put("AZURE_TENANT_ID", TENANT);
    env.put("AZURE_FEDERATED_TOKEN_FILE", volume.tokenFile().toString());
    env.put("AZURE_AUTHORITY_HOST", entra.authorityHost()); // in AKS: https://login.microsoftonline.com/
    return env;
  }

  private int posts() {
    return entra.requestCount(FakeEntraId.tokenPath(TENANT));
  }

  private String lastAssertion() {
    var posts = entra.requests(FakeEntraId.tokenPath(TENANT));
    return posts.get(posts.size() - 1).form().get("client_assertion");
  }

  @Override
  public String firstUse() {
    return "TokenCredential.getTokenSync(): azure-identity and MSAL start, then one POST of the projected token to Entra ID";
  }

  @Override
  public void credentials(WorkloadIdentity identity) {
    TokenCredential credential = identity.get(TokenCredential.class);
    AccessToken token = credential.getTokenSync(VAULT);
    JWTClaimsSet claims = entra.verifyAccessToken(token.getToken());
    check(volume.current().value().equals(lastAssertion()), "Entra received the trimmed projected token as client_assertion");
    stage.detail("azure: TokenCredential -> AccessToken " + redact(token.getToken()) + " for " + claims.getAudience()
        + " (appid " + claim(claims, "appid") + "), expires " + token.getExpiresAt().toInstant());
  }

  private static String claim(JWTClaimsSet claims, String name) {
    try {
      return claims.getStringClaim(name);
    } catch (ParseException e) {
      return "?";
    }
  }

  private AzureWorkloadIdentityCredential credential() {
    return credential(new Events());
  }

  private AzureWorkloadIdentityCredential credential(Events events) {
    return AzureWorkloadIdentityCredential.builder()
        .environment(Environment.of(Map.of()))
        .tenantId(TENANT)
        .clientId(CLIENT)
        .authorityHost(entra.authorityHost())
        .instanceDiscovery(false) // a local authority: MSAL must not ask login.microsoftonline.com about it
        .tokenFile(volume.tokenFile())
        .clock(stage.clock())
        .listener(events)
        .build();
  }

  private static String token(AzureWorkloadIdentityCredential c) {
    return c.getTokenSync(VAULT).getToken();
  }

  @Override
  public void rotation() {
    volume.rotate();
    Events events = new Events();
    try (AzureWorkloadIdentityCredential c = credential(events)) {
      AccessToken before = c.getTokenSync(VAULT);
      ProjectedToken old = volume.current();
      stage.cluster().rotateSigningKey();
      ProjectedToken rotated = volume.rotate();
      stage.cluster().retireOldSigningKeys();
      Events.await(() -> events.rotated.get() >= 1, "the watcher to see the rotation");
      stage.detail("kubelet swapped ..data: token sha256 " + old.fingerprint() + " -> " + rotated.fingerprint()
          + "; the issuer retired the key that signed the old one");
      Duration life = Duration.between(stage.clock().instant(), before.getExpiresAt().toInstant());
      stage.clock().advance(life.multipliedBy(86).dividedBy(100));
      check(token(c).equals(before.getToken()), "callers keep the valid token while refreshing");
      Events.await(() -> !token(c).equals(before.getToken()), "the refresh with the new token");
      check(rotated.value().equals(lastAssertion()), "the refresh sent the rotated token as client_assertion");
      stage.detail("the next refresh (at 86% of the token's life) sent the rotated token; no caller saw an error");
    }
  }

  @Override
  public void refreshAhead() {
    volume.rotateIfDue();
    try (AzureWorkloadIdentityCredential c = credential()) {
      AccessToken first = c.getTokenSync(VAULT);
      Duration life = Duration.between(stage.clock().instant(), first.getExpiresAt().toInstant());
      int calls = posts();
      stage.clock().advance(life.multipliedBy(86).dividedBy(100));
      check(token(c).equals(first.getToken()), "the caller got the current token at once");
      Events.await(() -> !token(c).equals(first.getToken()), "the background refresh");
      check(posts() == calls + 1, "exactly one token request for the refresh");
      stage.detail("token lives " + Tokens.human(life) + " (no refresh_in in the response: azure-core alone would"
          + " re-acquire every 30 s); one background request at 86% of it, callers never waited");
    }
  }

  @Override
  public void outage() {
    volume.rotateIfDue();
    Events events = new Events();
    try (AzureWorkloadIdentityCredential c = credential(events)) {
      String first = token(c);
      Duration life = Duration.between(stage.clock().instant(), c.getTokenSync(VAULT).getExpiresAt().toInstant());
      stage.clock().advance(life.multipliedBy(82).dividedBy(100));
      int calls = posts();
      entra.faults().failAlways(Fault.serverError(503));
      events.narrate(stage); // one line per attempt, as the listener hears of it
      int reads = events.readEverySecond(stage, 8 * 60,
          () -> check(token(c).equals(first), "every read during the outage succeeds"));
      int attempts = posts() - calls;
      entra.faults().clear();
      boolean recovered = events.advanceUntil(stage, 180, () -> !token(c).equals(first));
      check(recovered, "a fresh token once Entra recovered");
      check(attempts < reads / 10, "backoff, not a token request per read");
      stage.detail("Entra answered 503 for 8 simulated minutes: " + reads + " reads, 0 errors, " + attempts
          + " token requests (our backoff, not azure-identity's stacked retries); fresh token after recovery");
    }
  }

  @Override
  public void misconfiguration() {
    Map<String, String> half = Map.of("AZURE_CLIENT_ID", CLIENT, "AZURE_TENANT_ID", TENANT);
    try (WorkloadIdentity identity = WorkloadIdentity.detect(Environment.of(half))) {
      check(identity.detection("azure").orElseThrow().status() == io.workloadidentity.core.Detection.Status.MISCONFIGURED,
          "a half-mutated pod is reported");
      stage.detail("AZURE_CLIENT_ID and AZURE_TENANT_ID set, AZURE_FEDERATED_TOKEN_FILE missing ->");
      identity.detection("azure").orElseThrow().reasons().forEach(r -> stage.detail("  " + r));
    }
    entra.clearFederatedCredentials(TENANT, CLIENT);
    try (AzureWorkloadIdentityCredential c = credential()) {
      c.getTokenSync(VAULT);
      check(false, "AADSTS70021 without a matching federated credential");
    } catch (AzureTokenException e) {
      check(e.code().orElse("").contains("70021"), "Entra says AADSTS70021");
      stage.detail("federated credential deleted ->");
      stage.block(e.getMessage());
    } finally {
      entra.addFederatedCredential(TENANT, CLIENT, stage.cluster().issuer(), "system:serviceaccount:shop:orders");
    }
  }

  @Override
  public void close() {
    volume.close();
    entra.close();
  }
}
