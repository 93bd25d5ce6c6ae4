package io.workloadidentity.aws;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.aws.AwsExchangeException.Reason;
import io.workloadidentity.aws.ScriptedServer.Creds;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.SecretLeakGuard;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import java.nio.file.Path;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AnonymousCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.AwsSessionCredentials;
import software.amazon.awssdk.http.urlconnection.UrlConnectionHttpClient;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.sts.StsClient;

/**
 * Every way an answer of the Pod Identity agent or STS can be wrong (truncated, huge, the wrong
 * type, a member missing or empty, an absurd expiry, hostile error text), each asserting the typed
 * {@link AwsExchangeException} and its {@link Reason}, a message that says what is wrong (blaming
 * the clock only when the clock is the likely cause), no secret and no raw control character in it,
 * and exactly one request (no retry inside the attempt). A few good answers in unusual but valid
 * shapes close it.
 */
@ExtendWith(SecretLeakGuard.class)
class AwsResponseCorpusTest {
  private static final String ROLE = "arn:aws:iam::111122223333:role/orders";

  @TempDir Path dir;
  final TestClock clock = TestClock.create();
  KubernetesCluster cluster;
  ProjectedVolume pod;
  ProjectedVolume irsa;

  @BeforeEach
  void start() {
    cluster = KubernetesCluster.builder().clock(clock).build();
    pod = cluster.projectedVolume(dir.resolve("pod"), TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .audiences("pods.eks.amazonaws.com").lifetime(Duration.ofHours(24)).build());
    irsa = cluster.projectedVolume(dir.resolve("irsa"), TokenSpec.builder().namespace("shop").serviceAccount("orders")
        .podName("orders-1").audiences("sts.amazonaws.com").lifetime(Duration.ofHours(24)).build());
  }

  @AfterEach
  void stop() {
    irsa.close();
    pod.close();
    cluster.close();
  }

  /**
   * One answer and what must come of it.
   *
   * @param name the case
   * @param sts STS (else the Pod Identity agent)
   * @param script enqueues the answer; gets the credentials it may embed
   * @param tweak changes to the provider's builder (through an untyped holder)
   * @param reason the expected reason, or null for success
   * @param fragments what the message must contain
   * @param absent what it must not contain
   */
  record Case(String name, boolean sts, Function<Creds, Function<ScriptedServer, ScriptedServer>> script,
      UnaryOperator<Object> tweak, Reason reason, List<String> fragments, List<String> absent) {}

  /** The STS cases' only tweak: use a caller's StsClient instead of ours. */
  private static final UnaryOperator<Object> CALLERS_CLIENT = b -> b;

  private Instant in(Duration d) {
    return clock.instant().plus(d);
  }

