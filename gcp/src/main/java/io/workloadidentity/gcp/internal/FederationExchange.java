package io.workloadidentity.gcp.internal;

import com.google.auth.oauth2.AccessToken;
import com.google.auth.oauth2.GoogleCredentials;
import com.google.auth.oauth2.IdentityPoolCredentials;
import com.google.auth.oauth2.IdentityPoolSubjectTokenSupplier;
import com.google.auth.oauth2.ImpersonatedCredentials;
import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.WorkloadIdentityException;
import io.workloadidentity.gcp.GcpCredentialsException;
import io.workloadidentity.gcp.GcpTokenKey;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;

/**
 * Workload identity federation, one attempt: the projected token is exchanged at Google STS (through
 * google-auth's {@link IdentityPoolCredentials} with our {@link IdentityPoolSubjectTokenSupplier})
 * and, with a service account, the STS token is exchanged at IAM Credentials (google-auth's {@link
 * ImpersonatedCredentials}). One HTTP request per step, each through a {@link GuardedTransport}, all
 * within the exchange deadline; nothing is retried here (the credential cache retries whole
 * exchanges, with backoff).
 *
 * <p>Both google-auth objects are built fresh for every exchange: nothing is cached below our
 * credential cache, so every exchange reads the current subject token (right before the STS request
 * is written) and performs a full STS call, even with impersonation (google-auth alone keeps the STS
 * token and keeps sending IAM an STS token obtained from a subject token that may have been rotated
 * and revoked since).
 *
 * <p>When STS refuses the projected token, the token source is re-read at once (the kubelet may
 * have rotated the token a moment ago) and the failure is reported as {@linkplain
 * GcpCredentialsException#tokenRejected() token-rejected}: the cache retries as soon as it sees a
 * new token, and with backoff otherwise.
 */
final class FederationExchange implements CredentialCache.Exchange<GcpTokenKey, AccessToken> {
  private static final System.Logger LOG = System.getLogger(FederationExchange.class.getName());
  static final String JWT = "urn:ietf:params:oauth:token-type:jwt";

  private final GcpSettings settings;
  private final TokenSource tokens;
  private final Http http;
  private final Clock clock;

  FederationExchange(GcpSettings settings, TokenSource tokens, Http http) {
    this.settings = settings;
    this.tokens = tokens;
    this.http = http;
    this.clock = settings.clock();
  }

  @Override
  public Expiring<AccessToken> exchange(GcpTokenKey key) {
    long deadline = System.nanoTime() + settings.exchangeTimeout().toNanos();
    String audience = key.provider().orElseThrow();
    Subject subject = new Subject(tokens, audience);
    Expiring<AccessToken> federated = sts(key, audience, subject, deadline);
    if (key.serviceAccount().isEmpty()) {
      return federated;
    }
    return impersonate(key, audience, federated.value(), subject.sent, deadline);
  }

  private Expiring<AccessToken> sts(GcpTokenKey key, String audience, Subject subject, long deadline) {
    // With impersonation STS is asked for cloud-platform and IAM gets the caller's scopes, as google-auth does.
    List<String> scopes = key.serviceAccount().isEmpty() ? key.scopes() : GcpSettings.DEFAULT_SCOPES;
    String url = settings.tokenUrl();
    GuardedTransport guard = http.step(deadline, u -> u, TokenResponses::oauth);
    IdentityPoolCredentials.Builder b = IdentityPoolCredentials.newBuilder()
        .setSubjectTokenSupplier(subject)
        .setAudience(audience)
        .setSubjectTokenType(JWT)
        .setTokenUrl(url)
        .setScopes(scopes)
        .setHttpTransportFactory(http.factory(guard));
    if (!ExternalAccountConfig.DEFAULT_UNIVERSE.equals(settings.universeDomain())) {
      b.setUniverseDomain(settings.universeDomain());
    }
    AccessToken token;
    try {
      token = b.build().refreshAccessToken();
    } catch (IOException | RuntimeException e) {
      if (subject.failure != null) {
        throw subject.failure; // the token source's own typed error (file missing, token expired, ...)
      }
      GcpCredentialsException failure = Failures.unusable("Google STS", url, guard, e);
      if (failure == null) {
        failure = Failures.sts(Failures.responseOf(guard, e, url), e, url, audience, subject.sent);
      }
      if (failure.tokenRejected()) {
        reread(subject.sent, failure);
      }
      throw failure;
    }
    return ours(guard, token, "Google STS", url);
  }

  /**
   * The token as our own reader found it in the response (google-auth read the same bytes); only if
   * guarding is unavailable, google-auth's, with the same required fields.
   */
  private Expiring<AccessToken> ours(GuardedTransport guard, AccessToken theirs, String what, String url) {
    GuardedTransport.Response r = guard == null ? null : guard.last();
    if (r != null && r.parsed() != null) {
      Instant expiresAt = r.parsed().expiresAt();
      return TokenResponses.expiring(r.parsed().token(), expiresAt, clock, settings.refreshPolicy());
    }
    if (theirs.getTokenValue() == null || theirs.getTokenValue().isEmpty() || theirs.getExpirationTime() == null) {
      throw Failures.unexpected(what, url, new GuardedTransport.Response(url, 200, null), null);
    }
    // google-auth turned a relative expires_in into an absolute time with System.currentTimeMillis().
    Instant expiresAt = clock.instant().plusMillis(theirs.getExpirationTime().getTime() - System.currentTimeMillis());
    return TokenResponses.expiring(theirs.getTokenValue(), expiresAt, clock, settings.refreshPolicy());
  }

