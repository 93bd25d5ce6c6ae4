package io.workloadidentity.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.time.Instant;
import org.junit.jupiter.api.Test;

class FaultsTest {
  TestClock clock = TestClock.at(Instant.parse("2025-01-15T10:00:00.900Z"));
  Faults faults = Faults.create(clock);

  @Test
  void queuedFaultsApplyInOrderAndAreConsumed() {
    Fault denied = Fault.error(403, "AccessDenied", "no");
    faults.failNext(2, denied).failNext(1, Fault.connectionReset());
    assertThat(faults.pending()).isEqualTo(3);
    assertThat(faults.next()).isEqualTo(denied);
    assertThat(faults.next()).isEqualTo(denied);
    assertThat(faults.next()).isSameAs(Fault.connectionReset());
    assertThat(faults.next()).isNull();
    assertThat(faults.pending()).isZero();
  }

  @Test
  void scopedFaultsSkipOtherPathsAndUnscopedNext() {
    faults.failNext("/v1/token", 1, Fault.throttled());
    assertThat(faults.next()).isNull();
    assertThat(faults.next("/v1/projects/x:generateAccessToken")).isNull();
    assertThat(faults.next("/v1/token")).isEqualTo(Fault.throttled());
    assertThat(faults.next("/v1/token")).isNull();
  }

  @Test
  void aRequestThatPathlessFaultsSpareSeesOnlyFaultsScopedToItsPath() {
    faults.failNext(1, Fault.throttled()).failNext("/common/discovery/", 1, Fault.serverError(503)).rateLimit(1);
    assertThat(faults.next("/common/discovery/instance", false)).isEqualTo(Fault.serverError(503));
    assertThat(faults.next("/common/discovery/instance", false)).as("the pathless fault stays queued").isNull();
    assertThat(faults.next("/common/discovery/instance", false)).as("nor counted by the rate limit").isNull();
    assertThat(faults.pending()).isEqualTo(1);
    assertThat(faults.next("/t/oauth2/v2.0/token", true)).as("the queued fault").isEqualTo(Fault.throttled());
    assertThat(faults.next("/t/oauth2/v2.0/token", true)).as("the second in this second").isEqualTo(Fault.throttled());
    clock.advance(Duration.ofSeconds(1));
    assertThat(faults.next("/t/oauth2/v2.0/token", true)).isNull();
  }

  @Test
  void rateLimitUsesFixedOneSecondWindowsOfTheClock() {
    faults.rateLimit(2);
    assertThat(faults.next()).isNull();
    assertThat(faults.next()).isNull();
    assertThat(faults.next()).isEqualTo(Fault.throttled());
    clock.advance(Duration.ofMillis(100)); // 10:00:01.000, a new window
    assertThat(faults.next()).isNull();
    faults.clear();
    for (int i = 0; i < 10; i++) {
      assertThat(faults.next()).isNull();
    }
  }

  @Test
  void outageLastsUntilClearAndLatencyIsKept() {
    faults.failAlways(Fault.serverError(503)).latency(Duration.ofMillis(250));
    for (int i = 0; i < 5; i++) {
      assertThat(faults.next()).isEqualTo(Fault.serverError(503));
    }
    assertThat(faults.latency()).isEqualTo(Duration.ofMillis(250));
    faults.clear();
    assertThat(faults.next()).isNull();
    assertThat(faults.latency()).isZero();
  }

  @Test
  void faultsDescribeThemselvesAndValidate() {
    Fault f = Fault.error(400, "InvalidIdentityToken", "bad token");
    assertThat(f.kind()).isEqualTo(Fault.Kind.ERROR);
    assertThat(f.status()).isEqualTo(400);
    assertThat(f.code()).contains("InvalidIdentityToken");
    assertThat(f.message()).contains("bad token");
    assertThat(Fault.throttled().code()).isEmpty();
    assertThat(Fault.serverError(502).status()).isEqualTo(502);
    assertThatThrownBy(() -> Fault.error(200, "x", "y")).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Fault.serverError(404)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> faults.failNext(0, f)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> faults.rateLimit(0)).isInstanceOf(IllegalArgumentException.class);
  }
}
