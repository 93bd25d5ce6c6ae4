package io.workloadidentity.gcp.internal;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.ComputeEngineCredentials;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.gcp.GcpCredentialsException;
import io.workloadidentity.gcp.GcpTokenKey;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.function.UnaryOperator;

/**
 * GKE Workload Identity, one attempt: the GKE metadata server does the federation; google-auth's
 * {@link ComputeEngineCredentials} fetches its token with one request. What this adds: our cache and
 * refresh timing, typed errors, timeouts within the exchange deadline, and the metadata host from our
 * {@code Environment}. At pod start the metadata server may refuse connections for a few seconds:
 * that is an {@code UNREACHABLE} failure, retried by the cache's backoff, not a loop here.
 */
final class MetadataServerExchange implements CredentialCache.Exchange<GcpTokenKey, AccessToken> {
  private final GcpSettings settings;
  private final Http http;
  private final Clock clock;
  private final UnaryOperator<String> rewrite;

  MetadataServerExchange(GcpSettings settings, Http http) {
    this.settings = settings;
    this.http = http;
    this.clock = settings.clock();
    // google-auth reads GCE_METADATA_HOST from the process environment; ours may differ (tests, sysprops).
    String googleBase = ComputeEngineCredentials.getMetadataServerUrl();
    String ours = settings.metadataUrl();
    this.rewrite = url -> url.startsWith(googleBase) ? ours + url.substring(googleBase.length()) : url;
  }

  @Override
  public Expiring<AccessToken> exchange(GcpTokenKey key) {
    long deadline = System.nanoTime() + settings.exchangeTimeout().toNanos();
    GuardedTransport guard = http.step(deadline, rewrite, TokenResponses::oauth);
    ComputeEngineCredentials.Builder b = ComputeEngineCredentials.newBuilder().setHttpTransportFactory(http.factory(guard));
    if (!key.scopes().equals(GcpSettings.DEFAULT_SCOPES)) {
      b.setScopes(key.scopes()); // else the metadata server's own default (cloud-platform on GKE)
    }
    String url = settings.metadataUrl() + "/computeMetadata/v1/instance/service-accounts/default/token";
    AccessToken token;
    try {
      token = b.build().refreshAccessToken();
    } catch (IOException | RuntimeException e) {
      GcpCredentialsException failure = Failures.unusable("The GKE metadata server", url, guard, e);
      throw failure != null ? failure : Failures.metadata(Failures.responseOf(guard, e, url), e, url);
    }
    GuardedTransport.Response r = guard == null ? null : guard.last();
    if (r != null && r.parsed() != null) {
      Instant expiresAt = r.parsed().expiresAt();
      return TokenResponses.expiring(r.parsed().token(), expiresAt, clock, settings.refreshPolicy());
    }
    if (token.getTokenValue() == null || token.getTokenValue().isEmpty() || token.getExpirationTime() == null) {
      throw Failures.metadata(new GuardedTransport.Response(url, 200, null), null, url);
    }
    // google-auth turned expires_in into an absolute time with System.currentTimeMillis(): rebase it.
    Instant expiresAt = clock.instant().plusMillis(token.getExpirationTime().getTime() - System.currentTimeMillis());
    return TokenResponses.expiring(token.getTokenValue(), expiresAt, clock, settings.refreshPolicy());
  }
}
