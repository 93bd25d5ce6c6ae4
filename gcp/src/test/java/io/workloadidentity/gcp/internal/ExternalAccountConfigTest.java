package io.workloadidentity.gcp.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Validation of gcloud's external_account files: each mistake gets a message with the fix. */
class ExternalAccountConfigTest {
  static final String AUD = "//iam.googleapis.com/projects/123/locations/global/workloadIdentityPools/pool/providers/k8s";
  static final String SOURCE = "\"credential_source\": {\"file\": \"/var/run/service-account/token\", \"format\": {\"type\": \"text\"}}";
  @TempDir Path dir;

  static String json(String fields) {
    return "{\"type\": \"external_account\", \"audience\": \"" + AUD + "\","
        + " \"subject_token_type\": \"urn:ietf:params:oauth:token-type:jwt\", " + fields + "}";
  }

  static ExternalAccountConfig parse(String text) {
    return ExternalAccountConfig.parse(text, "cfg.json");
  }

  @Test
  void readsAGcloudFileWithImpersonation() throws Exception {
    Path file = Files.writeString(dir.resolve("c.json"), json("\"token_url\": \"https://sts.googleapis.com/v1/token\","
        + " \"service_account_impersonation_url\": \"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken\","
        + " \"service_account_impersonation\": {\"token_lifetime_seconds\": 1800}, \"quota_project_id\": \"q\","
        + " \"client_id\": null, " + SOURCE));
    ExternalAccountConfig c = ExternalAccountConfig.read(file, "GOOGLE_APPLICATION_CREDENTIALS");
    assertThat(c.audience()).isEqualTo(AUD);
    assertThat(c.tokenUrl()).isEqualTo("https://sts.googleapis.com/v1/token");
    assertThat(c.serviceAccount()).contains("sa@p.iam.gserviceaccount.com");
    assertThat(c.iamEndpoint()).isEqualTo("https://iamcredentials.googleapis.com");
    assertThat(c.lifetime()).contains(Duration.ofMinutes(30));
    assertThat(c.tokenFile()).isEqualTo(Path.of("/var/run/service-account/token"));
    assertThat(c.jsonField()).isEmpty();
    assertThat(c.quotaProject()).contains("q");
    assertThat(c.universeDomain()).isEqualTo("googleapis.com");
  }

  @Test
  void defaultsTheEndpointsFromTheUniverseDomain() {
    ExternalAccountConfig c = parse(json("\"universe_domain\": \"example.goog\", " + SOURCE));
    assertThat(c.tokenUrl()).isEqualTo("https://sts.example.goog/v1/token");
    assertThat(c.iamEndpoint()).isEqualTo("https://iamcredentials.example.goog");
    assertThat(c.serviceAccount()).isEmpty();
  }

