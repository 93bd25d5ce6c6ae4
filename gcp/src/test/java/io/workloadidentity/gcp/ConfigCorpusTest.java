package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of {@code external_account} files: each refused one gives a {@link ConfigurationException}
 * from {@code build()} whose message names the field and the fix, shows no secret and no raw control
 * character, and nothing is sent anywhere; each accepted variant builds (google-auth accepts it too).
 */
class ConfigCorpusTest extends GcpFixture {
  static final String SA_URL = "https://iamcredentials.googleapis.com/v1/projects/-/serviceAccounts/"
      + "app@my-project.iam.gserviceaccount.com:generateAccessToken";

  /** A gcloud-style file with {@code fields} added (later keys win in google-http-client's parser). */
  String file(String fields) {
    return "{\"type\": \"external_account\", \"audience\": \"" + audience + "\", \"subject_token_type\":"
        + " \"urn:ietf:params:oauth:token-type:jwt\", \"token_url\": \"" + gcp.stsUrl() + "\", \"credential_source\":"
        + " {\"file\": \"" + volume.tokenFile() + "\", \"format\": {\"type\": \"text\"}}" + (fields.isEmpty() ? "" : ", ")
        + fields.replace("TOKEN_FILE", volume.tokenFile().toString()) + "}";
  }

  static Arguments refused(String name, String fields, String... fragments) {
    return Arguments.of(name, fields, List.of(fragments));
  }

