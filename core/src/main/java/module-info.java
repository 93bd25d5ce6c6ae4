/**
 * The cloud-neutral core of workload-identity-java: the projected service-account token ({@link
 * io.workloadidentity.core.ProjectedToken}, {@link io.workloadidentity.core.FileTokenSource}), the
 * refresh-ahead {@link io.workloadidentity.core.CredentialCache}, the typed exceptions, and
 * auto-detection ({@link io.workloadidentity.core.WorkloadIdentity}) over the {@link
 * io.workloadidentity.core.spi.CredentialsProvider} service each cloud module provides.
 *
 * <p>{@code io.workloadidentity.core.internal} is implementation shared with this project's own
 * modules only: it is exported to them by name, to no one else, and may change in any release.
 */
@SuppressWarnings("module") // the modules it exports internals to are built after it
module io.workloadidentity.core {
  requires transitive com.nimbusds.jose.jwt; // ProjectedToken.verify takes a JWKSet
  requires com.github.benmanes.caffeine;

  exports io.workloadidentity.core;
  exports io.workloadidentity.core.spi;
  exports io.workloadidentity.core.internal to
      io.workloadidentity.testkit,
      io.workloadidentity.aws,
      io.workloadidentity.azure,
      io.workloadidentity.gcp,
      io.workloadidentity.micrometer,
      io.workloadidentity.spring.boot;

  uses io.workloadidentity.core.spi.CredentialsProvider;
}
