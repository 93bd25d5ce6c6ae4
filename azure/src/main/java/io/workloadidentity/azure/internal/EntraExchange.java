package io.workloadidentity.azure.internal;

import com.azure.core.credential.AccessToken;
import com.azure.core.http.HttpPipeline;
import com.azure.core.util.Configuration;
import com.azure.core.util.ConfigurationBuilder;
import com.azure.core.util.ConfigurationSource;
import com.azure.identity.ClientAssertionCredentialBuilder;
import io.workloadidentity.azure.AzureTokenException;
import io.workloadidentity.azure.AzureTokenKey;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenExpiredException;
import io.workloadidentity.core.TokenSource;
import io.workloadidentity.core.internal.Tokens;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.AbstractExecutorService;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One attempt to exchange the projected token for an Entra ID access token: the projected token as a
 * federated client assertion, through azure-identity's {@code ClientAssertionCredential} (MSAL4J
 * underneath), one token request (plus, with instance discovery on, MSAL's one discovery request per
 * JVM and authority). Runs on the credential cache's exchange thread, at most once at a time per key.
 *
 * <p>Nothing here retries: the pipeline has no retry policy (see {@link EntraHttp}), and MSAL runs
 * on the calling thread, so the cache's deadline interrupts the HTTP call itself. When Entra refuses
 * the token (AADSTS700024, or an unknown signing key), the token source is re-read, so that a
 * kubelet rotation is noticed, and the failure is thrown with {@code tokenRejected}: the cache then
 * retries as soon as it sees the new token.
 */
public final class EntraExchange implements CredentialCache.Exchange<AzureTokenKey, AccessToken> {
  private static final System.Logger LOG = System.getLogger(EntraExchange.class.getName());
  /**
   * No configuration from the process: the no-argument {@code ConfigurationBuilder} reads (and its
   * {@code putProperty} writes) the JVM-global configuration, and AZURE_* variables meant for other
   * credentials (a regional authority, a proxy) must not change ours.
   */
  private static final Configuration ISOLATED;
  /**
   * MSAL runs each request on the executor it is given, else on azure-core's JVM-wide {@code
   * azure-sdk-global-thread} pool, where the exchange deadline cannot interrupt it and where its
   * threads outlive the credential. Running it on the caller (the cache's exchange thread) avoids both.
   */
  private static final ExecutorService CALLER_RUNS = new CallerRuns();

  static {
    ConfigurationSource none = path -> Map.of();
    ISOLATED = new ConfigurationBuilder(none, none, none).build();
  }

  private final AzureSettings settings;
  private final HttpPipeline pipeline;
  private final TokenSource tokens;

  /**
   * An exchange for one session.
   *
   * @param settings the credential's settings
   * @param pipeline the token requests' pipeline
   * @param tokens where the projected token comes from
   */
  public EntraExchange(AzureSettings settings, HttpPipeline pipeline, TokenSource tokens) {
    this.settings = Objects.requireNonNull(settings, "settings");
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.tokens = Objects.requireNonNull(tokens, "tokens");
  }

  @Override
  public Expiring<AccessToken> exchange(AzureTokenKey key) {
    AtomicReference<ProjectedToken> sent = new AtomicReference<>();
    AccessToken token;
    String tenant = key.tenantId().orElse(settings.tenantId());
    try {
      // A new ClientAssertionCredential per exchange, on purpose: each holds an MSAL cache that would
      // answer our refresh at 80% of the lifetime with the same token (MSAL only goes to the network
      // 5 minutes before expiry), defeating the refresh-ahead and the rotation pick-up. Exchanges are
      // rare (one per key per token lifetime) and the pipeline is shared, so this costs little.
      ClientAssertionCredentialBuilder builder = new ClientAssertionCredentialBuilder()
          .configuration(ISOLATED) // first: configuration() resets the authority host to the public cloud
          // always https: azure-identity and MSAL refuse anything else; a plain-http authority (loopback,
          // or explicitly allowed) is turned back into http by the pipeline (EntraHttp.PlainHttp)
          .authorityHost(settings.msalAuthorityHost())
          .tenantId(settings.tenantId())
          .clientId(settings.clientId())
          // Read when MSAL builds the request, right before it is sent: a rotation seen until then is used.
          .clientAssertion(() -> {
            ProjectedToken t = tokens.token();
            // Never sent before its nbf or after its exp: a caller's TokenSource need not check, and the
            // core's file source hands out its cached token without the nbf check. Thrown here, MSAL sends
            // nothing and EntraErrors.map returns the TokenNotYetValidException as it is.
            Tokens.requireUsable(t, settings.clock().instant(), tokens.description());
            sent.set(t);
            return t.value();
          })
          // The session has already refused tenants the settings do not allow, before the cache.
          .additionallyAllowedTenants(AzureSettings.ANY_TENANT)
          .executorService(CALLER_RUNS)
          .pipeline(pipeline);
      if (!settings.instanceDiscovery()) {
        builder.disableInstanceDiscovery();
      }
      token = builder.build().getTokenSync(key.toRequest());
    } catch (RuntimeException e) {
      var failure = EntraErrors.map(e, new EntraErrors.Request(settings.clientId(), tenant, settings.authorityHost(),
          sent.get(), tokens.description(), settings.clock().instant()));
      if (failure instanceof CredentialExchangeException c && c.tokenRejected()) {
        throw reread((AzureTokenException) c, sent.get());
      }
      throw failure;
    }
    return toExpiring(token);
  }

