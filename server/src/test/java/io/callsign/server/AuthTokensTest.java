package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static io.callsign.server.TestServers.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.accounts.v1.AuthTokenPromotion;
import com.twilio.rest.accounts.v1.SecondaryAuthToken;
import com.twilio.rest.api.v2010.Account;
import io.callsign.server.accounts.JdbiAccountStore;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyType;
import io.callsign.server.keys.Policy;
import io.callsign.server.store.Database;
import io.callsign.tokens.sid.AccountSid;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Clock;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Accounts v1 AuthTokens (twilio-wire.md 2.3) through twilio-java 13 and raw HTTP. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class AuthTokensTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "a".repeat(16) + "b".repeat(16);
  private static final String SECONDARY = "/v1/AuthTokens/Secondary";
  private static final String PROMOTE = "/v1/AuthTokens/Promote";
  private static final String ISO = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z";

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
    return TestServers.twilioClient(new LoopbackTwilioClient(port), user, password, SID);
  }

  private int fetchStatus(String user, String password) throws Exception {
    return get(port, "/2010-04-01/Accounts/" + SID + ".json", basic(user, password)).statusCode();
  }

  private HttpResponse<String> send(String method, String path, String auth) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", auth);
    if (method.equals("POST")) {
      b.header("Content-Type", "application/x-www-form-urlencoded")
          .POST(HttpRequest.BodyPublishers.ofString(""));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return TestServers.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private Key createKey(KeyType type) throws Exception {
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      return new KeyService(new JdbiKeyStore(database.jdbi(), box), Clock.systemUTC())
          .create(
              AccountSid.of(SID),
              "k",
              type,
              type == KeyType.RESTRICTED
                  ? new Policy(List.of("/twilio/accounts/accounts/read"))
                  : null);
    }
  }

  // ---- success cases ----

  @Test
  void createSecondaryWithTwilioJavaThenReturnsTokenAndIsoDates() {
    SecondaryAuthToken s = SecondaryAuthToken.creator().create(root);

    assertThat(s.getAccountSid()).isEqualTo(SID);
    assertThat(s.getSecondaryAuthToken()).matches("[0-9a-f]{32}").isNotEqualTo(TOKEN);
    assertThat(s.getUrl()).hasToString("https://accounts.twilio.com/v1/AuthTokens/Secondary");
    assertThat(s.getDateCreated())
        .isNotNull()
        .isBetween(
            ZonedDateTime.now(ZoneOffset.UTC).minusMinutes(5),
            ZonedDateTime.now(ZoneOffset.UTC).plusMinutes(1));
    assertThat(s.getDateUpdated()).isNotNull();
  }

  @Test
  void createSecondaryOverHttpThenAnswers201WithExactlyTheDocumentedFields() throws Exception {
    HttpResponse<String> res = send("POST", SECONDARY, basic(SID, TOKEN));

    assertThat(res.statusCode()).isEqualTo(201);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.properties())
        .extracting(Map.Entry::getKey)
        .containsExactly(
            "account_sid", "date_created", "date_updated", "secondary_auth_token", "url");
    assertThat(body.get("date_created").asText()).matches(ISO);
    assertThat(body.get("date_updated").asText()).matches(ISO);
  }

  @Test
  void createSecondaryThenBothTokensAuthenticate() throws Exception {
    String secondary = SecondaryAuthToken.creator().create(root).getSecondaryAuthToken();

    assertThat(fetchStatus(SID, TOKEN)).isEqualTo(200);
    assertThat(fetchStatus(SID, secondary)).isEqualTo(200);
    assertThat(Account.fetcher(SID).fetch(client(SID, secondary)).getSid()).isEqualTo(SID);
  }

  @Test
  void promoteWhenSecondaryExistsThenOldTokenStopsWorking() throws Exception {
    String secondary = SecondaryAuthToken.creator().create(root).getSecondaryAuthToken();
    assertThat(fetchStatus(SID, TOKEN)).isEqualTo(200);

    AuthTokenPromotion p = AuthTokenPromotion.updater().update(root);

    assertThat(p.getAccountSid()).isEqualTo(SID);
    assertThat(p.getAuthToken()).isEqualTo(secondary);
    assertThat(p.getDateCreated()).isNotNull();
    assertThat(p.getDateUpdated()).isNotNull();
    assertThat(p.getUrl()).hasToString("https://accounts.twilio.com/v1/AuthTokens/Promote");
    // At once on this node, not after the cache expiry.
    assertThat(fetchStatus(SID, TOKEN)).isEqualTo(401);
    assertThat(fetchStatus(SID, secondary)).isEqualTo(200);
    assertThat(Account.fetcher(SID).fetch(client(SID, secondary)).getAuthToken())
        .isEqualTo(secondary);
  }

  @Test
  void promoteOverHttpThenAnswers200WithExactlyTheDocumentedFields() throws Exception {
    send("POST", SECONDARY, basic(SID, TOKEN));

    HttpResponse<String> res = send("POST", PROMOTE, basic(SID, TOKEN));

    assertThat(res.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.properties())
        .extracting(Map.Entry::getKey)
        .containsExactly("account_sid", "auth_token", "date_created", "date_updated", "url");
    assertThat(body.get("date_created").asText()).matches(ISO);
    assertThat(body.get("date_updated").asText()).matches(ISO);
  }

  @Test
  void promoteThenNewTokenStillWorksAfterRestart() throws Exception {
    String secondary = SecondaryAuthToken.creator().create(root).getSecondaryAuthToken();
    AuthTokenPromotion.updater().update(root);
    server.stop();
    // The environment's token differs from the stored one now; the stored one wins.
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();

    assertThat(fetchStatus(SID, secondary)).isEqualTo(200);
    assertThat(fetchStatus(SID, TOKEN)).isEqualTo(401);
  }

  @Test
  void deleteSecondaryWithTwilioJavaThenOnlyThePrimaryAuthenticates() throws Exception {
    String secondary = SecondaryAuthToken.creator().create(root).getSecondaryAuthToken();

    assertThat(SecondaryAuthToken.deleter().delete(root)).isTrue();

    assertThat(fetchStatus(SID, secondary)).isEqualTo(401);
    assertThat(fetchStatus(SID, TOKEN)).isEqualTo(200);
  }

  @Test
  void mainKeyWhenRotatingThenMayDoEverything() throws Exception {
    Key main = createKey(KeyType.MAIN);
    TwilioRestClient viaMain = client(main.sid().value(), main.secret());

    String secondary = SecondaryAuthToken.creator().create(viaMain).getSecondaryAuthToken();
    assertThat(AuthTokenPromotion.updater().update(viaMain).getAuthToken()).isEqualTo(secondary);
    // The key belongs to the account, not to the token: it keeps working.
    assertThat(fetchStatus(main.sid().value(), main.secret())).isEqualTo(200);
  }

  @Test
  void secondaryWhenStoredThenNotInClearInTheStoredData() throws Exception {
    String secondary = SecondaryAuthToken.creator().create(root).getSecondaryAuthToken();

    db.assertStoredDataLacks(dir, List.of(secondary, TOKEN));
    server.stop();
    db.assertStoredDataLacks(dir, List.of(secondary, TOKEN));
  }

  // ---- failure cases ----

  @Test
  void promoteWhenNoSecondaryThenThrows400AndTokenUnchanged() throws Exception {
    assertThatThrownBy(() -> AuthTokenPromotion.updater().update(root))
        .satisfies(e -> TestServers.assertTwilioError(e, 400, 20001));
    assertThat(fetchStatus(SID, TOKEN)).isEqualTo(200);
  }

  @Test
  void promoteWhenOldTokenUsedAfterPromotionThenThrows401() {
    SecondaryAuthToken.creator().create(root);
    AuthTokenPromotion.updater().update(root);

    assertThatThrownBy(() -> AuthTokenPromotion.updater().update(client(SID, TOKEN)))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
  }

  @Test
  void promoteWhenPromotedTwiceWithNewTokenThenThrows400() {
    String secondary = SecondaryAuthToken.creator().create(root).getSecondaryAuthToken();
    AuthTokenPromotion.updater().update(root);

    assertThatThrownBy(() -> AuthTokenPromotion.updater().update(client(SID, secondary)))
        .satisfies(e -> TestServers.assertTwilioError(e, 400, 20001));
  }

  @Test
  void deleteSecondaryWhenNoneThenThrows404() {
    assertThatThrownBy(() -> SecondaryAuthToken.deleter().delete(root))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
  }

  @Test
  void createSecondaryTwiceThenTheFirstSecondaryStopsWorking() throws Exception {
    String first = SecondaryAuthToken.creator().create(root).getSecondaryAuthToken();
    String second = SecondaryAuthToken.creator().create(root).getSecondaryAuthToken();

    assertThat(second).isNotEqualTo(first);
    assertThat(fetchStatus(SID, first)).isEqualTo(401);
    assertThat(fetchStatus(SID, second)).isEqualTo(200);
  }

  @Test
  void standardKeyWhenRotatingThenGets401With20003() throws Exception {
    Key standard = createKey(KeyType.STANDARD);
    TwilioRestClient viaKey = client(standard.sid().value(), standard.secret());

    assertThatThrownBy(() -> SecondaryAuthToken.creator().create(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
    SecondaryAuthToken.creator().create(root);
    assertThatThrownBy(() -> AuthTokenPromotion.updater().update(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
    assertThatThrownBy(() -> SecondaryAuthToken.deleter().delete(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
    assertThat(fetchStatus(SID, TOKEN)).isEqualTo(200);
  }

  @Test
  void restrictedKeyWhenRotatingThenGets403With70051() throws Exception {
    Key restricted = createKey(KeyType.RESTRICTED);

    assertThatThrownBy(
            () ->
                SecondaryAuthToken.creator()
                    .create(client(restricted.sid().value(), restricted.secret())))
        .satisfies(e -> TestServers.assertTwilioError(e, 403, 70051));
  }

  @Test
  void rotateWhenWrongTokenThenReturns401WithChallenge() throws Exception {
    for (String[] call :
        new String[][] {{"POST", SECONDARY}, {"DELETE", SECONDARY}, {"POST", PROMOTE}}) {
      HttpResponse<String> res = send(call[0], call[1], basic(SID, "w".repeat(32)));
      assertThat(res.statusCode()).as(call[0] + " " + call[1]).isEqualTo(401);
      assertThat(res.headers().firstValue("WWW-Authenticate"))
          .hasValue("Basic realm=\"Twilio API\"");
      assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20003);
    }
  }

  @Test
  void getSecondaryThenReturns405() throws Exception {
    HttpResponse<String> res = send("GET", SECONDARY, basic(SID, TOKEN));

    assertThat(res.statusCode()).isEqualTo(405);
    assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20004);
  }

  @Test
  void secondaryCiphertextWhenSwappedWithPrimaryThenDoesNotDecrypt() throws Exception {
    SecondaryAuthToken.creator().create(root);
    server.stop();
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      database
          .jdbi()
          .useHandle(
              h ->
                  h.execute(
                      "UPDATE accounts SET auth_token_enc = secondary_auth_token_enc,"
                          + " secondary_auth_token_enc = auth_token_enc WHERE sid = ?",
                      SID));
      JdbiAccountStore store = new JdbiAccountStore(database.jdbi(), box);

      assertThatThrownBy(() -> store.find(AccountSid.of(SID)))
          .isInstanceOf(IllegalStateException.class)
          .hasMessageNotContaining(TOKEN);
    }
    // Restarting would fail on the same row; start a fresh server elsewhere for @AfterEach.
    server = new CallsignServer(db.config(dir.resolve("fresh")).withRootCredentials(SID, TOKEN));
  }
}
