package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.accounts.JdbiAccountStore;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.flex.FlexInstance;
import io.callsign.server.flex.FlexRole;
import io.callsign.server.flex.FlexService;
import io.callsign.server.flex.FlexStore;
import io.callsign.server.flex.FlexTokenService;
import io.callsign.server.flex.FlexTokenService.Rejection;
import io.callsign.server.flex.FlexTokenService.Validation;
import io.callsign.server.flex.FlexUser;
import io.callsign.server.flex.JdbiFlexStore;
import io.callsign.server.http.CredentialCache;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.KeyService;
import io.callsign.server.store.Database;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.KeySid;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Flex token service without HTTP, over a real database whose Flex reads are counted: a warm
 * validation reads nothing, a change on this node takes effect at once, and one on another node (a
 * second service on the same database) arrives within about a second. The clock is a {@link
 * TestClock}.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class FlexTokenHotPathTest {
  @Parameter TestDatabase db;

  private static final AccountSid SID = AccountSid.of(KeysTest.SID);

  @TempDir Path dir;
  private final TestClock clock = new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private Database database;
  private CountingFlexStore store;
  private Node node;
  private FlexInstance instance;

  /** What one server builds: the services and the caches in front of them. */
  private record Node(FlexService flex, FlexTokenService tokens, AccountService accounts) {}

  @BeforeEach
  void open() throws Exception {
    database = db.open(dir);
    database.migrate();
    SecretBox box = SecretBox.open(null, dir);
    JdbiFlexStore flexStore = new JdbiFlexStore(database.jdbi(), box);
    store = new CountingFlexStore(flexStore);
    Instant now = clock.instant();
    new JdbiAccountStore(
            database.jdbi(),
            box,
            (h, account) -> flexStore.insertInstanceFor(h, account.sid(), account.dateCreated()))
        .insert(
            new Account(
                SID,
                SID,
                "root",
                AccountStatus.ACTIVE,
                Account.TYPE_FULL,
                KeysTest.TOKEN,
                now,
                now));
    node = node(box);
    instance = node.flex().instanceOf(SID).orElseThrow();
  }

  /** Services wired as CallsignServer wires them, on the shared counted store. */
  private Node node(SecretBox box) {
    AccountService accounts = new AccountService(new JdbiAccountStore(database.jdbi(), box), clock);
    KeyService keys = new KeyService(new JdbiKeyStore(database.jdbi(), box), clock);
    CredentialCache credentials = new CredentialCache(accounts, keys);
    accounts.onChange(credentials::invalidate);
    FlexService flex = new FlexService(store, clock);
    FlexTokenService tokens = new FlexTokenService(flex, store, credentials, clock);
    flex.onUserChange(tokens::userChanged);
    return new Node(flex, tokens, accounts);
  }

  private Node otherNode() throws Exception {
    return node(SecretBox.open(null, dir));
  }

  @AfterEach
  void close() {
    database.close();
  }

  private FlexUser provision(String username) {
    return node.flex()
        .provision(
            instance,
            new FlexService.Provision(
                username, username + "@example.com", "Full Name", List.of("agent"), null, null))
        .user();
  }

  private String mint(FlexUser user, long ttl) {
    return node.tokens().mint(instance, user, ttl).token();
  }

  private static void assertValid(Validation v) {
    assertThat(v).isInstanceOf(Validation.Valid.class);
  }

  private static void assertRejected(Validation v, Rejection reason) {
    assertThat(v).isEqualTo(new Validation.Invalid(reason));
  }

  /** Polls {@code check} until it holds, for at most five seconds (designed: about one). */
  private static boolean eventually(Supplier<Boolean> check) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(5).toNanos();
    while (System.nanoTime() < deadline) {
      if (check.get()) {
        return true;
      }
      Thread.sleep(50);
    }
    return check.get();
  }

  @Test
  void validateWhenWarmThenReadsNoStoreAndDeprovisionTakesEffectAtOnce() {
    FlexUser user = provision("alice");
    String token = mint(user, 600);
    assertValid(node.tokens().validate(token, SID));
    int reads = store.reads.get();
    long started = System.nanoTime();

    for (int i = 0; i < 200; i++) {
      assertValid(node.tokens().validate(token, SID));
    }
    int warmReads = store.reads.get() - reads;
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    node.flex().deprovision(instance, user.sid());
    Validation afterDeprovision = node.tokens().validate(token, SID);

    // Busy entries are reloaded in the background twice a second: the user with its role, and the
    // revocation answer. An uncached path would read them on each of the 200 calls.
    assertThat(warmReads).isLessThanOrEqualTo(6 * (int) (seconds + 1));
    assertRejected(afterDeprovision, Rejection.USER_DEACTIVATED);
  }

  @Test
  void validateWhenMalformedOversizedOrOfUnknownInstanceThenReadsLittleOrNothing() {
    String token = mint(provision("alice"), 600);
    int reads = store.reads.get();

    assertRejected(node.tokens().validate("A".repeat(1 << 20), SID), Rejection.INVALID);
    assertRejected(node.tokens().validate(token + "A".repeat(1 << 20), SID), Rejection.INVALID);
    assertRejected(node.tokens().validate(null, SID), Rejection.INVALID);
    assertRejected(node.tokens().validate("", SID), Rejection.INVALID);
    assertThat(store.reads.get()).isEqualTo(reads);
    // A well-formed kid that names no instance: one read, then remembered.
    String header = FlexTokenHotPathTest.header(FlexInstanceSid.random().value());
    String forged = header + token.substring(token.indexOf('.'));
    for (int i = 0; i < 50; i++) {
      assertRejected(node.tokens().validate(forged, SID), Rejection.INVALID);
    }
    assertThat(store.reads.get() - reads).isEqualTo(1);
  }

  private static String header(String kid) {
    String json =
        "{\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\""
            + kid
            + "\",\"typ\":\""
            + FlexTokenService.TYPE
            + "\"}";
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(json.getBytes(StandardCharsets.UTF_8));
  }

  @Test
  void revokeThenKeptUntilExpiryPlusSkewSoThatPruningNeverRevivesIt() throws Exception {
    FlexUser user = provision("alice");
    String revoked = mint(user, 60);
    String other = mint(user, 3600);

    assertValid(node.tokens().revoke(revoked, SID));
    // Past exp, still within the skew: pruning now must not forget the revocation.
    clock.advance(Duration.ofSeconds(60 + 30));
    assertValid(node.tokens().revoke(other, SID));
    Validation freshNode = otherNode().tokens().validate(revoked, SID);
    // Past exp and skew: expired, and the revocation may go.
    clock.advance(Duration.ofSeconds(31));
    Validation expired = otherNode().tokens().validate(revoked, SID);
    int pruned = store.pruneRevokedTokens(clock.instant());

    assertRejected(freshNode, Rejection.REVOKED);
    assertRejected(expired, Rejection.EXPIRED);
    assertThat(pruned).isEqualTo(1);
  }

  @Test
  void revokeOrDeprovisionOnAnotherNodeThenArrivesHereWithinAboutASecond() throws Exception {
    FlexUser alice = provision("alice");
    FlexUser bob = provision("bob");
    String aliceToken = mint(alice, 600);
    String bobToken = mint(bob, 600);
    Node other = otherNode();
    // Both nodes have the tokens' user and revocation answers cached.
    assertValid(node.tokens().validate(aliceToken, SID));
    assertValid(node.tokens().validate(bobToken, SID));
    assertValid(other.tokens().validate(aliceToken, SID));

    assertValid(other.tokens().revoke(aliceToken, SID));
    other.flex().deprovision(instance, bob.sid());

    assertThat(
            eventually(
                () ->
                    node.tokens()
                        .validate(aliceToken, SID)
                        .equals(new Validation.Invalid(Rejection.REVOKED))))
        .isTrue();
    assertThat(
            eventually(
                () ->
                    node.tokens()
                        .validate(bobToken, SID)
                        .equals(new Validation.Invalid(Rejection.USER_DEACTIVATED))))
        .isTrue();
  }

  @Test
  void validateWhenAccountSuspendedThenInvalidAtOnce() {
    String token = mint(provision("alice"), 600);
    assertValid(node.tokens().validate(token, SID));
    Account root = node.accounts().find(SID).orElseThrow();

    node.accounts().update(root, root.friendlyName(), AccountStatus.SUSPENDED);

    assertRejected(node.tokens().validate(token, SID), Rejection.ACCOUNT_NOT_ACTIVE);
    assertRejected(node.tokens().validate(token, AccountSid.random()), Rejection.INVALID);
  }

  /** The real store, with every read counted. */
  private static final class CountingFlexStore implements FlexStore {
    final AtomicInteger reads = new AtomicInteger();
    private final FlexStore store;

    CountingFlexStore(FlexStore store) {
      this.store = store;
    }

    private <T> T read(T value) {
      reads.incrementAndGet();
      return value;
    }

    @Override
    public int createMissingInstances(Instant now) {
      return store.createMissingInstances(now);
    }

    @Override
    public Optional<FlexInstance> findInstance(FlexInstanceSid sid) {
      return read(store.findInstance(sid));
    }

    @Override
    public Optional<FlexInstance> findInstanceOf(AccountSid account) {
      return read(store.findInstanceOf(account));
    }

    @Override
    public boolean updateTokenTtl(FlexInstanceSid sid, int ttl, Instant now) {
      return store.updateTokenTtl(sid, ttl, now);
    }

    @Override
    public boolean replaceTokenServerKey(
        FlexInstanceSid sid, KeySid expected, KeySid key, Instant now) {
      return store.replaceTokenServerKey(sid, expected, key, now);
    }

    @Override
    public boolean insertUser(FlexUser user, String usernameKey) {
      return store.insertUser(user, usernameKey);
    }

    @Override
    public Optional<FlexUser> findUser(FlexUserSid sid) {
      return read(store.findUser(sid));
    }

    @Override
    public Optional<FlexUser> findUserByUsernameKey(FlexInstanceSid instance, String usernameKey) {
      return read(store.findUserByUsernameKey(instance, usernameKey));
    }

    @Override
    public List<FlexUser> pageUsers(
        FlexInstanceSid instance, String after, String before, int limit) {
      return read(store.pageUsers(instance, after, before, limit));
    }

    @Override
    public boolean updateUser(FlexUser user, long expectedVersion) {
      return store.updateUser(user, expectedVersion);
    }

    @Override
    public boolean setPasswordHash(FlexUserSid sid, String hash, Instant now) {
      return store.setPasswordHash(sid, hash, now);
    }

    @Override
    public List<FlexRole> listRoles(FlexInstanceSid instance) {
      return read(store.listRoles(instance));
    }

    @Override
    public Optional<FlexRole> findRole(FlexInstanceSid instance, String name) {
      return read(store.findRole(instance, name));
    }

    @Override
    public void saveRole(FlexInstanceSid instance, FlexRole role) {
      store.saveRole(instance, role);
    }

    @Override
    public boolean deleteRole(FlexInstanceSid instance, String name) {
      return store.deleteRole(instance, name);
    }

    @Override
    public int countActiveUsersWithRole(FlexInstanceSid instance, String name) {
      return read(store.countActiveUsersWithRole(instance, name));
    }

    @Override
    public void revokeToken(String tokenId, FlexInstanceSid instance, Instant expiresAt) {
      store.revokeToken(tokenId, instance, expiresAt);
    }

    @Override
    public boolean isTokenRevoked(String tokenId) {
      return read(store.isTokenRevoked(tokenId));
    }

    @Override
    public int pruneRevokedTokens(Instant now) {
      return store.pruneRevokedTokens(now);
    }
  }
}
