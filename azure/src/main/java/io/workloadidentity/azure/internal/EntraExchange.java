package io.workloadidentity.azure.internal;

import com.azure.core.credential.AccessToken;
import com.azure.core.http.HttpPipeline;
import com.azure.core.util.Configuration;
import com.azure.core.util.ConfigurationBuilder;
import com.azure.core.util.ConfigurationSource;
import com.azure.identity.ClientAssertionCredentialBuilder;
import io.workloadidentity.azure.AssertionTimeRangeException;
import io.workloadidentity.core.CredentialCache;
import io.workloadidentity.core.Expiring;
import io.workloadidentity.core.ProjectedToken;
import io.workloadidentity.core.TokenExpiredException;
import io.workloadidentity.core.TokenSource;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One token exchange with Entra ID: the projected token as a federated client assertion, through
 * azure-identity's {@code ClientAssertionCredential} (MSAL4J underneath). Runs on the credential
 * cache's exchange threads, at most once at a time per scope set.
 */
public final class EntraExchange implements CredentialCache.Exchange<ScopeKey, AccessToken> {
  private static final System.Logger LOG = System.getLogger(EntraExchange.class.getName());
  /**
   * No configuration from the process: the no-argument {@code ConfigurationBuilder} reads (and its
   * {@code putProperty} writes) the JVM-global configuration, and AZURE_* variables meant for other
   * credentials (a regional authority, a proxy) must not change ours.
   */
  private static final Configuration ISOLATED;

  static {
    ConfigurationSource none = path -> Map.of();
    ISOLATED = new ConfigurationBuilder(none, none, none).build();
  }

  private final String clientId;
  private final String tenantId;
  private final String authorityHost;
  private final boolean instanceDiscovery;
  private final HttpPipeline pipeline;
  private final TokenSource tokens;
  private final Clock clock;

  public EntraExchange(String clientId, String tenantId, String authorityHost, boolean instanceDiscovery,
      HttpPipeline pipeline, TokenSource tokens, Clock clock) {
    this.clientId = Objects.requireNonNull(clientId, "clientId");
    this.tenantId = Objects.requireNonNull(tenantId, "tenantId");
    this.authorityHost = Objects.requireNonNull(authorityHost, "authorityHost");
    this.instanceDiscovery = instanceDiscovery;
    this.pipeline = Objects.requireNonNull(pipeline, "pipeline");
    this.tokens = Objects.requireNonNull(tokens, "tokens");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  @Override
  public Expiring<AccessToken> exchange(ScopeKey key) {
    AtomicReference<ProjectedToken> sent = new AtomicReference<>();
    try {
      return attempt(key, sent, false);
    } catch (AssertionTimeRangeException rejected) {
      // AADSTS700024: the token we sent was outside its validity window at Entra. The usual cause is
      // a rotation we have not seen yet (or a skewed clock): re-read the file now and retry once.
      ProjectedToken before = sent.get();
      ProjectedToken fresh;
      try {
        fresh = tokens.refresh();
      } catch (TokenExpiredException expired) {
        String x = "The projected token in " + tokens.description() + " has itself expired (at " + expired.expiredAt()
            + "; this machine's time is " + clock.instant() + "): the kubelet stopped rotating it, or this machine's clock"
            + " is wrong. Check the node's kubelet and NTP; restarting the pod mints a new token.";
        throw new AssertionTimeRangeException("Entra ID rejected the projected token as outside its valid time range"
            + " (AADSTS700024). " + x, rejected.code().orElse(null), rejected.oauthError().orElse(null),
            rejected.httpStatus().orElse(-1), rejected.correlationId().orElse(null), x, false, rejected);
      }
      LOG.log(Level.INFO, () -> "Entra ID rejected token " + (before == null ? "?" : before.fingerprint())
          + " as outside its valid time range (AADSTS700024); re-read " + tokens.description() + " (now "
          + fresh.fingerprint() + ", exp " + fresh.expiresAt() + ") and retrying once");
      return attempt(key, sent, true);
    }
  }

  private Expiring<AccessToken> attempt(ScopeKey key, AtomicReference<ProjectedToken> sent, boolean retried) {
    AccessToken token;
    try {
      // A new ClientAssertionCredential per exchange, on purpose: each holds an MSAL cache that would
      // answer our refresh at 80% of the lifetime with the same token (MSAL only goes to the network
      // 5 minutes before expiry), defeating the refresh-ahead and the rotation pick-up. Exchanges are
      // rare (one per scope set per token lifetime) and the pipeline is shared, so this costs little.
      ClientAssertionCredentialBuilder builder = new ClientAssertionCredentialBuilder()
          .configuration(ISOLATED) // first: configuration() resets the authority host to the public cloud
          .authorityHost(authorityHost)
          .tenantId(tenantId)
          .clientId(clientId)
          .clientAssertion(() -> {
            ProjectedToken t = tokens.token();
            sent.set(t);
            return t.value();
          })
          .pipeline(pipeline);
      if (!instanceDiscovery) {
        builder.disableInstanceDiscovery();
      }
      token = builder.build().getTokenSync(key.toRequest());
    } catch (RuntimeException e) {
      throw EntraErrors.map(e, new EntraErrors.Request(clientId, tenantId, authorityHost, sent.get(),
          tokens.description(), clock.instant(), retried));
    }
    return toExpiring(token);
  }

  /**
   * MSAL states expiry (and refresh_in) as absolute times on the system clock; re-express them as
   * durations on the cache's clock, so that an injected clock (tests, or a corrected clock) sees a
   * consistent lifetime. A missing refresh_in arrives as the epoch from azure-identity and a bogus
   * one may be in the past: both are dropped here (and the cache ignores any hint past expiry).
   */
  private Expiring<AccessToken> toExpiring(AccessToken token) {
    Instant system = Instant.now();
    Instant now = clock.instant();
    Instant expiresAt = now.plus(Duration.between(system, token.getExpiresAt().toInstant()));
    Instant refreshAt = null;
    OffsetDateTime hint = token.getRefreshAt();
    if (hint != null && hint.toInstant().isAfter(system) && hint.toInstant().isBefore(token.getExpiresAt().toInstant())) {
      refreshAt = now.plus(Duration.between(system, hint.toInstant()));
    }
    AccessToken ours = new AccessToken(token.getToken(), expiresAt.atOffset(ZoneOffset.UTC),
        refreshAt == null ? null : refreshAt.atOffset(ZoneOffset.UTC), token.getTokenType());
    return Expiring.of(ours, expiresAt).withRefreshHint(refreshAt);
  }

  /** For messages and toString: never the token. */
  public String describe() {
    return "client ID " + clientId + ", tenant " + tenantId + ", authority " + authorityHost + ", token from "
        + tokens.description();
  }
}
