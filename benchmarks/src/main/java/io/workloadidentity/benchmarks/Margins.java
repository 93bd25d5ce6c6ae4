package io.workloadidentity.benchmarks;

import java.time.Duration;

/**
 * A peer's own refresh margins, set through its builder when the scenario shortens the lifetime
 * (the defaults are minutes, made for one-hour credentials): AWS {@code prefetchTime}/{@code
 * staleTime}, google-auth {@code refreshMargin}/{@code expirationMargin}. azure-identity has none to
 * set (MSAL's five minutes are fixed).
 *
 * @param refresh before expiry, when the peer starts refreshing (AWS prefetch, google-auth refresh margin)
 * @param stale before expiry, when the peer stops serving the cached value (AWS stale, google-auth expiration margin)
 */
public record Margins(Duration refresh, Duration stale) {}
