package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static io.callsign.server.TestServers.get;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.Account;
import com.twilio.rest.iam.v1.ApiKey;
import com.twilio.rest.iam.v1.GetApiKeys;
import com.twilio.rest.iam.v1.NewApiKey;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.IntStream;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** IAM v1 Keys (twilio-wire.md 2.1, 2.2) and restricted-key policies, through twilio-java 13. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class IamKeysTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "a".repeat(16) + "b".repeat(16);
  private static final String READ_ACCOUNTS = "/twilio/accounts/accounts/read";
  private static final String ACCOUNT = "/2010-04-01/Accounts/" + SID + ".json";

  @TempDir Path dir;
  private CallsignServer server;
  private int port;
  private LoopbackTwilioClient loopback;
  private TwilioRestClient root;

  @BeforeEach
  void start() {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
    loopback = new LoopbackTwilioClient(port);
    root = client(SID, TOKEN);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private TwilioRestClient client(String user, String password) {
    return TestServers.twilioClient(loopback, user, password, SID);
  }

  private NewApiKey restricted(String... permissions) {
    return NewApiKey.creator(SID)
        .setKeyType("restricted")
        .setPolicy(Map.of("allow", List.of(permissions)))
        .create(root);
  }

  private HttpResponse<String> send(String method, String path, String auth, String form)
      throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    if (form != null) {
      b.header("Content-Type", "application/x-www-form-urlencoded")
          .method(method, HttpRequest.BodyPublishers.ofString(form));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return TestServers.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> create(String form) throws Exception {
    return send("POST", "/v1/Keys", basic(SID, TOKEN), form);
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  private static void assertError(HttpResponse<String> res, int status, int code) throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.get("code").asInt()).isEqualTo(code);
    assertThat(body.get("status").asInt()).isEqualTo(status);
  }

  // ---- success cases ----

  @Test
  void createStandardKeyWithTwilioJavaThenSecretOnceAndNoPolicy() throws Exception {
    NewApiKey key = NewApiKey.creator(SID).setFriendlyName("ci").create(root);

    assertThat(key.getSid()).matches("SK[0-9a-f]{32}");
    assertThat(key.getSecret()).hasSizeGreaterThanOrEqualTo(32);
    assertThat(key.getPolicy()).isNull();
    assertThat(key.getFriendlyName()).isEqualTo("ci");
    assertThat(key.getDateCreated()).isNotNull();
    HttpResponse<String> fetched = send("GET", "/v1/Keys/" + key.getSid(), basic(SID, TOKEN), null);
    assertThat(fetched.body()).doesNotContain(key.getSecret()).doesNotContain("\"secret\"");
    // A standard key may use the REST API.
    assertThat(get(port, ACCOUNT, basic(key.getSid(), key.getSecret())).statusCode())
        .isEqualTo(200);
  }

  @Test
  void createRestrictedKeyThenPolicyIsReturnedAndEnforced() throws Exception {
    NewApiKey key = restricted(READ_ACCOUNTS, "/twilio/messaging/messages/read");

    assertThat(JSON.<JsonNode>valueToTree(key.getPolicy()))
        .isEqualTo(
            JSON.readTree(
                "{\"allow\":[\"/twilio/accounts/accounts/read\","
                    + "\"/twilio/messaging/messages/read\"]}"));
    HttpResponse<String> res = get(port, ACCOUNT, basic(key.getSid(), key.getSecret()));
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(res.body()).get("auth_token").isNull()).isTrue();
  }

  @Test
  void fetchAndUpdateWithTwilioJavaThenNameAndPolicyChange() throws Exception {
    NewApiKey key = restricted(READ_ACCOUNTS);

    ApiKey updated =
        ApiKey.updater(key.getSid())
            .setFriendlyName("renamed")
            .setPolicy(Map.of("allow", List.of("/twilio/voice/calls/read")))
            .update(root);

    assertThat(updated.getFriendlyName()).isEqualTo("renamed");
    assertThat(JSON.<JsonNode>valueToTree(updated.getPolicy()).get("allow").get(0).asText())
        .isEqualTo("/twilio/voice/calls/read");
    ApiKey fetched = ApiKey.fetcher(key.getSid()).fetch(root);
    assertThat(fetched.getFriendlyName()).isEqualTo("renamed");
    assertThat(fetched.getPolicy()).isEqualTo(updated.getPolicy());
  }

  @Test
  void narrowPolicyThenKeyLosesThePermissionAtOnce() throws Exception {
    NewApiKey key = restricted(READ_ACCOUNTS);
    String auth = basic(key.getSid(), key.getSecret());
    assertThat(get(port, ACCOUNT, auth).statusCode()).isEqualTo(200);

    ApiKey.updater(key.getSid())
        .setPolicy(Map.of("allow", List.of("/twilio/voice/calls/read")))
        .update(root);

    assertError(get(port, ACCOUNT, auth), 403, 70051);
  }

  @Test
  void listWithTwilioJavaThenFollowsAbsoluteNextPageUrls() throws Exception {
    List<String> created = new ArrayList<>();
    IntStream.range(0, 5)
        .forEach(
            i ->
                created.add(NewApiKey.creator(SID).setFriendlyName("k" + i).create(root).getSid()));
    created.add(restricted(READ_ACCOUNTS).getSid());

    List<GetApiKeys> all =
        StreamSupport.stream(GetApiKeys.reader(SID).setPageSize(2L).read(root).spliterator(), false)
            .toList();

    assertThat(all).extracting(GetApiKeys::getSid).containsExactlyInAnyOrderElementsOf(created);
    assertThat(all)
        .allSatisfy(
            k ->
                assertThat(k.getFlags())
                    .isEqualTo(
                        k.getSid().equals(created.getLast())
                            ? List.of("rest_api")
                            : List.of("rest_api", "signing")));
    assertThat(loopback.requested.stream().filter(p -> p.startsWith("/v1/Keys?"))).hasSize(3);
  }

  @Test
  void listOverHttpThenSendsTheV1Envelope() throws Exception {
    NewApiKey.creator(SID).create(root);
    NewApiKey.creator(SID).create(root);

    HttpResponse<String> res =
        send("GET", "/v1/Keys?AccountSid=" + SID + "&PageSize=1", basic(SID, TOKEN), null);

    assertThat(res.statusCode()).isEqualTo(200);
    JsonNode body = JSON.readTree(res.body());
    JsonNode meta = body.get("meta");
    assertThat(body.get("keys")).hasSize(1);
    assertThat(body.get("keys").get(0).has("policy")).isFalse();
    assertThat(meta.get("key").asText()).isEqualTo("keys");
    assertThat(meta.get("page").asInt()).isZero();
    assertThat(meta.get("page_size").asInt()).isEqualTo(1);
    assertThat(meta.get("previous_page_url").isNull()).isTrue();
    String origin = "http://127.0.0.1:" + port;
    assertThat(meta.get("first_page_url").asText())
        .isEqualTo(origin + "/v1/Keys?AccountSid=" + SID + "&PageSize=1&Page=0");
    assertThat(meta.get("url").asText()).isEqualTo(meta.get("first_page_url").asText());
    assertThat(meta.get("next_page_url").asText())
        .startsWith(origin + "/v1/Keys?AccountSid=" + SID + "&PageSize=1&Page=1&PageToken=PA");
    assertThat(body.get("keys").get(0).get("date_created").asText())
        .matches("[A-Z][a-z]{2}, \\d{2} [A-Z][a-z]{2} \\d{4} \\d{2}:\\d{2}:\\d{2} \\+0000");
  }

  @Test
  void mainKeyTypeThenManagesKeys() throws Exception {
    HttpResponse<String> made = create("AccountSid=" + SID + "&KeyType=main");
    assertThat(made.statusCode()).isEqualTo(201);
    JsonNode body = JSON.readTree(made.body());
    TwilioRestClient viaMain = client(body.get("sid").asText(), body.get("secret").asText());

    NewApiKey byMain = NewApiKey.creator(SID).create(viaMain);

    assertThat(ApiKey.deleter(byMain.getSid()).delete(viaMain)).isTrue();
  }

  @Test
  void subaccountKeysWhenManagedByParentThenAllowed() {
    Account sub = Account.creator().create(root);

    NewApiKey key = NewApiKey.creator(sub.getSid()).create(root);

    assertThat(ApiKey.fetcher(key.getSid()).fetch(root).getSid()).isEqualTo(key.getSid());
    assertThat(GetApiKeys.reader(sub.getSid()).read(root))
        .extracting(GetApiKeys::getSid)
        .containsExactly(key.getSid());
    assertThat(ApiKey.deleter(key.getSid()).delete(root)).isTrue();
  }

  @Test
  void deleteWithTwilioJavaThenKeyStopsAuthenticatingAtOnce() throws Exception {
    NewApiKey key = restricted(READ_ACCOUNTS);
    String auth = basic(key.getSid(), key.getSecret());
    assertThat(get(port, ACCOUNT, auth).statusCode()).isEqualTo(200);

    assertThat(ApiKey.deleter(key.getSid()).delete(root)).isTrue();

    assertError(get(port, ACCOUNT, auth), 401, 20003);
    assertThatThrownBy(() -> ApiKey.fetcher(key.getSid()).fetch(root))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
  }

  // ---- failure cases ----

  @Test
  void restrictedKeyWithoutPermissionThenGets403With70051() throws Exception {
    NewApiKey key = restricted("/twilio/messaging/messages/read");

    assertError(get(port, ACCOUNT, basic(key.getSid(), key.getSecret())), 403, 70051);
    assertError(
        get(port, "/2010-04-01/Accounts.json", basic(key.getSid(), key.getSecret())), 403, 70051);
  }

  @Test
  void restrictedKeyWhenManagingCredentialsThenGets403With70051EvenIfPolicyNamesIt()
      throws Exception {
    NewApiKey key = restricted(READ_ACCOUNTS, "/twilio/iam/api-keys/create");
    String auth = basic(key.getSid(), key.getSecret());

    assertError(send("POST", "/v1/Keys", auth, "AccountSid=" + SID), 403, 70051);
    assertError(send("GET", "/v1/Keys?AccountSid=" + SID, auth, null), 403, 70051);
    assertError(send("POST", "/v1/AuthTokens/Secondary", auth, ""), 403, 70051);
  }

  @Test
  void standardKeyWhenUsingIamKeysThenGets401With20003() throws Exception {
    NewApiKey key = NewApiKey.creator(SID).create(root);
    TwilioRestClient viaKey = client(key.getSid(), key.getSecret());

    assertThatThrownBy(() -> NewApiKey.creator(SID).create(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
    assertThatThrownBy(() -> ApiKey.fetcher(key.getSid()).fetch(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
    assertThatThrownBy(() -> ApiKey.deleter(key.getSid()).delete(viaKey))
        .satisfies(e -> TestServers.assertTwilioError(e, 401, 20003));
  }

  @Test
  void createWhenAccountSidMissingOrForeignThenGets400With20001() throws Exception {
    assertError(create("FriendlyName=x"), 400, 20001);
    assertError(create("AccountSid=nope"), 400, 20001);
    assertError(create("AccountSid=AC" + "f".repeat(32)), 400, 20001);
    assertError(send("GET", "/v1/Keys", basic(SID, TOKEN), null), 400, 20001);
    assertThat(GetApiKeys.reader(SID).read(root)).isEmpty();
  }

  @Test
  void createWhenPolicyInvalidThenGets400With20001AndNothingIsStored() throws Exception {
    String tooMany =
        IntStream.range(0, 101)
            .mapToObj(i -> "\"/twilio/p" + i + "/r/read\"")
            .reduce((a, b) -> a + "," + b)
            .orElseThrow();
    for (String form :
        List.of(
            "KeyType=restricted",
            "KeyType=restricted&Policy=" + enc("not json"),
            "KeyType=restricted&Policy=" + enc("[]"),
            "KeyType=restricted&Policy=" + enc("{\"allow\":[]}"),
            "KeyType=restricted&Policy=" + enc("{\"allow\":[\"messages\"]}"),
            "KeyType=restricted&Policy=" + enc("{\"allow\":[1]}"),
            "KeyType=restricted&Policy=" + enc("{\"deny\":[\"/twilio/a/b\"]}"),
            "KeyType=restricted&Policy=" + enc("{\"allow\":[" + tooMany + "]}"),
            "Policy=" + enc("{\"allow\":[\"/twilio/a/b\"]}"),
            "KeyType=superuser")) {
      HttpResponse<String> res = create("AccountSid=" + SID + "&" + form);
      assertError(res, 400, 20001);
      assertThat(JSON.readTree(res.body()).get("message").asText()).as(form).contains("Invalid");
    }
    assertThat(GetApiKeys.reader(SID).read(root)).isEmpty();
  }

  @Test
  void updateStandardKeyWithPolicyThenGets400AndKeyIsUnchanged() throws Exception {
    NewApiKey key = NewApiKey.creator(SID).setFriendlyName("before").create(root);

    assertError(
        send(
            "POST",
            "/v1/Keys/" + key.getSid(),
            basic(SID, TOKEN),
            "FriendlyName=after&Policy=" + enc("{\"allow\":[\"/twilio/a/b\"]}")),
        400,
        20001);
    ApiKey fetched = ApiKey.fetcher(key.getSid()).fetch(root);
    assertThat(fetched.getFriendlyName()).isEqualTo("before");
    assertThat(fetched.getPolicy()).isNull();
  }

  @Test
  void keyOfAnotherAccountOrMalformedSidThenGets404() throws Exception {
    Account sub = Account.creator().create(root);
    NewApiKey rootKey = NewApiKey.creator(SID).create(root);
    TwilioRestClient asSub =
        TestServers.twilioClient(loopback, sub.getSid(), sub.getAuthToken(), sub.getSid());

    // A subaccount cannot see its parent's keys.
    assertThatThrownBy(() -> ApiKey.fetcher(rootKey.getSid()).fetch(asSub))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
    assertThatThrownBy(() -> ApiKey.deleter(rootKey.getSid()).delete(asSub))
        .satisfies(e -> TestServers.assertTwilioError(e, 404, 20404));
    assertError(send("GET", "/v1/Keys/SKnope", basic(SID, TOKEN), null), 404, 20404);
    assertThat(ApiKey.fetcher(rootKey.getSid()).fetch(root).getSid()).isEqualTo(rootKey.getSid());
  }

  @Test
  void wrongCredentialsThenGets401With20003() throws Exception {
    assertError(
        send("GET", "/v1/Keys?AccountSid=" + SID, basic(SID, "x".repeat(32)), null), 401, 20003);
    assertError(send("GET", "/v1/Keys?AccountSid=" + SID, null, null), 401, 20003);
  }
}
