package io.workloadidentity.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.workloadidentity.core.internal.Shared;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
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

  /**
   * Acquires and closes racing on one key, with some opens failing: a reference never hands out a
   * closed session, every session opened is closed exactly once, and nothing stays registered.
   */
  @Test
  void concurrentAcquiresAndClosesCountReferencesExactly() throws Exception {
    int before = Shared.live();
    AtomicInteger opened = new AtomicInteger();
    AtomicInteger attempts = new AtomicInteger();
    List<Session> sessions = new java.util.concurrent.CopyOnWriteArrayList<>();
    int threads = 8;
    CountDownLatch go = new CountDownLatch(1);
    ExecutorService pool = Executors.newFixedThreadPool(threads);
    try {
      List<Future<Integer>> results = new ArrayList<>();
      for (int t = 0; t < threads; t++) {
        results.add(pool.submit(() -> {
          go.await(10, TimeUnit.SECONDS);
          int stale = 0;
          for (int i = 0; i < 2_000; i++) {
            Shared.Ref<Session> ref;
            try {
              ref = Shared.acquire(new Key("race"), k -> {
                if (attempts.incrementAndGet() % 7 == 0) {
                  throw new ConfigurationException("flaky open");
                }
                opened.incrementAndGet();
                Session s = new Session();
                sessions.add(s);
                return s;
              });
            } catch (ConfigurationException expected) {
              continue;
            }
            if (ref.get().closes.get() != 0) {
              stale++;
            }
            ref.close();
            ref.close(); // a second close of the same reference releases nothing
          }
          return stale;
        }));
      }
      go.countDown();
      for (Future<Integer> r : results) {
        assertThat(r.get(60, TimeUnit.SECONDS)).as("closed sessions handed out").isZero();
      }
    } finally {
      pool.shutdownNow();
    }
    assertThat(Shared.live()).isEqualTo(before);
    assertThat(sessions).hasSize(opened.get()).allSatisfy(s -> assertThat(s.closes).hasValue(1));
  }
}
