package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.TokenExpiredException;
import io.workloadidentity.testkit.FakeAwsPodIdentityAgent;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every way an environment variable or builder value can be wrong, each asserting the typed
 * exception, a message that names the setting and says what is wrong, that the message holds no
 * token and no raw control character, and that nothing was sent: the fake STS and agent, where the
 * valid rest of each configuration points, received zero requests. The accepted shapes close the
 * corpus, so that the checks are not simply refusing everything.
 */
@ExtendWith(SecretLeakGuard.class)
class AwsInputCorpusTest {
  private static final String ROLE = "arn:aws:iam::111122223333:role/orders";

  @TempDir Path dir;
  final TestClock clock = TestClock.create();
  KubernetesCluster cluster;
  FakeAwsSts sts;
  FakeAwsPodIdentityAgent agent;
  ProjectedVolume irsa;
  ProjectedVolume pod;
  String podToken;

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.builder().clock(clock).build();
    sts = FakeAwsSts.builder().clock(clock).build();
    sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:shop:*");
    agent = FakeAwsPodIdentityAgent.start(clock, Duration.ofHours(6));
    agent.trustIssuer(cluster.issuer()).associate("shop", "orders", ROLE);
    irsa = cluster.projectedVolume(dir.resolve("irsa"), TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .audiences("sts.amazonaws.com").lifetime(Duration.ofHours(24)).build());
    TokenSpec podSpec = TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .audiences("pods.eks.amazonaws.com").lifetime(Duration.ofHours(24)).build();
    pod = cluster.projectedVolume(dir.resolve("pod"), podSpec);
    podToken = SecretLeakGuard.secret(cluster.mint(podSpec));
  }

  @AfterEach
  void stop() {
    pod.close();
    irsa.close();
    agent.close();
    sts.close();
    cluster.close();
  }

  /** A refused input: how to build, what is thrown, what the message must say. */
  record Case(String name, Runnable attempt, Class<? extends Throwable> type, List<String> fragments) {}

  private Map<String, String> irsaEnv(String... overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ROLE_ARN", ROLE);
    env.put("AWS_WEB_IDENTITY_TOKEN_FILE", irsa.tokenFile().toString());
    env.put("AWS_REGION", "us-west-2");
    env.put("AWS_ENDPOINT_URL_STS", sts.endpoint().toString());
    for (int i = 0; i < overrides.length; i += 2) {
      if (overrides[i + 1] == null) {
        env.remove(overrides[i]);
      } else {
        env.put(overrides[i], overrides[i + 1]);
      }
    }
    return env;
  }

  private Map<String, String> podEnv(String... overrides) {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", agent.credentialsUrl().toString());
    env.put("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", pod.tokenFile().toString());
    for (int i = 0; i < overrides.length; i += 2) {
      if (overrides[i + 1] == null) {
        env.remove(overrides[i]);
      } else {
        env.put(overrides[i], overrides[i + 1]);
      }
    }
    return env;
  }

  /** Builds (and, when it builds, resolves once) an STS provider from this environment. */
  private Runnable sts(Map<String, String> env) {
    return sts(env, UnaryOperator.identity());
  }

  private Runnable sts(Map<String, String> env, UnaryOperator<AwsWebIdentityCredentialsProvider.Builder> tweak) {
    return () -> {
      try (var p = tweak.apply(AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(env))
          .clock(clock)).build()) {
        p.resolveCredentials();
      }
    };
  }

  private Runnable pod(Map<String, String> env) {
    return pod(env, UnaryOperator.identity());
  }

  private Runnable pod(Map<String, String> env, UnaryOperator<EksPodIdentityCredentialsProvider.Builder> tweak) {
    return () -> {
      try (var p = tweak.apply(EksPodIdentityCredentialsProvider.builder().environment(Environment.of(env))
          .clock(clock)).build()) {
        p.resolveCredentials();
      }
    };
  }

  private static Case bad(String name, Runnable attempt, String... fragments) {
    return new Case(name, attempt, ConfigurationException.class, List.of(fragments));
  }

  private List<Case> refused() {
    List<Case> c = new ArrayList<>();
    String ctl = "contains a control character";

    // AWS_ROLE_ARN
    c.add(bad("role ARN: not an ARN", sts(irsaEnv("AWS_ROLE_ARN", "orders")), "AWS_ROLE_ARN", "not an IAM role ARN"));
    c.add(bad("role ARN: CR LF and a forged header", sts(irsaEnv("AWS_ROLE_ARN", ROLE + "\r\nX-Forged: 1")),
        "AWS_ROLE_ARN", ctl, "U+000D"));
    c.add(bad("role ARN: an S3 bucket", sts(irsaEnv("AWS_ROLE_ARN", "arn:aws:s3:::orders-bucket-2026")),
        "AWS_ROLE_ARN", "the service is not iam"));
    c.add(bad("role ARN: 11-digit account", sts(irsaEnv("AWS_ROLE_ARN", "arn:aws:iam::11112222333:role/orders")),
        "the account is not 12 digits"));
    c.add(bad("role ARN: a user", sts(irsaEnv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:user/bob")),
        "the resource is not role/"));
    c.add(bad("role ARN: empty name", sts(irsaEnv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/path/")),
        "the name is empty"));
    c.add(bad("role ARN: a space in the name", sts(irsaEnv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/my role")),
        "U+0020 at position 33"));
    c.add(bad("role ARN: 3000 characters", sts(irsaEnv("AWS_ROLE_ARN", ROLE + "x".repeat(3000))),
        "AWS_ROLE_ARN", "characters long"));
    c.add(bad("role ARN: another cloud's partition", sts(irsaEnv("AWS_ROLE_ARN",
        "arn:azure:iam::111122223333:role/orders")), "the partition"));
    c.add(bad("role ARN: non-ASCII name", sts(irsaEnv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/bestell\u00fcng")),
        "U+00FC"));
    c.add(bad("role ARN: zero-width space", sts(irsaEnv("AWS_ROLE_ARN", "arn:aws:iam::111122223333:role/ord\u200bers")),
        ctl, "U+200B"));
    c.add(bad("role ARN: missing", sts(irsaEnv("AWS_ROLE_ARN", null)), "No IAM role to assume", "AWS_ROLE_ARN"));

    // AWS_ROLE_SESSION_NAME
    c.add(bad("session name: one character", sts(irsaEnv("AWS_ROLE_SESSION_NAME", "a")),
        "AWS_ROLE_SESSION_NAME", "2 to 64"));
    c.add(bad("session name: 65 characters", sts(irsaEnv("AWS_ROLE_SESSION_NAME", "s".repeat(65))),
        "AWS_ROLE_SESSION_NAME", "65 characters long"));
    c.add(bad("session name: a colon", sts(irsaEnv("AWS_ROLE_SESSION_NAME", "shop:orders")), "character ':'"));
    c.add(bad("session name: a line break", sts(irsaEnv("AWS_ROLE_SESSION_NAME", "orders\n[OK] forged")), ctl,
        "U+000A"));
    c.add(bad("session name: an ANSI escape", sts(irsaEnv("AWS_ROLE_SESSION_NAME", "orders\u001b[31m")), ctl,
        "U+001B"));

    // AWS_REGION, AWS_DEFAULT_REGION, AWS_STS_REGIONAL_ENDPOINTS
    c.add(bad("region: 100 000 characters", sts(irsaEnv("AWS_REGION", "us-" + "west-".repeat(20_000) + "2")),
        "AWS_REGION", "100004 characters long"));
    c.add(bad("region: upper case", sts(irsaEnv("AWS_REGION", "US-WEST-2")), "not an AWS region name"));
    c.add(bad("region: a line break inside", sts(irsaEnv("AWS_REGION", "us-\nwest-2")), ctl));
    c.add(bad("region: underscores", sts(irsaEnv("AWS_REGION", "us_west_2")), "not an AWS region name"));
    c.add(bad("region: no number", sts(irsaEnv("AWS_REGION", "us-west-")), "not an AWS region name"));
    c.add(bad("region: a host and path", sts(irsaEnv("AWS_REGION", "evil.example/x")), "not an AWS region name"));
    c.add(bad("default region: invalid", sts(irsaEnv("AWS_REGION", null, "AWS_DEFAULT_REGION", "west")),
        "AWS_DEFAULT_REGION"));
    c.add(bad("regional endpoints: unknown mode, escaped", sts(irsaEnv("AWS_STS_REGIONAL_ENDPOINTS", "glob\u0007al")),
        "AWS_STS_REGIONAL_ENDPOINTS", "\\u0007"));

    // AWS_ENDPOINT_URL_STS, AWS_ENDPOINT_URL
    c.add(bad("STS endpoint: plain http to another host", sts(irsaEnv("AWS_ENDPOINT_URL_STS",
        "http://sts.example.com")), "sts.example.com", "plain http", "allowHttp(true)"));
    c.add(bad("STS endpoint: AWS_ENDPOINT_URL plain http", sts(irsaEnv("AWS_ENDPOINT_URL_STS", null,
        "AWS_ENDPOINT_URL", "http://10.0.0.5:8080")), "AWS_ENDPOINT_URL", "10.0.0.5", "plain http"));
    c.add(bad("STS endpoint: user info hides the host", sts(irsaEnv("AWS_ENDPOINT_URL_STS",
        "https://sts.amazonaws.com@evil.example/")), "user information", "evil.example"));
    c.add(bad("STS endpoint: not absolute", sts(irsaEnv("AWS_ENDPOINT_URL_STS", "sts.us-west-2.amazonaws.com")),
        "absolute https URL"));
    c.add(bad("STS endpoint: ftp", sts(irsaEnv("AWS_ENDPOINT_URL_STS", "ftp://sts.example.com/")),
        "absolute https URL"));
    c.add(bad("STS endpoint: a CR inside", sts(irsaEnv("AWS_ENDPOINT_URL_STS", "https://sts.example.com/\rX")),
        "not a usable URL", "\\r"));
    c.add(bad("STS endpoint: a space in the host", sts(irsaEnv("AWS_ENDPOINT_URL_STS", "https://sts example.com/")),
        "not a usable URL"));

    // AWS_WEB_IDENTITY_TOKEN_FILE
    c.add(bad("token file: a NUL character", sts(irsaEnv("AWS_WEB_IDENTITY_TOKEN_FILE", "/var/run/tok\u0000en")),
        "AWS_WEB_IDENTITY_TOKEN_FILE", ctl, "U+0000"));
    c.add(bad("token file: 5000 characters", sts(irsaEnv("AWS_WEB_IDENTITY_TOKEN_FILE", "/" + "d".repeat(5000))),
        "AWS_WEB_IDENTITY_TOKEN_FILE", "5001 characters long"));
    c.add(bad("token file: missing", sts(irsaEnv("AWS_WEB_IDENTITY_TOKEN_FILE", null)),
        "No web identity token file"));

    // Pod Identity: the agent URL
    c.add(bad("agent: plain http to instance metadata", pod(podEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://169.254.169.254/latest/meta-data/")), "169.254.169.254", "plain http", "169.254.170.23"));
    c.add(bad("agent: plain http to another host", pod(podEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "http://credentials.example.com/v1")), "credentials.example.com", "allowHttp(true)"));
    c.add(bad("agent: user info", pod(podEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "https://169.254.170.23@evil.example/v1/credentials")), "user information"));
    c.add(bad("agent: not absolute", pod(podEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", "169.254.170.23/v1/credentials")),
        "absolute https URL"));
    c.add(bad("agent: relative URI moving the host with @", pod(podEnv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "@evil.example/v2/credentials")), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "single '/'"));
    c.add(bad("agent: relative URI starting with //", pod(podEnv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "//evil.example/v2/credentials")), "single '/'"));
    c.add(bad("agent: relative URI on a plain-http service endpoint", pod(podEnv(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/x", "AWS_CONTAINER_SERVICE_ENDPOINT",
        "http://evil.example")), "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "evil.example", "plain http"));
    c.add(bad("agent: missing", pod(podEnv("AWS_CONTAINER_CREDENTIALS_FULL_URI", null)),
        "No Pod Identity agent URL"));

    // Pod Identity: the token
    c.add(bad("inline token: not a JWT", pod(podEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "opaque-ecs-token-123")),
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", "not a usable service-account token"));
    c.add(bad("inline token: a space inside", pod(podEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN",
        podToken.substring(0, 30) + " " + podToken.substring(30))), "AWS_CONTAINER_AUTHORIZATION_TOKEN", "position 30"));
    c.add(bad("inline token: CR LF inside", pod(podEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN",
        podToken.substring(0, 50) + "\r\n" + podToken.substring(50))), "line break"));
    String expired = SecretLeakGuard.secret(cluster.mint(TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .audiences("pods.eks.amazonaws.com").issuedAt(clock.instant().minus(Duration.ofHours(3)))
        .lifetime(Duration.ofHours(1)).build()));
    c.add(new Case("inline token: expired (refused before sending)", pod(podEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN",
        expired)), TokenExpiredException.class, List.of("AWS_CONTAINER_AUTHORIZATION_TOKEN", "expired at")));
    c.add(bad("token file: a control character", pod(podEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
        "/var/run/secrets/\u0085token")), "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", ctl, "U+0085"));
    c.add(bad("token: neither inline nor file", pod(podEnv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", null)),
        "No Pod Identity token", "AWS_CONTAINER_AUTHORIZATION_TOKEN"));

    // Builder values
    Map<String, String> env = irsaEnv();
    c.add(bad("roleArn(): short account", sts(env, b -> b.roleArn("arn:aws:iam::1:role/x")), "roleArn()"));
    c.add(bad("roleSessionName(): a space", sts(env, b -> b.roleSessionName("my session")), "roleSessionName()",
        "character U+0020"));
    c.add(bad("region(): shell text", sts(env, b -> b.region("us-west-2;rm")), "region()"));
    c.add(bad("stsEndpoint(): plain http to a LAN address", sts(env, b -> b.stsEndpoint(URI.create(
        "http://192.168.1.10/"))), "stsEndpoint()", "192.168.1.10", "plain http"));
    c.add(bad("stsEndpoint(): user info", sts(env, b -> b.stsEndpoint(URI.create(
        "https://sts.amazonaws.com@evil.example/"))), "user information"));
    c.add(bad("sessionDuration(): 10 minutes", sts(env, b -> b.sessionDuration(Duration.ofMinutes(10))),
        "sessionDuration", "15 minutes and 12 hours"));
    c.add(bad("sessionDuration(): 13 hours", sts(env, b -> b.sessionDuration(Duration.ofHours(13))), "sessionDuration"));
    c.add(bad("sessionDuration(): a fraction", sts(env, b -> b.sessionDuration(Duration.ofMillis(1_000_500))),
        "whole seconds"));
    c.add(bad("sessionPolicy(): empty", sts(env, b -> b.sessionPolicy("")), "sessionPolicy", "1 to 2048"));
    c.add(bad("sessionPolicy(): a NUL", sts(env, b -> b.sessionPolicy("{\"Version\":\"2012-10-17\"\u0000}")),
        "U+0000", "position 23"));
    c.add(bad("sessionPolicy(): 3000 characters", sts(env, b -> b.sessionPolicy("{" + " ".repeat(2998) + "}")),
        "not 3000"));
    c.add(bad("policyArns(): eleven", sts(env, b -> b.policyArns(Collections.nCopies(11,
        "arn:aws:iam::aws:policy/ReadOnlyAccess"))), "At most 10"));
    c.add(bad("policyArns(): not an ARN", sts(env, b -> b.policyArns("ReadOnlyAccess")), "policyArns() (element 1)",
        "not an IAM managed policy ARN"));
    c.add(bad("policyArns(): a role ARN", sts(env, b -> b.policyArns("arn:aws:iam::aws:policy/Read",
        ROLE)), "element 2", "the resource is not policy/"));
    c.add(bad("policyArns(): a line break", sts(env, b -> b.policyArns("arn:aws:iam::aws:policy/Read\nOnly")), ctl));
    c.add(bad("exchangeTimeout(): zero", sts(env, b -> b.exchangeTimeout(Duration.ZERO)), "exchangeTimeout"));
    c.add(bad("exchangeTimeout(): two hours", sts(env, b -> b.exchangeTimeout(Duration.ofHours(2))), "at most 60 minutes"));
    c.add(bad("connectTimeout(): negative", sts(env, b -> b.connectTimeout(Duration.ofSeconds(-1))), "connectTimeout"));
    c.add(bad("readTimeout(): near Long.MAX_VALUE seconds", sts(env, b -> b.readTimeout(
        Duration.ofSeconds(Long.MAX_VALUE))), "readTimeout", "at most 60 minutes"));
    c.add(bad("maxResponseBytes(): 10", sts(env, b -> b.maxResponseBytes(10)), "maxResponseBytes", "between 1024"));
    c.add(bad("maxResponseBytes(): Integer.MAX_VALUE", sts(env, b -> b.maxResponseBytes(Integer.MAX_VALUE)),
        "maxResponseBytes"));
    Map<String, String> penv = podEnv();
    c.add(bad("endpoint(): plain http to a LAN address", pod(penv, b -> b.endpoint(URI.create(
        "http://10.0.0.1/v1/credentials"))), "endpoint()", "10.0.0.1", "plain http"));
    c.add(bad("endpoint(): user info", pod(penv, b -> b.endpoint(URI.create(
        "http://127.0.0.1@evil.example/v1/credentials"))), "user information"));
    c.add(bad("maxResponseBytes(0) for Pod Identity", pod(penv, b -> b.maxResponseBytes(0)), "maxResponseBytes"));
    return c;
  }

  @TestFactory
  Stream<DynamicTest> refusedInputs() {
    List<Case> cases = refused();
    assertThat(cases).hasSizeGreaterThanOrEqualTo(60);
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> {
      Throwable e = catchThrowable(c.attempt()::run);
      assertThat(e).as(c.name()).isInstanceOf(c.type());
      for (String f : c.fragments()) {
        assertThat(e.getMessage()).as(c.name()).contains(f);
      }
      assertThat(e.getMessage().chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f || ch >= 0x80 && ch < 0xa0))
          .as("%s: no raw control character in %s", c.name(), e.getMessage()).isTrue();
      assertThat(e.getMessage().length()).as(c.name()).isLessThan(4_000);
      assertThat(e.getMessage()).doesNotContain(podToken.substring(0, 20)).doesNotContain(podToken.substring(40, 80));
      SecretLeakGuard.inspect(e);
      assertThat(sts.requestCount()).as("%s: requests to STS", c.name()).isZero();
      assertThat(agent.requestCount()).as("%s: requests to the agent", c.name()).isZero();
    }));
  }

  /** Shapes that must keep working: every partition, the agents' addresses, loopback, https anywhere. */
  @TestFactory
  Stream<DynamicTest> acceptedInputs() {
    Map<String, String> env = irsaEnv();
    List<Map.Entry<String, UnaryOperator<AwsWebIdentityCredentialsProvider.Builder>>> stsCases = List.of(
        Map.entry("region aws-global", b -> b.region("aws-global")),
        Map.entry("region us-gov-west-1", b -> b.region("us-gov-west-1")),
        Map.entry("region eusc-de-east-1", b -> b.region("eusc-de-east-1")),
        Map.entry("region aws-cn-global", b -> b.region("aws-cn-global")),
        Map.entry("role with a path in aws-cn", b -> b.roleArn("arn:aws-cn:iam::111122223333:role/team/app/orders")),
        Map.entry("role in aws-us-gov with +=,.@_-", b -> b.roleArn("arn:aws-us-gov:iam::111122223333:role/a+b=c,d.e@f_g-h")),
        Map.entry("an AWS managed policy", b -> b.policyArns("arn:aws:iam::aws:policy/ReadOnlyAccess")),
        Map.entry("a customer policy with a path", b -> b.policyArns("arn:aws:iam::111122223333:policy/team/ro")),
        Map.entry("a policy with line breaks and tabs", b -> b.sessionPolicy("{\n\t\"Version\": \"2012-10-17\"\r\n}")),
        Map.entry("https endpoint anywhere", b -> b.stsEndpoint(URI.create("https://vpce-0abc.sts.eu-west-1.vpce.amazonaws.com"))),
        Map.entry("http to localhost", b -> b.stsEndpoint(URI.create("http://localhost:4566"))),
        Map.entry("http to [::1]", b -> b.stsEndpoint(URI.create("http://[::1]:4566/"))),
        Map.entry("maxResponseBytes 1 KiB", b -> b.maxResponseBytes(1024)));
    List<Map.Entry<String, String>> agents = List.of(
        Map.entry("EKS agent IPv4", "http://169.254.170.23/v1/credentials"),
        Map.entry("EKS agent IPv6", "http://[fd00:ec2::23]/v1/credentials"),
        Map.entry("ECS agent", "http://169.254.170.2/v2/credentials/x"),
        Map.entry("https anywhere", "https://credentials.example.com/v1"),
        Map.entry("loopback", "http://127.0.0.5:9911/creds"));
    Stream<DynamicTest> a = stsCases.stream().map(e -> DynamicTest.dynamicTest(e.getKey(), () ->
        e.getValue().apply(AwsWebIdentityCredentialsProvider.builder().environment(Environment.of(env)).clock(clock))
            .build().close()));
    Stream<DynamicTest> b = agents.stream().map(e -> DynamicTest.dynamicTest("agent: " + e.getKey(), () ->
        EksPodIdentityCredentialsProvider.builder().environment(Environment.of(podEnv(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", e.getValue()))).clock(clock).build().close()));
    Stream<DynamicTest> relative = Stream.of(DynamicTest.dynamicTest("relative URI on the default ECS endpoint", () -> {
      try (var p = EksPodIdentityCredentialsProvider.builder().environment(Environment.of(podEnv(
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task"))).clock(clock).build()) {
        assertThat(p.toString()).contains("http://169.254.170.2/v2/credentials/task");
      }
    }));
    return Stream.concat(Stream.concat(a, b), relative);
  }
}
