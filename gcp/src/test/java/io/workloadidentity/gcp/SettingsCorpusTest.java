package io.workloadidentity.gcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.Environment;
import io.workloadidentity.testkit.SecretLeakGuard;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A corpus of builder and environment values: each refused one gives a {@link ConfigurationException}
 * (from the setter or from {@code build()}) naming the setting, escaping the value, with no raw
 * control character, and nothing is sent anywhere; each accepted opt-in builds without a request.
 */
class SettingsCorpusTest extends GcpFixture {
  static final String FOREIGN_STS = "https://sts.evil.example/v1/token";

  static Arguments refused(String name, UnaryOperator<GcpWorkloadIdentityCredentials.Builder> settings,
      String... fragments) {
    return Arguments.of(name, settings, List.of(fragments));
  }

  /** Settings applied to {@code credentials()} alone: a token file does not apply to the metadata server. */
  static final class Bare implements UnaryOperator<GcpWorkloadIdentityCredentials.Builder> {
    final UnaryOperator<GcpWorkloadIdentityCredentials.Builder> settings;

    Bare(UnaryOperator<GcpWorkloadIdentityCredentials.Builder> settings) {
      this.settings = settings;
    }

    @Override
    public GcpWorkloadIdentityCredentials.Builder apply(GcpWorkloadIdentityCredentials.Builder b) {
      return settings.apply(b);
    }
  }

  static UnaryOperator<GcpWorkloadIdentityCredentials.Builder> bare(UnaryOperator<GcpWorkloadIdentityCredentials.Builder> s) {
    return new Bare(s);
  }

  static UnaryOperator<GcpWorkloadIdentityCredentials.Builder> env(Map<String, String> variables) {
    return b -> b.environment(Environment.of(variables));
  }

  static Stream<Arguments> refusedSettings() {
    String manyHosts = IntStream.range(0, 200).mapToObj(i -> "h" + i + ".example").collect(Collectors.joining(","));
    return Stream.of(
        refused("serviceAccount with CR/LF", b -> b.serviceAccount(SA + "\r\nX-Forged: 1"), "serviceAccount", "\\r\\n"),
        refused("serviceAccount without a domain", b -> b.serviceAccount("app"), "not a service account"),
        refused("serviceAccount with two @", b -> b.serviceAccount("a@b@p.iam.gserviceaccount.com"),
            "not a service account"),
        refused("serviceAccount with a space", b -> b.serviceAccount("my app@p.iam.gserviceaccount.com"),
            "not a service account"),
        refused("serviceAccount with a slash", b -> b.serviceAccount("../x@p.iam.gserviceaccount.com"),
            "not a service account"),
        refused("serviceAccount 10 000 characters", b -> b.serviceAccount("a".repeat(10_000) + "@p.iam.gserviceaccount.com"),
            "serviceAccount"),
        refused("quotaProject not a project", b -> b.quotaProject("My Project"), "not a Google Cloud project"),
        refused("quotaProject with CR/LF", b -> b.quotaProject("p\r\nX: 1"), "\\r\\n"),
        refused("stsEndpoint on a foreign host", b -> b.stsEndpoint(FOREIGN_STS), "sts.evil.example", "allowEndpoint"),
        refused("stsEndpoint plain http", b -> b.stsEndpoint("http://sts.googleapis.com/v1/token"), "plain http",
            "allowHttp(true)"),
        refused("stsEndpoint hiding its host", b -> b.stsEndpoint("https://sts.googleapis.com@evil.example/v1/token"),
            "user information"),
        refused("stsEndpoint relative", b -> b.stsEndpoint("/v1/token"), "absolute"),
        refused("iamEndpoint on a foreign host", b -> b.serviceAccount(SA).iamEndpoint("https://iam.evil.example"),
            "iam.evil.example", "allowEndpoint"),
        refused("iamEndpoint the STS host", b -> b.serviceAccount(SA).iamEndpoint("https://sts.googleapis.com"),
            "sts.googleapis.com"),
        refused("setUniverseDomain hiding a host", b -> b.setUniverseDomain("googleapis.com@evil.example"),
            "setUniverseDomain", "universe domain"),
        refused("setUniverseDomain with a port", b -> b.setUniverseDomain("googleapis.com:443"), "universe domain"),
        refused("allowEndpoint a URL", b -> b.allowEndpoint("https://sts.example.internal/"), "allowEndpoint",
            "not a host name"),
        refused("allowEndpoint with a port", b -> b.allowEndpoint("sts.example.internal:443"), "not a host name"),
        refused("allowEndpoint with CR/LF", b -> b.allowEndpoint("x.example\r\nX: 1"), "\\r\\n"),
        refused("a scope with a space", b -> b.scopes("a b"), "contains a space"),
        refused("a scope with CR/LF", b -> b.scopes("https://www.googleapis.com/auth/cloud-platform\r\nX: 1"), "\\r\\n"),
        refused("audience with CR/LF", b -> b.audience("//iam.googleapis.com/projects/1/locations/global/"
            + "workloadIdentityPools/p/providers/k\r\n[OK] forged"), "\\r\\n[OK] forged"),
        refused("metadataServer hiding a host", bare(b -> b.metadataServer("metadata.google.internal@evil.example")),
            "not a host[:port]"),
        refused("metadataServer with a path", bare(b -> b.metadataServer("169.254.169.254/x")), "not a host[:port]"),
        refused("metadataServer with a bad port", bare(b -> b.metadataServer("metadata.google.internal:99999")),
            "not a host[:port]"),
        refused("GCE_METADATA_HOST hiding a host", bare(b -> b.environment(Environment.of(Map.of(
            "GCE_METADATA_HOST", "metadata.google.internal@evil.example"))).metadataServer()), "GCE_METADATA_HOST",
            "not a host[:port]"),
        refused("GCE_METADATA_HOST with CR/LF", bare(b -> b.environment(Environment.of(Map.of(
            "GCE_METADATA_HOST", "169.254.169.254\r\nX: 1"))).metadataServer()), "GCE_METADATA_HOST", "\\r\\n"),
        refused("GOOGLE_CLOUD_QUOTA_PROJECT with CR/LF", env(Map.of("GOOGLE_CLOUD_QUOTA_PROJECT", "p\nX-Forged: 1")),
            "GOOGLE_CLOUD_QUOTA_PROJECT", "\\n"),
        refused("GOOGLE_CLOUD_QUOTA_PROJECT not a project", env(Map.of("GOOGLE_CLOUD_QUOTA_PROJECT", "-bad-")),
            "GOOGLE_CLOUD_QUOTA_PROJECT", "not a Google Cloud project"),
        refused("allowed endpoints a URL", env(Map.of("WORKLOAD_IDENTITY_GCP_ALLOWED_ENDPOINTS", "https://x.example/")),
            "WORKLOAD_IDENTITY_GCP_ALLOWED_ENDPOINTS", "not a host name"),
        refused("allowed endpoints too many", env(Map.of("WORKLOAD_IDENTITY_GCP_ALLOWED_ENDPOINTS", manyHosts)),
            "lists more than"),
        refused("allowed endpoints not covering the host", b -> env(Map.of("WORKLOAD_IDENTITY_GCP_ALLOWED_ENDPOINTS",
            "sts.other.example")).apply(b).stsEndpoint(FOREIGN_STS), "sts.evil.example"),
        refused("the allow-http opt-in is not an endpoint opt-in", b -> env(Map.of("WORKLOAD_IDENTITY_ALLOW_HTTP", "true"))
            .apply(b).stsEndpoint("http://sts.evil.example/v1/token"), "sts.evil.example", "allowEndpoint"));
  }

