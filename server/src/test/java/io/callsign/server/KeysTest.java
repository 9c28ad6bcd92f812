package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static io.callsign.server.TestServers.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.base.ResourceSet;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.account.Key;
import com.twilio.rest.api.v2010.account.NewKey;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The v2010 Keys resource through twilio-java 13 and raw HTTP (twilio-wire.md 1.1). */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class KeysTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  static final String SID = "AC" + "0123456789abcdef".repeat(2);
  static final String TOKEN = "a".repeat(16) + "b".repeat(16);
  private static final String KEYS = "/2010-04-01/Accounts/" + SID + "/Keys.json";

  @TempDir Path dir;
  private CallsignServer server;
  private int port;
  private LoopbackTwilioClient loopback;
  private TwilioRestClient client;

  @BeforeEach
  void start() {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
    loopback = new LoopbackTwilioClient(port);
    client = client(SID, TOKEN);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private TwilioRestClient client(String user, String password) {
    return TestServers.twilioClient(loopback, user, password, SID);
  }

  private static String keyPath(String keySid) {
    return "/2010-04-01/Accounts/" + SID + "/Keys/" + keySid + ".json";
  }

  private HttpResponse<String> send(String method, String path, String auth, String form)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Authorization", auth);
    if (form != null) {
      b.header("Content-Type", "application/x-www-form-urlencoded")
          .method(method, HttpRequest.BodyPublishers.ofString(form));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return TestServers.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  // ---- success cases ----

  @Test
  void createKeyWithTwilioJavaThenReturnsSidSecretAndRfc2822Dates() {
    NewKey key = NewKey.creator().setFriendlyName("laptop").create(client);

    assertThat(key.getSid()).matches("SK[0-9a-f]{32}");
    assertThat(key.getFriendlyName()).isEqualTo("laptop");
    // 32 random bytes in base64url: jjwt needs an HMAC key of at least 32 bytes.
    assertThat(key.getSecret()).matches("[A-Za-z0-9_-]{43}");
    assertThat(key.getDateCreated())
        .isNotNull()
        .isBetween(
            ZonedDateTime.now(ZoneOffset.UTC).minusMinutes(5),
            ZonedDateTime.now(ZoneOffset.UTC).plusMinutes(1));
    assertThat(key.getDateUpdated()).isEqualTo(key.getDateCreated());
  }

  @Test
  void createKeyOverHttpThenAnswers201WithExactlyTheNewKeyFields() throws Exception {
    HttpResponse<String> res = send("POST", KEYS, basic(SID, TOKEN), "FriendlyName=ci");

    assertThat(res.statusCode()).isEqualTo(201);
    assertThat(JSON.readTree(res.body()).properties())
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder(
            "sid", "friendly_name", "date_created", "date_updated", "secret");
  }

  @Test
  void fetchAndListWhenKeyExistsThenNeverShowTheSecret() throws Exception {
    NewKey key = NewKey.creator().setFriendlyName("once").create(client);

    HttpResponse<String> one = get(port, keyPath(key.getSid()), basic(SID, TOKEN));
    HttpResponse<String> list = get(port, KEYS, basic(SID, TOKEN));

    assertThat(one.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(one.body()).has("secret")).isFalse();
    assertThat(one.body()).doesNotContain(key.getSecret());
    assertThat(list.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(list.body()).get("keys").get(0).has("secret")).isFalse();
    assertThat(list.body()).doesNotContain(key.getSecret());
  }

  @Test
  void readKeysWithPageSize2ThenFollowsEveryPageInCreationOrder() {
    List<String> created = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      created.add(NewKey.creator().setFriendlyName("k" + i).create(client).getSid());
    }

    ResourceSet<Key> all = Key.reader().setPageSize(2L).read(client);
    List<String> read = StreamSupport.stream(all.spliterator(), false).map(Key::getSid).toList();

    assertThat(read).containsExactlyInAnyOrderElementsOf(created).doesNotHaveDuplicates();
    List<String> pages =
        loopback.requested.stream().filter(p -> p.contains("/Keys.json?")).toList();
    assertThat(pages).hasSize(3);
    assertThat(pages.get(1)).contains("Page=1").contains("PageToken=PA" + read.get(1));
    assertThat(pages.get(2)).contains("Page=2").contains("PageToken=PA" + read.get(3));
    // The same order on a second read: creation time, then SID.
    List<String> again =
        StreamSupport.stream(Key.reader().setPageSize(2L).read(client).spliterator(), false)
            .map(Key::getSid)
            .toList();
    assertThat(again).isEqualTo(read);
  }

  @Test
  void listKeysOverHttpThenSendsTheV2010EnvelopeWithRelativeUris() throws Exception {
    for (int i = 0; i < 3; i++) {
      NewKey.creator().create(client);
    }

    JsonNode first = JSON.readTree(get(port, KEYS + "?PageSize=2", basic(SID, TOKEN)).body());
    assertThat(first.properties())
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder(
            "keys",
            "first_page_uri",
            "next_page_uri",
            "previous_page_uri",
            "uri",
            "page",
            "page_size",
            "start",
            "end");
    assertThat(first.get("first_page_uri").asText()).isEqualTo(KEYS + "?PageSize=2&Page=0");
    assertThat(first.get("uri").asText()).isEqualTo(KEYS + "?PageSize=2&Page=0");
    assertThat(first.get("previous_page_uri").isNull()).isTrue();
    assertThat(first.get("start").asInt()).isZero();
    assertThat(first.get("end").asInt()).isEqualTo(1);

    JsonNode second =
        JSON.readTree(get(port, first.get("next_page_uri").asText(), basic(SID, TOKEN)).body());
    assertThat(second.get("keys")).hasSize(1);
    assertThat(second.get("page").asInt()).isEqualTo(1);
    assertThat(second.get("start").asInt()).isEqualTo(2);
    assertThat(second.get("end").asInt()).isEqualTo(2);
    assertThat(second.get("next_page_uri").isNull()).isTrue();
    assertThat(second.get("previous_page_uri").asText()).startsWith(KEYS + "?PageSize=2&Page=0");
  }

  @Test
  void fetchKeyWithTwilioJavaThenReturnsItsFields() {
    NewKey created = NewKey.creator().setFriendlyName("fetch me").create(client);

    Key key = Key.fetcher(created.getSid()).fetch(client);

    assertThat(key.getSid()).isEqualTo(created.getSid());
    assertThat(key.getFriendlyName()).isEqualTo("fetch me");
    assertThat(key.getDateCreated()).isEqualTo(created.getDateCreated());
  }

  @Test
  void updateKeyFriendlyNameWithTwilioJavaThenReturnsAndKeepsTheNewName() {
    NewKey created = NewKey.creator().setFriendlyName("old").create(client);

    Key updated = Key.updater(created.getSid()).setFriendlyName("new").update(client);

    assertThat(updated.getFriendlyName()).isEqualTo("new");
    assertThat(Key.fetcher(created.getSid()).fetch(client).getFriendlyName()).isEqualTo("new");
  }

  @Test
  void deleteKeyOverHttpThenAnswers204WithEmptyBodyAndKeyIsGone() throws Exception {
    NewKey created = NewKey.creator().create(client);

    HttpResponse<String> res = send("DELETE", keyPath(created.getSid()), basic(SID, TOKEN), null);

    assertThat(res.statusCode()).isEqualTo(204);
    assertThat(res.body()).isEmpty();
    assertThat(get(port, keyPath(created.getSid()), basic(SID, TOKEN)).statusCode()).isEqualTo(404);
  }

  @Test
  void deleteKeyWithTwilioJavaThenReturnsTrue() {
    NewKey created = NewKey.creator().create(client);

    assertThat(Key.deleter(created.getSid()).delete(client)).isTrue();
  }

  // ---- failure cases ----

  @Test
  void createKeyWhenFriendlyNameHas65CharactersThenRefusedWith400() {
    assertThatThrownBy(() -> NewKey.creator().setFriendlyName("x".repeat(65)).create(client))
        .satisfies(e -> TestServers.assertTwilioError(e, 400, 20002));
    assertThat(Key.reader().read(client)).isEmpty();
  }

  @Test
  void updateKeyWhenFriendlyNameHas65CharactersThenRefusedAndNameKept() {
    NewKey created = NewKey.creator().setFriendlyName("kept").create(client);

    assertThatThrownBy(
            () -> Key.updater(created.getSid()).setFriendlyName("y".repeat(65)).update(client))
        .satisfies(e -> TestServers.assertTwilioError(e, 400, 20002));
    assertThat(Key.fetcher(created.getSid()).fetch(client).getFriendlyName()).isEqualTo("kept");
  }

  @Test
  void fetchUpdateDeleteWhenKeySidUnknownThenThrow20404() {
    String unknown = io.callsign.tokens.sid.KeySid.random().value();

    assertThatThrownBy(() -> Key.fetcher(unknown).fetch(client))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
    assertThatThrownBy(() -> Key.updater(unknown).setFriendlyName("n").update(client))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
    assertThatThrownBy(() -> Key.deleter(unknown).delete(client))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
  }

  @Test
  void fetchKeyWhenSidMalformedThenReturns404WithPathInMessage() throws Exception {
    for (String sid :
        new String[] {"SKnothex", "SK" + "0".repeat(31), SID, "sk" + "0".repeat(32)}) {
      String path = keyPath(sid);
      HttpResponse<String> res = get(port, path, basic(SID, TOKEN));
      assertThat(res.statusCode()).as(sid).isEqualTo(404);
      JsonNode body = JSON.readTree(res.body());
      assertThat(body.get("code").asInt()).isEqualTo(20404);
      assertThat(body.get("message").asText())
          .isEqualTo("The requested resource " + path + " was not found");
    }
  }

  @Test
  void listKeysWhenAccountSidInPathMalformedThenReturns404() throws Exception {
    HttpResponse<String> res = get(port, "/2010-04-01/Accounts/ACxyz/Keys.json", basic(SID, TOKEN));

    assertThat(res.statusCode()).isEqualTo(404);
    assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20404);
  }

  @Test
  void listKeysWhenPageSizeOutOfRangeThenReturns400() throws Exception {
    for (String q : new String[] {"PageSize=0", "PageSize=1001", "PageSize=two", "Page=-1"}) {
      HttpResponse<String> res = get(port, KEYS + "?" + q, basic(SID, TOKEN));
      assertThat(res.statusCode()).as(q).isEqualTo(400);
      JsonNode body = JSON.readTree(res.body());
      assertThat(body.get("code").asInt()).isEqualTo(20001);
      assertThat(body.get("status").asInt()).isEqualTo(400);
    }
  }

  @Test
  void createKeyWhenNoCredentialsThenReturns401WithChallenge() throws Exception {
    HttpResponse<String> res =
        TestServers.HTTP.send(
            HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + KEYS))
                .header("Content-Type", "application/x-www-form-urlencoded")
                .POST(HttpRequest.BodyPublishers.ofString("FriendlyName=x"))
                .build(),
            HttpResponse.BodyHandlers.ofString());

    assertThat(res.statusCode()).isEqualTo(401);
    assertThat(res.headers().firstValue("WWW-Authenticate")).hasValue("Basic realm=\"Twilio API\"");
    assertThat(JSON.readTree(res.body()).get("code").asInt()).isEqualTo(20003);
  }
}
