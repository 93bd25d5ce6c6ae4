package io.workloadidentity.core.internal;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.RemovalCause;
import java.util.Collection;
import java.util.List;
import java.util.function.Consumer;

/**
 * The bounded store of a cache's entries: Caffeine, and nothing more. It holds no futures, runs no
 * loads and logs nothing; its maintenance runs on the caller (cheap, and no thread of its own). An
 * entry whose exchange runs, or is being started, weighs nothing, which Caffeine never evicts
 * ("pinning"), so that eviction cannot orphan an exchange and let a second one start for the key;
 * an evicted entry is handed to {@code onEvicted} inside the removal, so that nothing of it can act
 * afterwards.
 *
 * @param <K> the key type
 * @param <C> the credential type
 */
public final class EntryStore<K, C> {
  private final Cache<K, Entry<K, C>> entries;

  /**
   * A store of at most {@code maximumSize} unpinned entries.
   *
   * @param maximumSize the bound
   * @param onEvicted called with each entry Caffeine evicts, inside the removal
   */
  public EntryStore(long maximumSize, Consumer<Entry<K, C>> onEvicted) {
    this.entries = Caffeine.newBuilder()
        .executor(Runnable::run)
        .maximumWeight(maximumSize)
        .<K, Entry<K, C>>weigher((key, entry) -> entry.pinned() ? 0 : 1)
        .evictionListener((K key, Entry<K, C> entry, RemovalCause cause) -> {
          if (entry != null && cause.wasEvicted()) {
            onEvicted.accept(entry);
          }
        })
        .build();
  }

  /**
   * The key's entry, if one is stored (it may be closed).
   *
   * @param key the key
   * @return the entry or null
   */
  public Entry<K, C> getIfPresent(K key) {
    return entries.getIfPresent(key);
  }

  /**
   * The key's open entry: the stored one, or a new one in place of none or of a closed one
   * (closed by invalidation or eviction).
   *
   * @param key the key
   * @return the entry
   */
  public Entry<K, C> open(K key) {
    Entry<K, C> e = entries.getIfPresent(key);
    if (e != null && !e.isClosed()) {
      return e;
    }
    return entries.asMap().compute(key, (k, old) -> old == null || old.isClosed() ? new Entry<>(k) : old);
  }

  /**
   * Makes the store weigh {@code e} again after its state changed (pinned or not).
   *
   * @param e the entry
   */
  public void reweigh(Entry<K, C> e) {
    entries.asMap().computeIfPresent(e.key(), (k, current) -> current);
  }

  /**
   * Removes {@code e} if it is still the key's entry.
   *
   * @param e the entry
   */
  public void remove(Entry<K, C> e) {
    entries.asMap().remove(e.key(), e);
  }

  /**
   * The stored entries, a live view.
   *
   * @return the entries
   */
  public Collection<Entry<K, C>> entries() {
    return entries.asMap().values();
  }

  /** Removes every entry (without calling {@code onEvicted}). */
  public void clear() {
    entries.invalidateAll();
  }

  /**
   * About how many entries are stored.
   *
   * @return the estimate
   */
  public long estimatedSize() {
    return entries.estimatedSize();
  }

  /**
   * The state of every entry, for invariant checks in tests.
   *
   * @return the states
   */
  public List<State<C>> states() {
    return entries.asMap().values().stream().map(Entry::state).toList();
  }
}
