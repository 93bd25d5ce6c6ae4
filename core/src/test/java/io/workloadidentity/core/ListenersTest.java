package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;

import io.workloadidentity.core.internal.Listeners;
import java.time.Instant;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ListenersTest {
  @Test
  void aListenerRegisteredTwiceHearsEachEventOnceUntilItsLastRegistrationCloses() throws Exception {
    AtomicInteger heard = new AtomicInteger();
    CredentialCache.Listener<Object> l = new CredentialCache.Listener<>() {
      @Override
      public void onRefreshed(Object key, Instant expiresAt) {
        heard.incrementAndGet();
      }
    };
    Listeners<String> fanOut = new Listeners<>();
    AutoCloseable a = fanOut.add(l);
    AutoCloseable b = fanOut.add(l);
    fanOut.onRefreshed("k", Instant.EPOCH);
    assertThat(heard).hasValue(1);
    a.close();
    a.close(); // idempotent: b still holds it
    fanOut.onRefreshed("k", Instant.EPOCH);
    assertThat(heard).hasValue(2);
    b.close();
    fanOut.onRefreshed("k", Instant.EPOCH);
    assertThat(heard).hasValue(2);
  }

  @Test
  void aFailingListenerDoesNotStopTheOthers() {
    AtomicInteger heard = new AtomicInteger();
    Listeners<String> fanOut = new Listeners<>();
    fanOut.add(new CredentialCache.Listener<Object>() {
      @Override
      public void onExchangeStarted(Object key) {
        throw new IllegalStateException("registry closed");
      }
    });
    fanOut.add(new CredentialCache.Listener<Object>() {
      @Override
      public void onExchangeStarted(Object key) {
        heard.incrementAndGet();
      }
    });
    fanOut.onExchangeStarted("k");
    assertThat(heard).hasValue(1);
  }
}
