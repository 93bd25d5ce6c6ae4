package io.workloadidentity.examples.samples;

import com.google.api.client.http.GenericUrl;
import com.google.api.client.http.HttpRequestFactory;
import com.google.api.client.http.HttpTransport;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.http.HttpCredentialsAdapter;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLSocketFactory;

/**
 * Google Cloud in a pod with workload identity federation: {@code GOOGLE_APPLICATION_CREDENTIALS}
 * names the {@code external_account} file gcloud wrote. Every Google Cloud client library takes the
 * credentials ({@code StorageOptions.newBuilder().setCredentials(credentials)}); {@link #get} calls a
 * REST API the way those libraries do underneath, through google-http-client. The READMEs quote the
 * tagged regions verbatim; {@code GcpSampleTest} runs each one.
 */
public final class GcpSample {
  private GcpSample() {}

  /**
   * An authenticated GET of a Google API (the root README's sample).
   *
   * @param apiUrl the URL to get
   * @return the response body
   * @throws IOException if the call fails
   */
  // tag::get[]
  public static String get(String apiUrl) throws IOException {
    try (GcpWorkloadIdentityCredentials credentials = GcpWorkloadIdentityCredentials.create()) {
      // Any Google Cloud client: StorageOptions.newBuilder().setCredentials(credentials).build().getService();
      // underneath, they authenticate HTTP requests like this:
      HttpRequestFactory requests = new NetHttpTransport().createRequestFactory(new HttpCredentialsAdapter(credentials));
      return requests.buildGetRequest(new GenericUrl(apiUrl)).execute().parseAsString();
    }
  }
  // end::get[]

  /**
   * The credentials' life cycle and the headers a client library sends (the Google README's usage).
   *
   * @return the request headers (an {@code Authorization} bearer token)
   * @throws IOException if no token can be obtained
   */
  // tag::usage[]
  public static Map<String, List<String>> requestHeaders() throws IOException {
    try (GcpWorkloadIdentityCredentials credentials = GcpWorkloadIdentityCredentials.create()) {
      // Every Google Cloud client library takes them:
      //   StorageOptions.newBuilder().setCredentials(credentials).build().getService()
      // and asks them for request headers like this (cached, refreshed in the background):
      return credentials.getRequestMetadata(URI.create("https://storage.googleapis.com"));
    }
  }
  // end::usage[]

  /**
   * Federation configured without a credentials file.
   *
   * @return the credentials, not yet used (close them)
   */
  // tag::builder[]
  public static GcpWorkloadIdentityCredentials withoutConfigurationFile() {
    return GcpWorkloadIdentityCredentials.builder()
        .workloadIdentityProvider("123456789012", "my-pool", "my-cluster")
        .tokenFile(Path.of("/var/run/service-account/token"))
        .serviceAccount("app@my-project.iam.gserviceaccount.com")   // optional: impersonate
        .build();
  }
  // end::builder[]

  /**
   * Credentials on a google-http-client transport of your own.
   *
   * @param trust the TLS socket factory for Google's endpoints
   * @return the credentials, not yet used (close them)
   */
  // tag::transport[]
  public static GcpWorkloadIdentityCredentials ownTransport(SSLSocketFactory trust) {
    HttpTransport transport = new NetHttpTransport.Builder()
        .setSslSocketFactory(trust)   // your own trust store; .setProxy(new Proxy(...)) for a proxy
        .build();
    return GcpWorkloadIdentityCredentials.builder().httpTransportFactory(() -> transport).build();
  }
  // end::transport[]
}
