package io.callsign.server.http;

import com.github.benmanes.caffeine.cache.AsyncCache;
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
 * cached too. Entries expire after a second, so that a change made by another node takes effect
 * within that second; {@link #invalidate(AccountSid)} and {@link #invalidate(KeySid)} drop one at
 * once after a local write.
 *
 * <p>One instance serves the whole server: {@link Authenticator} and the Access Token service share
 * it, so a deleted key or a suspended account stops both at the same moment.
 */
public final class CredentialCache {
  private static final Duration EXPIRY = Duration.ofSeconds(1);
  private static final long MAX_ENTRIES = 10_000;

  // Loads run here, outside the caches' locks: concurrent requests for one SID then wait for the
  // same load and share its outcome, a failure included. Loading under the lock, they would each
  // wait for an unavailable database in turn (n requests, n connection timeouts), and on JDK 21 pin
  // their carrier threads meanwhile.
  private static final ExecutorService LOADS = Executors.newVirtualThreadPerTaskExecutor();

  private final AccountService accounts;
  private final KeyService keys;
  private final AsyncCache<AccountSid, Loaded<Optional<Account>>> accountCache = newCache();
  private final AsyncCache<KeySid, Loaded<Optional<CachedKey>>> keyCache = newCache();

  /** A load's outcome: the value, or why it could not be read (e.g. database unavailable). */
  private record Loaded<V>(V value, RuntimeException failure) {}

  /** A cache in front of {@code accounts} and {@code keys}. */
  public CredentialCache(AccountService accounts, KeyService keys) {
    this.accounts = accounts;
    this.keys = keys;
  }

  private static <K, V> AsyncCache<K, V> newCache() {
    return Caffeine.newBuilder()
        .maximumSize(MAX_ENTRIES)
        .expireAfterWrite(EXPIRY)
        .executor(LOADS)
        .buildAsync();
  }

  private static <K, V> V get(AsyncCache<K, Loaded<V>> cache, K key, Function<K, V> load) {
    CompletableFuture<Loaded<V>> pending =
        cache.get(
            key,
            k -> {
              try {
                return new Loaded<>(load.apply(k), null);
              } catch (RuntimeException e) {
                // Rather than a failed future, which Caffeine would log with its stack trace.
                return new Loaded<>(null, e);
              }
            });
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
    return get(accountCache, sid, accounts::find);
  }

  /** The key with this SID, whatever its account, if any. */
  public Optional<Key> key(KeySid sid) {
    return cachedKey(sid).map(CachedKey::key);
  }

  /** The key with this SID and its signing key, if there is such a key. */
  public Optional<CachedKey> cachedKey(KeySid sid) {
    return get(keyCache, sid, s -> keys.find(s).map(CachedKey::of));
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
