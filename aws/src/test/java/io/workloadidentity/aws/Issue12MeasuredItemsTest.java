package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import io.workloadidentity.aws.AwsExchangeException.Reason;
import io.workloadidentity.aws.internal.AwsCredentialsProvider;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.testkit.CacheEvents;
import io.workloadidentity.testkit.FakeAwsPodIdentityAgent;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;

/**
 * The AWS items measured in issue 12, each on the public API: every one of these failed on the code
 * before the fix (a StackOverflowError, a silent plain-http endpoint, an ignored inline token, an
 * untyped or imprecise response error).
 */
@ExtendWith(SecretLeakGuard.class)
class Issue12MeasuredItemsTest {
  private static final String ROLE = "arn:aws:iam::444455556666:role/orders";

  @TempDir Path dir;
  final TestClock clock = TestClock.create();
  KubernetesCluster cluster;
  FakeAwsPodIdentityAgent agent;
  ProjectedVolume volume;
  TokenSpec spec;

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.builder().clock(clock).build();
    agent = FakeAwsPodIdentityAgent.start(clock, Duration.ofHours(6));
    agent.trustIssuer(cluster.issuer()).associate("shop", "orders", ROLE);
    spec = TokenSpec.builder().namespace("shop").serviceAccount("orders").audiences("pods.eks.amazonaws.com")
        .lifetime(Duration.ofHours(24)).build();
    volume = cluster.projectedVolume(dir.resolve("pod"), spec);
  }

  @AfterEach
  void stop() {
    volume.close();
    agent.close();
    cluster.close();
  }

  private Map<String, String> irsaEnv() {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/orders");
    env.put("AWS_WEB_IDENTITY_TOKEN_FILE", volume.tokenFile().toString());
    return env;
  }

  // ---- a long AWS_REGION: StackOverflowError in the region regex ------------------------------

  @Test
  void aLongRegionIsAConfigurationErrorNotAStackOverflow() {
    Map<String, String> env = irsaEnv();
    String region = "us-" + "east-".repeat(20_000) + "1";
    env.put("AWS_REGION", region);
    Throwable e = catchThrowable(() -> AwsWebIdentityCredentialsProvider.builder()
        .environment(Environment.of(env)).clock(clock).build().close());
    assertThat(e).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("AWS_REGION").hasMessageContaining(region.length() + " characters");
    assertThat(e.getMessage().length()).isLessThan(1_000);

    Throwable b = catchThrowable(() -> AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(irsaEnv()))
        .region("eu-" + "west-".repeat(20_000) + "1").clock(clock).build().close());
    assertThat(b).isInstanceOf(ConfigurationException.class).hasMessageContaining("region()");

    Detection d = new AwsCredentialsProvider().detect(Environment.of(env));
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons())).contains("AWS_REGION");
  }

  // ---- plain http to a non-loopback STS endpoint ----------------------------------------------

  @Test
  void plainHttpStsEndpointToAnotherHostIsRefusedAndNamesTheOptIn() {
    Map<String, String> env = irsaEnv();
    env.put("AWS_REGION", "us-west-2");
    env.put("AWS_ENDPOINT_URL_STS", "http://sts.internal.example:8080");
    ConfigurationException e = catchThrowableOfType(ConfigurationException.class, () ->
        AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(env)).clock(clock).build().close());
    assertThat(e).hasMessageContaining("sts.internal.example").hasMessageContaining("AWS_ENDPOINT_URL_STS")
        .hasMessageContaining("allowHttp(true)").hasMessageContaining("WORKLOAD_IDENTITY_ALLOW_HTTP");

    ConfigurationException b = catchThrowableOfType(ConfigurationException.class, () ->
        AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(irsaEnv())).region("us-west-2")
            .stsEndpoint(URI.create("http://10.1.2.3/")).clock(clock).build().close());
    assertThat(b).hasMessageContaining("10.1.2.3").hasMessageContaining("stsEndpoint()");

    Detection d = new AwsCredentialsProvider().detect(Environment.of(env));
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons())).contains("sts.internal.example");
  }

  @Test
  void theOptInsAllowPlainHttpExplicitly() {
    Map<String, String> env = irsaEnv();
    env.put("AWS_REGION", "us-west-2");
    env.put("AWS_ENDPOINT_URL_STS", "http://sts.internal.example:8080");
    try (var p = AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(env)).allowHttp(true)
        .clock(clock).build()) {
      assertThat(p.toString()).contains("http://sts.internal.example:8080");
    }
    env.put("WORKLOAD_IDENTITY_ALLOW_HTTP", "true");
    AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(env)).clock(clock).build().close();
    env.remove("WORKLOAD_IDENTITY_ALLOW_HTTP");
    AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(env, Map.of("workloadidentity.allowHttp",
        "true"))).clock(clock).build().close();
    // The builder's explicit answer wins over the process-wide switch.
    env.put("WORKLOAD_IDENTITY_ALLOW_HTTP", "true");
    assertThat(catchThrowable(() -> AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(env))
        .allowHttp(false).clock(clock).build().close())).isInstanceOf(ConfigurationException.class);
    // Loopback never needs an opt-in (the testkit, local emulators).
    env.remove("WORKLOAD_IDENTITY_ALLOW_HTTP");
    env.put("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:4566");
    AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(env)).clock(clock).build().close();
  }

  // ---- the inline AWS_CONTAINER_AUTHORIZATION_TOKEN --------------------------------------------

  @Test
  void theInlineAuthorizationTokenIsSentAndWinsOverTheFile() throws Exception {
    String inline = cluster.mint(spec);
    Map<String, String> env = new HashMap<>();
    env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.credentialsUrl().toString());
    env.put("AWS_CONTAINER_AUTHORIZATION_TOKEN", inline);
    env.put("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", volume.tokenFile().toString());
    try (var p = EksPodIdentityCredentialsProvider.builder().environment(Environment.of(env)).clock(clock).build()) {
      p.resolveCredentials();
      assertThat(p.toString()).doesNotContain(inline).contains("AWS_CONTAINER_AUTHORIZATION_TOKEN");
    }
    assertThat(agent.requests()).hasSize(1);
    assertThat(agent.requests().get(0).header("Authorization")).contains(inline);

    env.remove("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    try (var p = EksPodIdentityCredentialsProvider.builder().environment(Environment.of(env)).clock(clock).build()) {
      p.resolveCredentials();
    }
    assertThat(agent.requests()).hasSize(2);
    assertThat(agent.requests().get(1).header("Authorization")).contains(inline);
  }

  @Test
  void anInlineTokenWithALineBreakIsRefusedUnquotedAndNothingIsSent() {
    String token = cluster.mint(spec);
    Map<String, String> env = new HashMap<>();
    env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.credentialsUrl().toString());
    env.put("AWS_CONTAINER_AUTHORIZATION_TOKEN", token.substring(0, 40) + "\r\nX-Injected: 1\r\n" + token.substring(40));
    Throwable e = catchThrowable(() ->
        EksPodIdentityCredentialsProvider.builder().environment(Environment.of(env)).clock(clock).build().close());
    assertThat(e).isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("AWS_CONTAINER_AUTHORIZATION_TOKEN").hasMessageContaining("line break");
    assertThat(e.getMessage()).doesNotContain(token.substring(0, 40)).doesNotContain(token.substring(40, 80));
    SecretLeakGuard.inspect(e);
    assertThat(agent.requestCount()).isZero();
  }

  // ---- Pod Identity responses ------------------------------------------------------------------

  private EksPodIdentityCredentialsProvider.Builder scripted(ScriptedServer server) {
    return EksPodIdentityCredentialsProvider.builder().environment(Environment.of(Map.of()))
        .endpoint(server.url("/v1/credentials")).tokenFile(volume.tokenFile()).clock(clock);
  }

  @Test
  void aHugeAgentBodyIsATypedTooLargeError() {
    try (ScriptedServer server = new ScriptedServer()) {
      server.huge(200, 10 * 1024 * 1024);
      try (var p = scripted(server).build()) {
        AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_RESPONSE);
        assertThat(e).hasMessageContaining("larger than 65536 bytes");
      }
    }
  }

  @Test
  void anAgentAnswerWithAnEmptyAccessKeyIsRefusedNamingTheField() {
    try (ScriptedServer server = new ScriptedServer()) {
      ScriptedServer.Creds c = ScriptedServer.Creds.mint();
      server.answer(200, "application/json", ScriptedServer.podIdentityJson(
          new ScriptedServer.Creds("", c.secretAccessKey(), c.sessionToken()), clock.instant().plus(Duration.ofHours(6))));
      try (var p = scripted(server).build()) {
        AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_RESPONSE);
        assertThat(e).hasMessageContaining("AccessKeyId").hasMessageContaining("empty");
      }
    }
  }

  @Test
  void anAgentAnswerThatIsJsonNullIsATypedError() {
    try (ScriptedServer server = new ScriptedServer()) {
      server.answer(200, "application/json", "null");
      try (var p = scripted(server).build()) {
        AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_RESPONSE);
        assertThat(e).hasMessageContaining("not a JSON object");
      }
    }
  }

  @Test
  void anAgentAnswerAlreadyExpiredIsTypedAndBlamesTheClockOnlyWhenLikely() {
    try (ScriptedServer server = new ScriptedServer()) {
      ScriptedServer.Creds c = ScriptedServer.Creds.mint();
      server.answer(200, "application/json", ScriptedServer.podIdentityJson(c, clock.instant().minus(Duration.ofHours(2))));
      server.answer(200, "application/json", ScriptedServer.podIdentityJson(c, Instant.parse("1970-01-01T00:00:00Z")));
      try (var p = scripted(server).build()) {
        AwsExchangeException recent = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(recent.reason()).isEqualTo(Reason.MALFORMED_RESPONSE);
        assertThat(recent).hasMessageContaining("Expiration").hasMessageContaining("clock");
        clock.advance(Duration.ofMinutes(2));
        AwsExchangeException ancient = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(ancient.reason()).isEqualTo(Reason.MALFORMED_RESPONSE);
        assertThat(ancient).hasMessageContaining("1970-01-01T00:00:00Z").hasMessageNotContaining("clock");
      }
    }
  }

  @Test
  void aTenYearExpiryIsCappedByTheMaximumLifetime() throws Exception {
    try (ScriptedServer server = new ScriptedServer()) {
      ScriptedServer.Creds c = ScriptedServer.Creds.mint();
      Instant tenYears = clock.instant().plus(Duration.ofDays(3650));
      server.answer(200, "application/json", ScriptedServer.podIdentityJson(c, tenYears));
      CacheEvents events = CacheEvents.create();
      try (var p = scripted(server).listener(events).build()) {
        AwsSessionCredentials got = (AwsSessionCredentials) p.resolveCredentials();
        assertThat(got.accessKeyId()).isEqualTo(c.accessKeyId());
        assertThat(events.awaitRefreshed()).isEqualTo(clock.instant().plus(Duration.ofHours(12)));
        // What the SDK and its callers see expires when the cache stops serving it, not in ten years.
        assertThat(got.expirationTime()).contains(clock.instant().plus(Duration.ofHours(12)));
      }
    }
  }

  // ---- STS responses ---------------------------------------------------------------------------

  @Test
  void anStsAnswerWithoutASessionTokenIsRefusedNamingTheField() {
    try (ScriptedServer server = new ScriptedServer()) {
      ScriptedServer.Creds c = ScriptedServer.Creds.mint();
      server.answer(200, "text/xml", ScriptedServer.stsXml("<AccessKeyId>" + c.accessKeyId() + "</AccessKeyId>"
          + "<SecretAccessKey>" + c.secretAccessKey() + "</SecretAccessKey><Expiration>"
          + clock.instant().plus(Duration.ofHours(1)) + "</Expiration>"));
      server.answer(200, "text/xml", ScriptedServer.stsXml(ScriptedServer.stsCredentials(
          new ScriptedServer.Creds(" ", c.secretAccessKey(), c.sessionToken()), clock.instant().plus(Duration.ofHours(1))
              .toString())));
      try (var p = AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(irsaEnv())).region("us-west-2")
          .stsEndpoint(server.url("/")).clock(clock).build()) {
        AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_RESPONSE);
        assertThat(e).hasMessageContaining("SessionToken");
        clock.advance(Duration.ofMinutes(2));
        AwsExchangeException blank = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(blank.reason()).isEqualTo(Reason.MALFORMED_RESPONSE);
        assertThat(blank).hasMessageContaining("AccessKeyId");
      }
      assertThat(server.requestCount()).isEqualTo(2);
    }
  }

  @Test
  void aHugeStsBodyIsATypedTooLargeError() {
    try (ScriptedServer server = new ScriptedServer()) {
      server.huge(200, "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">",
          10 * 1024 * 1024);
      try (var p = AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(irsaEnv())).region("us-west-2")
          .stsEndpoint(server.url("/")).clock(clock).build()) {
        AwsExchangeException e = catchThrowableOfType(AwsExchangeException.class, p::resolveCredentials);
        assertThat(e.reason()).isEqualTo(Reason.MALFORMED_RESPONSE);
        assertThat(e).hasMessageContaining("larger than 65536 bytes");
      }
    }
  }

  /** Any failure above is a WorkloadIdentityException: nothing untyped escapes. */
  @Test
  void failuresAreWorkloadIdentityExceptions() {
    assertThat(WorkloadIdentityException.class).isAssignableFrom(AwsExchangeException.class);
    assertThat(WorkloadIdentityException.class).isAssignableFrom(ConfigurationException.class);
  }
}
