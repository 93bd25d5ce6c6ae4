/**
 * Local, faithful fakes of a Kubernetes cluster (OIDC issuer, kubelet token writer) and of the AWS,
 * Azure and Google identity endpoints, with fault injection, plus the {@link
 * io.workloadidentity.testkit.SecretLeakGuard} JUnit extension. For tests only.
 *
 * <p>Only {@code io.workloadidentity.testkit} is API; its {@code internal} packages are not exported.
 */
@SuppressWarnings("requires-automatic") // okhttp3 and okio name themselves in their manifests
module io.workloadidentity.testkit {
  requires transitive io.workloadidentity.core;
  requires transitive com.nimbusds.jose.jwt;
  requires mockwebserver3;
  requires okhttp3;
  requires okio;
  requires okhttp3.tls;
  requires java.logging;
  requires static transitive org.junit.jupiter.api; // the JUnit extensions; optional for other test frameworks
  requires static org.junit.platform.commons;

  exports io.workloadidentity.testkit;
}
