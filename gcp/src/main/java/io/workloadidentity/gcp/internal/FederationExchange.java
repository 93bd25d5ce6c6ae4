package io.workloadidentity.gcp.internal;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.IdentityPoolCredentials;
import com.google.auth.oauth2.IdentityPoolSubjectTokenSupplier;
import com.google.auth.oauth2.ImpersonatedCredentials;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.gcp.GcpCredentialsException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;

/**
 * Workload identity federation: the projected token is exchanged at Google STS (through google-auth's
 * {@link IdentityPoolCredentials} with our {@link IdentityPoolSubjectTokenSupplier}) and, with a
 * service account, the STS token is exchanged at IAM Credentials (google-auth's {@link
 * ImpersonatedCredentials}).
 *
 * <p>Both google-auth objects are built fresh for every exchange: nothing is cached below our
 * credential cache, so every exchange reads the current subject token and performs a full STS call,
 * even with impersonation (google-auth alone keeps the STS token and keeps sending IAM an STS token
 * obtained from a subject token that may have been rotated and revoked since).
 */
final class FederationExchange implements CredentialCache.Exchange<Key, AccessToken> {
  private static final System.Logger LOG = System.getLogger(FederationExchange.class.getName());
  static final String JWT = "urn:ietf:params:oauth:token-type:jwt";
  static final String CLOUD_PLATFORM = "https://www.googleapis.com/auth/cloud-platform";
  /** Assumed STS token lifetime when Google omits expires_in (it always sends it today). */
  private static final Duration DEFAULT_LIFETIME = Duration.ofHours(1);

  private final String tokenUrl;
  private final String iamEndpoint;
  private final String universeDomain;
  private final Duration lifetime;
  private final TokenSource tokens;
  private final Http http;
  private final Retry retry;
  private final Clock clock;

  FederationExchange(String tokenUrl, String iamEndpoint, String universeDomain, Duration lifetime, TokenSource tokens,
      Http http, Retry retry, Clock clock) {
    this.tokenUrl = tokenUrl;
    this.iamEndpoint = iamEndpoint;
    this.universeDomain = universeDomain;
    this.lifetime = lifetime;
    this.tokens = tokens;
    this.http = http;
    this.retry = retry;
    this.clock = clock;
  }

  @Override
  public Expiring<AccessToken> exchange(Key key) {
    ProjectedToken subject = tokens.token();
    Expiring<AccessToken> federated;
    try {
      federated = sts(key, subject);
    } catch (GcpCredentialsException e) {
      // The kubelet may have rotated the token a moment ago (a revoked or stale-to-sign-in token):
      // read the file again and retry once if it changed.
      if (e.reason() != GcpCredentialsException.Reason.SUBJECT_TOKEN_REJECTED) {
        throw e;
      }
      ProjectedToken fresh = tokens.refresh();
      if (fresh.value().equals(subject.value())) {
        throw e;
      }
      String before = subject.fingerprint();
      LOG.log(Level.INFO, () -> "Google STS rejected token sha256 " + before + "; retrying with the"
          + " rotated token sha256 " + fresh.fingerprint());
      subject = fresh;
      federated = sts(key, fresh);
    }
    if (key.serviceAccount() == null) {
      return federated;
    }
    ProjectedToken s = subject;
    AccessToken stsToken = federated.value();
    return retry.run("IAM Credentials", attempt -> impersonate(key, stsToken, s, attempt));
  }

  private Expiring<AccessToken> sts(Key key, ProjectedToken subject) {
    // With impersonation STS is asked for cloud-platform and IAM gets the caller's scopes, as google-auth does.
    List<String> scopes = key.serviceAccount() == null ? key.scopes() : List.of(CLOUD_PLATFORM);
    String value = subject.value();
    IdentityPoolSubjectTokenSupplier supplier = context -> value;
    return retry.run("STS", attempt -> {
      GuardedTransport guard = http.step(url -> url);
      IdentityPoolCredentials.Builder b = IdentityPoolCredentials.newBuilder()
          .setSubjectTokenSupplier(supplier)
          .setAudience(key.audience())
          .setSubjectTokenType(JWT)
          .setTokenUrl(tokenUrl)
          .setScopes(scopes)
          .setHttpTransportFactory(http.factory(guard));
      if (!ExternalAccountConfig.DEFAULT_UNIVERSE.equals(universeDomain)) {
        b.setUniverseDomain(universeDomain);
      }
      AccessToken token;
      try {
        token = b.build().refreshAccessToken();
      } catch (IOException | RuntimeException e) {
        throw Failures.sts(Failures.responseOf(guard, e, tokenUrl), e, tokenUrl, key.audience(), subject, attempt);
      }
      Instant expiresAt = relativeExpiry(token.getExpirationTime());
      if (expiresAt == null) {
        Instant cap = clock.instant().plus(DEFAULT_LIFETIME);
        expiresAt = subject.expiresAt().isBefore(cap) ? subject.expiresAt() : cap;
      }
      return Expiring.of(new AccessToken(token.getTokenValue(), Date.from(expiresAt)), expiresAt);
    });
  }

  private Expiring<AccessToken> impersonate(Key key, AccessToken stsToken, ProjectedToken subject, int attempt) {
    GuardedTransport guard = http.step(u -> u);
    String url = iamEndpoint + "/v1/projects/-/serviceAccounts/" + key.serviceAccount() + ":generateAccessToken";
    GoogleCredentials.Builder source = GoogleCredentials.newBuilder();
    source.setAccessToken(stsToken);
    // The STS token was issued a moment ago for exactly this call: google-auth must not try to refresh it.
    source.setRefreshMargin(Duration.ZERO);
    source.setExpirationMargin(Duration.ZERO);
    if (!ExternalAccountConfig.DEFAULT_UNIVERSE.equals(universeDomain)) {
      source.setUniverseDomain(universeDomain);
    }
    GoogleCredentials federated = new GoogleCredentials(source) {
      private static final long serialVersionUID = 1L;

      @Override
      public AccessToken refreshAccessToken() throws IOException {
        // On a 401 google-auth refreshes the source and retries, up to ten times; this token cannot be
        // refreshed (a new exchange can), so fail the call at once.
        throw new IOException("IAM Credentials rejected the STS token");
      }
    };
    ImpersonatedCredentials iam = ImpersonatedCredentials.newBuilder()
        .setSourceCredentials(federated)
        .setTargetPrincipal(key.serviceAccount())
        .setDelegates(List.of())
        .setScopes(key.scopes())
        .setLifetime((int) lifetime.toSeconds())
        .setHttpTransportFactory(http.factory(guard))
        .setIamEndpointOverride(url)
        .build();
    AccessToken token;
    try {
      token = iam.refreshAccessToken();
    } catch (IOException | RuntimeException e) {
      throw Failures.iam(Failures.responseOf(guard, e, url), e, url, key.audience(), key.serviceAccount(), subject, attempt);
    }
    // expireTime is absolute, from Google's clock.
    Instant expiresAt = token.getExpirationTime().toInstant();
    return Expiring.of(token, expiresAt);
  }

  /**
   * google-auth turns a relative {@code expires_in} into an absolute time with {@code
   * System.currentTimeMillis()}; rebase it onto the injected clock so tests and suspended hosts agree.
   */
  private Instant relativeExpiry(Date expiration) {
    if (expiration == null) {
      return null;
    }
    return clock.instant().plusMillis(expiration.getTime() - System.currentTimeMillis());
  }
}
