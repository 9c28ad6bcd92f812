package io.callsign.server.http;

import com.github.benmanes.caffeine.cache.AsyncCache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.Function;

/**
 * HTTP Basic authentication of REST calls with {@code AC...:authToken} or {@code SK...:secret}.
 * Accounts and keys are cached (decrypted) so that a warm request does not touch the database;
 * entries expire after a second so that a change made by another node takes effect within that
 * second, and {@link #invalidate} drops one at once after a local write.
 */
public final class Authenticator {
  // Compared against when the SID is unknown, so that both failures take the same time.
  private static final byte[] DUMMY =
      "00000000000000000000000000000000".getBytes(StandardCharsets.UTF_8);

  // Loads run here, outside the caches' locks: concurrent requests for one SID then wait for the
  // same load and share its outcome, a failure included. Loading under the lock, they would each
  // wait for an unavailable database in turn (n requests, n connection timeouts), and on JDK 21 pin
  // their carrier threads meanwhile.
  private static final ExecutorService LOADS = Executors.newVirtualThreadPerTaskExecutor();

  private final AccountService accounts;
  private final KeyService keys;
  private final AsyncCache<AccountSid, Loaded<Optional<Account>>> accountCache = newCache();
  private final AsyncCache<KeySid, Loaded<Optional<Key>>> keyCache = newCache();

  /** A load's outcome: the value, or why it could not be read (e.g. database unavailable). */
  private record Loaded<V>(V value, RuntimeException failure) {}

  /** Authenticates against {@code accounts} and {@code keys}. */
  public Authenticator(AccountService accounts, KeyService keys) {
    this.accounts = accounts;
    this.keys = keys;
  }

  private static <K, V> AsyncCache<K, V> newCache() {
    return Caffeine.newBuilder()
        .maximumSize(10_000)
        .expireAfterWrite(Duration.ofSeconds(1))
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
   * Who {@code authorizationHeader} proves to be.
   *
   * @throws ApiException 401/20003 for missing or wrong credentials (the same for an unknown SID
   *     and a wrong secret, for accounts and keys alike), 401/20005 when they are right but the
   *     account is not active
   */
  public Principal authenticate(String authorizationHeader) {
    BasicCredentials creds =
        BasicCredentials.parse(authorizationHeader)
            .orElseThrow(() -> new ApiException(ApiError.authenticate()));
    String user = creds.username();
    byte[] given = creds.password().getBytes(StandardCharsets.UTF_8);
    if (Sids.isValid(KeySid.PREFIX, user)) {
      Optional<Key> key = get(keyCache, KeySid.of(user), keys::find);
      check(given, key.map(Key::secret));
      Key k = key.orElseThrow();
      return new Principal(
          activeAccount(k.accountSid()), CredentialKind.of(k.type()), k.sid(), k.policy());
    }
    Optional<Account> account =
        Sids.isValid(AccountSid.PREFIX, user)
            ? get(accountCache, AccountSid.of(user), accounts::find)
            : Optional.empty();
    // Until promotion the secondary auth token works as well as the primary one. Both are always
    // compared, so the time taken does not tell which one matched.
    boolean secondary =
        account
            .map(Account::secondaryAuthToken)
            .map(t -> MessageDigest.isEqual(given, t.getBytes(StandardCharsets.UTF_8)))
            .orElse(false);
    boolean primary = matches(given, account.map(Account::authToken));
    if (!(primary | secondary)) {
      throw new ApiException(ApiError.authenticate());
    }
    return new Principal(
        activeAccount(account.orElseThrow().sid()), CredentialKind.AUTH_TOKEN, null, null);
  }

  private static void check(byte[] given, Optional<String> secret) {
    if (!matches(given, secret)) {
      throw new ApiException(ApiError.authenticate());
    }
  }

  private static boolean matches(byte[] given, Optional<String> secret) {
    byte[] expected = secret.map(s -> s.getBytes(StandardCharsets.UTF_8)).orElse(DUMMY);
    // Constant time in the content; the length of a secret is not itself a secret.
    boolean match = MessageDigest.isEqual(given, expected);
    return secret.isPresent() && match;
  }

  // Called only once the secret is proven, so that status is never revealed to a guesser.
  private Account activeAccount(AccountSid sid) {
    Account account =
        get(accountCache, sid, accounts::find)
            .orElseThrow(() -> new ApiException(ApiError.authenticate()));
    if (!isActive(account)) {
      throw new ApiException(ApiError.accountNotActive());
    }
    return account;
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
        || get(accountCache, account.ownerAccountSid(), accounts::find)
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
