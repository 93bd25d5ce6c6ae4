package io.workloadidentity.examples.demo;

import static io.workloadidentity.examples.demo.CloudAct.redact;
import static io.workloadidentity.examples.demo.Stage.check;

import io.workloadidentity.aws.AwsExchangeException;
import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.WorkloadIdentity;
import io.workloadidentity.core.internal.Tokens;
import io.workloadidentity.testkit.FakeAwsCredentials;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/** AWS: IRSA against the testkit's STS. */
final class AwsAct implements CloudAct {
  static final String ROLE = "arn:aws:iam::111122223333:role/orders-reader";

  private final Stage stage;
  private final FakeAwsSts sts;
  private final ProjectedVolume volume;

  AwsAct(Stage stage) {
    this.stage = stage;
    this.sts = FakeAwsSts.builder().clock(stage.clock()).build();
    sts.trustIssuer(stage.cluster().issuer()).role(ROLE, "system:serviceaccount:shop:orders");
    this.volume = stage.cluster().projectedVolume(stage.volumeDirectory("aws"),
        TokenSpec.builder().namespace("shop").serviceAccount("orders").podName("orders-7d9f8c6b5-x2x4q")
            .audiences("sts.amazonaws.com").lifetime(Duration.ofHours(24)).build());
  }

  @Override
  public String name() {
    return "aws";
  }

  @Override
  public void describeEndpoints() {
    stage.detail("AWS STS " + sts.endpoint() + " (AssumeRoleWithWebIdentity; trusts the issuer for role " + ROLE + ")");
  }

  @Override
  public void describeVolume() {
    ProjectedToken t = volume.current();
    stage.detail(volume.tokenFile() + "  aud=" + t.audiences() + "  sub=" + t.subject() + "  expires in "
        + Tokens.human(Duration.between(stage.clock().instant(), t.expiresAt())));
  }

  @Override
  public Map<String, String> webhookEnvironment() {
    Map<String, String> env = new LinkedHashMap<>();
    env.put("AWS_ROLE_ARN", ROLE);
    env.put("AWS_WEB_IDENTITY_TOKEN_FILE", volume.tokenFile().toString());
    env.put("AWS_REGION", "us-west-2");
    env.put("AWS_ENDPOINT_URL_STS", sts.endpoint().toString()); // in a real pod: the regional STS endpoint
    return env;
  }

  @Override
  public String firstUse() {
    return "AwsCredentialsProvider.resolveCredentials(): one AssumeRoleWithWebIdentity call to STS with the projected token";
  }

  @Override
  public void credentials(WorkloadIdentity identity) {
    AwsCredentialsProvider provider = identity.get(AwsCredentialsProvider.class);
    AwsSessionCredentials c = (AwsSessionCredentials) provider.resolveCredentials();
    FakeAwsCredentials issued = sts.issued().get(sts.issued().size() - 1);
    check(issued.accessKeyId().equals(c.accessKeyId()), "the SDK provider returns what STS issued");
    check(sts.assumeRoleRequests().get(0).form().get("WebIdentityToken").equals(volume.current().value()),
        "STS received the trimmed projected token");
    stage.detail("aws: AwsCredentialsProvider -> AwsSessionCredentials accessKeyId=" + c.accessKeyId()
        + " secret=" + redact(c.secretAccessKey()) + " account=" + c.accountId().orElse("?") + " expires "
        + c.expirationTime().map(Instant::toString).orElse("?") + " (session " + issued.roleSessionName() + ")");
  }

  private AwsWebIdentityCredentialsProvider provider(Events events) {
    return AwsWebIdentityCredentialsProvider.builder()
        .environment(Environment.of(Map.of()))
        .roleArn(ROLE)
        .tokenFile(volume.tokenFile())
        .region("us-west-2")
        .stsEndpoint(sts.endpoint())
        .clock(stage.clock())
        .listener(events)
        .build();
  }

  private static AwsSessionCredentials session(AwsCredentialsProvider p) {
    return (AwsSessionCredentials) p.resolveCredentials();
  }

