package io.workloadidentity.core.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;

/**
 * One key of a credential cache and its {@link State}: the only place that key's state lives. The
 * bounded store (Caffeine) holds entries; every change of state is {@link #advance}, one
 * compare-and-set, and the thread that wins it performs the side effect (start an exchange, arm a
 * timer, complete waiters).
 *
 * @param <K> the key type
 * @param <C> the credential type
 */
public final class Entry<K, C> {
  private static final VarHandle STATE;

  static {
    try {
      STATE = MethodHandles.lookup().findVarHandle(Entry.class, "state", State.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final K key;
  private volatile State<C> state;
  /** Transitions to an attempt under way (see {@link #pin}); the store weighs a pinned entry 0. */
  private final java.util.concurrent.atomic.AtomicInteger pins = new java.util.concurrent.atomic.AtomicInteger();

  public Entry(K key) {
    this.key = key;
    this.state = new State.Empty<>(null, 0, 0, 0);
  }

  public K key() {
    return key;
  }

  /** The current state (one volatile read: the hot path). */
  public State<C> state() {
    return state;
  }

  /**
   * Moves from {@code expected} to {@code next} if the entry still holds {@code expected}; the
   * winner's old state is disarmed, so its timer can never fire for a state that is gone.
   */
  public boolean advance(State<C> expected, State<C> next) {
    if (STATE.compareAndSet(this, expected, next)) {
      expected.disarm();
      return true;
    }
    return false;
  }

  /**
   * Marks a transition to a state with an attempt as under way. The store must weigh the entry 0
   * (unevictable) <em>before</em> the compare-and-set, not after it: evicted in between, the entry's
   * exchange would run on orphaned and the next read would start a second one for the key.
   */
  public void pin() {
    pins.incrementAndGet();
  }

  /** Ends what {@link #pin} began. */
  public void unpin() {
    pins.decrementAndGet();
  }

  /** Whether the store must not evict this entry: an attempt runs, or one is being started. */
  public boolean pinned() {
    return pins.get() > 0 || state.attempt() != null;
  }

  public boolean isClosed() {
    return state instanceof State.Closed;
  }
}
