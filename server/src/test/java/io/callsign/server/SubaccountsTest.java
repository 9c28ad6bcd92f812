package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static io.callsign.server.TestServers.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.Account;
import com.twilio.rest.api.v2010.account.NewKey;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.accounts.JdbiAccountStore;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyType;
import io.callsign.server.store.Database;
import io.callsign.tokens.sid.AccountSid;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** v2010 subaccounts (twilio-wire.md 1.3) through twilio-java 13 and raw HTTP. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class SubaccountsTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "a".repeat(16) + "b".repeat(16);
  private static final String LIST = "/2010-04-01/Accounts.json";

  @TempDir Path dir;
  private CallsignServer server;
  private int port;
  private TwilioRestClient root;

  @BeforeEach
  void start() {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
    root = client(SID, TOKEN);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private TwilioRestClient client(String user, String password) {
    return TestServers.twilioClient(
        new LoopbackTwilioClient(port), user, password, user.startsWith("AC") ? user : SID);
  }

  private TwilioRestClient as(Account a) {
    return client(a.getSid(), a.getAuthToken());
  }

  private static String path(String sid) {
    return "/2010-04-01/Accounts/" + sid + ".json";
  }

  private HttpResponse<String> post(String path, String auth, String form) throws Exception {
    return TestServers.HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", auth)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString(form))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private Key createKey(String account, KeyType type) throws Exception {
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      return new KeyService(new JdbiKeyStore(database.jdbi(), box), Clock.systemUTC())
          .create(AccountSid.of(account), "k", type, null);
    }
  }

  private static List<String> sids(Iterable<Account> accounts) {
    return StreamSupport.stream(accounts.spliterator(), false).map(Account::getSid).toList();
  }

  // ---- success cases ----

  @Test
  void createSubaccountWithTwilioJavaThenReturnsWorkingCredentials() {
    Account sub = Account.creator().setFriendlyName("tenant one").create(root);

    assertThat(sub.getSid()).matches("AC[0-9a-f]{32}").isNotEqualTo(SID);
    assertThat(sub.getOwnerAccountSid()).isEqualTo(SID);
    assertThat(sub.getFriendlyName()).isEqualTo("tenant one");
    assertThat(sub.getStatus()).isEqualTo(Account.Status.ACTIVE);
    assertThat(sub.getAuthToken()).matches("[0-9a-f]{32}");
    assertThat(sub.getDateCreated())
        .isNotNull()
        .isBetween(
            ZonedDateTime.now(ZoneOffset.UTC).minusMinutes(5),
            ZonedDateTime.now(ZoneOffset.UTC).plusMinutes(1));
    // The new credentials work at once, for the subaccount itself.
    assertThat(Account.fetcher(sub.getSid()).fetch(as(sub)).getSid()).isEqualTo(sub.getSid());
  }

  @Test
  void createSubaccountOverHttpWithoutNameThenAnswers201WithDefaultName() throws Exception {
    HttpResponse<String> res = post(LIST, basic(SID, TOKEN), "");

    assertThat(res.statusCode()).isEqualTo(201);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.get("friendly_name").asText())
        .matches("SubAccount Created at \\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2} (am|pm)");
    assertThat(body.get("auth_token").asText()).hasSize(32);
    assertThat(body.get("owner_account_sid").asText()).isEqualTo(SID);
  }

  @Test
  void listAccountsWithTwilioJavaThenReturnsOwnAccountAndSubaccounts() {
    Account a = Account.creator().setFriendlyName("a").create(root);
    Account b = Account.creator().setFriendlyName("b").create(root);

    List<String> all = sids(Account.reader().read(root));

    assertThat(all).containsExactlyInAnyOrder(SID, a.getSid(), b.getSid());
  }

  @Test
  void listAccountsWhenFilteredThenReturnsOnlyMatches() {
    Account a = Account.creator().setFriendlyName("alpha").create(root);
    Account b = Account.creator().setFriendlyName("beta").create(root);
    Account.updater(b.getSid()).setStatus(Account.Status.SUSPENDED).update(root);

    assertThat(sids(Account.reader().setFriendlyName("alpha").read(root)))
        .containsExactly(a.getSid());
    assertThat(sids(Account.reader().setStatus(Account.Status.SUSPENDED).read(root)))
        .containsExactly(b.getSid());
  }

  @Test
  void listAccountsWhenPagedThenTwilioJavaFollowsEveryPage() {
    for (int i = 0; i < 4; i++) {
      Account.creator().create(root);
    }

    List<String> all = sids(Account.reader().setPageSize(2L).read(root));

    assertThat(all).hasSize(5).doesNotHaveDuplicates().contains(SID);
  }

  @Test
  void listAccountsOverHttpThenSendsTheV2010Envelope() throws Exception {
    HttpResponse<String> res = get(port, LIST, basic(SID, TOKEN));

    assertThat(res.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.get("accounts").isArray()).isTrue();
    assertThat(body.get("uri").asText()).startsWith(LIST);
    assertThat(body.has("next_page_uri")).isTrue();
  }

  @Test
  void updateSubaccountWithParentCredentialsThenRenamesAndSuspends() {
    Account sub = Account.creator().create(root);

    Account updated =
        Account.updater(sub.getSid())
            .setFriendlyName("renamed")
            .setStatus(Account.Status.SUSPENDED)
            .update(root);

    assertThat(updated.getFriendlyName()).isEqualTo("renamed");
    assertThat(updated.getStatus()).isEqualTo(Account.Status.SUSPENDED);
    assertThat(Account.fetcher(sub.getSid()).fetch(root).getStatus())
        .isEqualTo(Account.Status.SUSPENDED);
  }

  @Test
  void reactivateSuspendedSubaccountThenItAuthenticatesAgain() throws Exception {
    Account sub = Account.creator().create(root);
    Account.updater(sub.getSid()).setStatus(Account.Status.SUSPENDED).update(root);

    Account.updater(sub.getSid()).setStatus(Account.Status.ACTIVE).update(root);

    assertThat(get(port, path(sub.getSid()), basic(sub.getSid(), sub.getAuthToken())).statusCode())
        .isEqualTo(200);
  }

  @Test
  void renameOwnAccountThenFriendlyNameChanges() {
    Account updated = Account.updater(SID).setFriendlyName("mine").update(root);

    assertThat(updated.getFriendlyName()).isEqualTo("mine");
    assertThat(updated.getStatus()).isEqualTo(Account.Status.ACTIVE);
  }

  @Test
  void parentWhenManagingSubaccountKeysThenAllowed() {
    Account sub = Account.creator().create(root);

    NewKey key = NewKey.creator(sub.getSid()).create(root);

    assertThat(key.getSid()).startsWith("SK");
  }

  // ---- failure cases ----

  @Test
  void suspendSubaccountThenItsTokenAndKeysGet20005AtOnce() throws Exception {
    Account sub = Account.creator().create(root);
    NewKey key = NewKey.creator(sub.getSid()).create(root);
    // Warm the authentication cache.
    assertThat(get(port, path(sub.getSid()), basic(sub.getSid(), sub.getAuthToken())).statusCode())
        .isEqualTo(200);

    Account.updater(sub.getSid()).setStatus(Account.Status.SUSPENDED).update(root);

    for (String auth :
        List.of(basic(sub.getSid(), sub.getAuthToken()), basic(key.getSid(), key.getSecret()))) {
      HttpResponse<String> res = get(port, path(sub.getSid()), auth);
      assertThat(res.statusCode()).isEqualTo(401);
      assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20005);
    }
  }

  @Test
  void suspendParentThenSubaccountCredentialsGet20005UntilItIsReactivated() throws Exception {
    Account sub = Account.creator().create(root);
    NewKey key = NewKey.creator(sub.getSid()).create(root);
    List<String> subCredentials =
        List.of(basic(sub.getSid(), sub.getAuthToken()), basic(key.getSid(), key.getSecret()));
    assertThat(get(port, path(sub.getSid()), subCredentials.getFirst()).statusCode())
        .isEqualTo(200);

    // No API suspends a main account; an operator does it in the database, and other nodes see
    // it once their one-second cache entries expire.
    setRootStatus(AccountStatus.SUSPENDED);

    for (String auth : subCredentials) {
      HttpResponse<String> res = awaitStatus(path(sub.getSid()), auth, 401);
      assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20005);
    }
    setRootStatus(AccountStatus.ACTIVE);
    for (String auth : subCredentials) {
      awaitStatus(path(sub.getSid()), auth, 200);
    }
  }

  private void setRootStatus(AccountStatus status) throws Exception {
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      AccountService accounts =
          new AccountService(new JdbiAccountStore(database.jdbi(), box), Clock.systemUTC());
      io.callsign.server.accounts.Account rootAccount =
          accounts.find(AccountSid.of(SID)).orElseThrow();
      assertThat(accounts.update(rootAccount, rootAccount.friendlyName(), status)).isPresent();
    }
  }

  private HttpResponse<String> awaitStatus(String path, String auth, int status) throws Exception {
    Instant deadline = Instant.now().plusSeconds(10);
    HttpResponse<String> res = get(port, path, auth);
    while (res.statusCode() != status && Instant.now().isBefore(deadline)) {
      Thread.sleep(50);
      res = get(port, path, auth);
    }
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    return res;
  }

  @Test
  void closeSubaccountThenReopenIsRefusedWith400() throws Exception {
    Account sub = Account.creator().create(root);
    Account.updater(sub.getSid()).setStatus(Account.Status.CLOSED).update(root);

    assertThatThrownBy(
            () -> Account.updater(sub.getSid()).setStatus(Account.Status.ACTIVE).update(root))
        .satisfies(e -> TestServers.assertTwilioError(e, 400, 20001));
    assertThatThrownBy(() -> Account.updater(sub.getSid()).setFriendlyName("x").update(root))
        .satisfies(e -> TestServers.assertTwilioError(e, 400, 20001));
    assertThat(Account.fetcher(sub.getSid()).fetch(root).getStatus())
        .isEqualTo(Account.Status.CLOSED);
    HttpResponse<String> res =
        get(port, path(sub.getSid()), basic(sub.getSid(), sub.getAuthToken()));
    assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20005);
  }

  @Test
  void subaccountWhenFetchingParentOrSiblingThenGets404() {
    Account a = Account.creator().create(root);
    Account b = Account.creator().create(root);

    assertThatThrownBy(() -> Account.fetcher(SID).fetch(as(a)))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
    assertThatThrownBy(() -> Account.fetcher(b.getSid()).fetch(as(a)))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
    assertThatThrownBy(() -> Account.updater(SID).setFriendlyName("x").update(as(a)))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
  }

  @Test
  void subaccountWhenListingThenSeesOnlyItself() {
    Account a = Account.creator().create(root);
    Account.creator().create(root);

    assertThat(sids(Account.reader().read(as(a)))).containsExactly(a.getSid());
  }

  @Test
  void otherMainAccountWhenFetchingOrUpdatingSubaccountThenGets404() throws Exception {
    Account sub = Account.creator().create(root);
    String other = AccountSid.random().value();
    String otherToken = "o".repeat(32);
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    try (Database database = db.open(dir)) {
      new JdbiAccountStore(database.jdbi(), SecretBox.open(null, dir))
          .insert(
              new io.callsign.server.accounts.Account(
                  AccountSid.of(other),
                  AccountSid.of(other),
                  "Other",
                  AccountStatus.ACTIVE,
                  io.callsign.server.accounts.Account.TYPE_FULL,
                  otherToken,
                  now,
                  now));
    }

    HttpResponse<String> fetch = get(port, path(sub.getSid()), basic(other, otherToken));
    HttpResponse<String> close =
        post(path(sub.getSid()), basic(other, otherToken), "Status=closed");

    assertThat(fetch.statusCode()).isEqualTo(404);
    assertThat(close.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(close.body()).get("code").asInt()).isEqualTo(20404);
    assertThat(sids(Account.reader().read(client(other, otherToken)))).containsExactly(other);
    assertThat(Account.fetcher(sub.getSid()).fetch(root).getStatus())
        .isEqualTo(Account.Status.ACTIVE);
  }

  @Test
  void subaccountWhenCreatingSubaccountThenIsRefused() {
    Account a = Account.creator().create(root);

    assertThatThrownBy(() -> Account.creator().create(as(a)))
        .satisfies(e -> TestServers.assertTwilioError(e, 403, 20403));
  }

  @Test
  void subaccountWhenChangingOwnStatusThenGets400() {
    Account a = Account.creator().create(root);

    assertThatThrownBy(
            () -> Account.updater(a.getSid()).setStatus(Account.Status.CLOSED).update(as(a)))
        .satisfies(e -> TestServers.assertTwilioError(e, 400, 20001));
  }

  @Test
  void mainAccountWhenSuspendingItselfThenGets400() {
    assertThatThrownBy(() -> Account.updater(SID).setStatus(Account.Status.SUSPENDED).update(root))
        .satisfies(e -> TestServers.assertTwilioError(e, 400, 20001));
    assertThat(Account.fetcher(SID).fetch(root).getStatus()).isEqualTo(Account.Status.ACTIVE);
  }

  @Test
  void standardKeyWhenCreatingOrUpdatingAccountsThenGets401With20003() throws Exception {
    Key standard = createKey(SID, KeyType.STANDARD);
    TwilioRestClient viaKey = client(standard.sid().value(), standard.secret());

    assertThatThrownBy(() -> Account.creator().create(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
    assertThatThrownBy(() -> Account.updater(SID).setFriendlyName("x").update(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
  }

  @Test
  void updateWhenBadStatusOrLongNameThenGets400() throws Exception {
    Account sub = Account.creator().create(root);

    HttpResponse<String> bad = post(path(sub.getSid()), basic(SID, TOKEN), "Status=deleted");
    HttpResponse<String> longName =
        post(path(sub.getSid()), basic(SID, TOKEN), "FriendlyName=" + "n".repeat(65));
    HttpResponse<String> badList = get(port, LIST + "?Status=gone", basic(SID, TOKEN));

    assertThat(bad.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(bad.body()).get("code").asInt()).isEqualTo(20001);
    assertThat(longName.statusCode()).isEqualTo(400);
    assertThat(JSON.readTree(longName.body()).get("code").asInt()).isEqualTo(20002);
    assertThat(badList.statusCode()).isEqualTo(400);
  }

  @Test
  void subaccountTokensWhenStoredThenNotInClearInTheStoredData() throws Exception {
    Account a = Account.creator().create(root);

    db.assertStoredDataLacks(dir, List.of(a.getAuthToken()));
  }
}