  private static String httpDate(Instant i) {
    return DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.ofInstant(i, ZoneOffset.UTC));
  }

  private static Case pod(String name, int status, Function<Creds, String> body, Reason reason, String... fragments) {
    return new Case(name, false, c -> s -> s.answer(status, "application/json", body.apply(c)), UnaryOperator.identity(),
        reason, List.of(fragments), List.of());
  }

  private static Case sts(String name, int status, Function<Creds, String> body, Reason reason, String... fragments) {
    return new Case(name, true, c -> s -> s.answer(status, "text/xml", body.apply(c)), UnaryOperator.identity(),
        reason, List.of(fragments), List.of());
  }

  private static String json(Creds c, String accessKeyId, String secret, String token, String expiration) {
    StringBuilder sb = new StringBuilder("{");
    if (accessKeyId != null) {
      sb.append("\"AccessKeyId\":").append(accessKeyId).append(',');
    }
    if (secret != null) {
      sb.append("\"SecretAccessKey\":").append(secret).append(',');
    }
    if (token != null) {
      sb.append("\"Token\":").append(token).append(',');
    }
    if (expiration != null) {
      sb.append("\"Expiration\":").append(expiration).append(',');
    }
    sb.append("\"AccountId\":\"444455556666\"}");
    return sb.toString();
  }

  private static String q(String s) {
    return "\"" + s + "\"";
  }

  private List<Case> cases() {
    List<Case> c = new ArrayList<>();
    String exp = q(in(Duration.ofHours(6)).toString());
    Reason bad = Reason.MALFORMED_RESPONSE;

    // ---- Pod Identity: not JSON, truncated, the wrong shape
    c.add(pod("agent: empty body", 200, k -> "", bad, "is not a JSON object"));
    c.add(pod("agent: JSON null", 200, k -> "null", bad, "is not a JSON object (it is null)"));
    c.add(pod("agent: an array", 200, k -> "[]", bad, "has no AccessKeyId"));
    c.add(pod("agent: truncated", 200, k -> ScriptedServer.podIdentityJson(k, in(Duration.ofHours(6))).substring(0, 40),
        bad, "is not a JSON object"));
    c.add(pod("agent: an empty object", 200, k -> "{}", bad, "has no AccessKeyId"));
    c.add(pod("agent: an HTML page", 200, k -> "<html><body>Welcome to nginx</body></html>", bad,
        "is not a JSON object"));
    c.add(pod("agent: duplicate members", 200, k -> "{\"AccessKeyId\":\"A\",\"AccessKeyId\":\"B\"}", bad,
        "is not a JSON object"));
    c.add(pod("agent: 60 000 nested arrays", 200, k -> "{\"x\":" + "[".repeat(30_000) + "]".repeat(30_000) + "}", bad,
        "is not a JSON object"));
    // ---- Pod Identity: members missing, empty, the wrong type
    c.add(pod("agent: AccessKeyId a number", 200, k -> json(k, "12345", q(k.secretAccessKey()), q(k.sessionToken()), exp),
        bad, "AccessKeyId that is a number"));
    c.add(pod("agent: AccessKeyId empty", 200, k -> json(k, q(""), q(k.secretAccessKey()), q(k.sessionToken()), exp),
        bad, "an empty AccessKeyId"));
    c.add(pod("agent: AccessKeyId with a space", 200, k -> json(k, q("ASIA EXAMPLE"), q(k.secretAccessKey()),
        q(k.sessionToken()), exp), bad, "AccessKeyId with a character that is not printable ASCII (U+0020"));
    c.add(pod("agent: SecretAccessKey missing", 200, k -> json(k, q(k.accessKeyId()), null, q(k.sessionToken()), exp),
        bad, "has no SecretAccessKey"));
    c.add(pod("agent: SecretAccessKey null", 200, k -> json(k, q(k.accessKeyId()), "null", q(k.sessionToken()), exp),
        bad, "has no SecretAccessKey"));
    c.add(pod("agent: SecretAccessKey an array", 200, k -> json(k, q(k.accessKeyId()), "[\"x\"]", q(k.sessionToken()),
        exp), bad, "SecretAccessKey that is an array"));
    c.add(pod("agent: SecretAccessKey 300 characters", 200, k -> json(k, q(k.accessKeyId()), q("S".repeat(300)),
        q(k.sessionToken()), exp), bad, "SecretAccessKey of 300 characters"));
    c.add(pod("agent: Token missing", 200, k -> json(k, q(k.accessKeyId()), q(k.secretAccessKey()), null, exp), bad,
        "has no Token"));
    c.add(pod("agent: Token blank", 200, k -> json(k, q(k.accessKeyId()), q(k.secretAccessKey()), q("   "), exp), bad,
        "an empty Token"));
    c.add(pod("agent: Token with CR LF (header injection)", 200, k -> json(k, q(k.accessKeyId()),
        q(k.secretAccessKey()), q(k.sessionToken() + "\\r\\nX-Forged: 1"), exp), bad, "Token with a character",
        "U+000D"));
    c.add(pod("agent: Token an object", 200, k -> json(k, q(k.accessKeyId()), q(k.secretAccessKey()), "{\"v\":1}", exp),
        bad, "Token that is an object"));
    // ---- Pod Identity: the expiry
    c.add(pod("agent: Expiration missing", 200, k -> json(k, q(k.accessKeyId()), q(k.secretAccessKey()),
        q(k.sessionToken()), null), bad, "has no Expiration"));
    c.add(pod("agent: Expiration a number", 200, k -> json(k, q(k.accessKeyId()), q(k.secretAccessKey()),
        q(k.sessionToken()), "1700000000"), bad, "Expiration that is a number"));
    c.add(pod("agent: Expiration 'tomorrow'", 200, k -> json(k, q(k.accessKeyId()), q(k.secretAccessKey()),
        q(k.sessionToken()), q("tomorrow")), bad, "not an ISO-8601 time: 'tomorrow'"));
    c.add(pod("agent: Expiration month 13", 200, k -> json(k, q(k.accessKeyId()), q(k.secretAccessKey()),
        q(k.sessionToken()), q("2026-13-01T00:00:00Z")), bad, "not an ISO-8601 time"));
    c.add(pod("agent: Expiration 200 characters", 200, k -> json(k, q(k.accessKeyId()), q(k.secretAccessKey()),
        q(k.sessionToken()), q("2".repeat(200))), bad, "Expiration of 200 characters"));
    c.add(new Case("agent: Expiration in 1970 (not the clock)", false, k -> s -> s.answer(200, "application/json",
        ScriptedServer.podIdentityJson(k, Instant.EPOCH)), UnaryOperator.identity(), bad,
        List.of("1970-01-01T00:00:00Z", "already past", "days ago"), List.of("clock")));
    c.add(pod("agent: Expiration an hour ago (probably the clock)", 200, k -> ScriptedServer.podIdentityJson(k,
        in(Duration.ofHours(-1))), bad, "already past", "clock is probably ahead"));
    c.add(pod("agent: Expiration now", 200, k -> ScriptedServer.podIdentityJson(k, clock.instant()), bad,
        "already past"));
    c.add(new Case("agent: the server's Date says our clock is an hour ahead", false, k -> s -> s.answer(200,
        "application/json", ScriptedServer.podIdentityJson(k, in(Duration.ofMinutes(-30))),
        Map.of("Date", httpDate(in(Duration.ofHours(-1))))), UnaryOperator.identity(), bad,
        List.of("60 min ahead of the server's", "check this machine's clock"), List.of()));
    c.add(new Case("agent: expired, and the server's Date agrees with our clock", false, k -> s -> s.answer(200,
        "application/json", ScriptedServer.podIdentityJson(k, in(Duration.ofMinutes(-30))),
        Map.of("Date", httpDate(clock.instant()))), UnaryOperator.identity(), bad,
        List.of("the server handed out expired credentials"), List.of("clock")));
    // ---- Pod Identity: size
    c.add(new Case("agent: 10 MiB", false, k -> s -> s.huge(200, 10 * 1024 * 1024), UnaryOperator.identity(), bad,
        List.of("larger than 65536 bytes"), List.of()));
    c.add(new Case("agent: 70 KiB of valid JSON", false, k -> s -> s.answer(200, "application/json",
        ScriptedServer.podIdentityJson(k, in(Duration.ofHours(6))).replace("{", "{\"Padding\":\"" + "p".repeat(70_000)
            + "\",")), UnaryOperator.identity(), bad, List.of("larger than 65536 bytes"), List.of()));
    c.add(new Case("agent: 3 KiB with maxResponseBytes(2048)", false, k -> s -> s.answer(200, "application/json",
        ScriptedServer.podIdentityJson(k, in(Duration.ofHours(6))).replace("{", "{\"Padding\":\"" + "p".repeat(3_000)
            + "\",")), b -> ((EksPodIdentityCredentialsProvider.Builder) b).maxResponseBytes(2048), bad,
        List.of("larger than 2048 bytes"), List.of()));
    c.add(new Case("agent: 10 MiB error body", false, k -> s -> s.huge(500, 10 * 1024 * 1024), UnaryOperator.identity(),
        bad, List.of("larger than 65536 bytes"), List.of()));
    // ---- Pod Identity: error answers with hostile text
    c.add(new Case("agent: 500 with a JWT, CR LF and ANSI in the text", false, k -> s -> s.answer(500, "text/plain",
        "[req-1]: (InternalServerException): boom eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJl\r\n"
            + "[OK] forged line \u001b[31mred\u001b[0m, fault: server"), UnaryOperator.identity(), Reason.SERVICE_ERROR,
        List.of("InternalServerException", "[redacted]", "\\r\\n[OK] forged", "\\u001B[31m"), List.of("eyJzdWIi")));
    c.add(new Case("agent: an error echoing the token", false, k -> s -> s.answer(400, "text/plain",
        "[req-2]: (InvalidTokenException): bad token " + pod.current().value() + ", fault: client"),
        UnaryOperator.identity(), Reason.TOKEN_INVALID, List.of("InvalidTokenException", "<token>"), List.of()));
    c.add(pod("agent: 404 no association", 404, k -> "[r]: (ResourceNotFoundException): no association, fault: client",
        Reason.NO_ASSOCIATION, "create-pod-identity-association"));
    c.add(pod("agent: 429", 429, k -> "[r]: (ThrottlingException): Rate exceeded, fault: client", Reason.THROTTLED,
        "ThrottlingException"));
    c.add(pod("agent: 403", 403, k -> "[r]: (AccessDeniedException): denied, fault: client", Reason.ACCESS_DENIED,
        "pods.eks.amazonaws.com"));
    c.add(new Case("agent: a redirect is not followed", false, k -> s -> s.answer(302, "text/plain", "moved",
        Map.of("Location", "http://127.0.0.1:1/elsewhere")), UnaryOperator.identity(), Reason.OTHER,
        List.of("HTTP 302"), List.of()));
    c.add(new Case("agent: a request ID with control characters", false, k -> s -> s.answer(500, "text/plain",
        "[id\u0007\r\n]: (InternalServerException): x, fault: server"), UnaryOperator.identity(), Reason.SERVICE_ERROR,
        List.of("InternalServerException"), List.of()));

    // ---- STS: members missing or unusable
    String stsExp = in(Duration.ofHours(1)).toString();
    c.add(sts("STS: no Credentials element", 200, k -> ScriptedServer.stsXml("").replace("<Credentials></Credentials>",
        ""), bad, "has no Credentials element"));
    c.add(sts("STS: AccessKeyId missing", 200, k -> ScriptedServer.stsXml(ScriptedServer.stsCredentials(k, stsExp)
        .replaceFirst("<AccessKeyId>[^<]*</AccessKeyId>", "")), bad, "has no AccessKeyId"));
    c.add(sts("STS: SecretAccessKey empty", 200, k -> ScriptedServer.stsXml(ScriptedServer.stsCredentials(k, stsExp)
        .replace(k.secretAccessKey(), "")), bad, "SecretAccessKey"));
    c.add(sts("STS: SessionToken missing", 200, k -> ScriptedServer.stsXml(ScriptedServer.stsCredentials(k, stsExp)
        .replace("<SessionToken>" + k.sessionToken() + "</SessionToken>", "")), bad, "has no SessionToken"));
    c.add(sts("STS: SessionToken with a line break", 200, k -> ScriptedServer.stsXml(ScriptedServer.stsCredentials(k,
        stsExp).replace(k.sessionToken(), k.sessionToken() + "&#10;X-Forged: 1")), bad, "SessionToken with a character",
        "U+000A"));
    c.add(sts("STS: Expiration missing", 200, k -> ScriptedServer.stsXml(ScriptedServer.stsCredentials(k, stsExp)
        .replace("<Expiration>" + stsExp + "</Expiration>", "")), bad, "has no Expiration"));
    c.add(sts("STS: Expiration 'soon'", 200, k -> ScriptedServer.stsXml(ScriptedServer.stsCredentials(k, "soon")), bad,
        "could not be read"));
    c.add(sts("STS: Expiration an hour ago", 200, k -> ScriptedServer.stsXml(ScriptedServer.stsCredentials(k,
        in(Duration.ofHours(-1)).toString())), bad, "already past", "clock is probably ahead"));
    c.add(new Case("STS: Expiration in 1970 (not the clock)", true, k -> s -> s.answer(200, "text/xml",
        ScriptedServer.stsXml(ScriptedServer.stsCredentials(k, "1970-01-01T00:00:00Z"))), UnaryOperator.identity(), bad,
        List.of("1970-01-01T00:00:00Z"), List.of("clock")));
    c.add(sts("STS: not XML", 200, k -> "hello", bad, "could not be read"));
    c.add(sts("STS: empty 200", 200, k -> "", bad, "has no Credentials element"));
    c.add(sts("STS: truncated XML", 200, k -> ScriptedServer.stsXml(ScriptedServer.stsCredentials(k, stsExp))
        .substring(0, 200), bad, "could not be read"));
    c.add(new Case("STS: 10 MiB of XML", true, k -> s -> s.huge(200,
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">", 10 * 1024 * 1024),
        UnaryOperator.identity(), bad, List.of("larger than 65536 bytes"), List.of()));
    c.add(new Case("STS: 10 MiB through a caller's StsClient", true, k -> s -> s.huge(200,
        "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">", 10 * 1024 * 1024),
        CALLERS_CLIENT, bad, List.of("larger than 65536 bytes"), List.of()));
    c.add(new Case("STS: an error with a JWT, CR LF and ANSI in its message", true, k -> s -> s.answer(403, "text/xml",
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Type>Sender</Type>"
            + "<Code>AccessDenied</Code><Message>denied eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln&#13;&#10;[OK] forged"
            + " &#x85;next</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"),
        UnaryOperator.identity(), Reason.ACCESS_DENIED, List.of("AccessDenied", "[redacted]", "\\r\\n[OK] forged",
            "\\u0085next"), List.of("eyJzdWIi")));
    // The SDK stops reading the error at the cap and reports the status alone.
    c.add(new Case("STS: a 10 MiB error", true, k -> s -> s.huge(503,
        "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\"><Error><Message>", 10 * 1024 * 1024),
        UnaryOperator.identity(), Reason.SERVICE_ERROR, List.of("HTTP 503", "(no message)"), List.of()));

    // ---- good answers in unusual but valid shapes
    c.add(pod("agent: +0000 offset", 200, k -> ScriptedServer.podIdentityJson(k,
        in(Duration.ofHours(6)).toString().replace("Z", "+0000")), null));
    c.add(pod("agent: fractional seconds", 200, k -> ScriptedServer.podIdentityJson(k,
        in(Duration.ofHours(6)).toString().replace("Z", ".123456Z")), null));
    c.add(pod("agent: an AccountId that is no account is dropped", 200, k -> ScriptedServer.podIdentityJson(k,
        in(Duration.ofHours(6))).replace("444455556666", "evil.example"), null));
    c.add(pod("agent: extra members", 200, k -> ScriptedServer.podIdentityJson(k, in(Duration.ofHours(6)))
        .replace("{", "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\",\"Nested\":{\"a\":[1,2]},"), null));
    c.add(sts("STS: fractional seconds", 200, k -> ScriptedServer.stsXml(ScriptedServer.stsCredentials(k,
        in(Duration.ofHours(1)).toString().replace("Z", ".5Z"))), null));
    return c;
  }

  @TestFactory
  Stream<DynamicTest> answers() {
    List<Case> cases = cases();
    assertThat(cases.stream().filter(c -> c.reason() != null)).hasSizeGreaterThanOrEqualTo(50);
    return cases.stream().map(c -> DynamicTest.dynamicTest(c.name(), () -> run(c)));
  }

  private void run(Case c) throws Exception {
    Creds creds = Creds.mint();
    try (ScriptedServer server = new ScriptedServer();
        StsClient callers = StsClient.builder().region(Region.US_WEST_2).endpointOverride(server.url("/"))
            .credentialsProvider(AnonymousCredentialsProvider.create())
            .httpClientBuilder(UrlConnectionHttpClient.builder()).build()) {
      c.script().apply(creds).apply(server);
      AwsCredentialsProvider p;
      if (c.sts()) {
        AwsWebIdentityCredentialsProvider.Builder b = AwsWebIdentityCredentialsProvider.builder()
            .environment(Environment.of(Map.of())).roleArn(ROLE).tokenFile(irsa.tokenFile()).region("us-west-2")
            .stsEndpoint(server.url("/")).clock(clock);
        if (c.tweak() == CALLERS_CLIENT) {
          b.stsClient(callers); // built with the SDK's default retries: still one request
        }
        p = b.build();
      } else {
        var b = (EksPodIdentityCredentialsProvider.Builder) c.tweak().apply(EksPodIdentityCredentialsProvider.builder()
            .environment(Environment.of(Map.of())).endpoint(server.url("/v1/credentials"))
            .tokenFile(pod.tokenFile()).clock(clock));
        p = b.build();
      }
      try (var closing = (software.amazon.awssdk.utils.SdkAutoCloseable) p) {
        Throwable e = catchThrowable(p::resolveCredentials);
        if (c.reason() == null) {
          assertThat(e).as(c.name()).isNull();
          AwsSessionCredentials got = (AwsSessionCredentials) p.resolveCredentials();
          assertThat(got.accessKeyId()).isEqualTo(creds.accessKeyId());
          assertThat(got.accountId()).isNotEqualTo(java.util.Optional.of("evil.example"));
        } else {
          assertThat(e).as(c.name()).isInstanceOf(AwsExchangeException.class);
          AwsExchangeException x = (AwsExchangeException) e;
          assertThat(x.reason()).as(c.name() + ": " + x.getMessage()).isEqualTo(c.reason());
          for (String f : c.fragments()) {
            assertThat(x.getMessage()).as(c.name()).contains(f);
          }
          for (String f : c.absent()) {
            assertThat(x.getMessage()).as(c.name()).doesNotContain(f);
          }
          assertThat(x.getMessage()).as(c.name()).doesNotContain(creds.secretAccessKey())
              .doesNotContain(creds.sessionToken()).doesNotContain(pod.current().value())
              .doesNotContain(irsa.current().value());
          assertThat(x.getMessage().chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f))
              .as("%s: no raw control character in %s", c.name(), x.getMessage()).isTrue();
          assertThat(x.requestId().orElse("").chars().noneMatch(ch -> ch < 0x20 || ch == 0x7f)).isTrue();
          assertThat(x.getCause()).as("no third-party exception attached").isNull();
          SecretLeakGuard.inspect(x);
        }
        assertThat(server.requestCount()).as("%s: one request, no retry inside the attempt", c.name()).isEqualTo(1);
      }
    }
  }
}
