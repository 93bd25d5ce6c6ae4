package io.workloadidentity.azure;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import com.azure.core.credential.AccessToken;
import com.azure.core.credential.TokenRequestContext;
import io.workloadidentity.azure.internal.AzureCredentialsProvider;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Detection;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.Fault;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The Azure corpus of issue 12: environment values, builder values and Entra answers, each refused
 * with its typed error and message, without any token in it, and, for refused input, without a
 * single request; and the values that must keep working.
 */
class AzureCorpusTest extends EntraFixture {
  static final String TOKEN = SecretLeakGuard.secret(
      "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiJjb3JwdXMifQ.Y29ycHVzLXNpZ25hdHVyZS1vZi1hLWZvcmdlZC10b2tlbg");
  static final String T = "\"access_token\":\"" + TOKEN + "\"";
  static final String NOT_MICROSOFT = "is not one of Microsoft's Entra ID endpoints";

  /** The webhook's four variables pointing at the fixture, with {@code name} set to {@code value}. */
  private Map<String, String> pod(String name, String value) {
    Map<String, String> env = new HashMap<>();
    env.put("AZURE_CLIENT_ID", CLIENT);
    env.put("AZURE_TENANT_ID", TENANT);
    env.put("AZURE_FEDERATED_TOKEN_FILE", volume.tokenFile().toString());
    env.put("AZURE_AUTHORITY_HOST", entra.authorityHost());
    for (String part : name.split("\\+")) { // "A+B": both variables get the value's parts
      env.put(part, value.contains("\u0001") ? value.split("\u0001")[java.util.Arrays.asList(name.split("\\+"))
          .indexOf(part)] : value);
    }
    return env;
  }