  /**
   * Re-reads the token source after STS refused {@code rejected}, so that a rotation the watcher has
   * not reported yet is seen now; the next attempt (the cache's) sends whatever it holds then.
   */
  private void reread(ProjectedToken rejected, GcpCredentialsException failure) {
    try {
      ProjectedToken now = tokens.refresh();
      if (rejected != null && !now.value().equals(rejected.value())) {
        LOG.log(Level.INFO, () -> "Google STS rejected token sha256 " + rejected.fingerprint() + "; the token file"
            + " now holds sha256 " + now.fingerprint() + ", which the next attempt sends");
      }
    } catch (WorkloadIdentityException e) {
      failure.addSuppressed(e); // for example the token on disk has expired too: the kubelet is not rotating it
    }
  }

  private Expiring<AccessToken> impersonate(GcpTokenKey key, String audience, AccessToken stsToken, ProjectedToken subject,
      long deadline) {
    String serviceAccount = key.serviceAccount().orElseThrow();
    String url = settings.iamEndpoint() + "/v1/projects/-/serviceAccounts/" + serviceAccount + ":generateAccessToken";
    Duration lifetime = settings.tokenLifetime();
    GuardedTransport guard = http.step(deadline, u -> u, (body, at) -> TokenResponses.iam(body, at, lifetime));
    ImpersonatedCredentials iam = ImpersonatedCredentials.newBuilder()
        .setSourceCredentials(new StsToken(stsToken, settings.universeDomain()))
        .setTargetPrincipal(serviceAccount)
        .setDelegates(List.of())
        .setScopes(key.scopes())
        .setLifetime((int) settings.tokenLifetime().toSeconds())
        .setHttpTransportFactory(http.factory(guard))
        .setIamEndpointOverride(url)
        .build();
    AccessToken token;
    try {
      token = iam.refreshAccessToken();
    } catch (IOException | RuntimeException e) {
      GcpCredentialsException failure = Failures.unusable("IAM Credentials", url, guard, e);
      throw failure != null ? failure
          : Failures.iam(Failures.responseOf(guard, e, url), e, url, audience, serviceAccount, subject);
    }
    GuardedTransport.Response r = guard == null ? null : guard.last();
    if (r != null && r.parsed() != null) {
      Instant expiresAt = r.parsed().expiresAt(); // expireTime is absolute, from Google's clock
      return TokenResponses.expiring(r.parsed().token(), expiresAt, clock, settings.refreshPolicy());
    }
    if (token.getTokenValue() == null || token.getTokenValue().isEmpty() || token.getExpirationTime() == null) {
      throw Failures.unexpected("IAM Credentials", url, new GuardedTransport.Response(url, 200, null), null);
    }
    return TokenResponses.expiring(token.getTokenValue(), token.getExpirationTime().toInstant(), clock,
        settings.refreshPolicy());
  }

  /**
   * The subject token supplier of one exchange: google-auth calls it right before it writes the STS
   * request, so the token sent is the newest the source holds. Remembers the token (for messages) and
   * the source's own failure (google-auth would wrap it).
   */
  private static final class Subject implements IdentityPoolSubjectTokenSupplier {
    private static final long serialVersionUID = 1L;
    private final transient TokenSource tokens;
    private final transient String audience;
    transient ProjectedToken sent;
    transient WorkloadIdentityException failure;

    Subject(TokenSource tokens, String audience) {
      this.tokens = tokens;
      this.audience = audience;
    }

    @Override
    public String getSubjectToken(com.google.auth.oauth2.ExternalAccountSupplierContext context) throws IOException {
      ProjectedToken token;
      try {
        token = tokens.token();
      } catch (WorkloadIdentityException e) {
        failure = e;
        throw new IOException("The projected token could not be read", e);
      }
      // Checked on every read, right before sending: the file could be re-pointed by a rotation.
      java.util.Optional<String> refused = ApiServerTokens.problem(token, tokens.description(), audience);
      if (refused.isPresent()) {
        failure = new ConfigurationException(refused.get());
        throw new IOException("The projected token is the API server's");
      }
      sent = token;
      return sent.value();
    }
  }

  /**
   * The STS token as google-auth's impersonation source. It was issued a moment ago for exactly this
   * call, so google-auth must neither refresh it nor retry with a refreshed one: on a 401 its
   * credentials adapter would refresh the source and send the IAM request again (up to ten times),
   * and log a refresh failure with its stack trace. This source fails the refresh with an unchecked
   * exception the adapter does not catch, and the 401 is classified from the recorded response.
   */
  private static final class StsToken extends GoogleCredentials {
    private static final long serialVersionUID = 1L;

    StsToken(AccessToken token, String universeDomain) {
      super(source(token, universeDomain));
    }

    private static GoogleCredentials.Builder source(AccessToken token, String universeDomain) {
      GoogleCredentials.Builder b = GoogleCredentials.newBuilder();
      b.setAccessToken(token);
      b.setRefreshMargin(Duration.ZERO);
      b.setExpirationMargin(Duration.ZERO);
      if (!ExternalAccountConfig.DEFAULT_UNIVERSE.equals(universeDomain)) {
        b.setUniverseDomain(universeDomain);
      }
      return b;
    }

    @Override
    public AccessToken refreshAccessToken() {
      throw new IllegalStateException("IAM Credentials rejected the STS token; a new exchange obtains another");
    }
  }
}