  @Test
  void rejectsAServiceAccountKeyAndOtherTypes() {
    assertThatThrownBy(() -> parse("{\"type\": \"service_account\", \"private_key\": \"...\"}"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("cfg.json").hasMessageContaining("\"service_account\"")
        .hasMessageContaining("needs \"external_account\"").hasMessageContaining("service-account key")
        .hasMessageContaining("gcloud iam workload-identity-pools create-cred-config");
    assertThatThrownBy(() -> parse("{\"audience\": \"x\"}")).hasMessageContaining("\"type\": (missing)");
    assertThatThrownBy(() -> parse("not json")).hasMessageContaining("not valid JSON");
  }

  @Test
  void rejectsAMissingOrMalformedAudience() {
    assertThatThrownBy(() -> parse("{\"type\": \"external_account\", " + SOURCE + "}"))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("has no \"audience\"")
        .hasMessageContaining("//iam.googleapis.com/projects/NUMBER/locations/global/workloadIdentityPools/POOL/providers/PROVIDER");
    assertThatThrownBy(() -> parse(json(SOURCE).replace("\"" + AUD + "\"", "\"https:" + AUD + "\"")))
        .hasMessageContaining("that is the form projected into the Kubernetes token").hasMessageContaining(AUD + ".");
    assertThatThrownBy(() -> parse(json(SOURCE).replace("\"" + AUD + "\"", "\"my-provider\"")))
        .hasMessageContaining("must be the workload identity provider's full resource name");
  }

  @Test
  void checksTheImpersonationUrlsShapeAndLeavesHostsToThePolicy() {
    // Which hosts are acceptable is the EndpointPolicy's decision (it knows the opt-ins): parsing keeps the URLs.
    assertThat(parse(json("\"token_url\": \"http://sts.googleapis.com/v1/token\", " + SOURCE)).tokenUrl())
        .isEqualTo("http://sts.googleapis.com/v1/token");
    assertThatThrownBy(() -> parse(json("\"service_account_impersonation_url\": \"https://iamcredentials.googleapis.com/v1/sa\", " + SOURCE)))
        .hasMessageContaining("expected https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/SERVICE_ACCOUNT_EMAIL:generateAccessToken");
    assertThatThrownBy(() -> parse(json("\"service_account_impersonation_url\": \"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/a%0D%0A@b.iam.gserviceaccount.com:generateAccessToken\", " + SOURCE)))
        .hasMessageContaining("not a service account");
    ExternalAccountConfig c = parse(json("\"service_account_impersonation_url\": \"https://iamcredentials.googleapis.com@evil.example/v1/projects/-/serviceAccounts/sa@p.iam.gserviceaccount.com:generateAccessToken\", " + SOURCE));
    assertThat(c.iamEndpoint()).isEqualTo("https://iamcredentials.googleapis.com@evil.example"); // the policy refuses it
  }

  @Test
  void rejectsMissingAndUnsupportedCredentialSources() {
    assertThatThrownBy(() -> parse(json("\"token_url\": \"https://sts.googleapis.com/v1/token\"")))
        .hasMessageContaining("has no \"credential_source\"").hasMessageContaining("/var/run/service-account/token");
    assertThatThrownBy(() -> parse(json("\"credential_source\": {\"format\": {\"type\": \"text\"}}")))
        .hasMessageContaining("has no credential_source.file");
    assertThatThrownBy(() -> parse(json("\"credential_source\": {\"url\": \"http://localhost/token\"}")))
        .hasMessageContaining("credential_source.url").hasMessageContaining("--credential-source-file");
    assertThatThrownBy(() -> parse(json("\"credential_source\": {\"environment_id\": \"aws1\"}")))
        .hasMessageContaining("credential_source.environment_id");
    assertThatThrownBy(() -> parse(json("\"credential_source\": {\"file\": \"/t\", \"format\": {\"type\": \"json\"}}")))
        .hasMessageContaining("subject_token_field_name");
    assertThatThrownBy(() -> parse(json("\"credential_source\": {\"file\": \"/t\", \"format\": {\"type\": \"xml\"}}")))
        .hasMessageContaining("\"xml\"");
    assertThat(parse(json("\"credential_source\": {\"file\": \"/t\", \"format\": {\"type\": \"json\", \"subject_token_field_name\": \"id_token\"}}"))
        .jsonField()).contains("id_token");
  }

  @Test
  void rejectsLifetimesGcloudWouldRejectAndOtherFederationKinds() {
    String imp = "\"service_account_impersonation_url\": \"https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/a@b.iam.gserviceaccount.com:generateAccessToken\", ";
    assertThatThrownBy(() -> parse(json(imp + "\"service_account_impersonation\": {\"token_lifetime_seconds\": 60}, " + SOURCE)))
        .hasMessageContaining("between 600 and 43200");
    assertThat(parse(json("\"service_account_impersonation\": {\"token_lifetime_seconds\": 900}, " + SOURCE)).lifetime())
        .as("ignored without impersonation, as google-auth does").isEmpty();
    assertThatThrownBy(() -> parse(json("\"workforce_pool_user_project\": \"p\", " + SOURCE)))
        .hasMessageContaining("workforce pool");
    assertThatThrownBy(() -> parse(json(SOURCE).replace("token-type:jwt", "token-type:saml2")))
        .hasMessageContaining("subject_token_type");
  }

  @Test
  void aMissingFileIsAConfigurationError() {
    assertThatThrownBy(() -> ExternalAccountConfig.read(dir.resolve("nope.json"), "GOOGLE_APPLICATION_CREDENTIALS"))
        .isInstanceOf(ConfigurationException.class)
        .hasMessageContaining("nope.json (GOOGLE_APPLICATION_CREDENTIALS) does not exist");
  }
}