  static Stream<Arguments> refusedEnvironments() {
    String forged = "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11\r\n[OK] exchange succeeded";
    return Stream.of(
        arguments("AZURE_CLIENT_ID", forged, new String[] {"AZURE_CLIENT_ID contains a control character (U+000D)",
            "\\r\\n[OK] exchange succeeded"}),
        arguments("AZURE_CLIENT_ID", "5e3b4bb6-6a80\n-4b5a-9a4e-0d1c2b7f9a11", new String[] {"(U+000A) at position 13"}),
        arguments("AZURE_CLIENT_ID", "5e3b4bb6-6a80-4b5a\t-9a4e-0d1c2b7f9a11", new String[] {"(U+0009)"}),
        arguments("AZURE_CLIENT_ID", "5e3b4bb6\u2028-6a80-4b5a-9a4e-0d1c2b7f9a11", new String[] {"(U+2028)"}),
        arguments("AZURE_CLIENT_ID", "5e3b4bb6\u200b-6a80-4b5a-9a4e-0d1c2b7f9a11", new String[] {"(U+200B)"}),
        arguments("AZURE_CLIENT_ID", "\u001b[31m5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11", new String[] {"(U+001B)"}),
        arguments("AZURE_CLIENT_ID", "my-app", new String[] {"\"my-app\" is not a client ID", "a GUID"}),
        arguments("AZURE_CLIENT_ID", "{5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a11}", new String[] {"is not a client ID"}),
        arguments("AZURE_CLIENT_ID", "5e3b4bb6-6a80-4b5a-9a4e-0d1c2b7f9a110", new String[] {"is not a client ID"}),
        arguments("AZURE_CLIENT_ID", "api://payments", new String[] {"is not a client ID"}),
        arguments("AZURE_CLIENT_ID", "x".repeat(5000), new String[] {"AZURE_CLIENT_ID is 5000 characters long"}),
        arguments("AZURE_TENANT_ID", "common", new String[] {"\"common\" names no tenant"}),
        arguments("AZURE_TENANT_ID", "organizations", new String[] {"\"organizations\" names no tenant"}),
        arguments("AZURE_TENANT_ID", "my tenant", new String[] {"\"my tenant\" is not a tenant ID"}),
        arguments("AZURE_TENANT_ID", "contoso", new String[] {"\"contoso\" is not a tenant ID", "contoso.onmicrosoft.com"}),
        arguments("AZURE_TENANT_ID", "-contoso.com", new String[] {"is not a tenant ID"}),
        arguments("AZURE_TENANT_ID", "contoso..com", new String[] {"is not a tenant ID"}),
        arguments("AZURE_TENANT_ID", "contoso.com/../evil", new String[] {"is not a tenant ID"}),
        arguments("AZURE_TENANT_ID", "72f988bf-86f1-41af-91ab-2d7cd011db47\r\nX: y", new String[] {"AZURE_TENANT_ID contains"
            + " a control character (U+000D)"}),
        arguments("AZURE_TENANT_ID", "a".repeat(300), new String[] {"AZURE_TENANT_ID is 300 characters long"}),
        arguments("AZURE_AUTHORITY_HOST", "http://login.microsoftonline.com/", new String[] {"plain http",
            "allowHttp(true)", "WORKLOAD_IDENTITY_ALLOW_HTTP=true"}),
        arguments("AZURE_AUTHORITY_HOST", "https://evil.example/", new String[] {"https://evil.example/ " + NOT_MICROSOFT,
            "sent to evil.example", "Nothing was sent", "allowCustomAuthorityHost(true)",
            "WORKLOAD_IDENTITY_AZURE_ALLOW_CUSTOM_AUTHORITY_HOST=true", "workloadidentity.azure.allowCustomAuthorityHost"}),
        arguments("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com@evil.example/", new String[] {
            "user information", "the request would go to evil.example"}),
        arguments("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com.evil.example/", new String[] {NOT_MICROSOFT}),
        arguments("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com./", new String[] {NOT_MICROSOFT}),
        arguments("AZURE_AUTHORITY_HOST", "https://evil.example:443/", new String[] {NOT_MICROSOFT}),
        arguments("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/?x=1", new String[] {"no path, query"}),
        arguments("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/" + TENANT, new String[] {"no path, query"}),
        arguments("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/#top", new String[] {"no path, query"}),
        arguments("AZURE_AUTHORITY_HOST", "ftp://login.microsoftonline.com/", new String[] {"absolute https URL"}),
        arguments("AZURE_AUTHORITY_HOST", "login.microsoftonline.com", new String[] {"absolute https URL"}),
        arguments("AZURE_AUTHORITY_HOST", "javascript:alert(1)", new String[] {"absolute https URL"}),
        arguments("AZURE_AUTHORITY_HOST", "https://login.microsoftonline.com/\r\nX-Forged: 1", new String[] {
            "is not a usable URL", "\\r\\nX-Forged"}),
        arguments("AZURE_AUTHORITY_HOST", "https://[::1", new String[] {"is not a valid URL"}),
        arguments("AZURE_AUTHORITY_HOST", "https://" + "a".repeat(3000) + ".com/", new String[] {"3013 characters"}),
        arguments("AZURE_AUTHORITY_HOST", "http://10.0.0.1/", new String[] {"plain http", "10.0.0.1"}),
        arguments("AZURE_AUTHORITY_HOST", "http://localhost.evil.example/", new String[] {"plain http"}),
        arguments("AZURE_AUTHORITY_HOST+WORKLOAD_IDENTITY_ALLOW_HTTP", "http://evil.example/\u0001true",
            new String[] {NOT_MICROSOFT}), // allowing http allows no foreign host
        arguments("AZURE_AUTHORITY_HOST+WORKLOAD_IDENTITY_AZURE_ALLOW_CUSTOM_AUTHORITY_HOST", "http://evil.example/\u0001true",
            new String[] {"plain http"}), // allowing a custom host allows no plain http
        arguments("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/token\n[OK] forged", new String[] {
            "AZURE_FEDERATED_TOKEN_FILE contains a control character (U+000A)"}),
        arguments("AZURE_FEDERATED_TOKEN_FILE", "/var/run/secrets/tok\u0000en", new String[] {"(U+0000)"}),
        arguments("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "contoso.onmicrosoft.com;bad tenant", new String[] {
            "Additionally allowed tenant (AZURE_ADDITIONALLY_ALLOWED_TENANTS) \"bad tenant\" is not a tenant ID",
            "Separate tenants with \";\""}),
        arguments("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "contoso.com;fab\r\nrikam.com", new String[] {"(U+000D)"}),
        arguments("AZURE_ADDITIONALLY_ALLOWED_TENANTS", "common", new String[] {"\"common\" names no tenant"}));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("refusedEnvironments")
  void aRefusedEnvironmentValueIsAConfigurationErrorAndNothingIsSent(String variable, String value, String[] says) {
    Environment env = Environment.of(pod(variable, value));

    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> closeLater(AzureWorkloadIdentityCredential.builder()
        .environment(env).instanceDiscovery(false).clock(clock).build()).getTokenSync(VAULT_REQUEST)));

