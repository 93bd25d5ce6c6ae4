package io.workloadidentity.aws.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.aws.AwsWebIdentityCredentialsProvider;
import io.workloadidentity.aws.EksPodIdentityCredentialsProvider;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentity;
import io.workloadidentity.core.spi.CredentialsProvider;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.TestClock;
import io.workloadidentity.testkit.TokenSpec;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AwsCredentialsProviderDetectionTest {
  /** The SDK's interface, which this package's SPI class shares a simple name with. */
  private static final Class<software.amazon.awssdk.auth.credentials.AwsCredentialsProvider> SDK_PROVIDER =
      software.amazon.awssdk.auth.credentials.AwsCredentialsProvider.class;
  private static final String ROLE = "arn:aws:iam::111122223333:role/app";

  @TempDir Path dir;
  Path tokenFile;
  final AwsCredentialsProvider provider = new AwsCredentialsProvider();

  final TestClock clock = TestClock.create();
  KubernetesCluster cluster;

  @BeforeEach
  void tokenFile() throws IOException {
    cluster = KubernetesCluster.builder().clock(clock).build();
    tokenFile = Files.writeString(dir.resolve("token"), cluster.mint(spec("sts.amazonaws.com")));
  }

  @AfterEach
  void stopCluster() {
    cluster.close();
  }

  private static TokenSpec spec(String audience) {
    return TokenSpec.builder().namespace("default").serviceAccount("app").audiences(audience)
        .lifetime(Duration.ofHours(24)).build();
  }

  private Map<String, String> irsa() {
    Map<String, String> env = new HashMap<>();
    env.put("AWS_ROLE_ARN", ROLE);
    env.put("AWS_WEB_IDENTITY_TOKEN_FILE", tokenFile.toString());
    env.put("AWS_REGION", "eu-west-1");
    return env;
  }

  @Test
  void registeredForServiceLoader() {
    assertThat(ServiceLoader.load(CredentialsProvider.class).stream().map(p -> (Object) p.type()).toList())
        .contains(AwsCredentialsProvider.class);
  }

  @Test
  void nothingSetIsNotConfigured() {
    Detection d = provider.detect(Environment.of(Map.of("HOME", "/root")));
    assertThat(d.status()).isEqualTo(Detection.Status.NOT_CONFIGURED);
    assertThat(d.reasons().get(0)).contains("AWS_ROLE_ARN", "AWS_CONTAINER_CREDENTIALS_FULL_URI");
  }

  @Test
  void irsaDetectedWithRegionalEndpointAndStsAudience() {
    Detection d = provider.detect(Environment.of(irsa()));
    assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
    assertThat(d.expectedAudiences()).containsExactly("sts.amazonaws.com");
    assertThat(d.tokenFile()).contains(tokenFile);
    assertThat(String.join(" ", d.reasons()))
        .contains(ROLE, "https://sts.eu-west-1.amazonaws.com", "region eu-west-1 from AWS_REGION");
  }

  @Test
  void defaultRegionIsUsedWhenAwsRegionIsAbsent() {
    Map<String, String> env = irsa();
    env.remove("AWS_REGION");
    env.put("AWS_DEFAULT_REGION", "ap-southeast-2");
    assertThat(String.join(" ", provider.detect(Environment.of(env)).reasons()))
        .contains("https://sts.ap-southeast-2.amazonaws.com", "AWS_DEFAULT_REGION");
  }

  @Test
  void noRegionMeansGlobalEndpointAndSaysSo() {
    Map<String, String> env = irsa();
    env.remove("AWS_REGION");
    Detection d = provider.detect(Environment.of(env));
    assertThat(d.isDetected()).isTrue();
    assertThat(String.join(" ", d.reasons())).contains("https://sts.amazonaws.com", "set AWS_REGION");
  }

  @Test
  void legacyRegionalEndpointsSettingSelectsGlobalForOriginalRegions() {
    Map<String, String> env = irsa();
    env.put("AWS_STS_REGIONAL_ENDPOINTS", "legacy");
    assertThat(String.join(" ", provider.detect(Environment.of(env)).reasons())).contains("https://sts.amazonaws.com");
    env.put("AWS_REGION", "af-south-1"); // an opt-in region: always regional
    assertThat(String.join(" ", provider.detect(Environment.of(env)).reasons()))
        .contains("https://sts.af-south-1.amazonaws.com");
    env.put("AWS_STS_REGIONAL_ENDPOINTS", "sometimes");
    Detection d = provider.detect(Environment.of(env));
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons())).contains("'regional' or 'legacy'");
  }

  @Test
  void endpointOverrideFromStsSpecificVariableWinsAndSystemPropertyWinsOverVariable() {
    Map<String, String> env = irsa();
    env.put("AWS_ENDPOINT_URL", "https://generic.example");
    env.put("AWS_ENDPOINT_URL_STS", "https://vpce-123.sts.eu-west-1.vpce.amazonaws.com");
    assertThat(String.join(" ", provider.detect(Environment.of(env)).reasons()))
        .contains("https://vpce-123.sts.eu-west-1.vpce.amazonaws.com", "AWS_ENDPOINT_URL_STS");
    Detection d = provider.detect(Environment.of(env, Map.of("aws.endpointUrlSts", " http://127.0.0.1:9999 ")));
    assertThat(String.join(" ", d.reasons())).contains("http://127.0.0.1:9999", "aws.endpointUrlSts");
  }

  @Test
  void roleWithoutTokenFileIsMisconfiguredWithTheFix() {
    Map<String, String> env = irsa();
    env.remove("AWS_WEB_IDENTITY_TOKEN_FILE");
    Detection d = provider.detect(Environment.of(env));
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons())).contains("AWS_WEB_IDENTITY_TOKEN_FILE", "is not", "restart the pod");
  }

  @Test
  void tokenFileWithoutRoleIsMisconfigured() {
    Map<String, String> env = irsa();
    env.put("AWS_ROLE_ARN", "  ");
    Detection d = provider.detect(Environment.of(env));
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons())).contains("AWS_ROLE_ARN", "is empty", "eks.amazonaws.com/role-arn");
  }

  @Test
  void malformedRoleArnMissingFileAndBadSessionNameAreAllReported() {
    Map<String, String> env = irsa();
    env.put("AWS_ROLE_ARN", "my-role");
    env.put("AWS_WEB_IDENTITY_TOKEN_FILE", dir.resolve("absent").toString());
    env.put("AWS_ROLE_SESSION_NAME", "has spaces");
    Detection d = provider.detect(Environment.of(env));
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons()))
        .contains("not an IAM role ARN", "does not exist", "projected", "session name", "has spaces");
  }

  @Test
  void podIdentityDetectedWithItsAudience() throws IOException {
    Path podToken = Files.writeString(dir.resolve("pod-token"), cluster.mint(spec("pods.eks.amazonaws.com")));
    Detection d = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", podToken.toString())));
    assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
    assertThat(d.expectedAudiences()).containsExactly("pods.eks.amazonaws.com");
    assertThat(String.join(" ", d.reasons())).contains("169.254.170.23");
  }

  @Test
  void aTokenForTheWrongAudienceIsMisconfiguredWithTheFix() {
    Detection pod = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.toString()))); // an IRSA token
    assertThat(pod.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", pod.reasons())).contains("[sts.amazonaws.com]", "pods.eks.amazonaws.com",
        "eks-pod-identity-token");
  }

  @Test
  void anUnreadableOrMalformedTokenIsMisconfiguredNotThrown() throws IOException {
    Map<String, String> env = irsa();
    env.put("AWS_WEB_IDENTITY_TOKEN_FILE", Files.writeString(dir.resolve("garbage"), "not a token").toString());
    Detection d = provider.detect(Environment.of(env));
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons())).contains("garbage");
  }

  @Test
  void podIdentityAgentWithoutTokenFileIsMisconfiguredButOtherContainerServersAreNotOurs() {
    Detection eks = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials")));
    assertThat(eks.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", eks.reasons())).contains("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE");
    Detection other = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:8080/creds")));
    assertThat(other.status()).isEqualTo(Detection.Status.NOT_CONFIGURED);
  }

  @Test
  void podIdentityOverPlainHttpToAnArbitraryHostIsRefused() {
    Detection d = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://credentials.example.com/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.toString())));
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons())).contains("plain http", "credentials.example.com", "https");
  }

  @Test
  void irsaTakesPrecedenceOverPodIdentityAndSaysSo() {
    Map<String, String> env = irsa();
    env.put("AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials");
    env.put("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.toString());
    Detection d = provider.detect(Environment.of(env));
    assertThat(d.expectedAudiences()).containsExactly("sts.amazonaws.com");
    assertThat(String.join(" ", d.reasons())).contains("IRSA takes precedence");
  }

  @Test
  void createBuildsTheSdkNativeProviderWithoutNetworkOrFileAccess() throws Exception {
    try (AutoCloseable irsa = provider.create(Environment.of(irsa()));
        AutoCloseable pod = provider.create(Environment.of(Map.of(
            "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://127.0.0.1:1/v1/credentials",
            "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.toString())))) {
      assertThat(irsa).isInstanceOf(AwsWebIdentityCredentialsProvider.class).isInstanceOf(SDK_PROVIDER);
      assertThat(irsa.toString()).contains(ROLE, "eu-west-1");
      assertThat(pod).isInstanceOf(EksPodIdentityCredentialsProvider.class);
    }
    assertThatThrownBy(() -> provider.create(Environment.of(Map.of()))).isInstanceOf(ConfigurationException.class);
  }

  @Test
  void workloadIdentityFindsTheAwsProviderAndReportsMisconfigurationLoudly() {
    Map<String, String> env = irsa();
    try (WorkloadIdentity wi = WorkloadIdentity.detect(Environment.of(env), List.of(provider), java.time.Clock.systemUTC())) {
      assertThat(wi.find(SDK_PROVIDER)).isPresent();
    }
    env.remove("AWS_WEB_IDENTITY_TOKEN_FILE");
    try (WorkloadIdentity wi = WorkloadIdentity.detect(Environment.of(env), List.of(provider), java.time.Clock.systemUTC())) {
      assertThat(wi.find(SDK_PROVIDER)).isEmpty();
      assertThat(wi.report()).contains("MISCONFIGURED", "AWS_WEB_IDENTITY_TOKEN_FILE");
    }
  }
  @Test
  void anInlineTokenIsDetectedWinsOverTheFileAndIsNeverPrinted() {
    String token = cluster.mint(spec("pods.eks.amazonaws.com"));
    Detection d = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", token,
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.toString())));
    assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
    assertThat(String.join(" ", d.reasons())).contains("AWS_CONTAINER_AUTHORIZATION_TOKEN (-Daws.containerAuthorizationToken)"
        + " (inline; it takes precedence over AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE").doesNotContain(token);

    Detection wrongAudience = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", cluster.mint(spec("sts.amazonaws.com")))));
    assertThat(wrongAudience.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", wrongAudience.reasons())).contains("not pods.eks.amazonaws.com");

    Detection broken = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN", token.substring(0, 20) + "\n" + token.substring(20))));
    assertThat(broken.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", broken.reasons())).contains("line break").doesNotContain(token.substring(0, 20));
  }

  @Test
  void theRelativeUriWinsOverTheFullUriAsInTheSdk() {
    Detection d = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.toString())));
    assertThat(String.join(" ", d.reasons())).contains("agent endpoint http://169.254.170.2/v2/credentials/task")
        .contains("takes precedence over AWS_CONTAINER_CREDENTIALS_FULL_URI");
    // The relative URI alone, without a token, is ECS's task role: the SDK's job.
    assertThat(provider.detect(Environment.of(Map.of("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/v2/credentials/task")))
        .status()).isEqualTo(Detection.Status.NOT_CONFIGURED);
  }

  @Test
  void anEndpointOverrideIsLabelledAsOne() {
    Map<String, String> env = irsa();
    env.put("AWS_ENDPOINT_URL_STS", "https://vpce-0abc.sts.eu-west-1.vpce.amazonaws.com");
    assertThat(String.join(" ", provider.detect(Environment.of(env)).reasons()))
        .contains("STS endpoint https://vpce-0abc.sts.eu-west-1.vpce.amazonaws.com (override from AWS_ENDPOINT_URL_STS");
    env.put("AWS_ENDPOINT_URL_STS", "http://sts.internal.example");
    env.put("WORKLOAD_IDENTITY_ALLOW_HTTP", "true");
    assertThat(provider.detect(Environment.of(env)).status()).isEqualTo(Detection.Status.DETECTED);
  }
}
