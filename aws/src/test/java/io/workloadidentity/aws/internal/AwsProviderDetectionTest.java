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
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;

class AwsProviderDetectionTest {
  private static final String ROLE = "arn:aws:iam::111122223333:role/app";

  @TempDir Path dir;
  Path tokenFile;
  final AwsProvider provider = new AwsProvider();

  @BeforeEach
  void tokenFile() throws IOException {
    tokenFile = Files.writeString(dir.resolve("token"), "not-read-by-detection");
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
        .contains(AwsProvider.class);
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
    Detection d = provider.detect(Environment.of(Map.of(
        "AWS_CONTAINER_CREDENTIALS_FULL_URI", "http://169.254.170.23/v1/credentials",
        "AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE", tokenFile.toString())));
    assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
    assertThat(d.expectedAudiences()).containsExactly("pods.eks.amazonaws.com");
    assertThat(String.join(" ", d.reasons())).contains("169.254.170.23");
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
      assertThat(irsa).isInstanceOf(AwsWebIdentityCredentialsProvider.class).isInstanceOf(AwsCredentialsProvider.class);
      assertThat(irsa.toString()).contains(ROLE, "eu-west-1");
      assertThat(pod).isInstanceOf(EksPodIdentityCredentialsProvider.class);
    }
    assertThatThrownBy(() -> provider.create(Environment.of(Map.of()))).isInstanceOf(ConfigurationException.class);
  }

  @Test
  void workloadIdentityFindsTheAwsProviderAndReportsMisconfigurationLoudly() {
    Map<String, String> env = irsa();
    try (WorkloadIdentity wi = WorkloadIdentity.detect(Environment.of(env), List.of(provider), java.time.Clock.systemUTC())) {
      assertThat(wi.find(AwsCredentialsProvider.class)).isPresent();
    }
    env.remove("AWS_WEB_IDENTITY_TOKEN_FILE");
    try (WorkloadIdentity wi = WorkloadIdentity.detect(Environment.of(env), List.of(provider), java.time.Clock.systemUTC())) {
      assertThat(wi.find(AwsCredentialsProvider.class)).isEmpty();
      assertThat(wi.report()).contains("MISCONFIGURED", "AWS_WEB_IDENTITY_TOKEN_FILE");
    }
  }
}
