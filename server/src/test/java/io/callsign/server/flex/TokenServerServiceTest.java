package io.callsign.server.flex;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.MutableClock;
import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.accounts.JdbiAccountStore;
import io.callsign.server.audit.Audit;
import io.callsign.server.crypto.PasswordHasher;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.http.CredentialCache;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyType;
import io.callsign.server.store.Database;
import io.callsign.server.throttle.LocalLoginThrottle;
import io.callsign.server.throttle.ThrottlePolicy;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The token server's service beside a real SQLite store: what each refusal costs, and the signing
 * key's life (first use, races, deletion).
 */
class TokenServerServiceTest {
  private static final String PASSWORD = "a long enough password";
  private static final String SOURCE = "192.0.2.1";

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T08:00:00Z"));
  private final Semaphore permits = new Semaphore(4, true);
  private Database database;
  private AccountService accounts;
  private FlexService flex;
  private KeyService keys;
  private TokenServerService tokens;
  private FlexInstance instance;

  @BeforeEach
  void wire() throws Exception {
    SecretBox box = SecretBox.open(null, dir);
    database = Database.sqlite(dir);
    database.migrate();
    JdbiFlexStore flexStore = new JdbiFlexStore(database.jdbi(), box);
    accounts =
        new AccountService(
            new JdbiAccountStore(
                database.jdbi(),
                box,
                (h, account) ->
                    flexStore.insertInstanceFor(h, account.sid(), account.dateCreated())),
            clock);
    Account root = accounts.bootstrap(null, null, dir).root();
    flex = new FlexService(flexStore, clock);
    keys = new KeyService(new JdbiKeyStore(database.jdbi(), box), clock);
    CredentialCache credentials = new CredentialCache(accounts, keys);
    keys.onChange(credentials::invalidate);
    accounts.onChange(credentials::invalidate);
    instance = flex.instanceOf(root.sid()).orElseThrow();
    tokens =
        new TokenServerService(
            flex,
            keys,
            credentials,
            new PasswordHasher(PasswordHasher.Params.ASVS, permits),
            new LocalLoginThrottle(ThrottlePolicy.DEFAULT, clock),
            new SimpleMeterRegistry(),
            instance.sid(),
            clock,
            Audit.NONE);
  }

  @AfterEach
  void close() {
    database.close();
  }

  private FlexUser provision(FlexInstance in, String username) {
    return flex.provision(
            in,
            new FlexService.Provision(
                username, username + "@example.com", "Test User", List.of("agent"), null, null))
        .user();
  }

  private FlexInstance fresh() {
    return flex.instance(instance.sid()).orElseThrow();
  }

  /**
   * Runs {@code signIn} while every hashing permit is held, checks that it waits for one (it runs
   * Argon2), then lets it finish.
   */
  private TokenServerService.SignIn hashed(Supplier<TokenServerService.SignIn> signIn)
      throws Exception {
    permits.acquire(4);
    CompletableFuture<TokenServerService.SignIn> result;
    try {
      result = CompletableFuture.supplyAsync(signIn);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
      while (!permits.hasQueuedThreads() && System.nanoTime() < deadline) {
        Thread.sleep(5);
      }
      assertThat(permits.hasQueuedThreads()).as("the sign-in waits to run Argon2").isTrue();
    } finally {
      permits.release(4);
    }
    return result.get(10, TimeUnit.SECONDS);
  }

  @Test
  void everyRefusalRunsOneArgon2VerificationUnknownUsersIncluded() throws Exception {
    FlexUser alice = provision(instance, "alice");
    tokens.setPassword(instance, alice.sid(), PASSWORD);
    provision(instance, "nopassword");
    FlexUser gone = provision(instance, "gone");
    tokens.setPassword(instance, gone.sid(), PASSWORD);
    flex.deprovision(instance, gone.sid());
    String unknownInstance = "GO" + "0".repeat(32);

    List<Supplier<TokenServerService.SignIn>> refusals =
        List.of(
            () -> tokens.signIn(null, "nobody", PASSWORD, SOURCE),
            () -> tokens.signIn(null, "nopassword", PASSWORD, SOURCE),
            () -> tokens.signIn(null, "gone", PASSWORD, SOURCE),
            () -> tokens.signIn(null, "alice", PASSWORD + "!", SOURCE),
            () -> tokens.signIn(unknownInstance, "alice", PASSWORD, SOURCE));
    for (Supplier<TokenServerService.SignIn> refusal : refusals) {
      assertThat(hashed(refusal)).isInstanceOf(TokenServerService.SignIn.BadCredentials.class);
    }
    assertThat(hashed(() -> tokens.signIn(null, "alice", PASSWORD, SOURCE)))
        .isInstanceOf(TokenServerService.SignIn.Issued.class);
  }

  @Test
  void theRightPasswordOfASuspendedAccountsUserIsRefusedAfterTheSameWork() throws Exception {
    Account sub = accounts.createSubaccount(instance.accountSid(), "Suspended");
    FlexInstance subInstance = flex.instanceOf(sub.sid()).orElseThrow();
    FlexUser bob = provision(subInstance, "bob");
    tokens.setPassword(subInstance, bob.sid(), PASSWORD);
    String sid = subInstance.sid().value();
    assertThat(tokens.signIn(sid, "bob", PASSWORD, SOURCE))
        .isInstanceOf(TokenServerService.SignIn.Issued.class);
    accounts.update(sub, sub.friendlyName(), AccountStatus.SUSPENDED);
    assertThat(hashed(() -> tokens.signIn(sid, "bob", PASSWORD, SOURCE)))
        .isInstanceOf(TokenServerService.SignIn.BadCredentials.class);
  }

  @Test
  void aLosingFirstSignInDeletesItsOwnKeyAndSignsWithTheWinners() {
    FlexInstance stale = instance;
    assertThat(stale.tokenServerKeySid()).isNull();
    // Another sign-in created and recorded its key after this one read the instance.
    Key winner =
        keys.create(instance.accountSid(), TokenServerService.KEY_NAME, KeyType.STANDARD, null);
    assertThat(flex.replaceTokenServerKey(stale, null, winner.sid())).isTrue();

    Key used = tokens.signingKey(stale);

    assertThat(used.sid()).isEqualTo(winner.sid());
    assertThat(fresh().tokenServerKeySid()).isEqualTo(winner.sid());
    List<Key> all = keys.page(instance.accountSid(), null, 0, 50).keys();
    assertThat(all).extracting(Key::sid).containsExactly(winner.sid());
  }

  @Test
  void theFirstSignInCreatesAStandardKeyAndLaterOnesReuseIt() {
    Key first = tokens.signingKey(instance);
    assertThat(first.type()).isEqualTo(KeyType.STANDARD);
    assertThat(first.friendlyName()).isEqualTo(TokenServerService.KEY_NAME);
    assertThat(fresh().tokenServerKeySid()).isEqualTo(first.sid());
    assertThat(tokens.signingKey(fresh()).sid()).isEqualTo(first.sid());
    assertThat(keys.page(instance.accountSid(), null, 0, 50).keys()).hasSize(1);
  }

  @Test
  void aDeletedKeyIsReplacedByANewOne() {
    Key first = tokens.signingKey(instance);
    assertThat(keys.delete(instance.accountSid(), first.sid())).isTrue();
    Key second = tokens.signingKey(fresh());
    assertThat(second.sid()).isNotEqualTo(first.sid());
    assertThat(fresh().tokenServerKeySid()).isEqualTo(second.sid());
  }
}
