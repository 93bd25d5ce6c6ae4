package io.workloadidentity.core.internal;

/**
 * One credential and its timing, in wall-clock milliseconds. Immutable: what changes over a
 * credential's life (refreshing, backing off) is the {@link State} that holds it.
 *
 * @param <C> the credential type
 * @param value the credential
 * @param expiresAtMillis when the cloud stops accepting it (capped by the policy's maximum lifetime)
 * @param refreshAtMillis when a background refresh starts
 * @param hardExpiryMillis after this instant the credential is never handed out
 */
public record Lease<C>(C value, long expiresAtMillis, long refreshAtMillis, long hardExpiryMillis) {

  /** Whether the credential may still be handed out at {@code nowMillis}. */
  public boolean validAt(long nowMillis) {
    return nowMillis < hardExpiryMillis;
  }

  /** Timing only: credential types are not trusted to redact themselves. */
  @Override
  public String toString() {
    return "Lease{expiresAt=" + expiresAtMillis + ", refreshAt=" + refreshAtMillis + ", hardExpiry=" + hardExpiryMillis + "}";
  }
}
