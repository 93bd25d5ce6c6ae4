/**
 * Google Cloud credentials from the pod's projected service-account token: {@link
 * io.workloadidentity.gcp.GcpWorkloadIdentityCredentials}, a google-auth {@code GoogleCredentials}
 * over workload identity federation (Google STS, optional service-account impersonation) or the GKE
 * metadata server.
 *
 * <p>Only {@code io.workloadidentity.gcp} is API; {@code io.workloadidentity.gcp.internal} is not
 * exported.
 */
@SuppressWarnings({"requires-automatic", "requires-transitive-automatic"}) // google-auth names its jars in their manifests
module io.workloadidentity.gcp {
  requires transitive io.workloadidentity.core;
  // GoogleCredentials, AccessToken and Credentials appear in the public API.
  requires transitive com.google.auth.oauth2;
  requires transitive com.google.auth;
  requires com.google.api.client; // google-http-client: the transport google-auth calls through
  requires com.google.api.client.json.gson;

  exports io.workloadidentity.gcp;

  provides io.workloadidentity.core.spi.CredentialsProvider with
      io.workloadidentity.gcp.internal.GcpCredentialsProvider;
}
