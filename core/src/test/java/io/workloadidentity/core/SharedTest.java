package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.internal.Shared;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SharedTest {
  record Key(String role) {}

  static final class Session implements AutoCloseable {
    final AtomicInteger closes = new AtomicInteger();

    @Override
    public void close() {
      closes.incrementAndGet();
    }
  }

  @Test
  void equalKeysShareOneSessionUntilTheLastReferenceCloses() {
    AtomicInteger opened = new AtomicInteger();
    int before = Shared.live();
    Shared.Ref<Session> a = Shared.acquire(new Key("r"), k -> {
      opened.incrementAndGet();
      return new Session();
    });
    Shared.Ref<Session> b = Shared.acquire(new Key("r"), k -> {
      opened.incrementAndGet();
      return new Session();
    });
    Shared.Ref<Session> other = Shared.acquire(new Key("other"), k -> new Session());
    assertThat(opened).hasValue(1);
    assertThat(a.get()).isSameAs(b.get());
    assertThat(Shared.live()).isEqualTo(before + 2);
    a.close();
    a.close(); // idempotent: does not release b's reference
    assertThat(b.get().closes).hasValue(0);
    b.close();
    assertThat(b.get().closes).hasValue(1);
    other.close();
    assertThat(Shared.live()).isEqualTo(before);
  }

  @Test
  void aFailedOpenRegistersNothing() {
    int before = Shared.live();
    assertThatThrownBy(() -> Shared.acquire(new Key("bad"), k -> {
      throw new ConfigurationException("no role");
    })).isInstanceOf(ConfigurationException.class);
    assertThat(Shared.live()).isEqualTo(before);
  }
}
