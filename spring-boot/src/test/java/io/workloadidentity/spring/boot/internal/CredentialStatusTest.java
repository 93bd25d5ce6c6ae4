package io.workloadidentity.spring.boot.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.CredentialExchangeException;
import io.workloadidentity.core.RefreshPolicy;
import io.workloadidentity.core.TokenFileException;
import io.workloadidentity.testkit.TestClock;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The health state machine on its own, driven by listener events and a test clock. */
class CredentialStatusTest {
  private final TestClock clock = TestClock.create();
  private final CredentialStatus status = new CredentialStatus("azure", clock, RefreshPolicy.defaults());
  private final CredentialExchangeException denied = new CredentialExchangeException("AADSTS70021: no matching federated"
      + " identity record. Add one for this issuer and subject.", "azure", "AADSTS70021", 400, false,
      "Add a federated credential for this issuer and subject.", false, null);

  @Test
  void unknownBeforeFirstUse() {
    assertThat(status.view().status()).isEqualTo(HealthView.UNKNOWN);
    assertThat(status.view().details()).containsEntry("credentials", "not requested yet");
  }

  @Test
  void downWhenTheFirstExchangeFailsWithTheAdvice() {
    status.onRefreshFailed("vault", denied, Duration.ofSeconds(60));
    HealthView v = status.view();
    assertThat(v.status()).isEqualTo(HealthView.DOWN);
    assertThat(v.details()).containsEntry("error", "AADSTS70021").containsEntry("retryable", false)
        .containsEntry("advice", "Add a federated credential for this issuer and subject.").doesNotContainKey("expiredAt");
  }

  @Test
  void upUntilTheHardExpiryThenDown() {
    status.onRefreshed("vault", clock.instant().plus(Duration.ofHours(1)));
    assertThat(status.view().status()).isEqualTo(HealthView.UP);
    assertThat(status.view().details()).containsEntry("secondsToExpiry", 3600L);
    clock.advance(Duration.ofMinutes(59).plusSeconds(49));
    assertThat(status.view().status()).as("hard expiry is 10 s before expiry").isEqualTo(HealthView.UP);
    clock.advance(Duration.ofSeconds(2));
    HealthView down = status.view();
    assertThat(down.status()).isEqualTo(HealthView.DOWN);
    assertThat(down.details()).containsKey("expiredAt").containsKey("advice");
  }

  @Test
  void aFailureWhileServingKeepsItUpAndIsReported() {
    status.onRefreshed("vault", clock.instant().plus(Duration.ofHours(1)));
    clock.advance(Duration.ofMinutes(48));
    status.onRefreshFailed("vault", new TokenFileException("The token file is gone: remount it.", Path.of("/t"), null, null),
        Duration.ofSeconds(5));
    HealthView v = status.view();
    assertThat(v.status()).isEqualTo(HealthView.UP);
    @SuppressWarnings("unchecked")
    Map<String, Object> last = (Map<String, Object>) v.details().get("lastFailure");
    assertThat(last).containsEntry("code", "TokenFileException").containsEntry("retryable", true);
  }

  @Test
  void oneDeadScopeSetMakesTheCloudDown() {
    status.onRefreshed("vault", clock.instant().plus(Duration.ofHours(1)));
    status.onRefreshFailed("storage", denied, Duration.ofSeconds(60));
    assertThat(status.view().status()).isEqualTo(HealthView.DOWN);
    assertThat(status.view().details()).containsEntry("credentials", 2);
  }

  @Test
  void followsABoundedNumberOfCredentials() {
    for (int i = 0; i < CredentialStatus.MAX_KEYS + 10; i++) {
      status.onRefreshed("scope " + i, clock.instant().plus(Duration.ofHours(1)));
    }
    assertThat(status.view().details()).containsEntry("credentials", CredentialStatus.MAX_KEYS);
  }
}
