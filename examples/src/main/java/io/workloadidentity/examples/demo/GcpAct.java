package io.workloadidentity.examples.demo;

import static io.workloadidentity.examples.demo.CloudAct.redact;
import static io.workloadidentity.examples.demo.Stage.check;

import com.google.auth.oauth2.GoogleCredentials;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentity;
import io.workloadidentity.core.internal.Tokens;
import io.workloadidentity.gcp.GcpCredentialsException;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import io.workloadidentity.testkit.FakeGcp;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;

/** Google Cloud: workload identity federation with service-account impersonation against the testkit. */
final class GcpAct implements CloudAct {
  static final String SERVICE_ACCOUNT = "orders@demo-project.iam.gserviceaccount.com";
  private static final URI API = URI.create("https://storage.googleapis.com/storage/v1/b");

  private final Stage stage;
  private final FakeGcp gcp;
  private final String audience;
  private final ProjectedVolume volume;
  private final Path config;

  GcpAct(Stage stage) {
    this.stage = stage;
    this.gcp = FakeGcp.builder().clock(stage.clock()).build();
    this.audience = gcp.addProvider("k8s-pool", "demo-cluster", stage.cluster().issuer());
    this.volume = stage.cluster().projectedVolume(stage.volumeDirectory("gcp"),
        TokenSpec.builder().namespace("shop").serviceAccount("orders").podName("orders-7d9f8c6b5-x2x4q")
            .audiences("https:" + audience).lifetime(Duration.ofHours(24)).build());
    gcp.grantWorkloadIdentityUser(SERVICE_ACCOUNT, gcp.principal(audience, "system:serviceaccount:shop:orders"));
    this.config = write(stage.volumeDirectory("gcp-config").resolve("credential-configuration.json"),
        "{\n  \"universe_domain\": \"googleapis.com\",\n  \"type\": \"external_account\",\n"
        + "  \"audience\": \"" + audience + "\",\n"
        + "  \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\",\n"
        + "  \"token_url\": \"" + gcp.stsUrl() + "\",\n"
        + "  \"service_account_impersonation_url\": \"" + gcp.impersonationUrl(SERVICE_ACCOUNT) + "\",\n"
        + "  \"credential_source\": {\"file\": \"" + volume.tokenFile() + "\", \"format\": {\"type\": \"text\"}}\n}\n");
  }

