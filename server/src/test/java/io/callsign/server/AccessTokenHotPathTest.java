package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.accesstokens.AccessTokenService;
import io.callsign.server.accesstokens.AccessTokenService.Introspection;
import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.accounts.AccountStore;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.CredentialCache;
import io.callsign.server.http.Principal;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyStore;
import io.callsign.server.keys.KeyType;
import io.callsign.server.keys.Policy;
import io.callsign.tokens.AccessToken;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Authenticating a request and introspecting a token read the stores only when the shared cache is
 * cold, and a local write takes effect at once. Stores are counted in memory: no database here.
 */
class AccessTokenHotPathTest {
  private static final AccountSid SID = AccountSid.of(KeysTest.SID);
  private static final String TOKEN = KeysTest.TOKEN;

  private final CountingAccounts accountStore = new CountingAccounts();
  private final CountingKeys keyStore = new CountingKeys();
  private final AccountService accounts = new AccountService(accountStore, Clock.systemUTC());
  private final KeyService keys = new KeyService(keyStore, Clock.systemUTC());
  private final CredentialCache credentials = new CredentialCache(accounts, keys);
  private final Authenticator authenticator = new Authenticator(credentials);
  private final AccessTokenService service = new AccessTokenService(credentials, Clock.systemUTC());

  AccessTokenHotPathTest() {
    // Wired as CallsignServer wires it.
    keys.onChange(credentials::invalidate);
    accounts.onChange(credentials::invalidate);
    Instant now = Instant.now();
    accountStore.insert(
        new Account(SID, SID, "root", AccountStatus.ACTIVE, Account.TYPE_FULL, TOKEN, now, now));
  }

  private Introspection authenticateAndIntrospect(String token) {
    Principal caller = authenticator.authenticate(TestServers.basic(SID.value(), TOKEN));
    return service.introspect(caller, token);
  }

  @Test
  void introspectWhenWarmThenReadsNoStoreAndDeleteTakesEffectAtOnce() {
    Key key = keys.create(SID, "k", KeyType.STANDARD, null);
    String jwt =
        new AccessToken.Builder(SID.value(), key.sid().value(), key.secret())
            .identity("alice")
            .build()
            .toJwt();
    assertThat(authenticateAndIntrospect(jwt)).isInstanceOf(Introspection.Active.class);
    int reads = accountStore.reads.get() + keyStore.reads.get();
    long started = System.nanoTime();

    for (int i = 0; i < 100; i++) {
      assertThat(authenticateAndIntrospect(jwt)).isInstanceOf(Introspection.Active.class);
    }
    int warmReads = accountStore.reads.get() + keyStore.reads.get() - reads;
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    keys.delete(SID, key.sid());
    Introspection afterDelete = authenticateAndIntrospect(jwt);

    // Entries live for a second: at most one reload of the account and the key per second
    // elapsed, where an uncached path would read both on every one of the 100 calls.
    assertThat(warmReads).isLessThanOrEqualTo(2 * (int) (seconds + 1));
    assertThat(afterDelete)
        .isInstanceOfSatisfying(
            Introspection.Inactive.class, inactive -> assertThat(inactive.code()).isEqualTo(20103));
  }

  private static final class CountingAccounts implements AccountStore {
    final Map<AccountSid, Account> rows = new ConcurrentHashMap<>();
    final AtomicInteger reads = new AtomicInteger();

    @Override
    public void insert(Account account) {
      rows.put(account.sid(), account);
    }

    @Override
    public Optional<Account> find(AccountSid sid) {
      reads.incrementAndGet();
      return Optional.ofNullable(rows.get(sid));
    }

    @Override
    public Optional<Account> findRoot() {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<Account> listFamily(AccountSid owner, String friendlyName, AccountStatus status) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean update(AccountSid sid, String friendlyName, AccountStatus status, Instant now) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean setSecondaryAuthToken(AccountSid sid, String token, Instant now) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean clearSecondaryAuthToken(AccountSid sid, Instant now) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean promoteSecondaryAuthToken(AccountSid sid, Instant now) {
      throw new UnsupportedOperationException();
    }
  }

  private static final class CountingKeys implements KeyStore {
    final Map<KeySid, Key> rows = new ConcurrentHashMap<>();
    final AtomicInteger reads = new AtomicInteger();

    @Override
    public void insert(Key key) {
      rows.put(key.sid(), key);
    }

    @Override
    public Optional<Key> find(KeySid sid) {
      reads.incrementAndGet();
      return Optional.ofNullable(rows.get(sid));
    }

    @Override
    public List<Key> list(AccountSid account, Key after, long offset, int limit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean update(
        AccountSid account, KeySid sid, String friendlyName, Policy policy, Instant now) {
      throw new UnsupportedOperationException();
    }

    @Override
    public boolean delete(AccountSid account, KeySid sid) {
      return rows.remove(sid) != null;
    }
  }
}
