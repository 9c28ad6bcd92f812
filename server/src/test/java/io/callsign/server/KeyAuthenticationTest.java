package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static io.callsign.server.TestServers.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.Account;
import com.twilio.rest.api.v2010.account.Key;
import com.twilio.rest.api.v2010.account.NewKey;
import io.callsign.server.accounts.JdbiAccountStore;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyType;
import io.callsign.server.store.Database;
import io.callsign.tokens.sid.AccountSid;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** HTTP Basic with {@code SK...:secret}: what keys may do, and that revocation is immediate. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class KeyAuthenticationTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = KeysTest.SID;
  private static final String TOKEN = KeysTest.TOKEN;
  private static final String OTHER_TOKEN = "c".repeat(32);

  @TempDir Path dir;
  private CallsignServer server;
  private int port;
  private TwilioRestClient root;

  @BeforeEach
  void start() {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
    root = client(SID, TOKEN, SID);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private TwilioRestClient client(String user, String password, String accountSid) {
    return TestServers.twilioClient(new LoopbackTwilioClient(port), user, password, accountSid);
  }

  /** Runs {@code action} with the server's stores, opened beside it on the same data directory. */
  private <T> T withStores(StoreAction<T> action) throws Exception {
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      return action.run(
          new JdbiAccountStore(database.jdbi(), box),
          new KeyService(new JdbiKeyStore(database.jdbi(), box), Clock.systemUTC()));
    }
  }

  private interface StoreAction<T> {
    T run(JdbiAccountStore accounts, KeyService keys) throws Exception;
  }

  // ---- success cases ----

  @Test
  void clientBuiltWithNewKeyThenFetchesTheAccount() {
    NewKey key = NewKey.creator().create(root);

    Account account = Account.fetcher(SID).fetch(client(key.getSid(), key.getSecret(), SID));

    assertThat(account.getSid()).isEqualTo(SID);
    assertThat(account.getStatus()).isEqualTo(Account.Status.ACTIVE);
  }

  @Test
  void standardKeyWhenFetchingAccountThenAuthTokenIsWithheld() throws Exception {
    NewKey key = NewKey.creator().create(root);

    HttpResponse<String> res =
        get(port, "/2010-04-01/Accounts/" + SID + ".json", basic(key.getSid(), key.getSecret()));

    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(res.body()).get("auth_token").isNull()).isTrue();
    assertThat(res.body()).doesNotContain(TOKEN);
  }

  @Test
  void mainKeyWhenManagingKeysThenMayDoEverything() throws Exception {
    var main =
        withStores((accounts, keys) -> keys.create(AccountSid.of(SID), "m", KeyType.MAIN, null));
    TwilioRestClient viaMain = client(main.sid().value(), main.secret(), SID);

    NewKey made = NewKey.creator().setFriendlyName("by main").create(viaMain);

    assertThat(Key.fetcher(made.getSid()).fetch(viaMain).getFriendlyName()).isEqualTo("by main");
    assertThat(Key.deleter(made.getSid()).delete(viaMain)).isTrue();
  }

  // ---- failure cases ----

  @Test
  void deleteKeyWhenDoneThenKeyStopsAuthenticatingAtOnce() {
    NewKey key = NewKey.creator().create(root);
    TwilioRestClient viaKey = client(key.getSid(), key.getSecret(), SID);
    // Warm the authentication cache with the key.
    assertThat(Account.fetcher(SID).fetch(viaKey).getSid()).isEqualTo(SID);

    Key.deleter(key.getSid()).delete(root);

    assertThatThrownBy(() -> Account.fetcher(SID).fetch(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
  }

  @Test
  void standardKeyWhenCreatingOrListingKeysThenGets401With20003() {
    NewKey key = NewKey.creator().create(root);
    TwilioRestClient viaKey = client(key.getSid(), key.getSecret(), SID);

    assertThatThrownBy(() -> NewKey.creator().create(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
    assertThatThrownBy(() -> Key.reader().read(viaKey).iterator().next())
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
    assertThatThrownBy(() -> Key.deleter(key.getSid()).delete(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
  }

  @Test
  void restrictedKeyWhenManagingKeysThenGets403With70051() throws Exception {
    var restricted =
        withStores(
            (accounts, keys) ->
                keys.create(
                    AccountSid.of(SID), "r", KeyType.RESTRICTED, TestServers.OTHER_PRODUCT_POLICY));

    assertThatThrownBy(
            () ->
                NewKey.creator().create(client(restricted.sid().value(), restricted.secret(), SID)))
        .satisfies(e -> TestServers.assertTwilioError(e, 403, 70051));
  }

  @Test
  void wrongKeySecretThenSameAnswerAsWrongAuthToken() throws Exception {
    NewKey key = NewKey.creator().create(root);
    String path = "/2010-04-01/Accounts/" + SID + ".json";

    HttpResponse<String> wrongSecret = get(port, path, basic(key.getSid(), "w".repeat(43)));
    HttpResponse<String> unknownKey =
        get(port, path, basic(io.callsign.tokens.sid.KeySid.random().value(), key.getSecret()));
    HttpResponse<String> wrongToken = get(port, path, basic(SID, "w".repeat(32)));

    assertThat(wrongSecret.statusCode()).isEqualTo(401);
    assertThat(wrongSecret.body()).isEqualTo(unknownKey.body()).isEqualTo(wrongToken.body());
    assertThat(wrongSecret.headers().firstValue("WWW-Authenticate"))
        .hasValue("Basic realm=\"Twilio API\"");
  }

  @Test
  void keyOfAnotherAccountWhenFetchedThenReturns404() throws Exception {
    AccountSid other = db.insertMainAccount(dir, OTHER_TOKEN);
    var foreign =
        withStores((accounts, keys) -> keys.create(other, "theirs", KeyType.STANDARD, null));

    // Neither under our account's path nor under theirs.
    assertThatThrownBy(() -> Key.fetcher(foreign.sid().value()).fetch(root))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
    assertThatThrownBy(() -> Key.fetcher(other.value(), foreign.sid().value()).fetch(root))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
    assertThatThrownBy(() -> Key.deleter(foreign.sid().value()).delete(root))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
  }

  @Test
  void otherAccountWhenListingOurKeysThenReturns404() throws Exception {
    AccountSid other = db.insertMainAccount(dir, OTHER_TOKEN);
    NewKey.creator().create(root);

    HttpResponse<String> res =
        get(port, "/2010-04-01/Accounts/" + SID + "/Keys.json", basic(other.value(), OTHER_TOKEN));

    assertThat(res.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20404);
  }

  @Test
  void keySecretsWhenStoredThenNotInClearInTheStoredData() throws Exception {
    List<String> secrets =
        List.of(
            NewKey.creator().create(root).getSecret(), NewKey.creator().create(root).getSecret());

    db.assertStoredDataLacks(dir, secrets);
    server.stop();
    // After a clean stop the SQLite WAL is checkpointed into the main file: check that too.
    db.assertStoredDataLacks(dir, secrets);
  }

  @Test
  void keyWhenItsAccountIsSuspendedThenGets20005() throws Exception {
    NewKey key = NewKey.creator().create(root);
    try (Database database = db.open(dir)) {
      database
          .jdbi()
          .useHandle(h -> h.execute("UPDATE accounts SET status = 'suspended' WHERE sid = ?", SID));
    }
    // The authentication cache keeps an account for at most a second.
    Thread.sleep(1_100);

    HttpResponse<String> res =
        get(port, "/2010-04-01/Accounts/" + SID + ".json", basic(key.getSid(), key.getSecret()));

    assertThat(res.statusCode()).isEqualTo(401);
    assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20005);
  }
}