  private static Path write(Path file, String content) {
    try {
      return Files.writeString(file, content);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String name() {
    return "gcp";
  }

  @Override
  public void describeEndpoints() {
    stage.detail("Google STS " + gcp.stsUrl() + " + IAM Credentials " + gcp.iamUrl() + " (HTTPS; pool provider "
        + audience + " trusts the issuer)");
  }

  @Override
  public void describeVolume() {
    ProjectedToken t = volume.current();
    stage.detail(volume.tokenFile() + "  aud=" + t.audiences() + "  expires in "
        + Tokens.human(Duration.between(stage.clock().instant(), t.expiresAt())));
  }

  @Override
  public Map<String, String> webhookEnvironment() {
    // No webhook for federation: the pod spec mounts the token and the gcloud-generated config.
    return Map.of("GOOGLE_APPLICATION_CREDENTIALS", config.toString());
  }

  private static String bearer(GoogleCredentials credentials) {
    try {
      List<String> auth = credentials.getRequestMetadata(API).get("Authorization");
      return auth.get(0).substring("Bearer ".length());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Override
  public String firstUse() {
    return "GoogleCredentials.getRequestMetadata(): one Google STS exchange, then IAM Credentials impersonates the service account";
  }

  @Override
  public void credentials(WorkloadIdentity identity) {
    GoogleCredentials credentials = identity.get(GoogleCredentials.class);
    String token = bearer(credentials);
    FakeGcp.IssuedToken info = gcp.tokenInfo(token).orElseThrow();
    check(SERVICE_ACCOUNT.equals(info.serviceAccount()), "the token is the impersonated service account's");
    stage.detail("gcp: GoogleCredentials -> Authorization: Bearer " + redact(token) + " for " + info.serviceAccount()
        + " (via " + info.principal() + "), expires " + info.expiresAt());
  }

  private GcpWorkloadIdentityCredentials credentials(Events events) {
    return GcpWorkloadIdentityCredentials.builder()
        .environment(Environment.of(Map.of()))
        .credentialsFile(config)
        .clock(stage.clock())
        .listener(events)
        .build();
  }

  @Override
  public void rotation() {
    volume.rotate();
    Events events = new Events();
    try (GcpWorkloadIdentityCredentials c = credentials(events)) {
      String before = bearer(c);
      ProjectedToken old = volume.current();
      stage.cluster().rotateSigningKey();
      ProjectedToken rotated = volume.rotate(); // signed with the new key
      stage.cluster().retireOldSigningKeys(); // the old token can no longer be verified anywhere
      gcp.forgetIssuerKeys();
      stage.detail("kubelet swapped ..data: token sha256 " + old.fingerprint() + " -> " + rotated.fingerprint()
          + "; the issuer retired the key that signed the old one");
      Duration life = Duration.between(stage.clock().instant(), gcp.tokenInfo(before).orElseThrow().expiresAt());
      stage.clock().advance(life.multipliedBy(86).dividedBy(100)); // past the (jittered) refresh point
      check(bearer(c).equals(before), "callers keep the valid token while refreshing");
      Events.await(() -> !bearer(c).equals(before), "the refresh with the new token");
      var lastSts = gcp.requests(FakeGcp.STS_PATH).get(gcp.requests(FakeGcp.STS_PATH).size() - 1);
      check(rotated.value().equals(lastSts.form().get("subject_token")), "the exchange sent the rotated token");
      check(gcp.requests(FakeGcp.STS_PATH).stream().noneMatch(r -> r.status() >= 400) || events.failed.get() <= 1,
          "at most the rejected attempt before the re-read");
      stage.detail("the next exchange (at 86% of the token's life) sent the rotated token to STS, then impersonated " + SERVICE_ACCOUNT
          + "; no caller saw an error");
    }
  }

  @Override
  public void refreshAhead() {
    volume.rotateIfDue(); // what the kubelet does as the demo's clock moves on
    Events events = new Events();
    try (GcpWorkloadIdentityCredentials c = credentials(events)) {
      String first = bearer(c);
      Duration life = Duration.between(stage.clock().instant(), gcp.tokenInfo(first).orElseThrow().expiresAt());
      int calls = gcp.requestCount(FakeGcp.STS_PATH);
      stage.clock().advance(life.multipliedBy(86).dividedBy(100));
      check(bearer(c).equals(first), "the caller got the current token at once");
      Events.await(() -> !bearer(c).equals(first), "the background refresh");
      check(gcp.requestCount(FakeGcp.STS_PATH) == calls + 1, "one STS exchange for the refresh");
      stage.detail("token lives " + Tokens.human(life) + "; at 86% one background STS + IAM exchange replaced it"
          + " (google-auth alone would block a caller for it, and for every call once under 225 s)");
    }
  }

  @Override
  public void outage() {
    volume.rotateIfDue();
    Events events = new Events();
    try (GcpWorkloadIdentityCredentials c = credentials(events)) {
      String first = bearer(c);
      Duration life = Duration.between(stage.clock().instant(), gcp.tokenInfo(first).orElseThrow().expiresAt());
      stage.clock().advance(life.multipliedBy(82).dividedBy(100));
      int calls = gcp.requestCount(FakeGcp.STS_PATH);
      gcp.faults().failAlways(FakeGcp.STS_PATH, Fault.serverError(503));
      events.narrate(stage); // one line per attempt, as the listener hears of it
      int reads = events.readEverySecond(stage, 8 * 60,
          () -> check(bearer(c).equals(first), "every read during the outage succeeds"));
      int attempts = gcp.requestCount(FakeGcp.STS_PATH) - calls;
      gcp.faults().clear();
      boolean recovered = events.advanceUntil(stage, 180, () -> !bearer(c).equals(first));
      check(recovered, "a fresh token once STS recovered");
      check(attempts < reads / 10, "backoff, not an STS call per read");
      stage.detail("Google STS answered 503 for 8 simulated minutes: " + reads + " reads, 0 errors, " + attempts
          + " STS requests (one per backoff step); fresh token after recovery");
    }
  }

  @Override
  public void misconfiguration() {
    Path wrong = write(config.resolveSibling("wrong-type.json"), "{\"type\": \"service_account\", \"audience\": \"x\"}");
    try (WorkloadIdentity identity = WorkloadIdentity.detect(Environment.of(Map.of("GOOGLE_APPLICATION_CREDENTIALS", wrong.toString())))) {
      check(identity.detection("gcp").orElseThrow().status() != io.workloadidentity.core.Detection.Status.DETECTED,
          "a key-file config is not taken for workload identity");
      stage.detail("GOOGLE_APPLICATION_CREDENTIALS names a file of the wrong type ->");
      identity.detection("gcp").orElseThrow().reasons().forEach(r -> stage.detail("  " + r));
    }
    gcp.revokeWorkloadIdentityUser(SERVICE_ACCOUNT, gcp.principal(audience, "system:serviceaccount:shop:orders"));
    try (GcpWorkloadIdentityCredentials c = credentials(new Events())) {
      c.getRequestMetadata(API);
      check(false, "PERMISSION_DENIED without the workloadIdentityUser binding");
    } catch (GcpCredentialsException e) {
      check(e.reason() == GcpCredentialsException.Reason.IMPERSONATION_DENIED, "impersonation denied is typed");
      stage.detail("binding roles/iam.workloadIdentityUser removed ->");
      stage.block(e.getMessage());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      gcp.grantWorkloadIdentityUser(SERVICE_ACCOUNT, gcp.principal(audience, "system:serviceaccount:shop:orders"));
    }
  }

  @Override
  public void close() {
    volume.close();
    gcp.close();
  }
}
