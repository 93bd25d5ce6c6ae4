package io.workloadidentity.gcp.internal;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.ComputeEngineCredentials;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Date;
import java.util.function.UnaryOperator;

/**
 * GKE Workload Identity: the GKE metadata server does the federation; google-auth's {@link
 * ComputeEngineCredentials} fetches its token. What this adds: our cache and refresh timing, retries
 * while the metadata server starts with the pod (connection refused for a few seconds is normal),
 * typed errors, timeouts, and the metadata host from our {@code Environment}.
 */
final class MetadataServerExchange implements CredentialCache.Exchange<Key, AccessToken> {
  private final String baseUrl;
  private final boolean defaultScopes;
  private final Http http;
  private final Retry retry;
  private final Clock clock;
  private final UnaryOperator<String> rewrite;

  /** @param host {@code host[:port]} of the metadata server, as in {@code GCE_METADATA_HOST} */
  MetadataServerExchange(String host, boolean defaultScopes, Http http, Retry retry, Clock clock) {
    this.baseUrl = "http://" + host;
    this.defaultScopes = defaultScopes;
    this.http = http;
    this.retry = retry;
    this.clock = clock;
    // google-auth reads GCE_METADATA_HOST from the process environment; ours may differ (tests, sysprops).
    String googleBase = ComputeEngineCredentials.getMetadataServerUrl();
    this.rewrite = url -> url.startsWith(googleBase) ? baseUrl + url.substring(googleBase.length()) : url;
  }

  String baseUrl() {
    return baseUrl;
  }

  @Override
  public Expiring<AccessToken> exchange(Key key) {
    return retry.run("metadata server", attempt -> {
      GuardedTransport guard = http.step(rewrite);
      ComputeEngineCredentials.Builder b = ComputeEngineCredentials.newBuilder().setHttpTransportFactory(http.factory(guard));
      if (!defaultScopes) {
        b.setScopes(key.scopes());
      }
      String url = baseUrl + "/computeMetadata/v1/instance/service-accounts/default/token";
      AccessToken token;
      try {
        token = b.build().refreshAccessToken();
      } catch (IOException | RuntimeException e) {
        throw Failures.metadata(Failures.responseOf(guard, e, url), e, url, attempt);
      }
      if (token.getExpirationTime() == null) {
        throw Failures.metadata(new GuardedTransport.Response(url, 200, null), null, url, attempt);
      }
      Instant expiresAt = clock.instant().plusMillis(token.getExpirationTime().getTime() - System.currentTimeMillis());
      return Expiring.of(new AccessToken(token.getTokenValue(), Date.from(expiresAt)), expiresAt);
    });
  }
}
