package io.callsign.server.http;

import com.github.benmanes.caffeine.cache.AsyncLoadingCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * Accounts and keys as the hot paths need them (authenticating a request, verifying an Access
 * Token), decrypted and cached so that a warm lookup does not touch the database. Unknown SIDs are
 * cached too. Entries in use are reloaded in the background every half second and any entry expires
 * after a second, so that a change made by another node takes effect within that second; {@link
 * #invalidate(AccountSid)} and {@link #invalidate(KeySid)} drop one at once after a local write.
 *
 * <p>One instance serves the whole server: {@link Authenticator} and the Access Token service share
 * it, so a deleted key or a suspended account stops both at the same moment.
 */
public final class CredentialCache {
  private static final Duration EXPIRY = Duration.ofSeconds(1);
  // An entry in use is reloaded in the background after this, while requests go on with the value
  // they have; only an entry unused for EXPIRY makes a request wait for the database. Without it,
  // every busy credential stalled all its requests once a second (p99 ~100 ms under load).
  private static final Duration REFRESH = Duration.ofMillis(500);
  private static final long MAX_ENTRIES = 10_000;

  // Loads run here, outside the caches' locks: concurrent requests for one SID then wait for the
  // same load and share its outcome, a failure included. Loading under the lock, they would each
  // wait for an unavailable database in turn (n requests, n connection timeouts), and on JDK 21 pin
  // their carrier threads meanwhile.
  private static final ExecutorService LOADS = Executors.newVirtualThreadPerTaskExecutor();

  private final AsyncLoadingCache<AccountSid, Loaded<Optional<Account>>> accountCache;
  private final AsyncLoadingCache<KeySid, Loaded<Optional<CachedKey>>> keyCache;

  /** A load's outcome: the value, or why it could not be read (e.g. database unavailable). */
  private record Loaded<V>(V value, RuntimeException failure) {}

  /** A cache in front of {@code accounts} and {@code keys}. */
  public CredentialCache(AccountService accounts, KeyService keys) {
    this.accountCache = newCache(accounts::find);
    this.keyCache = newCache(sid -> keys.find(sid).map(CachedKey::of));
  }

  private static <K, V> AsyncLoadingCache<K, Loaded<V>> newCache(Function<K, V> load) {
    return Caffeine.newBuilder()
        .maximumSize(MAX_ENTRIES)
        .refreshAfterWrite(REFRESH)
        .expireAfterWrite(EXPIRY)
        .executor(LOADS)
        .buildAsync(
            key -> {
              try {
                return new Loaded<>(load.apply(key), null);
              } catch (RuntimeException e) {
                // Rather than a failed future, which Caffeine would log with its stack trace. A
                // failed refresh replaces the entry too, so an outage is not hidden by old values.
                return new Loaded<>(null, e);
              }
            });
  }

  private static <K, V> V get(AsyncLoadingCache<K, Loaded<V>> cache, K key) {
    CompletableFuture<Loaded<V>> pending = cache.get(key);
    Loaded<V> loaded = pending.join();
    if (loaded.failure() != null) {
      // Not cached: the requests that shared this load fail alike, the next one tries again.
      cache.asMap().remove(key, pending);
      throw loaded.failure();
    }
    return loaded.value();
  }

  /**
   * A key with its {@link SigningKey}, built once per cache load so that verifying a token does no
   * key setup.
   *
   * @param key the key
   * @param signingKey the key as a token verifier needs it, or {@code null} if its secret is too
   *     short to sign with (keys issued by Callsign never are)
   */
  public record CachedKey(Key key, SigningKey signingKey) {
    private static CachedKey of(Key key) {
      SigningKey signing;
      try {
        signing =
            SigningKey.of(
                key.sid().value(),
                key.accountSid().value(),
                key.secret().getBytes(StandardCharsets.UTF_8));
      } catch (IllegalArgumentException e) {
        signing = null;
      }
      return new CachedKey(key, signing);
    }
  }

  /** The account with this SID, if any. */
  public Optional<Account> account(AccountSid sid) {
    return get(accountCache, sid);
  }

  /** The key with this SID, whatever its account, if any. */
  public Optional<Key> key(KeySid sid) {
    return cachedKey(sid).map(CachedKey::key);
  }

  /** The key with this SID and its signing key, if there is such a key. */
  public Optional<CachedKey> cachedKey(KeySid sid) {
    return get(keyCache, sid);
  }

  /**
   * Whether {@code account} may act: it is active, and so is its parent. A suspended parent
   * suspends its subaccounts for as long as it stays suspended; a closed one closes them for good.
   */
  public boolean isActive(Account account) {
    if (account.status() != AccountStatus.ACTIVE) {
      return false;
    }
    return account.isMain()
        || account(account.ownerAccountSid())
            .map(owner -> owner.status() == AccountStatus.ACTIVE)
            .orElse(false);
  }

  /** Forgets the cached entry of {@code sid}; call after changing that account. */
  public void invalidate(AccountSid sid) {
    accountCache.synchronous().invalidate(sid);
  }

  /** Forgets the cached entry of {@code sid}; call after changing or deleting that key. */
  public void invalidate(KeySid sid) {
    keyCache.synchronous().invalidate(sid);
  }
}
