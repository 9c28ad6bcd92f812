package io.callsign.server.http;

import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Optional;

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
public final class CredentialCache implements MeterBinder {
  private static final Duration EXPIRY = Duration.ofSeconds(1);
  // An entry in use is reloaded in the background after this, while requests go on with the value
  // they have; only an entry unused for EXPIRY makes a request wait for the database. Without it,
  // every busy credential stalled all its requests once a second (p99 ~100 ms under load).
  private static final Duration REFRESH = Duration.ofMillis(500);
  private static final long MAX_ENTRIES = 10_000;

  private final FreshCache<AccountSid, Optional<Account>> accountCache;
  private final FreshCache<KeySid, Optional<CachedKey>> keyCache;

  /** Registers the hit rates of the account and key caches. */
  @Override
  public void bindTo(MeterRegistry registry) {
    accountCache.bindTo(registry, "accounts");
    keyCache.bindTo(registry, "keys");
  }

  /** A cache in front of {@code accounts} and {@code keys}. */
  public CredentialCache(AccountService accounts, KeyService keys) {
    this.accountCache = new FreshCache<>(accounts::find, v -> EXPIRY, REFRESH, MAX_ENTRIES);
    this.keyCache =
        new FreshCache<>(
            sid -> keys.find(sid).map(CachedKey::of), v -> EXPIRY, REFRESH, MAX_ENTRIES);
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
    return accountCache.get(sid);
  }

  /** The key with this SID, whatever its account, if any. */
  public Optional<Key> key(KeySid sid) {
    return cachedKey(sid).map(CachedKey::key);
  }

  /** The key with this SID and its signing key, if there is such a key. */
  public Optional<CachedKey> cachedKey(KeySid sid) {
    return keyCache.get(sid);
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
    accountCache.invalidate(sid);
  }

  /** Forgets the cached entry of {@code sid}; call after changing or deleting that key. */
  public void invalidate(KeySid sid) {
    keyCache.invalidate(sid);
  }

  /** Forgets every cached account and key (cluster invalidation, when changes may be missed). */
  public void invalidateAll() {
    accountCache.invalidateAll();
    keyCache.invalidateAll();
  }
}