    assertThat(t).isInstanceOf(ConfigurationException.class);
    assertThat(t.getMessage()).contains(says).doesNotContain("\r", "\n", "\u001b", "\u2028", "\u0000", "\u200b")
        .doesNotContain(volume.current().value());
    assertThat(t.getMessage().length()).isLessThan(6_000);
    assertThat(entra.requests()).isEmpty();
    // auto-detection explains it with the same words
    Detection d = new AzureCredentialsProvider().detect(env);
    assertThat(d.status()).isEqualTo(Detection.Status.MISCONFIGURED);
    assertThat(String.join(" ", d.reasons())).contains(says[0]);
  }

  static Stream<Arguments> refusedBuilders() {
    return Stream.of(
        arguments("clientId", (UnaryOperator<AzureWorkloadIdentityCredential.Builder>) b -> b.clientId("not-a-guid"),
            "clientId \"not-a-guid\" is not a client ID"),
        arguments("clientId CR/LF", (UnaryOperator<AzureWorkloadIdentityCredential.Builder>) b -> b.clientId(CLIENT
            + "\r\nX"), "clientId contains a control character"),
        arguments("tenantId", (UnaryOperator<AzureWorkloadIdentityCredential.Builder>) b -> b.tenantId("x y"),
            "tenantId \"x y\" is not a tenant ID"),
        arguments("authorityHost", (UnaryOperator<AzureWorkloadIdentityCredential.Builder>) b -> b.authorityHost(
            "https://login.evil.example/"), "The Entra authority host (authorityHost) https://login.evil.example/ "
            + NOT_MICROSOFT),
        arguments("authorityHost http", (UnaryOperator<AzureWorkloadIdentityCredential.Builder>) b -> b.authorityHost(
            "http://login.microsoftonline.com/").allowCustomAuthorityHost(true), "plain http"),
        arguments("authorityHost custom, http opt-in", (UnaryOperator<AzureWorkloadIdentityCredential.Builder>) b ->
            b.authorityHost("http://adfs.example/").allowHttp(true), NOT_MICROSOFT),
        arguments("additionallyAllowedTenants", (UnaryOperator<AzureWorkloadIdentityCredential.Builder>) b ->
            b.additionallyAllowedTenants("good.example.com", "bad\ttenant"), "Additionally allowed tenant"
            + " (additionallyAllowedTenants) contains a control character (U+0009)"),
        arguments("tokenFile", (UnaryOperator<AzureWorkloadIdentityCredential.Builder>) b -> b.tokenFile(
            Path.of("/var/run/tok\nen")), "tokenFile contains a control character (U+000A)"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("refusedBuilders")
  void aRefusedBuilderValueIsAConfigurationErrorAndNothingIsSent(String what,
      UnaryOperator<AzureWorkloadIdentityCredential.Builder> configure, String says) {
    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> closeLater(configure.apply(builder()).build())
        .getTokenSync(VAULT_REQUEST)));

    assertThat(t).isInstanceOf(ConfigurationException.class);
    assertThat(t.getMessage()).contains(says).doesNotContain("\r", "\n", "\t");
    assertThat(entra.requests()).isEmpty();
  }

  static Stream<Arguments> refusedRequestTenants() {
    return Stream.of(arguments("evil\r\n[OK] forged"), arguments("not a tenant"), arguments("common"),
        arguments("x".repeat(10_000)), arguments("contoso.com/../x"));
  }

  @ParameterizedTest
  @MethodSource("refusedRequestTenants")
  void aTokenRequestNamingAMalformedTenantIsRefusedBeforeItIsSent(String tenant) {
    AzureWorkloadIdentityCredential credential = credential();
    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(
        new TokenRequestContext().addScopes(VAULT).setTenantId(tenant))));

    assertThat(t).isInstanceOf(AzureTokenException.class);
    AzureTokenException e = (AzureTokenException) t;
    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.INVALID_REQUEST);
    assertThat(e.retryable()).isFalse();
    assertThat(e.getMessage()).contains("neither a tenant ID (a GUID) nor a domain", "was not sent")
        .doesNotContain("\r", "\n");
    assertThat(e.getMessage().length()).isLessThan(6_000);
    assertThat(entra.requests()).isEmpty();
  }

  static Stream<Arguments> acceptedAuthorities() {
    return Stream.of(
        arguments("https://login.microsoftonline.com", Map.of(), "https://login.microsoftonline.com/"),
        arguments("https://LOGIN.MicrosoftOnline.com/", Map.of(), "https://LOGIN.MicrosoftOnline.com/"),
        arguments("https://login.chinacloudapi.cn/", Map.of(), "https://login.chinacloudapi.cn/"),
        arguments("https://login.microsoftonline.us:443/", Map.of(), "https://login.microsoftonline.us:443/"),
        arguments("https://login.windows.net/", Map.of(), "https://login.windows.net/"),
        arguments("https://localhost:8443/", Map.of(), "https://localhost:8443/"),
        arguments("https://[::1]:8443/", Map.of(), "https://[::1]:8443/"),
        arguments("http://127.0.0.1:8080", Map.of(), "http://127.0.0.1:8080/"),
        arguments("https://login.private.example/", Map.of("WORKLOAD_IDENTITY_AZURE_ALLOW_CUSTOM_AUTHORITY_HOST", "true"),
            "https://login.private.example/"),
        arguments("http://login.private.example/", Map.of("WORKLOAD_IDENTITY_AZURE_ALLOW_CUSTOM_AUTHORITY_HOST", "TRUE",
            "WORKLOAD_IDENTITY_ALLOW_HTTP", "true"), "http://login.private.example/"));
  }

  @ParameterizedTest(name = "[{index}] {0}")
  @MethodSource("acceptedAuthorities")
  void authoritiesThatKeepWorkingWithoutAnyRequestAtBuild(String authority, Map<String, String> optIns, String normalised) {
    Map<String, String> env = pod("AZURE_AUTHORITY_HOST", authority);
    env.putAll(optIns);
    AzureWorkloadIdentityCredential c = closeLater(AzureWorkloadIdentityCredential.builder()
        .environment(Environment.of(env)).instanceDiscovery(false).build());
    assertThat(c.toString()).contains("authority " + normalised);
    assertThat(entra.requests()).isEmpty();
  }

  @org.junit.jupiter.api.Test
  void theBuilderOptInsWorkToo() {
    AzureWorkloadIdentityCredential c = closeLater(builder().authorityHost("http://login.private.example:8080/")
        .allowCustomAuthorityHost(true).allowHttp(true).tenantId("Contoso.onmicrosoft.com")
        .clientId(CLIENT.toUpperCase(java.util.Locale.ROOT)).build());
    assertThat(c.toString()).contains("authority http://login.private.example:8080/", "tenant Contoso.onmicrosoft.com");
    assertThat(entra.requests()).isEmpty();
  }

  static Stream<Arguments> unusableAnswers() {
    return Stream.of(
        arguments("{\"token_type\":\"Bearer\",\"expires_in\":3599}", "Entra's response has no access_token"),
        arguments("{\"access_token\":null,\"expires_in\":3599}", "access_token is null"),
        arguments("{\"access_token\":42,\"expires_in\":3599}", "access_token is a number"),
        arguments("{\"access_token\":\"\",\"expires_in\":3599}", "access_token is empty"),
        arguments("{\"access_token\":\"" + TOKEN + "\\r\\nSet-Cookie: x\",\"expires_in\":3599}",
            "a character a bearer token cannot have (CR"),
        arguments("{" + T + "}", "Entra's response has no expires_in"),
        arguments("{" + T + ",\"expires_in\":null}", "has no expires_in (it is null)"),
        arguments("{" + T + ",\"expires_in\":0}", "expires_in 0 is not positive"),
        arguments("{" + T + ",\"expires_in\":-60}", "expires_in -60 is not positive"),
        arguments("{" + T + ",\"expires_in\":\"an hour\"}", "expires_in \"an hour\" is not a whole number"),
        arguments("{" + T + ",\"expires_in\":3599.9}", "is not a whole number"),
        arguments("{" + T + ",\"expires_in\":[3599]}", "expires_in is an array"),
        arguments("{" + T + ",\"expires_in\":1e300}", "is not a whole number"),
        arguments("{" + T + ",\"expires_in\":99999999999}", "is not a plausible lifetime"),
        arguments("{" + T + ",\"expires_in\":3599,\"refresh_in\":true}", "refresh_in is a boolean"),
        arguments("{" + T + ",\"expires_in\":3599,\"token_type\":\"pop\"}", "not Bearer"),
        arguments("{" + T + "," + T + ",\"expires_in\":3599}", "access_token appears twice"),
        arguments("{" + T + ",\"expires_in\":35", "the body ends at position"),
        arguments("{\"access_token\":\"" + TOKEN.substring(0, 40), "the body ends inside a string"),
        arguments("[" + T + "]", "not a JSON object"),
        arguments("<html><body>Gateway says hello</body></html>", "not a JSON object (it starts with '<')"),
        arguments("", "the body is empty"),
        arguments("{" + T + ",\"expires_in\":3599} trailing", "followed by more text"),
        arguments("{\"x\":" + "[".repeat(50_000), "more than 32 levels deep"),
        arguments("{" + T + ",\"expires_in\":3599,\"pad\":\"" + "x".repeat(70_000) + "\"}", "larger than 65536 bytes"));
  }

  @ParameterizedTest(name = "[{index}] {1}")
  @MethodSource("unusableAnswers")
  void anUnusableTokenAnswerIsATypedRetryableErrorAfterOneRequest(String body, String says) {
    entra.faults().failNext(1, Fault.response(200, "application/json", body));
    AzureWorkloadIdentityCredential credential = credential();

    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));

    assertThat(t).isInstanceOf(AzureTokenException.class);
    AzureTokenException e = (AzureTokenException) t;
    assertThat(e.reason()).isEqualTo(AzureTokenException.Reason.INVALID_RESPONSE);
    assertThat(e.retryable()).isTrue();
    assertThat(e.httpStatus()).hasValue(200);
    assertThat(e.getMessage()).contains("Refused Entra ID's answer (HTTP 200) from " + entra.authorityHost(), says)
        .doesNotContain(TOKEN.substring(0, 40)).doesNotContainIgnoringCase("clock");
    assertThat(posts()).hasSize(1);
  }

  static Stream<Arguments> errorAnswers() {
    String jwtInText = "{\"error\":\"invalid_client\",\"error_description\":\"AADSTS700027: signature of " + TOKEN
        + " failed\\r\\n[OK] forged \\u001b[31m\",\"error_codes\":[700027]}";
    return Stream.of(
        arguments(400, "text/html", "<html>Bad Request " + TOKEN + "</html>", AzureTokenException.Reason.OTHER, false),
        arguments(502, "text/html", "<html>Bad Gateway</html>", AzureTokenException.Reason.UNAVAILABLE, true),
        arguments(401, "application/json", jwtInText, AzureTokenException.Reason.INVALID_SIGNATURE, false),
        arguments(429, "application/json", "{\"error\":\"" + "x".repeat(500) + "\"}", AzureTokenException.Reason.THROTTLED,
            true),
        arguments(400, "application/json", "{\"error\":\"invalid_request\",\"error_description\":\"AADSTS70021: "
            + "No matching federated identity record found. " + "Trace ID: ".repeat(5000) + "\"}",
            AzureTokenException.Reason.FEDERATED_CREDENTIAL_MISMATCH, false),
        arguments(400, "application/json", "{\"error\":\"invalid_request\",\"error_description\":\""
            + "AADSTS".repeat(10_000) + "\"}", AzureTokenException.Reason.OTHER, false),
        arguments(503, "application/json", "{\"error\":[1,2],\"error_description\":{}}", AzureTokenException.Reason.UNAVAILABLE,
            true),
        arguments(400, "application/json", "{\"error\":\"invalid_request\",\"error_description\":\"AADSTS90002: Tenant"
            + " not found\",\"correlation_id\":\"\\r\\nX-Forged: 1\"}", AzureTokenException.Reason.TENANT_NOT_FOUND, false));
  }

  @ParameterizedTest(name = "[{index}] HTTP {0} {3}")
  @MethodSource("errorAnswers")
  void anErrorAnswerOfAnyShapeIsTypedAndClean(int status, String type, String body, AzureTokenException.Reason reason,
      boolean retryable) {
    entra.faults().failNext(1, Fault.response(status, type, body));
    AzureWorkloadIdentityCredential credential = credential();

    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));

    assertThat(t).isInstanceOf(AzureTokenException.class);
    AzureTokenException e = (AzureTokenException) t;
    assertThat(e.reason()).isEqualTo(reason);
    assertThat(e.retryable()).isEqualTo(retryable);
    assertThat(e.httpStatus()).hasValue(status);
    assertThat(e.getMessage()).doesNotContain("\r", "\n", "\u001b").doesNotContain(TOKEN.substring(0, 40));
    assertThat(e.getMessage().length()).isLessThan(6_000);
    e.correlationId().ifPresent(c -> assertThat(c).doesNotContain("\r", "\n"));
    assertThat(posts()).hasSize(1);
  }

  static Stream<Arguments> foreignAnswers() {
    return Stream.of(
        arguments(502, "text/html", "<html><h1>502 Bad Gateway</h1></html>", new String[] {"HTTP 502", "text/html",
            "502 Bad Gateway", "a proxy, gateway or load balancer probably answered", "temporarily unavailable"}),
        arguments(407, "text/plain", "Proxy Authentication Required", new String[] {"HTTP 407", "HTTPS_PROXY"}),
        arguments(404, "text/plain", "", new String[] {"HTTP 404", "text/plain", " 0 characters)", "NO_PROXY"}),
        arguments(429, "application/json", "{\"message\":\"slow down\"}", new String[] {"HTTP 429", "slow down"}),
        arguments(403, "text/html", "<p>" + "x".repeat(60_000) + "</p>", new String[] {"HTTP 403", "60007 characters"}));
  }

  @ParameterizedTest(name = "[{index}] HTTP {0}")
  @MethodSource("foreignAnswers")
  void anErrorAnswerThatIsNotEntrasSaysWhatAnsweredInstead(int status, String type, String body, String[] says) {
    entra.faults().failNext(1, Fault.response(status, type, body));
    AzureWorkloadIdentityCredential credential = credential();

    Throwable t = SecretLeakGuard.inspect(catchThrowable(() -> credential.getTokenSync(VAULT_REQUEST)));

    assertThat(t).isInstanceOf(AzureTokenException.class);
    assertThat(t.getMessage()).contains("The token request to " + entra.authorityHost() + " got").contains(says)
        .doesNotContain("\r", "\n");
    assertThat(t.getMessage().length()).isLessThan(1_500); // at most 200 characters of the body are quoted
    assertThat(posts()).hasSize(1);
  }

  @org.junit.jupiter.api.Test
  void aTenYearAnswerIsServedAsTwelveHoursAndRefreshedWithinThem() throws Exception {
    entra.faults().failNext(1, Fault.response(200, "application/json", "{" + T + ",\"expires_in\":315360000}"));
    AzureWorkloadIdentityCredential credential = credential();
    java.time.Instant start = clock.instant();

    AccessToken first = credential.getTokenSync(VAULT_REQUEST);
    assertThat(first.getExpiresAt().toInstant()).isBeforeOrEqualTo(start.plus(Duration.ofHours(12)).plusSeconds(2));

    clock.set(start.plus(Duration.ofHours(12)).plus(Duration.ofMinutes(1))); // past the capped expiry
    volume.rotateIfDue();
    SecretLeakGuard.secret(volume.current().value());
    AccessToken second = credential.getTokenSync(VAULT_REQUEST);
    assertThat(second.getToken()).isNotEqualTo(TOKEN);
    SecretLeakGuard.secret(second.getToken());
    assertThat(posts()).hasSize(2);
  }
}
