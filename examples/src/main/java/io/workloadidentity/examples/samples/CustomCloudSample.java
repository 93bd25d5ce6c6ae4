package io.workloadidentity.examples.samples;

import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.FileTokenSource;
import io.workloadidentity.core.ProjectedToken;
import java.nio.file.Path;
import java.util.function.Supplier;

/**
 * The core without a cloud module, for another identity provider: a watched token file and a
 * credential cache around your own exchange. The README quotes the tagged region verbatim; {@code
 * CustomCloudSampleTest} runs it.
 */
public final class CustomCloudSample {
  private CustomCloudSample() {}

  // tag::core[]
  /**
   * What your identity provider hands out.
   *
   * @param accessToken the secret part
   */
  public record MyCredential(String accessToken) {}

  /** Your identity provider's client: trades the projected token for a credential that expires. */
  public interface MyIdentityProvider {
    /**
     * One exchange.
     *
     * @param token the projected token to present
     * @param audience what the credential is for
     * @return the credential and when it expires
     * @throws Exception when the provider refuses or cannot be reached
     */
    Expiring<MyCredential> exchange(ProjectedToken token, String audience) throws Exception;
  }

  /**
   * Caches {@code provider}'s credentials for one audience.
   *
   * @param tokenFile the projected token
   * @param provider your identity provider's client
   * @return the credential
   */
  public static MyCredential credential(Path tokenFile, MyIdentityProvider provider) {
    try (FileTokenSource tokens = FileTokenSource.watching(tokenFile);
        CredentialCache<String, MyCredential> cache = CredentialCache
            .<String, MyCredential>builder(audience -> provider.exchange(tokens.token(), audience))
            .name("my-cloud")
            .build()) {
      Supplier<MyCredential> credential = cache.bind("my-audience");
      return credential.get(); // first call exchanges; later calls are ~2 ns reads until the background refresh
    }
  }
  // end::core[]
}