  @Override
  public void rotation() {
    volume.rotate(); // fresh at the demo's current time
    Events events = new Events();
    try (AwsWebIdentityCredentialsProvider p = provider(events)) {
      AwsSessionCredentials before = session(p);
      Events.await(() -> events.refreshed.get() >= 1, "the first exchange");
      ProjectedToken old = volume.current();
      ProjectedToken rotated = volume.rotate();
      sts.rejectAsExpired(old.value());
      Events.await(() -> events.rotated.get() >= 1, "the watcher to see the rotation");
      stage.detail("kubelet swapped ..data: token sha256 " + old.fingerprint() + " -> " + rotated.fingerprint()
          + "; STS now rejects the old token as expired");
      Duration life = Duration.between(stage.clock().instant(), before.expirationTime().orElseThrow());
      stage.clock().advance(life.multipliedBy(86).dividedBy(100)); // past the (jittered) refresh point
      check(session(p).accessKeyId().equals(before.accessKeyId()), "callers keep the valid credentials while refreshing");
      Events.await(() -> !session(p).accessKeyId().equals(before.accessKeyId()), "the refresh with the new token");
      FakeAwsCredentials issued = sts.credentials(session(p).accessKeyId()).orElseThrow();
      check(issued.tokenFingerprint().equals(rotated.fingerprint()), "the next exchange used the rotated token");
      check(events.failed.get() == 0, "no refresh failed");
      stage.detail("the next refresh (at 86% of the credentials' life) exchanged the new token (sha256 " + issued.tokenFingerprint()
          + "); no caller saw an error");
    }
  }

  @Override
  public void refreshAhead() {
    volume.rotateIfDue(); // what the kubelet does as the demo's clock moves on
    Events events = new Events();
    try (AwsWebIdentityCredentialsProvider p = provider(events)) {
      AwsSessionCredentials first = session(p);
      Instant expiry = first.expirationTime().orElseThrow();
      Duration life = Duration.between(stage.clock().instant(), expiry);
      int calls = sts.assumeRoleRequests().size();
      stage.clock().advance(life.multipliedBy(86).dividedBy(100));
      long t0 = System.nanoTime();
      AwsSessionCredentials during = session(p);
      long micros = (System.nanoTime() - t0) / 1000;
      check(during.accessKeyId().equals(first.accessKeyId()), "the caller got the current credentials at once");
      Events.await(() -> !session(p).accessKeyId().equals(first.accessKeyId()), "the background refresh");
      check(sts.assumeRoleRequests().size() == calls + 1, "exactly one STS call for the refresh");
      stage.detail("credentials live " + Tokens.human(life) + "; at 86% of that a caller got the current ones in "
          + micros + " us while one background STS call replaced them, " + Tokens.human(Duration.between(
              stage.clock().instant(), expiry)) + " before they would have expired");
    }
  }

  @Override
  public void outage() {
    volume.rotateIfDue();
    Events events = new Events();
    try (AwsWebIdentityCredentialsProvider p = provider(events)) {
      AwsSessionCredentials first = session(p);
      Events.await(() -> events.refreshed.get() >= 1, "the first exchange");
      Duration life = Duration.between(stage.clock().instant(), first.expirationTime().orElseThrow());
      stage.clock().advance(life.multipliedBy(82).dividedBy(100)); // ~49 min: refresh due, ~11 min left
      int calls = sts.assumeRoleRequests().size();
      sts.faults().failAlways(Fault.serverError(503));
      events.narrate(stage); // one line per attempt, as the listener hears of it
      int reads = events.readEverySecond(stage, 8 * 60,
          () -> check(session(p).accessKeyId().equals(first.accessKeyId()), "every read during the outage succeeds"));
      int attempts = sts.assumeRoleRequests().size() - calls;
      sts.faults().clear();
      boolean recovered = events.advanceUntil(stage, 180, () -> !session(p).accessKeyId().equals(first.accessKeyId()));
      check(recovered, "fresh credentials once STS recovered");
      check(attempts < reads / 10, "backoff, not an STS call per read");
      stage.detail("STS answered 503 for 8 simulated minutes: " + reads + " reads, 0 errors, " + attempts
          + " STS attempts (capped exponential backoff with jitter); fresh credentials once STS recovered");
    }
  }

  @Override
  public void misconfiguration() {
    Map<String, String> half = Map.of("AWS_ROLE_ARN", ROLE, "AWS_REGION", "us-west-2");
    try (WorkloadIdentity identity = WorkloadIdentity.detect(Environment.of(half))) {
      String report = identity.report();
      check(report.contains("MISCONFIGURED"), "a role ARN without a token file is reported, not skipped");
      stage.detail("AWS_ROLE_ARN set, AWS_WEB_IDENTITY_TOKEN_FILE missing ->");
      identity.detection("aws").orElseThrow().reasons().forEach(r -> stage.detail("  " + r));
    }
    sts.role(ROLE, "system:serviceaccount:shop:payments"); // the trust policy names another service account
    try (AwsWebIdentityCredentialsProvider p = provider(new Events())) {
      p.resolveCredentials();
      check(false, "AccessDenied for a trust policy naming another service account");
    } catch (AwsExchangeException e) {
      check("AccessDenied".equals(e.code().orElse("")), "STS says AccessDenied");
      stage.detail("trust policy for system:serviceaccount:shop:payments, pod runs as shop:orders ->");
      stage.block(e.getMessage());
    } finally {
      sts.role(ROLE, "system:serviceaccount:shop:orders");
    }
  }

  @Override
  public void close() {
    volume.close();
    sts.close();
  }
}
