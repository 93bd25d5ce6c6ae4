package io.workloadidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.ConfigurationException;
import io.workloadidentity.core.WorkloadIdentityException;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class CacheEventsTest {
  static final Instant EXPIRY = Instant.parse("2025-01-15T11:00:00Z");

  @Test
  void waitsForEventsFromAnotherThreadEachQueueOnItsOwn() throws Exception {
    CacheEvents events = CacheEvents.create();
    WorkloadIdentityException error = new ConfigurationException("no role: set roleArn");
    CompletableFuture<Void> cache = CompletableFuture.runAsync(() -> {
      events.onExchangeStarted("k");
      events.onRefreshFailed("k", error, Duration.ofSeconds(1));
      events.onExchangeStarted("k");
      events.onRefreshed("k", EXPIRY);
    });

    assertThat(events.awaitRefreshed()).isEqualTo(EXPIRY);
    assertThat(events.awaitFailure()).isSameAs(error);
    assertThat(events.awaitOutcome().kind()).isEqualTo(CacheEvents.Kind.FAILED);
    assertThat(events.pendingOutcomes()).extracting(CacheEvents.Event::kind).containsExactly(CacheEvents.Kind.REFRESHED);
    events.awaitCompleted(2);
    events.awaitStarted(2);
    cache.get(5, TimeUnit.SECONDS);
    assertThat(events.failures()).containsExactly(error);
    assertThat(events.refreshCount()).isOne();
    assertThat(events.failureCount()).isOne();
    assertThat(events.refreshedWithin(Duration.ZERO)).as("the one refresh was awaited already").isFalse();
    assertThat(events.pollOutcome(Duration.ZERO)).hasValueSatisfying(e -> assertThat(e.expiresAt()).isEqualTo(EXPIRY));
    assertThat(events.pollOutcome(Duration.ofMillis(5))).isEmpty();
    assertThat(events.toString()).isEqualTo("CacheEvents{started=2, refreshed=1, failed=1}");
  }

  @Test
  void everyWaitHasADeadline() {
    CacheEvents events = CacheEvents.withTimeout(Duration.ofMillis(20));
    assertThatThrownBy(events::awaitRefreshed).isInstanceOf(AssertionError.class)
        .hasMessageContaining("No credential refresh within PT0.02S");
    assertThatThrownBy(() -> events.awaitCompleted(1)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("Fewer than 1 exchanges ended");
    assertThatThrownBy(() -> CacheEvents.withTimeout(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class);
  }
}