  /**
   * Entra refused the token it was sent. The usual cause is a rotation not seen yet (or a skewed
   * clock): re-read the source now, so that the cache's next attempt, made as soon as it sees a new
   * token, sends it. A source whose only token has expired means the kubelet stopped rotating it.
   */
  private AzureTokenException reread(AzureTokenException rejected, ProjectedToken before) {
    ProjectedToken fresh;
    try {
      fresh = tokens.refresh();
    } catch (TokenExpiredException expired) {
      String advice = "The projected token in " + tokens.description() + " has itself expired (at "
          + expired.expiredAt() + "; this machine's time is " + settings.clock().instant() + "): the kubelet stopped"
          + " rotating it, or this machine's clock is wrong. Check the node's kubelet and NTP; restarting the pod mints"
          + " a new token. This is retried as soon as a new token appears.";
      return new AzureTokenException("Entra ID rejected the projected token (" + rejected.code().orElse("?") + "). "
          + advice, rejected.reason(), rejected.code().orElse(null), rejected.oauthError().orElse(null),
          rejected.httpStatus().orElse(-1), rejected.correlationId().orElse(null), advice, true, true, rejected);
    } catch (RuntimeException unreadable) {
      LOG.log(Level.INFO, () -> "Entra ID rejected the projected token; re-reading " + tokens.description()
          + " failed too: " + io.workloadidentity.core.internal.Redaction.describe(unreadable));
      return rejected;
    }
    boolean rotated = before == null || !fresh.fingerprint().equals(before.fingerprint());
    LOG.log(Level.INFO, () -> "Entra ID rejected token " + (before == null ? "?" : before.fingerprint()) + " ("
        + rejected.code().orElse("?") + "); re-read " + tokens.description() + (rotated ? ": now " + fresh.fingerprint()
        + ", exp " + fresh.expiresAt() + ", sent by the next attempt" : ": unchanged"));
    return rejected;
  }

  /**
   * MSAL states expiry (and refresh_in) as absolute times on the system clock; re-express them as
   * durations on the cache's clock, so that an injected clock (tests, or a corrected clock) sees a
   * consistent lifetime. A missing refresh_in arrives as the epoch from azure-identity and a bogus
   * one may be in the past or after expiry: both are dropped.
   *
   * <p>The token returned to callers carries the expiry capped at the refresh policy's maximum
   * lifetime, and our refresh point as {@code refreshAt}, so that
   * azure-core's own token cache above us asks again when we have a new token, not every 30 s: the
   * latest moment the cache can start its refresh (the policy's point with the largest jitter, or
   * Entra's earlier hint), never past the hard expiry.
   */
  private Expiring<AccessToken> toExpiring(AccessToken token) {
    // EntraHttp.CheckTokenResponse has refused a response without a token or lifetime before MSAL read
    // it; this is the last line, for whatever MSAL may make of a response in ways we did not foresee.
    if (token == null || token.getToken() == null || token.getToken().isEmpty()) {
      throw EntraErrors.invalidResponse("MSAL found no access token in it", 200, settings.authorityHost());
    }
    if (token.getExpiresAt() == null) {
      throw EntraErrors.invalidResponse("MSAL found no expiry in it", 200, settings.authorityHost());
    }
    Instant system = Instant.now();
    Instant now = settings.clock().instant();
    Instant expiresAt = now.plus(Duration.between(system, token.getExpiresAt().toInstant()));
    Instant hint = null;
    OffsetDateTime given = token.getRefreshAt();
    if (given != null && given.toInstant().isAfter(system) && given.toInstant().isBefore(token.getExpiresAt().toInstant())) {
      hint = now.plus(Duration.between(system, given.toInstant()));
    }
    RefreshPolicy policy = settings.refreshPolicy();
    long t0 = now.toEpochMilli();
    long capped = policy.cappedExpiry(expiresAt, now).toEpochMilli();
    long hard = policy.hardExpiryMillis(t0, capped);
    long refreshAt = Math.min(policy.refreshAtMillis(t0, capped, 1.0), hard);
    if (hint != null && hint.toEpochMilli() < refreshAt) {
      refreshAt = hint.toEpochMilli();
    }
    // Callers (and azure-core's cache above us) see the capped expiry: the cache treats the token as
    // expiring at the maximum lifetime, so a 10-year token is never handed out as valid for 10 years.
    AccessToken ours = new AccessToken(token.getToken(), Instant.ofEpochMilli(capped).atOffset(ZoneOffset.UTC),
        Instant.ofEpochMilli(refreshAt).atOffset(ZoneOffset.UTC), token.getTokenType());
    return Expiring.of(ours, expiresAt).withRefreshHint(hint);
  }

  /** Runs every task on the thread that submits it; never shut down (MSAL does not shut it down either). */
  private static final class CallerRuns extends AbstractExecutorService {
    @Override
    public void execute(Runnable command) {
      command.run();
    }

    @Override
    public void shutdown() {}

    @Override
    public List<Runnable> shutdownNow() {
      return List.of();
    }

    @Override
    public boolean isShutdown() {
      return false;
    }

    @Override
    public boolean isTerminated() {
      return false;
    }

    @Override
    public boolean awaitTermination(long timeout, TimeUnit unit) {
      return false;
    }
  }
}