  /** The fakes' endpoints and the test volume, then the case's settings on top. */
  GcpWorkloadIdentityCredentials.Builder base() {
    return credentials().audience(audience).tokenFile(volume.tokenFile()).stsEndpoint(gcp.stsUrl())
        .iamEndpoint(gcp.iamUrl());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("refusedSettings")
  void isRefusedBeforeAnythingIsSent(String name, UnaryOperator<GcpWorkloadIdentityCredentials.Builder> settings,
      List<String> fragments) {
    Throwable t = catchThrowable(() -> settings.apply(settings instanceof Bare ? credentials() : base()).build().close());
    assertThat(t).as(name).isInstanceOf(ConfigurationException.class);
    for (String f : fragments) {
      assertThat(t.getMessage()).as(name).contains(f);
    }
    assertThat(t.getMessage()).as(name).doesNotContain("\r").doesNotContain("\n").hasSizeLessThan(3_000);
    SecretLeakGuard.assertNoSecrets(t);
    assertThat(gcp.requestCount()).as(name).isZero();
    assertThat(cluster.requestCount()).as(name).isZero();
  }

  static Stream<Arguments> acceptedSettings() {
    return Stream.of(
        Arguments.of("allowEndpoint for a foreign STS", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> b.stsEndpoint(FOREIGN_STS).allowEndpoint("sts.evil.example")),
        Arguments.of("allowEndpoint in another case", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> b.stsEndpoint(FOREIGN_STS).allowEndpoint("STS.Evil.Example")),
        Arguments.of("the allowed-endpoints variable", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> env(Map.of("WORKLOAD_IDENTITY_GCP_ALLOWED_ENDPOINTS", " a.example , sts.evil.example,")).apply(b)
                .stsEndpoint(FOREIGN_STS)),
        Arguments.of("the allowed-endpoints system property", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> b.environment(Environment.of(Map.of(), Map.of("workloadidentity.gcp.allowedEndpoints",
                "sts.evil.example"))).stsEndpoint(FOREIGN_STS)),
        Arguments.of("allowHttp for Google's host", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> b.stsEndpoint("http://sts.googleapis.com/v1/token").allowHttp(true)),
        Arguments.of("the process-wide allow-http variable", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> env(Map.of("WORKLOAD_IDENTITY_ALLOW_HTTP", "true")).apply(b).stsEndpoint("http://sts.googleapis.com/v1/token")),
        Arguments.of("plain http to loopback needs no opt-in", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> b.stsEndpoint("http://127.0.0.1:1/v1/token")),
        Arguments.of("a regional STS endpoint", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> b.stsEndpoint("https://sts.us-east7.rep.googleapis.com/v1/token")),
        Arguments.of("a service account by unique ID", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> b.serviceAccount("123456789012345678901")),
        Arguments.of("a numeric quota project", (UnaryOperator<GcpWorkloadIdentityCredentials.Builder>)
            b -> b.quotaProject("123456789012")));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("acceptedSettings")
  void isAccepted(String name, UnaryOperator<GcpWorkloadIdentityCredentials.Builder> settings) {
    try (GcpWorkloadIdentityCredentials c = settings.apply(base()).build()) {
      assertThat(c.toString()).as(name).contains(audience);
    }
    assertThat(gcp.requestCount()).as(name).isZero(); // build() makes no network call
  }
}
