package io.workloadidentity.examples.samples;

import com.google.api.client.http.GenericUrl;
import com.google.api.client.http.HttpRequestFactory;
import com.google.api.client.http.javanet.NetHttpTransport;
import com.google.auth.http.HttpCredentialsAdapter;
import io.workloadidentity.gcp.GcpWorkloadIdentityCredentials;
import java.io.IOException;

/**
 * Google Cloud in a pod with workload identity federation: {@code GOOGLE_APPLICATION_CREDENTIALS}
 * names the {@code external_account} file gcloud wrote. Every Google Cloud client library takes the
 * credentials ({@code StorageOptions.newBuilder().setCredentials(credentials)}); this sample calls a
 * REST API the way those libraries do underneath, through google-http-client.
 */
public final class GcpSample {
  private GcpSample() {}

  /** The lines the README quotes: an authenticated GET of a Google API. */
  public static String get(String apiUrl) throws IOException {
    try (GcpWorkloadIdentityCredentials credentials = GcpWorkloadIdentityCredentials.create()) {
      HttpRequestFactory requests = new NetHttpTransport().createRequestFactory(new HttpCredentialsAdapter(credentials));
      return requests.buildGetRequest(new GenericUrl(apiUrl)).execute().parseAsString();
    }
  }
}
