package io.workloadidentity.azure.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.azure.core.credential.TokenCredential;
import io.workloadidentity.azure.AzureWorkloadIdentityCredential;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.core.WorkloadIdentity;
import io.workloadidentity.testkit.KubernetesCluster;
import io.workloadidentity.testkit.TokenSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Detection from the variables the azure-workload-identity webhook injects; no network. */
class AzureCredentialsProviderTest {
  static final String CLIENT = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11";
  static final String TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
  static KubernetesCluster cluster;
  @TempDir
  static Path dir;
  static Path tokenFile;

  final AzureCredentialsProvider provider = new AzureCredentialsProvider();

  @BeforeAll
  static void mint() throws Exception {
    cluster = KubernetesCluster.start();
    // The webhook >= 1.6 path; nothing may assume the older /var/run/secrets/azure/tokens one.
    tokenFile = dir.resolve("wi/token/azure-identity-token");
    Files.createDirectories(tokenFile.getParent());
    Files.writeString(tokenFile, cluster.mint(TokenSpec.builder().namespace("payments").serviceAccount("api")
        .audiences("api://AzureADTokenExchange").build()));
  }

  @AfterAll
  static void stop() {
    cluster.close();
  }

  static Map<String, String> mutatedPod() {
    Map<String, String> env = new HashMap<>();
    env.put("AZURE_CLIENT_ID", CLIENT);
    env.put("AZURE_TENANT_ID", TENANT);
    env.put("AZURE_FEDERATED_TOKEN_FILE", tokenFile.toString());
    env.put("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/");
    return env;
  }

  Detection detect(Map<String, String> env) {
    return provider.detect(Environment.of(env));
  }

  @Test
  void aMutatedPodIsDetected() {
    Detection d = detect(mutatedPod());
    assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
    assertThat(d.cloud()).isEqualTo("azure");
    assertThat(d.tokenFile()).contains(tokenFile);
    assertThat(d.expectedAudiences()).contains("api://AzureADTokenExchange");
    assertThat(String.join(" ", d.reasons())).contains(CLIENT, TENANT, tokenFile.toString());
  }

  @Test
  void nothingSetIsNotConfigured() {
    assertThat(detect(Map.of("HOME", "/root")).status()).isEqualTo(Detection.Status.NOT_CONFIGURED);
  }

  @Test
  void aServicePrincipalIsNotWorkloadIdentity() {
    Detection d = detect(Map.of("AZURE_CLIENT_ID", CLIENT, "AZURE_TENANT_ID", TENANT, "AZURE_CLIENT_SECRET", "x"));
    assertThat(d.status()).isEqualTo(Detection.Status.NOT_CONFIGURED);
    assertThat(d.reasons().get(0)).contains("service principal");
  }

  @Test
  void aPodTheWebhookDidNotMutateIsExplained() {
    Detection d = detect(Map.of("AZURE_CLIENT_ID", CLIENT)); // set by hand in the deployment, no webhook
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons()))
        .contains("AZURE_FEDERATED_TOKEN_FILE is not set although AZURE_CLIENT_ID is")
        .contains("Pod not mutated", "azure.workload.identity/use: \"true\"", "azure.workload.identity/client-id");
  }

  @Test
  void aServiceAccountWithoutTheClientIdAnnotationIsExplained() {
    Map<String, String> env = mutatedPod();
    env.remove("AZURE_CLIENT_ID"); // the webhook only injects it from the annotation
    Detection d = detect(env);
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons())).contains("AZURE_CLIENT_ID is not set although AZURE_FEDERATED_TOKEN_FILE is",
        "azure.workload.identity/client-id annotation");
  }

  @Test
  void aMissingTenantIsExplained() {
    Map<String, String> env = mutatedPod();
    env.remove("AZURE_TENANT_ID");
    assertThat(String.join(" ", detect(env).reasons())).contains("AZURE_TENANT_ID is not set",
        "azure.workload.identity/tenant-id");
  }

  @Test
  void aTokenFileThatIsNotThereIsMisconfigured() {
    Map<String, String> env = mutatedPod();
    env.put("AZURE_FEDERATED_TOKEN_FILE", dir.resolve("missing/token").toString());
    Detection d = detect(env);
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(d.reasons().get(0)).contains("does not exist", "volume mounted");
  }

  @Test
  void aWrongAudienceIsReportedButDetected() throws Exception {
    Path aws = dir.resolve("aws-token");
    Files.writeString(aws, cluster.mint(TokenSpec.of("sts.amazonaws.com")));
    Map<String, String> env = mutatedPod();
    env.put("AZURE_FEDERATED_TOKEN_FILE", aws.toString());
    Detection d = detect(env);
    assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
    assertThat(String.join(" ", d.reasons())).contains("[sts.amazonaws.com] is not ",
        "api://AzureADTokenExchange", "serviceAccountToken.audience");
  }

  @Test
  void malformedValuesAreMisconfigured() {
    Map<String, String> env = mutatedPod();
    env.put("AZURE_AUTHORITY_HOST", "http://login.microsoftonline.com/");
    env.put("AZURE_TENANT_ID", "my tenant");
    List<String> reasons = detect(env).reasons();
    assertThat(String.join(" ", reasons)).contains("is plain http to a host that is not loopback", "allowHttp(true)", "\"my tenant\" is not a tenant ID");
    env.put("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/" + TENANT);
    env.put("AZURE_TENANT_ID", TENANT);
    assertThat(String.join(" ", detect(env).reasons())).contains("must have no path");
  }

  @Test
  void aSystemPropertyOfTheSameNameWins() {
    Map<String, String> env = mutatedPod();
    env.remove("AZURE_CLIENT_ID");
    String fromProperty = "0f0e0d0c-0b0a-4909-8807-060504030201";
    Detection d = provider.detect(Environment.of(env, Map.of("AZURE_CLIENT_ID", fromProperty)));
    assertThat(d.status()).isEqualTo(Detection.Status.DETECTED);
    assertThat(String.join(" ", d.reasons())).contains(fromProperty);
  }

  @Test
  void autoDetectionFindsTheProviderAndBuildsTheTokenCredential() {
    try (WorkloadIdentity identity = WorkloadIdentity.detect(Environment.of(mutatedPod()))) {
      assertThat(identity.detection("azure")).get().extracting(Detection::status).isEqualTo(Detection.Status.DETECTED);
      TokenCredential credential = identity.get(TokenCredential.class);
      assertThat(credential).isInstanceOf(AzureWorkloadIdentityCredential.class);
      assertThat(credential.toString()).contains(CLIENT, TENANT, "https://login.microsoftonline.com/",
          tokenFile.toString());
      assertThat(identity.report()).contains("azure: detected", "system:serviceaccount:payments:api");
    }
  }

  @Test
  void theBuilderRefusesAnIncompleteEnvironmentWithTheSameExplanation() {
    assertThatThrownBy(() -> AzureWorkloadIdentityCredential.builder().environment(Environment.of(Map.of())).build())
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("AZURE_CLIENT_ID, AZURE_TENANT_ID and AZURE_FEDERATED_TOKEN_FILE are not set")
        .hasMessageContaining("azure.workload.identity/use");
    assertThatThrownBy(() -> AzureWorkloadIdentityCredential.builder().environment(Environment.of(mutatedPod()))
        .authorityHost("http://login.example.com:8080").build())
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("plain http", "allowHttp(true)");
  }
}
