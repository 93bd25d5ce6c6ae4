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

  public boolean isClosed() {
    return state instanceof State.Closed;
  }
}
