package io.callsign.server.http;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.cache.CaffeineCacheMetrics;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * A Caffeine cache for the hot paths (credentials, Flex token validation): loads run outside the
 * cache's locks on virtual threads, so concurrent requests for one key share one load and its
 * outcome (loading under the lock, they would each wait for an unavailable database in turn, and
 * pin their carrier threads meanwhile); a failed load (e.g. the database is unavailable) is not
 * cached but thrown to every request that waited for it; and each value lives for as long as {@code
 * lifetime} says. With a {@code refresh}, an entry in use is reloaded in the background once it is
 * that old, while requests go on with the value they have, so a busy entry never makes its requests
 * wait for the database.
 */
public final class FreshCache<K, V> {
  private static final ExecutorService LOADS = Executors.newVirtualThreadPerTaskExecutor();

  /** A load's outcome: the value, or why it could not be read. */
  private record Loaded<V>(V value, RuntimeException failure) {}

  private final AsyncLoadingCache<K, Loaded<V>> cache;

  /**
   * A cache of at most {@code maxEntries} values read by {@code load}.
   *
   * @param lifetime how long a value may be served after it was loaded
   * @param refresh after how long a value in use is reloaded in the background, or {@code null}
   */
  public FreshCache(
      Function<K, V> load, Function<V, Duration> lifetime, Duration refresh, long maxEntries) {
    Caffeine<Object, Object> builder =
        Caffeine.newBuilder().maximumSize(maxEntries).executor(LOADS).recordStats();
    if (refresh != null) {
      builder.refreshAfterWrite(refresh);
    }
    this.cache =
        builder
            .expireAfter(
                Expiry.<K, Loaded<V>>writing(
                    (key, loaded) ->
                        loaded.failure() != null ? Duration.ZERO : lifetime.apply(loaded.value())))
            .buildAsync(
                key -> {
                  try {
                    return new Loaded<>(load.apply(key), null);
                  } catch (RuntimeException e) {
                    // Rather than a failed future, which Caffeine would log with its stack trace.
                    return new Loaded<>(null, e);
                  }
                });
  }

  /** The value of {@code key}, loaded if need be. */
  public V get(K key) {
    CompletableFuture<Loaded<V>> pending = cache.get(key);
    Loaded<V> loaded = pending.join();
    if (loaded.failure() != null) {
      // The requests that shared this load fail alike; the next one tries again.
      cache.asMap().remove(key, pending);
      throw loaded.failure();
    }
    return loaded.value();
  }

  /**
   * Registers the cache's hits, misses, loads and evictions in {@code registry} under {@code
   * cache=name} ({@code cache_gets_total{result="hit"}} and so on).
   */
  public void bindTo(MeterRegistry registry, String name) {
    CaffeineCacheMetrics.monitor(registry, cache, name);
  }

  /** Sets the value of {@code key}, e.g. after this node wrote it. */
  public void put(K key, V value) {
    cache.put(key, CompletableFuture.completedFuture(new Loaded<>(value, null)));
  }

  /** Forgets {@code key}, so that the next request reads it afresh. */
  public void invalidate(K key) {
    cache.synchronous().invalidate(key);
  }

  /** Forgets every value, e.g. when changes made elsewhere may have been missed. */
  public void invalidateAll() {
    cache.synchronous().invalidateAll();
  }
}
