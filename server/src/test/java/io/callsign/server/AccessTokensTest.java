package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.Account;
import com.twilio.rest.api.v2010.account.Key;
import com.twilio.rest.api.v2010.account.NewKey;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyType;
import io.callsign.server.keys.Policy;
import io.callsign.server.store.Database;
import io.callsign.tokens.AccessToken;
import io.callsign.tokens.AccessTokenVerifier;
import io.callsign.tokens.Jwt;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.VerifiedAccessToken;
import io.callsign.tokens.VideoGrant;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The Access Token service: {@code POST /v1/AccessTokens} and {@code POST
 * /v1/AccessTokens/Introspect}, over raw HTTP, with tokens checked by the library and by
 * twilio-java's jjwt.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class AccessTokensTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = KeysTest.SID;
  private static final String TOKEN = KeysTest.TOKEN;
  private static final String OTHER_TOKEN = "c".repeat(32);
  private static final String MINT = "/v1/AccessTokens";
  private static final String INTROSPECT = "/v1/AccessTokens/Introspect";
  private static final String JSON_TYPE = "application/json";
  private static final String FORM_TYPE = "application/x-www-form-urlencoded";
  private static final String ISO = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z";
  private static final String INTROSPECT_POLICY = "/twilio/iam/access-tokens/introspect";
  private static final String ROOT_AUTH = basic(SID, TOKEN);

  @TempDir Path dir;
  private CallsignServer server;
  private int port;
  private TwilioRestClient root;

  /** Every secret this test has seen: no response may contain one. */
  private final List<String> secrets = new CopyOnWriteArrayList<>(List.of(TOKEN, OTHER_TOKEN));

  @BeforeEach
  void start() {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
    root = TestServers.twilioClient(new LoopbackTwilioClient(port), SID, TOKEN, SID);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  // ---- helpers ----

  private HttpResponse<String> post(String path, String auth, String contentType, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    HttpResponse<String> res =
        TestServers.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    for (String secret : secrets) {
      assertThat(res.body()).as("response to " + path).doesNotContain(secret);
    }
    return res;
  }

  private HttpResponse<String> postJson(String path, String auth, Object body) throws Exception {
    return post(path, auth, JSON_TYPE, JSON.writeValueAsString(body));
  }

  /** A form body from name, value pairs. */
  private HttpResponse<String> postForm(String path, String auth, String... pairs)
      throws Exception {
    StringBuilder form = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      form.append(form.isEmpty() ? "" : "&")
          .append(URLEncoder.encode(pairs[i], StandardCharsets.UTF_8))
          .append('=')
          .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return post(path, auth, FORM_TYPE, form.toString());
  }

  /** Mints with a JSON body and expects 201. */
  private JsonNode mint(String auth, Map<String, Object> body) throws Exception {
    HttpResponse<String> res = postJson(MINT, auth, body);
    assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    return JSON.readTree(res.body());
  }

  private String mintToken(String auth) throws Exception {
    return mint(auth, Map.of("identity", "alice")).get("token").asText();
  }

  /** Introspects as {@code auth} and expects 200. */
  private JsonNode introspect(String auth, String token) throws Exception {
    HttpResponse<String> res = postJson(INTROSPECT, auth, Map.of("token", token));
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    return JSON.readTree(res.body());
  }

  private static void assertInactive(JsonNode body, int code) {
    assertThat(body.get("active").asBoolean()).as(body.toString()).isFalse();
    assertThat(body.get("code").asInt()).as(body.toString()).isEqualTo(code);
    assertThat(body.properties())
        .extracting(Map.Entry::getKey)
        .containsExactly("active", "code", "message");
  }

  private static JsonNode assertError(HttpResponse<String> res, int status, int code)
      throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.get("code").asInt()).as(res.body()).isEqualTo(code);
    assertThat(body.get("status").asInt()).isEqualTo(status);
    assertThat(body.get("more_info").asText()).endsWith("/" + code);
    return body;
  }

  /** A 400/20001 whose message names {@code param}. */
  private static void assertInvalid(HttpResponse<String> res, String param) throws Exception {
    JsonNode body = assertError(res, 400, 20001);
    assertThat(body.get("message").asText()).as(res.body()).contains(param);
  }

  /** A standard key created through the API, its secret remembered as one never to be echoed. */
  private NewKey standardKey() {
    NewKey key = NewKey.creator().create(root);
    secrets.add(key.getSecret());
    return key;
  }

  private static String auth(NewKey key) {
    return basic(key.getSid(), key.getSecret());
  }

  private static String auth(io.callsign.server.keys.Key key) {
    return basic(key.sid().value(), key.secret());
  }

  /** A key of {@code type} made beside the server, on the same data directory. */
  private io.callsign.server.keys.Key storedKey(AccountSid account, KeyType type, Policy policy)
      throws Exception {
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      io.callsign.server.keys.Key key =
          new KeyService(new JdbiKeyStore(database.jdbi(), box), Clock.systemUTC())
              .create(account, type.wire(), type, policy);
      secrets.add(key.secret());
      return key;
    }
  }

  /** Verifies {@code jwt} with the library against the one key given. */
  private static VerifiedAccessToken verify(
      String jwt, String keySid, String accountSid, String secret) throws Exception {
    SigningKey key = SigningKey.of(keySid, accountSid, secret.getBytes(StandardCharsets.UTF_8));
    return AccessTokenVerifier.builder(sid -> sid.equals(keySid) ? key : null).build().verify(jwt);
  }

  private static JsonNode payload(String jwt) throws Exception {
    return JSON.readTree(Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
  }

  /** A token signed with the library, for cases the service would never mint. */
  private static String craft(String accountSid, String keySid, String secret, Clock clock) {
    return new AccessToken.Builder(accountSid, keySid, secret)
        .identity("mallory")
        .ttl(600)
        .clock(clock)
        .grant(new VideoGrant().setRoom("r"))
        .build()
        .toJwt();
  }

  private static String craft(String accountSid, String keySid, String secret) {
    return craft(accountSid, keySid, secret, Clock.systemUTC());
  }

  /** A signed JWT with any header and claims. */
  private static String craftJwt(Map<String, ?> header, Map<String, ?> claims, String secret) {
    return Jwt.encode(header, claims, secret.getBytes(StandardCharsets.UTF_8));
  }

  private static Map<String, Object> claims(String keySid, String accountSid, long exp) {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("jti", keySid + "-1");
    claims.put("iss", keySid);
    claims.put("sub", accountSid);
    claims.put("exp", exp);
    claims.put("grants", Map.of("identity", "mallory"));
    return claims;
  }

  // ---- minting: success ----

  @Test
  void mintWithStandardKeyThenTokenVerifiesWithTheLibraryAndWithJjwt() throws Exception {
    NewKey key = standardKey();
    long before = Instant.now().getEpochSecond();

    JsonNode res =
        mint(
            auth(key),
            Map.of(
                "identity", "alice", "ttl", 600, "grants", Map.of("video", Map.of("room", "r"))));

    String jwt = res.get("token").asText();
    assertThat(res.properties())
        .extracting(Map.Entry::getKey)
        .containsExactly("token", "identity", "key_sid", "expires_at");
    assertThat(res.get("identity").asText()).isEqualTo("alice");
    assertThat(res.get("key_sid").asText()).isEqualTo(key.getSid());
    assertThat(res.get("expires_at").asText()).matches(ISO);
    VerifiedAccessToken token = verify(jwt, key.getSid(), SID, key.getSecret());
    assertThat(token.keySid()).isEqualTo(key.getSid());
    assertThat(token.accountSid()).isEqualTo(SID);
    assertThat(token.identity()).hasValue("alice");
    assertThat(token.grant("video")).hasValue(Map.of("room", "r"));
    assertThat(token.expiresAt().getEpochSecond()).isBetween(before + 600, before + 602);
    assertThat(Instant.parse(res.get("expires_at").asText())).isEqualTo(token.expiresAt());
    // twilio-java's own JWT library: jjwt reads a cty other than JWT as opaque content.
    Jws<byte[]> parsed =
        Jwts.parser()
            .verifyWith(Keys.hmacShaKeyFor(key.getSecret().getBytes(StandardCharsets.UTF_8)))
            .build()
            .parseSignedContent(jwt);
    assertThat(parsed.getHeader().getAlgorithm()).isEqualTo("HS256");
    assertThat(parsed.getHeader().getContentType()).isEqualTo("application/twilio-fpa;v=1");
    JsonNode claims = JSON.readTree(parsed.getPayload());
    assertThat(claims.get("iss").asText()).isEqualTo(key.getSid());
    assertThat(claims.get("sub").asText()).isEqualTo(SID);
    assertThat(claims.get("grants").get("identity").asText()).isEqualTo("alice");
  }

  @Test
  void mintWithoutTtlThenLivesOneHour() throws Exception {
    NewKey key = standardKey();
    long before = Instant.now().getEpochSecond();

    String jwt = mintToken(auth(key));

    assertThat(payload(jwt).get("exp").asLong()).isBetween(before + 3600, before + 3602);
    assertThat(payload(jwt).has("nbf")).isFalse();
  }

  @Test
  void mintWithMainKeyThenSignsWithItOrWithAnotherKeyOfTheAccount() throws Exception {
    io.callsign.server.keys.Key main = storedKey(AccountSid.of(SID), KeyType.MAIN, null);
    NewKey standard = standardKey();

    JsonNode own = mint(auth(main), Map.of("identity", "alice"));
    JsonNode other =
        mint(auth(main), Map.of("identity", "bob", "key_sid", standard.getSid(), "ttl", 60));

    assertThat(own.get("key_sid").asText()).isEqualTo(main.sid().value());
    assertThat(verify(own.get("token").asText(), main.sid().value(), SID, main.secret()).keySid())
        .isEqualTo(main.sid().value());
    assertThat(other.get("key_sid").asText()).isEqualTo(standard.getSid());
    assertThat(
            verify(other.get("token").asText(), standard.getSid(), SID, standard.getSecret())
                .identity())
        .hasValue("bob");
  }

  @Test
  void mintWithAuthTokenAndFormThenSignsWithKeySidAndCarriesEveryGrantAsTwilioJavaWould()
      throws Exception {
    NewKey key = standardKey();
    String grants =
        """
        {"voice": {"incoming": {"allow": true},
                   "outgoing": {"application_sid": "AP%1$s", "params": {"to": "+15005550006"}},
                   "push_credential_sid": "CR%1$s", "endpoint_id": "e1"},
         "video": {"room": "standup"},
         "chat": {"service_sid": "IS%1$s", "endpoint_id": "e2",
                  "deployment_role_sid": "RL%1$s", "push_credential_sid": "CR%1$s"},
         "data_sync": {"service_sid": "IS%1$s", "endpoint_id": "e3"},
         "task_router": {"workspace_sid": "WS%1$s", "worker_sid": "WK%1$s", "role": "worker"},
         "player": {"playbackUrl": "https://example.com/p", "playerStreamerSid": "VJ%1$s"}}
        """
            .formatted("0123456789abcdef".repeat(2));

    HttpResponse<String> res =
        postForm(
            MINT,
            ROOT_AUTH,
            "Identity",
            "alice",
            "Ttl",
            "7200",
            "Region",
            "ie1",
            "KeySid",
            key.getSid(),
            "Grants",
            grants);

    assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    String jwt = JSON.readTree(res.body()).get("token").asText();
    VerifiedAccessToken token = verify(jwt, key.getSid(), SID, key.getSecret());
    assertThat(token.region()).hasValue("ie1");
    assertThat(token.keySid()).isEqualTo(key.getSid());
    String hex = "0123456789abcdef".repeat(2);
    String official =
        new com.twilio.jwt.accesstoken.AccessToken.Builder(
                SID, key.getSid(), key.getSecret().getBytes(StandardCharsets.UTF_8))
            .identity("alice")
            .grant(
                new com.twilio.jwt.accesstoken.VoiceGrant()
                    .setIncomingAllow(true)
                    .setOutgoingApplication("AP" + hex, Map.of("to", "+15005550006"))
                    .setPushCredentialSid("CR" + hex)
                    .setEndpointId("e1"))
            .grant(new com.twilio.jwt.accesstoken.VideoGrant().setRoom("standup"))
            .grant(
                new com.twilio.jwt.accesstoken.ChatGrant()
                    .setServiceSid("IS" + hex)
                    .setEndpointId("e2")
                    .setDeploymentRoleSid("RL" + hex)
                    .setPushCredentialSid("CR" + hex))
            .grant(
                new com.twilio.jwt.accesstoken.SyncGrant()
                    .setServiceSid("IS" + hex)
                    .setEndpointId("e3"))
            .grant(
                new com.twilio.jwt.accesstoken.TaskRouterGrant()
                    .setWorkspaceSid("WS" + hex)
                    .setWorkerSid("WK" + hex)
                    .setRole("worker"))
            .grant(
                new com.twilio.jwt.accesstoken.PlaybackGrant()
                    .setGrant(
                        Map.of(
                            "playbackUrl",
                            "https://example.com/p",
                            "playerStreamerSid",
                            "VJ" + hex)))
            .build()
            .toJwt();
    assertThat(payload(jwt).get("grants")).isEqualTo(payload(official).get("grants"));
  }

  @Test
  void mintWithPastNbfThenTokenCarriesItAndIsActive() throws Exception {
    NewKey key = standardKey();

    JsonNode res = mint(auth(key), Map.of("identity", "alice", "nbf", 1_700_000_000L));
    JsonNode claims = introspect(auth(key), res.get("token").asText());

    assertThat(claims.get("active").asBoolean()).isTrue();
    assertThat(claims.get("nbf").asLong()).isEqualTo(1_700_000_000L);
  }

  // ---- introspection: success ----

  @Test
  void introspectWhenActiveThenReturnsTheClaimsAsInTheToken() throws Exception {
    NewKey key = standardKey();
    String jwt =
        mint(
                auth(key),
                Map.of("identity", "alice", "grants", Map.of("chat", Map.of("service_sid", "IS1"))))
            .get("token")
            .asText();
    JsonNode claims = payload(jwt);

    JsonNode viaJson = introspect(ROOT_AUTH, jwt);
    HttpResponse<String> viaForm = postForm(INTROSPECT, auth(key), "Token", jwt);

    assertThat(viaJson.properties())
        .extracting(Map.Entry::getKey)
        .containsExactly(
            "active",
            "account_sid",
            "key_sid",
            "identity",
            "jti",
            "iss",
            "sub",
            "nbf",
            "exp",
            "grants");
    assertThat(viaJson.get("active").asBoolean()).isTrue();
    assertThat(viaJson.get("account_sid").asText()).isEqualTo(SID);
    assertThat(viaJson.get("key_sid").asText()).isEqualTo(key.getSid());
    assertThat(viaJson.get("identity").asText()).isEqualTo("alice");
    assertThat(viaJson.get("nbf").isNull()).isTrue();
    for (String claim : List.of("jti", "iss", "sub", "exp", "grants")) {
      assertThat(viaJson.get(claim)).as(claim).isEqualTo(claims.get(claim));
    }
    assertThat(viaForm.statusCode()).isEqualTo(200);
    assertThat(JSON.readTree(viaForm.body())).isEqualTo(viaJson);
  }

  @Test
  void introspectWhenTwilioJavaMintedTheTokenThenActive() throws Exception {
    NewKey key = standardKey();
    String official =
        new com.twilio.jwt.accesstoken.AccessToken.Builder(
                SID, key.getSid(), key.getSecret().getBytes(StandardCharsets.UTF_8))
            .identity("alice")
            .grant(new com.twilio.jwt.accesstoken.VideoGrant().setRoom("r"))
            .build()
            .toJwt();

    JsonNode res = introspect(ROOT_AUTH, official);

    assertThat(res.get("active").asBoolean()).as(res.toString()).isTrue();
    assertThat(res.get("grants").get("video").get("room").asText()).isEqualTo("r");
  }

  @Test
  void introspectWhenTokenIsOfASubaccountThenTheParentSeesItActive() throws Exception {
    Account sub = Account.creator().create(root);
    secrets.add(sub.getAuthToken());
    NewKey subKey = NewKey.creator(sub.getSid()).create(root);
    secrets.add(subKey.getSecret());
    String jwt = mintToken(auth(subKey));

    JsonNode res = introspect(ROOT_AUTH, jwt);

    assertThat(res.get("active").asBoolean()).as(res.toString()).isTrue();
    assertThat(res.get("account_sid").asText()).isEqualTo(sub.getSid());
  }

  @Test
  void restrictedKeyWithIntrospectPolicyThenIntrospects() throws Exception {
    io.callsign.server.keys.Key restricted =
        storedKey(AccountSid.of(SID), KeyType.RESTRICTED, new Policy(List.of(INTROSPECT_POLICY)));
    String jwt = mintToken(auth(standardKey()));

    JsonNode res = introspect(auth(restricted), jwt);

    assertThat(res.get("active").asBoolean()).as(res.toString()).isTrue();
  }

  // ---- introspection: inactive tokens ----

  @Test
  void introspectWhenKeyDeletedThenInactiveWith20103AtOnce() throws Exception {
    NewKey key = standardKey();
    String jwt = mintToken(auth(key));
    // Warm the cache with the key, so that the answer below cannot come from a cold lookup.
    assertThat(introspect(ROOT_AUTH, jwt).get("active").asBoolean()).isTrue();

    Key.deleter(key.getSid()).delete(root);
    JsonNode res = introspect(ROOT_AUTH, jwt);

    assertInactive(res, 20103);
    assertThat(res.get("message").asText()).contains("does not exist or has been deleted");
  }

  @Test
  void introspectAfterRestartWhenKeyWasDeletedThenStillInactive() throws Exception {
    NewKey deleted = standardKey();
    NewKey kept = standardKey();
    String deletedToken = mintToken(auth(deleted));
    String keptToken = mintToken(auth(kept));
    Key.deleter(deleted.getSid()).delete(root);

    server.stop();
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();

    assertInactive(introspect(ROOT_AUTH, deletedToken), 20103);
    assertThat(introspect(ROOT_AUTH, keptToken).get("active").asBoolean()).isTrue();
  }

  @Test
  void introspectWhenAccountSuspendedThenInactiveAndActiveAgainAfterReactivation()
      throws Exception {
    Account sub = Account.creator().create(root);
    secrets.add(sub.getAuthToken());
    NewKey subKey = NewKey.creator(sub.getSid()).create(root);
    secrets.add(subKey.getSecret());
    String jwt = mintToken(auth(subKey));
    assertThat(introspect(ROOT_AUTH, jwt).get("active").asBoolean()).isTrue();

    Account.updater(sub.getSid()).setStatus(Account.Status.SUSPENDED).update(root);
    JsonNode suspended = introspect(ROOT_AUTH, jwt);
    Account.updater(sub.getSid()).setStatus(Account.Status.ACTIVE).update(root);
    JsonNode reactivated = introspect(ROOT_AUTH, jwt);

    assertInactive(suspended, 20103);
    assertThat(suspended.get("message").asText()).contains("not active");
    assertThat(reactivated.get("active").asBoolean()).as(reactivated.toString()).isTrue();
  }

  @Test
  void introspectWhenAccountClosedThenInactiveWith20103() throws Exception {
    Account sub = Account.creator().create(root);
    secrets.add(sub.getAuthToken());
    NewKey subKey = NewKey.creator(sub.getSid()).create(root);
    secrets.add(subKey.getSecret());
    String jwt = mintToken(auth(subKey));

    Account.updater(sub.getSid()).setStatus(Account.Status.CLOSED).update(root);

    assertInactive(introspect(ROOT_AUTH, jwt), 20103);
  }

  @Test
  void introspectWhenExpiredThenInactiveWith20104() throws Exception {
    NewKey key = standardKey();
    Clock twoHoursAgo = Clock.fixed(Instant.now().minus(Duration.ofHours(2)), ZoneOffset.UTC);

    JsonNode res = introspect(ROOT_AUTH, craft(SID, key.getSid(), key.getSecret(), twoHoursAgo));

    assertInactive(res, 20104);
  }

  @Test
  void introspectWhenNbfInTheFutureThenInactiveWith20105() throws Exception {
    NewKey key = standardKey();
    long inAnHour = Instant.now().getEpochSecond() + 3600;
    String jwt =
        mint(auth(key), Map.of("identity", "alice", "nbf", inAnHour)).get("token").asText();

    assertInactive(introspect(ROOT_AUTH, jwt), 20105);
  }

  @Test
  void introspectWhenSignatureTamperedThenInactiveWith20107() throws Exception {
    NewKey key = standardKey();
    String jwt = mintToken(auth(key));
    String[] parts = jwt.split("\\.");
    String forged =
        craft(SID, key.getSid(), "f".repeat(43)).split("\\.")[2]; // same key SID, wrong secret
    JsonNode reSigned = introspect(ROOT_AUTH, craft(SID, key.getSid(), "f".repeat(43)));
    JsonNode spliced = introspect(ROOT_AUTH, parts[0] + "." + parts[1] + "." + forged);

    assertInactive(reSigned, 20107);
    assertInactive(spliced, 20107);
  }

  @Test
  void introspectWhenPayloadAlteredThenInactiveWith20107() throws Exception {
    NewKey key = standardKey();
    String[] parts = mintToken(auth(key)).split("\\.");
    String payload =
        new String(Base64.getUrlDecoder().decode(parts[1]), StandardCharsets.UTF_8)
            .replace("alice", "admin");
    String altered =
        Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(payload.getBytes(StandardCharsets.UTF_8));

    assertInactive(introspect(ROOT_AUTH, parts[0] + "." + altered + "." + parts[2]), 20107);
  }

  @Test
  void introspectWhenCtyIsNotAnAccessTokenThenInactiveWith20102() throws Exception {
    NewKey key = standardKey();
    long exp = Instant.now().getEpochSecond() + 600;

    String capability =
        craftJwt(
            Map.of("cty", "twilio-capability-token;v=1"),
            claims(key.getSid(), SID, exp),
            key.getSecret());
    String plain = craftJwt(Map.of(), claims(key.getSid(), SID, exp), key.getSecret());

    assertInactive(introspect(ROOT_AUTH, capability), 20102);
    assertInactive(introspect(ROOT_AUTH, plain), 20102);
  }

  @Test
  void introspectWhenNotAJwtThenInactiveWith20101() throws Exception {
    assertInactive(introspect(ROOT_AUTH, "not-a-token"), 20101);
    assertInactive(introspect(ROOT_AUTH, "a.b"), 20101);
  }

  @Test
  void introspectWhenLifetimeAbove24HoursThenInactiveWith20157() throws Exception {
    NewKey key = standardKey();
    long exp = Instant.now().getEpochSecond() + 2 * 86_400;

    String jwt =
        craftJwt(
            Map.of("cty", AccessToken.CONTENT_TYPE),
            claims(key.getSid(), SID, exp),
            key.getSecret());

    assertInactive(introspect(ROOT_AUTH, jwt), 20157);
  }

  @Test
  void introspectWhenGrantsMalformedThenInactiveWith20106() throws Exception {
    NewKey key = standardKey();
    Map<String, Object> claims = claims(key.getSid(), SID, Instant.now().getEpochSecond() + 600);
    claims.put("grants", Map.of("identity", "a", "video", "not an object"));

    String jwt = craftJwt(Map.of("cty", AccessToken.CONTENT_TYPE), claims, key.getSecret());

    assertInactive(introspect(ROOT_AUTH, jwt), 20106);
  }

  @Test
  void introspectWhenTokenOfAnotherAccountThenReportedExactlyAsAnUnknownKey() throws Exception {
    AccountSid other = db.insertMainAccount(dir, OTHER_TOKEN);
    io.callsign.server.keys.Key theirs = storedKey(other, KeyType.STANDARD, null);
    String unknownKey = KeySid.random().value();
    Clock longAgo = Clock.fixed(Instant.now().minus(Duration.ofDays(2)), ZoneOffset.UTC);

    JsonNode neverExisted = introspect(ROOT_AUTH, craft(SID, unknownKey, "x".repeat(43)));
    JsonNode foreignValid =
        introspect(ROOT_AUTH, craft(other.value(), theirs.sid().value(), theirs.secret()));
    JsonNode foreignExpired =
        introspect(ROOT_AUTH, craft(other.value(), theirs.sid().value(), theirs.secret(), longAgo));
    JsonNode foreignForged =
        introspect(ROOT_AUTH, craft(other.value(), theirs.sid().value(), "x".repeat(43)));
    // Their own key is theirs to introspect.
    JsonNode byOwner =
        introspect(
            basic(other.value(), OTHER_TOKEN),
            craft(other.value(), theirs.sid().value(), theirs.secret()));

    assertInactive(neverExisted, 20103);
    for (JsonNode foreign : List.of(foreignValid, foreignExpired, foreignForged)) {
      assertThat(foreign).isEqualTo(neverExisted);
    }
    assertThat(byOwner.get("active").asBoolean()).as(byOwner.toString()).isTrue();
  }

  @Test
  void introspectBySubaccountWhenTokenIsOfItsParentThenReportedAsAnUnknownKey() throws Exception {
    Account sub = Account.creator().create(root);
    secrets.add(sub.getAuthToken());
    String parentToken = mintToken(auth(standardKey()));

    JsonNode res = introspect(basic(sub.getSid(), sub.getAuthToken()), parentToken);

    assertInactive(res, 20103);
    assertThat(res.get("message").asText()).contains("does not exist or has been deleted");
  }

  @Test
  void introspectWhenTokenSignedWithARestrictedKeyThenInactiveWith20103() throws Exception {
    io.callsign.server.keys.Key restricted =
        storedKey(AccountSid.of(SID), KeyType.RESTRICTED, new Policy(List.of(INTROSPECT_POLICY)));

    JsonNode res = introspect(ROOT_AUTH, craft(SID, restricted.sid().value(), restricted.secret()));

    assertInactive(res, 20103);
    assertThat(res.get("message").asText()).contains("may not sign");
  }

  @Test
  void introspectWhenTokenIsForAnotherAccountThanItsKeysThenInactiveWith20103() throws Exception {
    NewKey key = standardKey();
    AccountSid other = db.insertMainAccount(dir, OTHER_TOKEN);

    assertInactive(
        introspect(ROOT_AUTH, craft(other.value(), key.getSid(), key.getSecret())), 20103);
  }

  // ---- authorization ----

  @Test
  void restrictedKeyWhenMintingThenGets403With70051() throws Exception {
    io.callsign.server.keys.Key restricted =
        storedKey(AccountSid.of(SID), KeyType.RESTRICTED, new Policy(List.of(INTROSPECT_POLICY)));

    assertError(postJson(MINT, auth(restricted), Map.of("identity", "a")), 403, 70051);
    // Refused before the body is read.
    assertError(post(MINT, auth(restricted), "text/plain", "x"), 403, 70051);
  }

  @Test
  void restrictedKeyWithoutIntrospectPolicyThenGets403With70051() throws Exception {
    io.callsign.server.keys.Key restricted =
        storedKey(
            AccountSid.of(SID),
            KeyType.RESTRICTED,
            new Policy(List.of("/twilio/accounts/accounts/read")));
    String jwt = mintToken(auth(standardKey()));

    assertError(postJson(INTROSPECT, auth(restricted), Map.of("token", jwt)), 403, 70051);
  }

  @Test
  void standardKeyWhenSigningWithAnotherKeyThenGets403With70051WhetherOrNotItExists()
      throws Exception {
    NewKey caller = standardKey();
    NewKey other = standardKey();

    JsonNode existing =
        assertError(
            postJson(MINT, auth(caller), Map.of("identity", "a", "key_sid", other.getSid())),
            403,
            70051);
    JsonNode missing =
        assertError(
            postJson(
                MINT, auth(caller), Map.of("identity", "a", "key_sid", KeySid.random().value())),
            403,
            70051);

    assertThat(existing).isEqualTo(missing);
    assertThat(existing.get("message").asText()).contains("itself only");
    // Naming itself is fine.
    assertThat(mint(auth(caller), Map.of("identity", "a", "key_sid", caller.getSid()))).isNotNull();
  }

  @Test
  void authTokenWithoutKeySidThenGets400NamingIt() throws Exception {
    assertInvalid(postJson(MINT, ROOT_AUTH, Map.of("identity", "a")), "key_sid");
    assertInvalid(postForm(MINT, ROOT_AUTH, "Identity", "a"), "KeySid");
  }

  @Test
  void keySidOfNoKeyOrOfAnotherAccountThenGets400WithTheSameMessage() throws Exception {
    AccountSid other = db.insertMainAccount(dir, OTHER_TOKEN);
    io.callsign.server.keys.Key theirs = storedKey(other, KeyType.STANDARD, null);

    JsonNode unknown =
        assertError(
            postJson(MINT, ROOT_AUTH, Map.of("identity", "a", "key_sid", KeySid.random().value())),
            400,
            20001);
    JsonNode foreign =
        assertError(
            postJson(MINT, ROOT_AUTH, Map.of("identity", "a", "key_sid", theirs.sid().value())),
            400,
            20001);

    assertThat(foreign).isEqualTo(unknown);
    assertThat(unknown.get("message").asText()).contains("key_sid");
  }

  @Test
  void keySidOfADeletedKeyThenGets400() throws Exception {
    NewKey key = standardKey();
    Key.deleter(key.getSid()).delete(root);

    assertInvalid(
        postJson(MINT, ROOT_AUTH, Map.of("identity", "a", "key_sid", key.getSid())), "key_sid");
  }

  @Test
  void restrictedKeyAsSigningKeyThenGets400NamingKeySid() throws Exception {
    io.callsign.server.keys.Key restricted =
        storedKey(AccountSid.of(SID), KeyType.RESTRICTED, new Policy(List.of(INTROSPECT_POLICY)));

    HttpResponse<String> res =
        postForm(MINT, ROOT_AUTH, "Identity", "a", "KeySid", restricted.sid().value());

    assertInvalid(res, "KeySid");
    assertThat(res.body()).contains("restricted");
  }

  @Test
  void withoutOrWithWrongCredentialsThenGets401With20003() throws Exception {
    String jwt = mintToken(auth(standardKey()));

    for (String path : List.of(MINT, INTROSPECT)) {
      Map<String, Object> body = Map.of(path.equals(MINT) ? "identity" : "token", jwt);
      HttpResponse<String> none = postJson(path, null, body);
      HttpResponse<String> wrong = postJson(path, basic(SID, "w".repeat(32)), body);
      assertError(none, 401, 20003);
      assertError(wrong, 401, 20003);
      assertThat(none.headers().firstValue("WWW-Authenticate"))
          .hasValue("Basic realm=\"Twilio API\"");
    }
  }

  @Test
  void suspendedAccountWhenMintingOrIntrospectingThenGets401With20005() throws Exception {
    Account sub = Account.creator().create(root);
    secrets.add(sub.getAuthToken());
    NewKey subKey = NewKey.creator(sub.getSid()).create(root);
    secrets.add(subKey.getSecret());
    String jwt = mintToken(auth(subKey));

    Account.updater(sub.getSid()).setStatus(Account.Status.SUSPENDED).update(root);

    assertError(postJson(MINT, auth(subKey), Map.of("identity", "a")), 401, 20005);
    assertError(postJson(INTROSPECT, auth(subKey), Map.of("token", jwt)), 401, 20005);
  }

  // ---- bad input ----

  @Test
  void ttlOutOfRangeOrNotAWholeNumberThenGets400NamingIt() throws Exception {
    NewKey key = standardKey();

    for (Object ttl : List.of(0, -1, 86_401, 3600.5, "3600", true, Map.of())) {
      assertInvalid(postJson(MINT, auth(key), Map.of("identity", "a", "ttl", ttl)), "ttl");
    }
    for (String ttl : List.of("0", "86401", "abc", "", "1e3", "99999999999999999999")) {
      assertInvalid(postForm(MINT, auth(key), "Identity", "a", "Ttl", ttl), "Ttl");
    }
    // The bounds themselves are fine.
    mint(auth(key), Map.of("identity", "a", "ttl", 1));
    mint(auth(key), Map.of("identity", "a", "ttl", 86_400));
  }

  @Test
  void nbfOrRegionMalformedThenGets400NamingIt() throws Exception {
    NewKey key = standardKey();

    assertInvalid(postJson(MINT, auth(key), Map.of("identity", "a", "nbf", -5)), "nbf");
    assertInvalid(postJson(MINT, auth(key), Map.of("identity", "a", "nbf", "soon")), "nbf");
    assertInvalid(postForm(MINT, auth(key), "Identity", "a", "Nbf", "1.5"), "Nbf");
    assertInvalid(postJson(MINT, auth(key), Map.of("identity", "a", "region", 1)), "region");
    assertInvalid(
        postJson(MINT, auth(key), Map.of("identity", "a", "region", "IE 1\"}")), "region");
  }

  @Test
  void identityMissingEmptyOrNotAStringThenGets400NamingIt() throws Exception {
    NewKey key = standardKey();

    assertInvalid(postJson(MINT, auth(key), Map.of("ttl", 60)), "identity");
    assertInvalid(postJson(MINT, auth(key), Map.of("identity", "")), "identity");
    assertInvalid(postJson(MINT, auth(key), Map.of("identity", 42)), "identity");
    assertInvalid(postForm(MINT, auth(key), "Grants", "{\"video\":{\"room\":\"r\"}}"), "Identity");
  }

  @Test
  void grantsUnknownOrMistypedThenGets400NamingTheMember() throws Exception {
    NewKey key = standardKey();
    Map<Object, String> cases = new LinkedHashMap<>();
    cases.put(Map.of("vidoe", Map.of()), "grants.vidoe");
    cases.put(Map.of("ip_messaging", Map.of()), "grants.ip_messaging");
    cases.put(Map.of("identity", "bob"), "grants.identity");
    cases.put(Map.of("video", "r"), "grants.video");
    cases.put(Map.of("video", Map.of("room", 5)), "grants.video.room");
    cases.put(Map.of("video", Map.of("rooom", "r")), "grants.video.rooom");
    cases.put(
        Map.of("voice", Map.of("incoming", Map.of("allow", "yes"))), "grants.voice.incoming.allow");
    cases.put(
        Map.of("voice", Map.of("outgoing", Map.of())), "grants.voice.outgoing.application_sid");
    cases.put(
        Map.of("voice", Map.of("outgoing", Map.of("application_sid", "AP1", "params", List.of()))),
        "grants.voice.outgoing.params");
    cases.put(Map.of("chat", Map.of("service_sid", List.of("IS1"))), "grants.chat.service_sid");
    cases.put(Map.of("task_router", Map.of("role", false)), "grants.task_router.role");
    cases.put(Map.of("player", List.of()), "grants.player");
    cases.put(List.of(), "grants");
    cases.put("video", "grants");

    for (Map.Entry<Object, String> c : cases.entrySet()) {
      HttpResponse<String> res =
          postJson(MINT, auth(key), Map.of("identity", "a", "grants", c.getKey()));
      assertInvalid(res, c.getValue());
    }
    assertInvalid(postForm(MINT, auth(key), "Identity", "a", "Grants", "{video"), "Grants");
    assertInvalid(
        postForm(MINT, auth(key), "Identity", "a", "Grants", "{\"video\":{\"room\":1}}"),
        "Grants.video.room");
  }

  @Test
  void grantsNestedTooDeepThenGets400() throws Exception {
    NewKey key = standardKey();
    Object deep = "leaf";
    for (int i = 0; i < 12; i++) {
      deep = Map.of("n", deep);
    }

    assertInvalid(
        postJson(MINT, auth(key), Map.of("identity", "a", "grants", Map.of("player", deep))),
        "grants.player");
  }

  @Test
  void tokenTooLongForAnyVerifierThenGets400() throws Exception {
    NewKey key = standardKey();

    HttpResponse<String> res = postJson(MINT, auth(key), Map.of("identity", "a".repeat(20_000)));

    assertError(res, 400, 20001);
    assertThat(res.body()).contains("longer than");
  }

  @Test
  void unknownOrRepeatedParameterThenGets400NamingIt() throws Exception {
    NewKey key = standardKey();

    assertInvalid(postJson(MINT, auth(key), Map.of("identity", "a", "identiy", "b")), "identiy");
    assertInvalid(postForm(MINT, auth(key), "Identity", "a", "Tll", "60"), "Tll");
    assertInvalid(postForm(MINT, auth(key), "Identity", "a", "Ttl", "60", "Ttl", "70"), "Ttl");
    assertInvalid(postJson(INTROSPECT, auth(key), Map.of("token", "t", "hint", "x")), "hint");
  }

  @Test
  void malformedJsonThenGets400With20001() throws Exception {
    NewKey key = standardKey();

    for (String body :
        List.of(
            "{",
            "",
            "[]",
            "\"alice\"",
            "{\"identity\":\"a\"} trailing",
            "{\"identity\":\"a\",\"identity\":\"b\"}")) {
      assertError(post(MINT, auth(key), JSON_TYPE, body), 400, 20001);
      assertError(post(INTROSPECT, auth(key), JSON_TYPE, body), 400, 20001);
    }
  }

  @Test
  void wrongOrMissingContentTypeThenGets415() throws Exception {
    NewKey key = standardKey();

    for (String path : List.of(MINT, INTROSPECT)) {
      for (String type :
          List.of("text/plain", "multipart/form-data; boundary=x", "application/xml")) {
        JsonNode body = assertError(post(path, auth(key), type, "identity=a"), 415, 20415);
        assertThat(body.get("message").asText()).contains("application/json");
      }
      assertError(post(path, auth(key), null, "identity=a"), 415, 20415);
    }
    // Parameters after the media type are fine.
    HttpResponse<String> withCharset =
        post(MINT, auth(key), "application/json; charset=utf-8", "{\"identity\":\"a\"}");
    assertThat(withCharset.statusCode()).as(withCharset.body()).isEqualTo(201);
  }

  @Test
  void introspectWithoutTokenThenGets400NamingIt() throws Exception {
    NewKey key = standardKey();

    assertInvalid(postJson(INTROSPECT, auth(key), Map.of()), "token");
    assertInvalid(postJson(INTROSPECT, auth(key), Map.of("token", "")), "token");
    assertInvalid(postJson(INTROSPECT, auth(key), Map.of("token", 5)), "token");
    assertInvalid(postForm(INTROSPECT, auth(key)), "Token");
  }

  @Test
  void getOnTheEndpointsThenGets405() throws Exception {
    for (String path : List.of(MINT, INTROSPECT)) {
      HttpResponse<String> res = TestServers.get(port, path, ROOT_AUTH);
      assertError(res, 405, 20004);
    }
  }

  @Test
  void responsesAndErrorsNeverContainASecret() throws Exception {
    NewKey key = standardKey();
    io.callsign.server.keys.Key main = storedKey(AccountSid.of(SID), KeyType.MAIN, null);
    List<HttpResponse<String>> all = new ArrayList<>();
    String jwt = mintToken(auth(key));

    all.add(postJson(MINT, auth(main), Map.of("identity", "a", "key_sid", key.getSid())));
    all.add(postForm(MINT, ROOT_AUTH, "Identity", "a", "KeySid", key.getSid()));
    all.add(postJson(INTROSPECT, auth(main), Map.of("token", jwt)));
    all.add(postJson(MINT, auth(key), Map.of("identity", key.getSecret(), "ttl", 0)));
    all.add(postJson(MINT, basic(key.getSid(), key.getSecret() + "x"), Map.of("identity", "a")));
    all.add(postForm(MINT, ROOT_AUTH, "Identity", "a", "KeySid", main.secret()));
    all.add(post(MINT, auth(key), JSON_TYPE, "{\"identity\": \"" + TOKEN));
    all.add(postJson(INTROSPECT, ROOT_AUTH, Map.of("token", TOKEN)));

    // post() has checked each body against every secret; check that the calls did happen.
    assertThat(all).extracting(HttpResponse::statusCode).contains(200, 201, 400, 401);
  }
}
