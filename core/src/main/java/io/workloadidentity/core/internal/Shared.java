package io.workloadidentity.core.internal;

import java.lang.System.Logger.Level;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;

/**
 * The sessions shared by identically configured credentials in one JVM: <b>deliberate JVM-wide
 * state</b>, and the only such map of the library (see ARCHITECTURE.md). A cloud SDK builds one
 * credentials object per client; ten clients built with {@code create()} would otherwise make ten
 * caches, ten token-file watches and ten exchanges per refresh. Credentials whose settings are equal
 * (the settings record's {@code equals}: values by value, caller-supplied objects such as clients,
 * clocks and token sources by identity) share one session: one cache entry, one exchange.
 *
 * <p>Sessions are reference-counted: each credentials object {@link #acquire}s a {@link Ref} and
 * closes it in its own {@code close()}; the last close closes the session. Closing one credentials
 * object therefore never breaks another, and nothing outlives the last one.
 */
public final class Shared {
  private static final System.Logger LOG = System.getLogger(Shared.class.getName());
  private static final ConcurrentHashMap<Object, Slot> SLOTS = new ConcurrentHashMap<>();

  private Shared() {}

  /**
   * The session for {@code key}, opened by {@code open} if no one holds one. {@code open} runs at
   * most once per live session, inside the registry's map computation for {@code key}: it must not
   * acquire or release <em>any</em> session (not only one for the same key: keys that share the
   * map's bin share its lock, so a nested acquire can fail with "Recursive update" or, across two
   * threads, deadlock), and it should be quick (it holds up acquires of keys in the same bin).
   *
   * @param key the settings that identify the session
   * @param open opens a new session for the key
   * @param <S> the session type
   * @return a reference; close it exactly when its owner closes
   * @throws RuntimeException what {@code open} throws (nothing is registered then)
   */
  @SuppressWarnings("unchecked")
  public static <S extends AutoCloseable> Ref<S> acquire(Object key, Function<Object, S> open) {
    Objects.requireNonNull(key, "key");
    Slot slot = SLOTS.compute(key, (k, existing) -> {
      Slot s = existing != null ? existing : new Slot(k, open.apply(k));
      s.references++;
      return s;
    });
    return new Ref<>(slot, (S) slot.session);
  }

  /**
   * Sessions open in this JVM, for tests and diagnostics.
   *
   * @return the number of live sessions
   */
  public static int live() {
    return SLOTS.size();
  }

  private static final class Slot {
    final Object key;
    final AutoCloseable session;
    int references; // changed only inside SLOTS.compute for this key

    Slot(Object key, AutoCloseable session) {
      this.key = key;
      this.session = session;
    }

    void release() {
      boolean[] last = {false};
      SLOTS.computeIfPresent(key, (k, current) -> {
        if (current != this || --references > 0) {
          return current;
        }
        last[0] = true;
        return null;
      });
      if (last[0]) {
        try {
          session.close();
        } catch (Exception e) {
          LOG.log(Level.WARNING, "Closing the shared session " + key + " failed: " + Redaction.describe(e));
        }
      }
    }
  }

  /**
   * One holder's reference to a shared session.
   *
   * @param <S> the session type
   */
  public static final class Ref<S> implements AutoCloseable {
    private final Slot slot;
    private final S session;
    private final AtomicBoolean closed = new AtomicBoolean();

    private Ref(Slot slot, S session) {
      this.slot = slot;
      this.session = session;
    }

    /**
     * The session.
     *
     * @return the shared session (valid until this reference is closed)
     */
    public S get() {
      return session;
    }

    /** Gives the reference up; the last one closes the session. Idempotent. */
    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        slot.release();
      }
    }
  }
}