  static Stream<Arguments> refusedFiles() {
    return Stream.of(
        refused("not JSON", "RAW:not json at all", "not valid JSON"),
        refused("empty", "RAW:", "is empty"),
        refused("a JSON array", "RAW:[1, 2]", "not valid JSON"),
        refused("deeply nested", "RAW:{\"a\": " + "[".repeat(5000) + "]".repeat(5000) + "}", "nests JSON deeper"),
        refused("a service-account key", "\"type\": \"service_account\"", "service-account key"),
        refused("a user login", "\"type\": \"authorized_user\"", "gcloud login"),
        refused("type null", "\"type\": null", "\"type\": (missing)"),
        refused("type a number", "\"type\": 7", "non-string \"type\""),
        refused("audience null", "\"audience\": null", "has no \"audience\""),
        refused("audience with the https: scheme", "\"audience\": \"https://iam.googleapis.com/projects/1/locations/global/"
            + "workloadIdentityPools/p/providers/k\"", "without the scheme"),
        refused("audience not a provider", "\"audience\": \"my-provider\"", "full resource name"),
        refused("audience with CR/LF", "\"audience\": \"//iam.googleapis.com/projects/1/locations/global/"
            + "workloadIdentityPools/p/providers/k\\r\\n[OK] forged\"", "control character", "\\r\\n[OK] forged"),
        refused("audience a number", "\"audience\": 12", "non-string \"audience\""),
        refused("SAML subject token type", "\"subject_token_type\": \"urn:ietf:params:oauth:token-type:saml2\"",
            "subject_token_type"),
        refused("a workforce pool", "\"workforce_pool_user_project\": \"p\"", "workforce pool"),
        refused("token_url on a foreign host", "\"token_url\": \"https://sts.evil.example/v1/token\"",
            "sts.evil.example", "allowEndpoint(\"sts.evil.example\")", "WORKLOAD_IDENTITY_GCP_ALLOWED_ENDPOINTS"),
        refused("token_url hiding its host", "\"token_url\": \"https://sts.googleapis.com@evil.example/v1/token\"",
            "user information", "evil.example"),
        refused("token_url plain http", "\"token_url\": \"http://sts.googleapis.com/v1/token\"", "plain http",
            "allowHttp(true)"),
        refused("token_url not a URL", "\"token_url\": \"::::\"", "token_url"),
        refused("token_url relative", "\"token_url\": \"/v1/token\"", "absolute https URL"),
        refused("token_url ftp", "\"token_url\": \"ftp://sts.googleapis.com/v1/token\"", "absolute https URL"),
        refused("token_url with CR/LF", "\"token_url\": \"https://sts.googleapis.com/v1/token\\r\\nX: 1\"",
            "control character"),
        refused("token_url under a look-alike domain", "\"token_url\": \"https://sts.googleapis.com.evil.example/v1/token\"",
            "sts.googleapis.com.evil.example"),
        refused("token_url another googleapis.com service", "\"token_url\": \"https://storage.googleapis.com/v1/token\"",
            "storage.googleapis.com"),
        refused("token_url with a trailing dot", "\"token_url\": \"https://sts.googleapis.com./v1/token\"",
            "sts.googleapis.com."),
        refused("token_url the metadata address", "\"token_url\": \"https://169.254.169.254/v1/token\"",
            "169.254.169.254"),
        refused("token_url a deep subdomain", "\"token_url\": \"https://a.b.c.sts.googleapis.com/v1/token\"",
            "a.b.c.sts.googleapis.com"),
        refused("universe_domain with user info", "\"universe_domain\": \"googleapis.com@evil.example\"",
            "universe_domain", "plain DNS name"),
        refused("universe_domain with a port", "\"universe_domain\": \"googleapis.com:443\"", "plain DNS name"),
        refused("universe_domain with a path", "\"universe_domain\": \"googleapis.com/x\"", "plain DNS name"),
        refused("universe_domain a single label", "\"universe_domain\": \"localhost\"", "plain DNS name"),
        refused("universe_domain a number", "\"universe_domain\": 1", "non-string \"universe_domain\""),
        refused("another universe from the file", "\"universe_domain\": \"evil.example\", \"token_url\": null",
            "sts.evil.example", "universe googleapis.com", "setUniverseDomain"),
        refused("impersonation on a foreign host", "\"service_account_impersonation_url\": \""
            + SA_URL.replace("iamcredentials.googleapis.com", "iam.evil.example") + "\"", "iam.evil.example",
            "allowEndpoint"),
        refused("impersonation hiding its host", "\"service_account_impersonation_url\": \""
            + SA_URL.replace("iamcredentials.googleapis.com", "iamcredentials.googleapis.com@evil.example") + "\"",
            "user information"),
        refused("impersonation with a wrong path", "\"service_account_impersonation_url\":"
            + " \"https://iamcredentials.googleapis.com/v1/sa\"", "SERVICE_ACCOUNT_EMAIL:generateAccessToken"),
        refused("impersonation with an encoded CR/LF", "\"service_account_impersonation_url\": \""
            + SA_URL.replace("app@", "app%0D%0AX:%201@") + "\"", "not a service account"),
        refused("impersonation with a query", "\"service_account_impersonation_url\": \"" + SA_URL + "?x=1\"",
            "SERVICE_ACCOUNT_EMAIL"),
        refused("impersonation of a name without a domain", "\"service_account_impersonation_url\": \""
            + SA_URL.replace("app@my-project.iam.gserviceaccount.com", "app") + "\"", "not a service account"),
        refused("impersonation plain http", "\"service_account_impersonation_url\": \""
            + SA_URL.replace("https:", "http:") + "\"", "plain http"),
        refused("a lifetime below 600 s", "\"service_account_impersonation_url\": \"" + SA_URL + "\","
            + " \"service_account_impersonation\": {\"token_lifetime_seconds\": 60}", "between 600 and 43200"),
        refused("a lifetime above 12 h", "\"service_account_impersonation_url\": \"" + SA_URL + "\","
            + " \"service_account_impersonation\": {\"token_lifetime_seconds\": 50000}", "between 600 and 43200"),
        refused("a lifetime not a number", "\"service_account_impersonation_url\": \"" + SA_URL + "\","
            + " \"service_account_impersonation\": {\"token_lifetime_seconds\": \"abc\"}", "whole number"),
        refused("a fractional lifetime", "\"service_account_impersonation_url\": \"" + SA_URL + "\","
            + " \"service_account_impersonation\": {\"token_lifetime_seconds\": 1800.5}", "whole number"),
        refused("no credential_source", "\"credential_source\": null", "has no \"credential_source\""),
        refused("a URL credential source", "\"credential_source\": {\"url\": \"http://127.0.0.1/token\"}",
            "credential_source.url"),
        refused("an executable credential source", "\"credential_source\": {\"executable\": {\"command\": \"x\"}}",
            "credential_source.executable"),
        refused("an AWS credential source", "\"credential_source\": {\"environment_id\": \"aws1\"}",
            "credential_source.environment_id"),
        refused("no credential_source.file", "\"credential_source\": {\"format\": {\"type\": \"text\"}}",
            "has no credential_source.file"),
        refused("credential_source.file a number", "\"credential_source\": {\"file\": 3}", "non-string credential_source.file"),
        refused("credential_source.file with a newline", "\"credential_source\": {\"file\": \"/var/run/t\\nX\"}",
            "control character"),
        refused("format.type xml", "\"credential_source\": {\"file\": \"/t\", \"format\": {\"type\": \"xml\"}}", "\"xml\""),
        refused("format json without a field", "\"credential_source\": {\"file\": \"/t\", \"format\": {\"type\": \"json\"}}",
            "subject_token_field_name"),
        refused("quota_project_id with CR/LF", "\"quota_project_id\": \"p\\r\\nX-Forged: 1\"", "control character"),
        refused("quota_project_id not a project", "\"quota_project_id\": \"My Project\"", "not a Google Cloud project"),
        refused("quota_project_id a number", "\"quota_project_id\": 12", "non-string \"quota_project_id\""),
        refused("larger than 64 KiB", "\"padding\": \"" + "x".repeat(70_000) + "\"", "larger than 64 KiB"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedFiles")
  void isRefusedBeforeAnythingIsSent(String name, String fields, List<String> fragments) {
    String text = fields.startsWith("RAW:") ? fields.substring(4) : file(fields);
    Path config = write("corpus-" + System.nanoTime() + ".json", text);
    Throwable t = catchThrowable(() -> credentials().credentialsFile(config).build().close());
    assertThat(t).as(name).isInstanceOf(ConfigurationException.class);
    for (String f : fragments) {
      assertThat(t.getMessage()).as(name).contains(f);
    }
    assertThat(t.getMessage()).as(name).doesNotContain("\r").doesNotContain("\n").hasSizeLessThan(3_000);
    SecretLeakGuard.assertNoSecrets(t);
    assertThat(gcp.requestCount()).as(name).isZero();
    assertThat(cluster.requestCount()).as(name).isZero();
  }

  static Stream<Arguments> acceptedFiles() {
    String regional = "https://sts.us-east7.rep.googleapis.com/v1/token";
    return Stream.of(
        Arguments.of("every optional field null", "\"service_account_impersonation_url\": null, \"quota_project_id\":"
            + " null, \"universe_domain\": null, \"workforce_pool_user_project\": null, \"client_id\": null,"
            + " \"client_secret\": null, \"token_info_url\": null, \"service_account_impersonation\": null"),
        Arguments.of("token_url null: the universe's default", "\"token_url\": null"),
        Arguments.of("format.type in capitals", "\"credential_source\": {\"file\": \"TOKEN_FILE\", \"format\": {\"type\": \"TEXT\"}}"),
        Arguments.of("format null", "\"credential_source\": {\"file\": \"TOKEN_FILE\", \"format\": null}"),
        Arguments.of("format.type null", "\"credential_source\": {\"file\": \"TOKEN_FILE\", \"format\": {\"type\": null}}"),
        Arguments.of("format.type Json with a field", "\"credential_source\": {\"file\": \"/t.json\", \"format\":"
            + " {\"type\": \"Json\", \"subject_token_field_name\": \"id_token\"}}"),
        Arguments.of("a lifetime without impersonation (ignored)", "\"service_account_impersonation\":"
            + " {\"token_lifetime_seconds\": 1800}"),
        Arguments.of("a regional STS endpoint", "\"token_url\": \"" + regional + "\""),
        Arguments.of("a Private Service Connect STS endpoint", "\"token_url\": \"https://sts-mypsc.p.googleapis.com/v1/token\""),
        Arguments.of("a locational STS endpoint", "\"token_url\": \"https://us-east1-sts.googleapis.com/v1/token\""),
        Arguments.of("the mTLS STS endpoint", "\"token_url\": \"https://sts.mtls.googleapis.com/v1/token\""),
        Arguments.of("an upper-case STS host", "\"token_url\": \"https://STS.GoogleAPIs.com/v1/token\""),
        Arguments.of("an explicit port on Google's host", "\"token_url\": \"https://sts.googleapis.com:443/v1/token\""),
        Arguments.of("a regional IAM endpoint", "\"service_account_impersonation_url\": \""
            + SA_URL.replace("iamcredentials.googleapis.com", "iamcredentials.europe-west3.rep.googleapis.com") + "\""),
        Arguments.of("a Private Service Connect IAM endpoint", "\"service_account_impersonation_url\": \""
            + SA_URL.replace("iamcredentials.googleapis.com", "iamcredentials-mypsc.p.googleapis.com") + "\""),
        Arguments.of("impersonation by unique ID", "\"service_account_impersonation_url\": \""
            + SA_URL.replace("app@my-project.iam.gserviceaccount.com", "123456789012345678901") + "\""),
        Arguments.of("impersonation without /v1", "\"service_account_impersonation_url\": \"" + SA_URL.replace("/v1", "")
            + "\""),
        Arguments.of("a domain-scoped quota project", "\"quota_project_id\": \"example.com:my-project\""),
        Arguments.of("the universe domain in another case", "\"universe_domain\": \"GoogleAPIs.com\""),
        Arguments.of("unknown fields", "\"something_new\": {\"nested\": [1, 2, {\"x\": null}]}"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("acceptedFiles")
  void isAcceptedAsGoogleAuthAcceptsIt(String name, String fields) throws Exception {
    Path config = write("ok-" + System.nanoTime() + ".json", file(fields));
    try (GcpWorkloadIdentityCredentials c = credentials().credentialsFile(config).build()) {
      assertThat(c.getUniverseDomain()).as(name).isEqualTo("googleapis.com");
      assertThat(c.toString()).as(name).contains(audience);
    }
    assertThat(gcp.requestCount()).as(name).isZero(); // build() makes no network call
  }
}
