package io.workloadidentity.aws.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.ConfigurationException;
import org.junit.jupiter.api.Test;

class SessionNamesTest {
  @Test
  void sanitisesToTheStsPattern() {
    assertThat(SessionNames.sanitise("web-7d9f8c6b5-x2x4q")).isEqualTo("web-7d9f8c6b5-x2x4q");
    assertThat(SessionNames.sanitise("system:serviceaccount:ns:sa")).isEqualTo("system-serviceaccount-ns-sa");
    assertThat(SessionNames.sanitise("a")).isEqualTo("a-");
    assertThat(SessionNames.sanitise("x".repeat(100))).hasSize(64);
    assertThat(SessionNames.sanitise("ünïcode pod")).matches("[\\w+=,.@-]{2,64}");
  }

  @Test
  void rejectsInvalidConfiguredNamesWithTheRule() {
    assertThat(SessionNames.validate("ok_name+=,.@-", "x")).isEqualTo("ok_name+=,.@-");
    assertThatThrownBy(() -> SessionNames.validate("a", "AWS_ROLE_SESSION_NAME"))
        .isInstanceOf(ConfigurationException.class).hasMessageContaining("AWS_ROLE_SESSION_NAME").hasMessageContaining("2 to 64");
    assertThatThrownBy(() -> SessionNames.validate("x".repeat(65), "s")).isInstanceOf(ConfigurationException.class);
  }
}
