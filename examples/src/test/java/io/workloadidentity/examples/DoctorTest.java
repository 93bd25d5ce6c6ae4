package io.workloadidentity.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.util.JSONObjectUtils;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.spi.CredentialsProvider;
import io.workloadidentity.examples.doctor.Doctor;
import io.workloadidentity.testkit.FakeAwsSts;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.ProjectedVolume;
import io.workloadidentity.testkit.TokenSpec;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The doctor against the testkit: each broken setup gives its explanation and a non-zero exit code. */
class DoctorTest {
  private static final String ROLE = "arn:aws:iam::111122223333:role/orders";

  @TempDir Path dir;
  private final KubernetesCluster cluster = KubernetesCluster.start();
  private final FakeAwsSts sts = FakeAwsSts.start();
  private final List<AutoCloseable> toClose = new ArrayList<>(List.of(sts, cluster));

  @AfterEach
  void close() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private ProjectedVolume volume(TokenSpec spec) {
    ProjectedVolume v = cluster.projectedVolume(dir.resolve("volume-" + toClose.size()), spec);
    toClose.add(0, v);
    return v;
  }

  private static TokenSpec.Builder orders() {
    return TokenSpec.builder().namespace("shop").serviceAccount("orders").audiences("sts.amazonaws.com");
  }

  private Map<String, String> awsEnv(Path tokenFile) {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ROLE_ARN", ROLE);
    env.put("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile.toString());
    env.put("AWS_REGION", "us-west-2");
    env.put("AWS_ENDPOINT_URL_STS", sts.endpoint().toString());
    return env;
  }

  private record Run(int code, String out) {}

  private static Run doctor(Map<String, String> env, String... args) {
    List<CredentialsProvider> providers = new ArrayList<>();
    ServiceLoader.load(CredentialsProvider.class).forEach(providers::add);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    int code = new Doctor(Environment.of(env), providers, Clock.systemUTC())
        .run(args, new PrintStream(bytes, true, StandardCharsets.UTF_8));
    return new Run(code, bytes.toString(StandardCharsets.UTF_8));
  }

  @Test
  void healthySetupExchangesAndExitsZero() {
    sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:shop:orders");
    ProjectedVolume v = volume(orders().build());
    Run run = doctor(awsEnv(v.tokenFile()), "--exchange");
    assertThat(run.code).as(run.out).isEqualTo(Doctor.OK);
    assertThat(run.out).contains("aws: detected", "sub: system:serviceaccount:shop:orders",
        "[OK] audience", "[OK] file: kubelet projected volume", "[OK] exchange", "Result: healthy",
        "(override from AWS_ENDPOINT_URL_STS");
    assertThat(run.out).doesNotContain(v.current().value());
    assertThat(sts.assumeRoleRequests()).hasSize(1);
  }

  @Test
  void craftedClaimsCannotForgeLinesOrSendTerminalEscapes() {
    // A pod name is a claim the doctor prints; one holding a line break and an ANSI escape must come out
    // escaped, on its own line, labelled as not verified.
    ProjectedVolume v = volume(orders().podName("orders-1\n  [OK] exchange: forged\u001b[2J").build());
    Run run = doctor(awsEnv(v.tokenFile()));
    assertThat(run.out).contains("claims (as read from the token, not verified)",
        "pod: orders-1\\n  [OK] exchange: forged\\u001B[2J");
    assertThat(run.out).doesNotContain("\u001b").doesNotContainPattern("(?m)^\\s*\\[OK\\] exchange");
  }

  @Test
  void missingTokenFileIsExplained() {
    Run run = doctor(awsEnv(dir.resolve("nowhere/token")));
    assertThat(run.code).isEqualTo(Doctor.PROBLEM);
    assertThat(run.out).contains("[PROBLEM]", "nowhere/token", "does not exist");
  }

  @Test
  void expiredTokenIsExplained() {
    ProjectedVolume v = volume(orders().issuedAt(Instant.now().minus(Duration.ofHours(3))).lifetime(Duration.ofHours(1)).build());
    Run run = doctor(awsEnv(v.tokenFile()), "--exchange");
    assertThat(run.code).isEqualTo(Doctor.PROBLEM);
    assertThat(run.out).contains("[PROBLEM] token: The token expired 2h 0m ago", "kubelet stopped rotating");
    assertThat(sts.assumeRoleRequests()).as("no exchange with a token known to be dead").isEmpty();
  }

  @Test
  void wrongAudienceIsExplained() {
    ProjectedVolume v = volume(orders().audiences("api://AzureADTokenExchange").build());
    Run run = doctor(awsEnv(v.tokenFile()));
    assertThat(run.code).isEqualTo(Doctor.PROBLEM);
    assertThat(run.out).contains("[PROBLEM] audience: The token's audience [api://AzureADTokenExchange] is not one aws accepts",
        "serviceAccountToken.audience");
  }

  @Test
  void cloudRejectingTheTrustIsExplainedWithTheFix() {
    sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:shop:payments");
    ProjectedVolume v = volume(orders().build());
    Run run = doctor(awsEnv(v.tokenFile()), "--exchange");
    assertThat(run.code).isEqualTo(Doctor.PROBLEM);
    assertThat(run.out).contains("[PROBLEM] exchange: The aws exchange failed (AccessDenied, HTTP 403, not retryable)",
        "trust policy", "system:serviceaccount:shop:orders");
  }

  @Test
  void nothingConfiguredHasItsOwnExitCodeAndJsonIsParseable() throws Exception {
    Run run = doctor(Map.of(), "--json");
    assertThat(run.code).isEqualTo(Doctor.NOTHING_CONFIGURED);
    Map<String, Object> json = JSONObjectUtils.parse(run.out);
    assertThat(json).containsEntry("healthy", false);
    assertThat(((Number) json.get("exitCode")).intValue()).isEqualTo(Doctor.NOTHING_CONFIGURED);
    assertThat((List<?>) json.get("clouds")).isNotEmpty();
  }

  @Test
  void unknownArgumentIsAUsageError() {
    assertThat(doctor(Map.of(), "--frobnicate").code).isEqualTo(Doctor.USAGE);
  }

  @Test
  void plainFileOutsideAProjectedVolumeIsWarnedAbout() throws Exception {
    sts.trustIssuer(cluster.issuer()).role(ROLE, "system:serviceaccount:shop:orders");
    Path plain = Files.writeString(dir.resolve("token"), cluster.mint(orders().build()));
    Run run = doctor(awsEnv(plain));
    assertThat(run.code).isEqualTo(Doctor.OK);
    assertThat(run.out).contains("[WARNING] file: Not a kubelet projected-volume layout");
  }
}
