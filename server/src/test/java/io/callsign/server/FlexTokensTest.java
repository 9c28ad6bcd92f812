package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.CompressionAlgorithm;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEEncrypter;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.AESEncrypter;
import com.nimbusds.jose.crypto.DirectDecrypter;
import com.nimbusds.jose.crypto.DirectEncrypter;
import com.nimbusds.jose.crypto.ECDHEncrypter;
import com.nimbusds.jose.crypto.PasswordBasedEncrypter;
import com.nimbusds.jose.crypto.RSAEncrypter;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.Account;
import com.twilio.rest.api.v2010.account.NewKey;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.accounts.JdbiAccountStore;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.flex.FlexTokenService;
import io.callsign.server.flex.JdbiFlexStore;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyType;
import io.callsign.server.keys.Policy;
import io.callsign.server.store.Database;
import io.callsign.tokens.Jwt;
import io.callsign.tokens.capability.ClientCapabilityToken;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.interfaces.RSAPublicKey;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Flex tokens over raw HTTP: minting ({@code POST /v4/Instances/{GO}/Users/{FU}/Tokens}),
 * validation as twilio-flex-token-validator calls it ({@code /v1/Accounts/{AC}/Tokens/validate}),
 * the Flex SDK's {@code Tokens/Info} with its {@code token:} header, and revocation. The server's
 * clock is a {@link TestClock}, so expiry is tested without waiting; hostile tokens are crafted
 * with Nimbus.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class FlexTokensTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = KeysTest.SID;
  private static final String TOKEN = KeysTest.TOKEN;
  private static final String OTHER_TOKEN = "d".repeat(32);
  private static final String ROOT_AUTH = basic(SID, TOKEN);
  private static final String JSON_TYPE = "application/json";
  private static final String FORM_TYPE = "application/x-www-form-urlencoded";
  private static final String TYP = "twilio-flex+jwt";
  private static final String ISO = "\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}Z";
  private static final String CREATE_POLICY = "/twilio/flex/tokens/create";
  private static final String VALIDATE_POLICY = "/twilio/flex/tokens/validate";
  private static final List<String> VALIDATOR_FIELDS =
      List.of(
          "valid",
          "code",
          "message",
          "expiration",
          "realm_user_id",
          "identity",
          "roles",
          "worker_sid",
          "account_sid",
          "flex_instance_sid",
          "flex_user_sid",
          "permissions",
          "username");

  @TempDir Path dir;
  private final TestClock clock = new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private CallsignServer server;
  private int port;
  private TwilioRestClient root;
  private String instance;

  /** Every secret this test has seen: no response may contain one. */
  private final List<String> secrets = new CopyOnWriteArrayList<>(List.of(TOKEN, OTHER_TOKEN));

  @BeforeEach
  void start() throws Exception {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN), clock);
    port = server.start();
    root = TestServers.twilioClient(new LoopbackTwilioClient(port), SID, TOKEN, SID);
    instance = instanceOf(SID, ROOT_AUTH);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private void restart() {
    server.stop();
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN), clock);
    port = server.start();
    root = TestServers.twilioClient(new LoopbackTwilioClient(port), SID, TOKEN, SID);
  }

  // ---- helpers: HTTP ----

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

  private static JsonNode assertError(HttpResponse<String> res, int status, int code)
      throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.get("code").asInt()).as(res.body()).isEqualTo(code);
    assertThat(body.get("status").asInt()).isEqualTo(status);
    assertThat(body.get("more_info").asText()).endsWith("/" + code);
    return body;
  }

  /** The SDK's header: {@code Basic base64("token:" + token)} and its stray {@code )}. */
  private static String sdkHeader(String token) {
    return basic("token", token) + ")";
  }

  private static String tokensPath(String account, String action) {
    return "/v1/Accounts/" + account + "/Tokens/" + action;
  }

  private static String mintPath(String instance, String user) {
    return "/v4/Instances/" + instance + "/Users/" + user + "/Tokens";
  }

  // ---- helpers: Flex ----

  /** The Flex instance of {@code account}, as its credentials see it. */
  private String instanceOf(String account, String auth) throws Exception {
    JsonNode page =
        JSON.readTree(TestServers.get(port, "/v4/Instances", auth).body()).get("instances");
    for (JsonNode i : page) {
      if (i.get("account_sid").asText().equals(account)) {
        return i.get("sid").asText();
      }
    }
    throw new AssertionError("no instance of " + account + " in " + page);
  }

  private String provision(String instance, String auth, String username, String... roles)
      throws Exception {
    HttpResponse<String> res =
        postJson(
            "/v4/Instances/" + instance + "/Users/Provision",
            auth,
            Map.of(
                "username",
                username,
                "email",
                username + "@example.com",
                "full_name",
                "Full " + username,
                "roles",
                List.of(roles),
                "worker",
                Map.of()));
    assertThat(res.statusCode()).as(res.body()).isIn(200, 201);
    return JSON.readTree(res.body()).get("flex_user_sid").asText();
  }

  private String provision(String username) throws Exception {
    return provision(instance, ROOT_AUTH, username, "agent");
  }

  private JsonNode user(String instance, String user) throws Exception {
    return JSON.readTree(
        TestServers.get(port, "/v4/Instances/" + instance + "/Users/" + user, ROOT_AUTH).body());
  }

  private void deprovision(String instance, String auth, String user) throws Exception {
    HttpResponse<String> res =
        postJson(
            "/v4/Instances/" + instance + "/Users/Deprovision",
            auth,
            Map.of("flex_user_sid", user));
    assertThat(res.statusCode()).as(res.body()).isEqualTo(204);
  }

  /** Mints with {@code body} (JSON, or none when {@code null}) and expects 201. */
  private JsonNode mint(String instance, String user, String auth, Object body) throws Exception {
    HttpResponse<String> res =
        body == null
            ? post(mintPath(instance, user), auth, null, "")
            : postJson(mintPath(instance, user), auth, body);
    assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    return JSON.readTree(res.body());
  }

  private String mintToken(String user) throws Exception {
    return mint(instance, user, ROOT_AUTH, null).get("access_token").asText();
  }

  /** Validates as twilio-flex-token-validator does and expects 200. */
  private JsonNode validate(String account, String auth, String token) throws Exception {
    HttpResponse<String> res =
        postJson(tokensPath(account, "validate"), auth, Map.of("token", token));
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.properties())
        .extracting(Map.Entry::getKey)
        .containsExactlyElementsOf(VALIDATOR_FIELDS);
    return body;
  }

  private JsonNode validate(String token) throws Exception {
    return validate(SID, ROOT_AUTH, token);
  }

  private static void assertValid(JsonNode body) {
    assertThat(body.get("valid").asBoolean()).as(body.toString()).isTrue();
    assertThat(body.get("code").asInt()).isZero();
  }

  /** Not valid, with {@code code}, and nothing about the token besides. */
  private static void assertInvalid(JsonNode body, int code) {
    assertThat(body.get("valid").asBoolean()).as(body.toString()).isFalse();
    assertThat(body.get("code").asInt()).as(body.toString()).isEqualTo(code);
    assertThat(body.get("message").asText()).isNotBlank();
    for (String field : VALIDATOR_FIELDS.subList(3, VALIDATOR_FIELDS.size())) {
      assertThat(body.get(field).isNull()).as(field + " in " + body).isTrue();
    }
  }

  /** The plain "Invalid Access Token" answer, the same for any token that is not ours to see. */
  private void assertPlainInvalid(String token) throws Exception {
    JsonNode body = validate(token);
    assertInvalid(body, 20101);
    assertThat(body.get("message").asText()).isEqualTo("Invalid Access Token");
  }

  // ---- helpers: accounts and keys ----

  private Account subaccount() {
    Account sub = Account.creator().create(root);
    secrets.add(sub.getAuthToken());
    return sub;
  }

  /**
   * Another main account (with its Flex instance), unrelated to the root, made beside the server.
   */
  private AccountSid otherAccount() throws Exception {
    AccountSid other = AccountSid.random();
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      JdbiFlexStore flexStore = new JdbiFlexStore(database.jdbi(), box);
      new JdbiAccountStore(
              database.jdbi(),
              box,
              (h, account) -> flexStore.insertInstanceFor(h, account.sid(), account.dateCreated()))
          .insert(
              new io.callsign.server.accounts.Account(
                  other,
                  other,
                  "Other",
                  AccountStatus.ACTIVE,
                  io.callsign.server.accounts.Account.TYPE_FULL,
                  OTHER_TOKEN,
                  now,
                  now));
    }
    return other;
  }

  private String restrictedKey(String... policy) throws Exception {
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      io.callsign.server.keys.Key key =
          new KeyService(new JdbiKeyStore(database.jdbi(), box), Clock.systemUTC())
              .create(AccountSid.of(SID), "r", KeyType.RESTRICTED, new Policy(List.of(policy)));
      secrets.add(key.secret());
      return basic(key.sid().value(), key.secret());
    }
  }

  private String standardKey() {
    NewKey key = NewKey.creator().create(root);
    secrets.add(key.getSecret());
    return basic(key.getSid(), key.getSecret());
  }

  // ---- helpers: crafting tokens ----

  /** The AES-256 token key of {@code instance}, read from the stored data. */
  private SecretKey tokenKey(String instance) throws Exception {
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      return new JdbiFlexStore(database.jdbi(), box)
          .findInstance(FlexInstanceSid.of(instance))
          .orElseThrow()
          .tokenKey();
    }
  }

  /** The claims of {@code token}, decrypted with its instance's key. */
  private Map<String, Object> claims(String token, SecretKey key) throws Exception {
    JWEObject jwe = JWEObject.parse(token);
    jwe.decrypt(new DirectDecrypter(key));
    return JSON.readValue(jwe.getPayload().toString(), new TypeReference<>() {});
  }

  /** The header Callsign writes, to be varied. */
  private static JWEHeader.Builder goodHeader(String kid) {
    return new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM)
        .keyID(kid)
        .type(new JOSEObjectType(TYP));
  }

  private static String craft(JWEHeader header, Map<String, Object> claims, JWEEncrypter encrypter)
      throws Exception {
    JWEObject jwe = new JWEObject(header, new Payload(JSON.writeValueAsString(claims)));
    jwe.encrypt(encrypter);
    return jwe.serialize();
  }

  /**
   * A token sealed by hand (AES-256-GCM, "dir") under {@code headerJson} taken as it is, with each
   * character as one byte: for headers no JOSE library would write.
   */
  private static String seal(String headerJson, Map<String, Object> claims, SecretKey key)
      throws Exception {
    Base64.Encoder b64 = Base64.getUrlEncoder().withoutPadding();
    String header = b64.encodeToString(headerJson.getBytes(StandardCharsets.ISO_8859_1));
    byte[] iv = new byte[12];
    new SecureRandom().nextBytes(iv);
    Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
    cipher.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(128, iv));
    cipher.updateAAD(header.getBytes(StandardCharsets.US_ASCII));
    byte[] sealed = cipher.doFinal(JSON.writeValueAsBytes(claims));
    int tag = sealed.length - 16;
    return header
        + ".."
        + b64.encodeToString(iv)
        + "."
        + b64.encodeToString(Arrays.copyOf(sealed, tag))
        + "."
        + b64.encodeToString(Arrays.copyOfRange(sealed, tag, sealed.length));
  }

  private static String b64(String text) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(text.getBytes(StandardCharsets.UTF_8));
  }

  /** {@code token} with the character at {@code index} replaced by another base64url one. */
  private static String flip(String token, int index) {
    char c = token.charAt(index);
    return token.substring(0, index) + (c == 'A' ? 'B' : 'A') + token.substring(index + 1);
  }

  // ---- minting ----

  @Test
  void mintWithoutBodyThenLivesOneHourAndTokenInfoDescribesTheUser() throws Exception {
    String user = provision("alice");

    HttpResponse<String> res = post(mintPath(instance, user), ROOT_AUTH, null, "");

    assertThat(res.statusCode()).as(res.body()).isEqualTo(201);
    assertThat(res.headers().firstValue("Cache-Control")).hasValue("no-store");
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.properties())
        .extracting(Map.Entry::getKey)
        .containsExactly("access_token", "token_info");
    JsonNode info = body.get("token_info");
    assertThat(info.properties())
        .extracting(Map.Entry::getKey)
        .containsExactly(
            "account_sid",
            "expiration",
            "flex_instance_sid",
            "flex_user_sid",
            "identity",
            "permissions",
            "roles",
            "username");
    assertThat(info.get("account_sid").asText()).isEqualTo(SID);
    assertThat(info.get("flex_instance_sid").asText()).isEqualTo(instance);
    assertThat(info.get("flex_user_sid").asText()).isEqualTo(user);
    assertThat(info.get("identity").asText()).isEqualTo("alice");
    assertThat(info.get("username").asText()).isEqualTo("alice");
    assertThat(info.get("roles").toString()).isEqualTo("[\"agent\"]");
    assertThat(info.get("permissions").size()).isPositive();
    assertThat(info.get("expiration").asText())
        .matches(ISO)
        .isEqualTo(clock.instant().plusSeconds(3600).toString());
    // A compact JWE: five segments, the encrypted key empty, and exactly our header.
    String token = body.get("access_token").asText();
    String[] parts = token.split("\\.", -1);
    assertThat(parts).hasSize(5);
    assertThat(parts[1]).isEmpty();
    JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
    assertThat(header.properties())
        .extracting(Map.Entry::getKey)
        .containsExactlyInAnyOrder("alg", "enc", "kid", "typ");
    assertThat(header.get("alg").asText()).isEqualTo("dir");
    assertThat(header.get("enc").asText()).isEqualTo("A256GCM");
    assertThat(header.get("kid").asText()).isEqualTo(instance);
    assertThat(header.get("typ").asText()).isEqualTo(TYP);
    // Opaque to its holder: nothing of the user in clear.
    assertThat(token).doesNotContain("alice").doesNotContain(b64("alice"));
    Map<String, Object> claims = claims(token, tokenKey(instance));
    assertThat(claims)
        .containsKeys("jti", "iat", "exp", "token_generation", "worker_sid")
        .containsEntry("flex_user_sid", user);
    assertThat(((Number) claims.get("exp")).longValue())
        .isEqualTo(clock.instant().plusSeconds(3600).getEpochSecond());
    assertThat(Base64.getUrlDecoder().decode((String) claims.get("jti"))).hasSize(16);
  }

  @Test
  void mintWithTtlThenExpirationFollowsItAndEmptyObjectMeansOneHour() throws Exception {
    String user = provision("alice");

    JsonNode shortLived = mint(instance, user, ROOT_AUTH, Map.of("ttl", 600));
    JsonNode longest = mint(instance, user, ROOT_AUTH, Map.of("ttl", 86_400));
    JsonNode empty = mint(instance, user, ROOT_AUTH, Map.of());

    Instant now = clock.instant();
    assertThat(shortLived.get("token_info").get("expiration").asText())
        .isEqualTo(now.plusSeconds(600).toString());
    assertThat(longest.get("token_info").get("expiration").asText())
        .isEqualTo(now.plusSeconds(86_400).toString());
    assertThat(empty.get("token_info").get("expiration").asText())
        .isEqualTo(now.plusSeconds(3600).toString());
    assertThat(shortLived.get("access_token").asText())
        .isNotEqualTo(empty.get("access_token").asText());
  }

  @Test
  void mintWhenTtlOutOfRangeOrNotAnIntegerThen400NamingTtl() throws Exception {
    String user = provision("alice");
    String path = mintPath(instance, user);

    List<String> bodies =
        List.of(
            "{\"ttl\": 0}",
            "{\"ttl\": -1}",
            "{\"ttl\": 86401}",
            "{\"ttl\": 1.5}",
            "{\"ttl\": \"60\"}",
            "{\"ttl\": true}",
            "{\"ttl\": 99999999999999999999999}");
    for (String body : bodies) {
      JsonNode error = assertError(post(path, ROOT_AUTH, JSON_TYPE, body), 400, 20001);
      assertThat(error.get("message").asText()).as(body).contains("ttl");
    }
    JsonNode unknown = assertError(post(path, ROOT_AUTH, JSON_TYPE, "{\"tll\": 60}"), 400, 20001);
    assertThat(unknown.get("message").asText()).contains("tll");
    assertError(post(path, ROOT_AUTH, JSON_TYPE, "{\"ttl\": 60"), 400, 20001);
    assertError(post(path, ROOT_AUTH, FORM_TYPE, "Ttl=60"), 415, 20415);
  }

  @Test
  void mintForDeactivatedUserThen409With20409() throws Exception {
    String user = provision("alice");
    deprovision(instance, ROOT_AUTH, user);

    JsonNode error = assertError(post(mintPath(instance, user), ROOT_AUTH, null, ""), 409, 20409);

    assertThat(error.get("message").asText()).contains(user).contains("deactivated");
  }

  @Test
  void mintForUnknownOrMalformedUserOrUserOfAnotherInstanceThen404() throws Exception {
    Account sub = subaccount();
    String subInstance = instanceOf(sub.getSid(), ROOT_AUTH);
    String subUser = provision(subInstance, ROOT_AUTH, "bob", "agent");

    assertError(
        post(mintPath(instance, FlexUserSid.random().value()), ROOT_AUTH, null, ""), 404, 20404);
    assertError(post(mintPath(instance, "FU123"), ROOT_AUTH, null, ""), 404, 20404);
    assertError(post(mintPath(instance, subUser), ROOT_AUTH, null, ""), 404, 20404);
    // The user is minted for through its own instance.
    mint(subInstance, subUser, ROOT_AUTH, null);
  }

  @Test
  void mintOnInstanceOfAnotherAccountOrOfTheParentThen404() throws Exception {
    AccountSid other = otherAccount();
    String otherAuth = basic(other.value(), OTHER_TOKEN);
    String otherInstance = instanceOf(other.value(), otherAuth);
    String otherUser = provision(otherInstance, otherAuth, "mallory", "agent");
    Account sub = subaccount();
    String subAuth = basic(sub.getSid(), sub.getAuthToken());
    String rootUser = provision("alice");

    assertError(post(mintPath(otherInstance, otherUser), ROOT_AUTH, null, ""), 404, 20404);
    assertError(post(mintPath(instance, rootUser), otherAuth, null, ""), 404, 20404);
    assertError(post(mintPath(instance, rootUser), subAuth, null, ""), 404, 20404);
    assertError(
        post(mintPath(FlexInstanceSid.random().value(), rootUser), ROOT_AUTH, null, ""),
        404,
        20404);
    // Their owners may.
    mint(otherInstance, otherUser, otherAuth, null);
    mint(instance, rootUser, ROOT_AUTH, null);
  }

  @Test
  void mintWithRestrictedKeyThen403UnlessItsPolicyAllowsCreatingFlexTokens() throws Exception {
    String user = provision("alice");
    String without = restrictedKey(VALIDATE_POLICY, "/twilio/flex/users/read");
    String with = restrictedKey(CREATE_POLICY, "/twilio/flex/users/read");

    assertError(post(mintPath(instance, user), without, null, ""), 403, 70051);
    // Refused before the body is read.
    assertError(post(mintPath(instance, user), without, "text/plain", "x"), 403, 70051);
    mint(instance, user, with, Map.of("ttl", 60));
    mint(instance, user, standardKey(), null);
  }

  @Test
  void mintWithoutOrWithWrongCredentialsThen401() throws Exception {
    String user = provision("alice");

    assertError(post(mintPath(instance, user), null, null, ""), 401, 20003);
    assertError(post(mintPath(instance, user), basic(SID, "x".repeat(32)), null, ""), 401, 20003);
  }

  // ---- validation: valid ----

  @Test
  void validateWhenValidThenAnswersEveryFieldTheValidatorReads() throws Exception {
    String user = provision(instance, ROOT_AUTH, "alice", "agent", "supervisor");
    JsonNode minted = mint(instance, user, ROOT_AUTH, Map.of("ttl", 600));
    String token = minted.get("access_token").asText();
    JsonNode info = minted.get("token_info");

    JsonNode byAuthToken = validate(token);
    JsonNode byKey = validate(SID, standardKey(), token);
    JsonNode byRestricted = validate(SID, restrictedKey(VALIDATE_POLICY), token);

    assertValid(byAuthToken);
    assertThat(byAuthToken.get("message").isNull()).isTrue();
    assertThat(byAuthToken.get("expiration").asText()).isEqualTo(info.get("expiration").asText());
    assertThat(byAuthToken.get("realm_user_id").asText()).isEqualTo("alice");
    assertThat(byAuthToken.get("identity").asText()).isEqualTo("alice");
    assertThat(byAuthToken.get("username").asText()).isEqualTo("alice");
    assertThat(byAuthToken.get("roles")).isEqualTo(info.get("roles"));
    assertThat(byAuthToken.get("roles").toString()).isEqualTo("[\"agent\",\"supervisor\"]");
    assertThat(byAuthToken.get("permissions")).isEqualTo(info.get("permissions"));
    assertThat(byAuthToken.get("worker_sid").asText())
        .startsWith("WK")
        .isEqualTo(user(instance, user).get("worker").get("worker_sid").asText());
    assertThat(byAuthToken.get("account_sid").asText()).isEqualTo(SID);
    assertThat(byAuthToken.get("flex_instance_sid").asText()).isEqualTo(instance);
    assertThat(byAuthToken.get("flex_user_sid").asText()).isEqualTo(user);
    assertThat(byKey).isEqualTo(byAuthToken);
    assertThat(byRestricted).isEqualTo(byAuthToken);
  }

  @Test
  void validateWhenTokenOfASubaccountThenValidOnTheSubaccountsPathOnly() throws Exception {
    Account sub = subaccount();
    String subInstance = instanceOf(sub.getSid(), ROOT_AUTH);
    String subUser = provision(subInstance, ROOT_AUTH, "bob", "agent");
    String token = mint(subInstance, subUser, ROOT_AUTH, null).get("access_token").asText();

    JsonNode byParent = validate(sub.getSid(), ROOT_AUTH, token);
    JsonNode bySub = validate(sub.getSid(), basic(sub.getSid(), sub.getAuthToken()), token);
    JsonNode onParentsPath = validate(token);

    assertValid(byParent);
    assertThat(byParent.get("account_sid").asText()).isEqualTo(sub.getSid());
    assertThat(bySub).isEqualTo(byParent);
    assertInvalid(onParentsPath, 20101);
    // A subaccount cannot see its parent's path.
    assertError(
        postJson(
            tokensPath(SID, "validate"),
            basic(sub.getSid(), sub.getAuthToken()),
            Map.of("token", token)),
        404,
        20404);
  }

  @Test
  void validateWhenRolesChangedThenAnswersTheUsersCurrentRolesAndPermissions() throws Exception {
    String user = provision("alice");
    String token = mintToken(user);
    JsonNode asAgent = validate(token);

    provision(instance, ROOT_AUTH, "alice", "supervisor");
    JsonNode asSupervisor = validate(token);

    assertThat(asAgent.get("roles").toString()).isEqualTo("[\"agent\"]");
    assertValid(asSupervisor);
    assertThat(asSupervisor.get("roles").toString()).isEqualTo("[\"supervisor\"]");
    assertThat(asSupervisor.get("permissions")).isNotEqualTo(asAgent.get("permissions"));
  }

  // ---- validation: malformed and hostile tokens ----

  @Test
  void validateWhenCiphertextTagIvOrHeaderTamperedThenInvalid() throws Exception {
    String token = mintToken(provision("alice"));
    assertValid(validate(token));
    String[] parts = token.split("\\.", -1);
    int iv = parts[0].length() + 2;
    int ciphertext = iv + parts[2].length() + 1;
    int tag = ciphertext + parts[3].length() + 1;
    // The same header members in another order: the checks pass, the authentication tag does not.
    JsonNode header = JSON.readTree(Base64.getUrlDecoder().decode(parts[0]));
    String reordered =
        b64(
            "{\"typ\":\""
                + TYP
                + "\",\"kid\":\""
                + header.get("kid").asText()
                + "\",\"enc\":\"A256GCM\",\"alg\":\"dir\"}");

    List<String> tampered =
        List.of(
            flip(token, ciphertext),
            flip(token, ciphertext + parts[3].length() / 2),
            flip(token, tag),
            flip(token, tag + 10),
            flip(token, iv),
            flip(token, iv + 8),
            flip(token, 5),
            reordered + token.substring(parts[0].length()),
            // The ciphertext of another token under the same key, with this IV and tag.
            parts[0]
                + ".."
                + parts[2]
                + "."
                + mintToken(provision("bob")).split("\\.")[3]
                + "."
                + parts[4]);
    for (String t : tampered) {
      assertPlainInvalid(t);
    }
  }

  @Test
  void validateWhenTruncatedOrWithoutFiveCanonicalSegmentsThenInvalid() throws Exception {
    String token = mintToken(provision("alice"));
    String[] parts = token.split("\\.", -1);
    int cipher = parts[0].length() + 2 + parts[2].length() + 1;

    List<String> malformed =
        List.of(
            token.substring(0, token.length() - 5),
            token.substring(0, token.length() - 1),
            token.substring(0, token.lastIndexOf('.')),
            parts[0] + "." + parts[2] + "." + parts[3] + "." + parts[4],
            token + ".AAAA",
            token + ".",
            "." + token,
            parts[0] + ".AAAA." + parts[2] + "." + parts[3] + "." + parts[4],
            parts[0] + "==." + parts[1] + "." + parts[2] + "." + parts[3] + "." + parts[4],
            // Standard base64 rather than base64url.
            token.substring(0, cipher) + "+" + token.substring(cipher + 1),
            token.substring(0, cipher) + "/" + token.substring(cipher + 1),
            token.replace(".", ". "),
            "....",
            "not-a-token",
            " " + token,
            token + "\n");
    for (String t : malformed) {
      assertPlainInvalid(t);
    }
  }

  @Test
  void validateWhenTokenIsLongerThanTheCapThenInvalidWithoutReadingIt() throws Exception {
    String token = mintToken(provision("alice"));
    String padded = token.substring(0, token.length() - 22) + "A".repeat(64 * 1024);

    assertPlainInvalid(padded);
    assertPlainInvalid("A".repeat(FlexTokenService.MAX_TOKEN_LENGTH + 1));
    // A mebibyte: over the server's request-size limit, refused before any handler reads it.
    HttpResponse<String> huge =
        postJson(tokensPath(SID, "validate"), ROOT_AUTH, Map.of("token", "A".repeat(1 << 20)));
    assertError(huge, 413, 20413);
  }

  @Test
  void validateWhenAlgOrEncIsNotDirWithA256GcmThenInvalid() throws Exception {
    String user = provision("alice");
    String token = mintToken(user);
    SecretKey key = tokenKey(instance);
    Map<String, Object> claims = claims(token, key);
    byte[] raw = key.getEncoded();
    byte[] cbcKey = new byte[64];
    new SecureRandom().nextBytes(cbcKey);
    KeyPairGenerator rsa = KeyPairGenerator.getInstance("RSA");
    rsa.initialize(2048);
    RSAPublicKey rsaKey = (RSAPublicKey) rsa.generateKeyPair().getPublic();

    // The control: the crafting itself yields a valid token when nothing is changed.
    assertValid(validate(craft(goodHeader(instance).build(), claims, new DirectEncrypter(key))));
    List<String> crafted =
        List.of(
            craft(
                new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A128GCM)
                    .keyID(instance)
                    .type(new JOSEObjectType(TYP))
                    .build(),
                claims,
                new DirectEncrypter(new SecretKeySpec(raw, 0, 16, "AES"))),
            craft(
                new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256CBC_HS512)
                    .keyID(instance)
                    .type(new JOSEObjectType(TYP))
                    .build(),
                claims,
                new DirectEncrypter(new SecretKeySpec(cbcKey, "AES"))),
            craft(
                new JWEHeader.Builder(JWEAlgorithm.A256KW, EncryptionMethod.A256GCM)
                    .keyID(instance)
                    .type(new JOSEObjectType(TYP))
                    .build(),
                claims,
                new AESEncrypter(key)),
            craft(
                new JWEHeader.Builder(JWEAlgorithm.A256GCMKW, EncryptionMethod.A256GCM)
                    .keyID(instance)
                    .type(new JOSEObjectType(TYP))
                    .build(),
                claims,
                new AESEncrypter(key)),
            craft(
                new JWEHeader.Builder(JWEAlgorithm.RSA_OAEP_256, EncryptionMethod.A256GCM)
                    .keyID(instance)
                    .type(new JOSEObjectType(TYP))
                    .build(),
                claims,
                new RSAEncrypter(rsaKey)),
            craft(
                new JWEHeader.Builder(JWEAlgorithm.ECDH_ES, EncryptionMethod.A256GCM)
                    .keyID(instance)
                    .type(new JOSEObjectType(TYP))
                    .build(),
                claims,
                new ECDHEncrypter(new ECKeyGenerator(Curve.P_256).generate().toECPublicKey())),
            craft(
                new JWEHeader.Builder(JWEAlgorithm.PBES2_HS256_A128KW, EncryptionMethod.A256GCM)
                    .keyID(instance)
                    .type(new JOSEObjectType(TYP))
                    .build(),
                claims,
                new PasswordBasedEncrypter(TOKEN, 16, 1000)));
    for (String t : crafted) {
      assertPlainInvalid(t);
    }
  }

  @Test
  void validateWhenHeaderHasZipCritOrAnyOtherMemberOrLacksOneThenInvalid() throws Exception {
    String token = mintToken(provision("alice"));
    SecretKey key = tokenKey(instance);
    Map<String, Object> claims = claims(token, key);
    DirectEncrypter encrypter = new DirectEncrypter(key);

    List<JWEHeader> headers =
        List.of(
            // Every one of these decrypts with the right key: only the header checks refuse them.
            goodHeader(instance).compressionAlgorithm(CompressionAlgorithm.DEF).build(),
            goodHeader(instance)
                .criticalParams(Set.of("x-callsign"))
                .customParam("x-callsign", 1)
                .build(),
            goodHeader(instance).customParam("x-extra", "1").build(),
            goodHeader(instance).jwkURL(URI.create("http://127.0.0.1:1/jwks.json")).build(),
            goodHeader(instance).contentType("JWT").build(),
            goodHeader(instance).type(JOSEObjectType.JWT).build(),
            goodHeader(instance).type(null).build(),
            goodHeader(instance).keyID(null).build(),
            goodHeader(instance).keyID("GO" + instance.substring(2).toUpperCase()).build(),
            goodHeader(instance).keyID("' OR '1'='1").build(),
            goodHeader(instance).keyID("../" + instance).build(),
            goodHeader(instance).keyID(FlexInstanceSid.random().value()).build());
    for (JWEHeader header : headers) {
      assertPlainInvalid(craft(header, claims, encrypter));
    }
    // Headers no library writes, sealed by hand with the right key: only the checks refuse them.
    String members =
        "\"alg\":\"dir\",\"enc\":\"A256GCM\",\"kid\":\"" + instance + "\",\"typ\":\"" + TYP + "\"";
    assertValid(validate(seal("{" + members + "}", claims, key)));
    assertPlainInvalid(seal("{" + members + ",\"alg\":\"dir\"}", claims, key));
    assertPlainInvalid(seal("{\n  " + members.replace(",", ",\n  ") + "\n}", claims, key));
    assertPlainInvalid(seal("{" + members + "} ", claims, key));
    assertPlainInvalid(seal("{" + members + "}{}", claims, key));
    assertPlainInvalid(seal("[{" + members + "}]", claims, key));
    assertPlainInvalid(
        seal(
            new String(
                ("{" + members + "}").getBytes(StandardCharsets.UTF_16LE),
                StandardCharsets.ISO_8859_1),
            claims,
            key));
  }

  @Test
  void validateWhenGivenAnAccessTokenOrCapabilityTokenThenInvalid() throws Exception {
    String key = standardKey();
    HttpResponse<String> minted =
        postJson("/v1/AccessTokens", key, Map.of("identity", "alice", "ttl", 600));
    assertThat(minted.statusCode()).as(minted.body()).isEqualTo(201);
    String accessToken = JSON.readTree(minted.body()).get("token").asText();
    String capability = new ClientCapabilityToken.Builder(SID, TOKEN).build().toJwt();
    String generic =
        Jwt.encode(
            Map.of("typ", TYP, "kid", instance),
            Map.of("flex_user_sid", provision("alice")),
            TOKEN.getBytes(StandardCharsets.UTF_8));

    assertPlainInvalid(accessToken);
    assertPlainInvalid(capability);
    assertPlainInvalid(generic);
  }

  @Test
  void validateWhenKidNamesAnotherInstanceOrClaimsDisagreeWithItThenInvalid() throws Exception {
    Account sub = subaccount();
    String subInstance = instanceOf(sub.getSid(), ROOT_AUTH);
    String subUser = provision(subInstance, ROOT_AUTH, "bob", "agent");
    String rootToken = mintToken(provision("alice"));
    String subToken = mint(subInstance, subUser, ROOT_AUTH, null).get("access_token").asText();
    SecretKey rootKey = tokenKey(instance);
    SecretKey subKey = tokenKey(subInstance);
    Map<String, Object> rootClaims = claims(rootToken, rootKey);
    Map<String, Object> subClaims = claims(subToken, subKey);
    Map<String, Object> claimsNamingSub = new LinkedHashMap<>(rootClaims);
    claimsNamingSub.put("flex_instance_sid", subInstance);
    claimsNamingSub.put("account_sid", sub.getSid());
    claimsNamingSub.put("flex_user_sid", subUser);
    Map<String, Object> otherAccountClaim = new LinkedHashMap<>(rootClaims);
    otherAccountClaim.put("account_sid", sub.getSid());

    // kid of the subaccount's instance, encrypted with the root instance's key.
    String wrongKey =
        craft(goodHeader(subInstance).build(), subClaims, new DirectEncrypter(rootKey));
    // kid and key of the root instance, claims of the subaccount's.
    String wrongClaims =
        craft(goodHeader(instance).build(), claimsNamingSub, new DirectEncrypter(rootKey));
    String wrongAccount =
        craft(goodHeader(instance).build(), otherAccountClaim, new DirectEncrypter(rootKey));

    assertInvalid(validate(sub.getSid(), ROOT_AUTH, wrongKey), 20101);
    assertPlainInvalid(wrongClaims);
    assertPlainInvalid(wrongAccount);
    // The controls.
    assertValid(
        validate(
            sub.getSid(),
            ROOT_AUTH,
            craft(goodHeader(subInstance).build(), subClaims, new DirectEncrypter(subKey))));
    assertValid(
        validate(craft(goodHeader(instance).build(), rootClaims, new DirectEncrypter(rootKey))));
  }

  @Test
  void validateWhenTokenOfAnotherAccountThenIndistinguishableFromAnInvalidOne() throws Exception {
    AccountSid other = otherAccount();
    String otherAuth = basic(other.value(), OTHER_TOKEN);
    String otherInstance = instanceOf(other.value(), otherAuth);
    String otherUser = provision(otherInstance, otherAuth, "mallory", "agent");
    String theirs = mint(otherInstance, otherUser, otherAuth, null).get("access_token").asText();
    String theirsExpiring =
        mint(otherInstance, otherUser, otherAuth, Map.of("ttl", 1)).get("access_token").asText();
    String garbage = flip(theirs, theirs.length() - 3);
    clock.advance(Duration.ofSeconds(120));

    JsonNode foreign = validate(theirs);
    JsonNode foreignExpired = validate(theirsExpiring);
    JsonNode invalid = validate(garbage);
    JsonNode unknownInstance =
        validate(
            craft(
                goodHeader(FlexInstanceSid.random().value()).build(),
                Map.of("x", 1),
                new DirectEncrypter(tokenKey(instance))));

    assertInvalid(invalid, 20101);
    assertThat(foreign).isEqualTo(invalid);
    assertThat(foreignExpired).isEqualTo(invalid);
    assertThat(unknownInstance).isEqualTo(invalid);
    // Their owner sees theirs valid, and the expired one expired.
    assertValid(validate(other.value(), otherAuth, theirs));
    assertInvalid(validate(other.value(), otherAuth, theirsExpiring), 20104);
    // Another account's path is not found, whatever the token.
    assertError(
        postJson(tokensPath(other.value(), "validate"), ROOT_AUTH, Map.of("token", theirs)),
        404,
        20404);
  }

  // ---- validation: time ----

  @Test
  void validateWhenPastExpiryAndSkewThen20104ButWithinTheSkewStillValid() throws Exception {
    String token =
        mint(instance, provision("alice"), ROOT_AUTH, Map.of("ttl", 60))
            .get("access_token")
            .asText();

    clock.advance(Duration.ofSeconds(60 + 59));
    JsonNode withinSkew = validate(token);
    clock.advance(Duration.ofSeconds(1));
    JsonNode expired = validate(token);

    assertValid(withinSkew);
    assertInvalid(expired, 20104);
    assertThat(expired.get("message").asText()).contains("expired");
  }

  @Test
  void validateWhenIssuedMoreThanTheSkewInTheFutureThenInvalid() throws Exception {
    String user = provision("alice");
    clock.advance(Duration.ofSeconds(61));
    String early = mintToken(user);
    clock.advance(Duration.ofSeconds(-2));
    String slightlyEarly = mintToken(user);
    clock.advance(Duration.ofSeconds(-59));

    assertPlainInvalid(early);
    assertValid(validate(slightlyEarly));
  }

  // ---- revocation, deprovisioning, accounts ----

  @Test
  void validateWhenRevokedThenInvalidAtOnceAndAfterRestart() throws Exception {
    String user = provision("alice");
    String token = mintToken(user);
    String other = mintToken(user);
    assertValid(validate(token));

    HttpResponse<String> revoked =
        postForm(tokensPath(SID, "Revoke"), sdkHeader(token), "Token", token);
    JsonNode atOnce = validate(token);
    restart();
    JsonNode afterRestart = validate(token);

    assertThat(revoked.statusCode()).as(revoked.body()).isEqualTo(204);
    assertInvalid(atOnce, 20101);
    assertThat(atOnce.get("message").asText()).contains("revoked");
    assertThat(afterRestart).isEqualTo(atOnce);
    assertValid(validate(other));
  }

  @Test
  void revokeWithAccountCredentialsAndJsonOrHeaderOnlyThen204AndAgainStill204() throws Exception {
    String user = provision("alice");
    String first = mintToken(user);
    String second = mintToken(user);

    HttpResponse<String> byAccount =
        postJson(tokensPath(SID, "Revoke"), standardKey(), Map.of("token", first));
    HttpResponse<String> again =
        postJson(tokensPath(SID, "Revoke"), ROOT_AUTH, Map.of("token", first));
    HttpResponse<String> headerOnly = post(tokensPath(SID, "Revoke"), sdkHeader(second), null, "");

    assertThat(byAccount.statusCode()).as(byAccount.body()).isEqualTo(204);
    assertThat(again.statusCode()).as(again.body()).isEqualTo(204);
    assertThat(headerOnly.statusCode()).as(headerOnly.body()).isEqualTo(204);
    assertInvalid(validate(first), 20101);
    assertInvalid(validate(second), 20101);
    // Revoking a revoked token changes nothing, but the token no longer shows its details.
    assertThat(post(tokensPath(SID, "Revoke"), sdkHeader(second), null, "").statusCode())
        .isEqualTo(204);
    assertError(postForm(tokensPath(SID, "Info"), sdkHeader(second), "Token", second), 401, 20101);
  }

  @Test
  void revokeWhenTokenInvalidOrCallerMayNotThenRefused() throws Exception {
    String token = mintToken(provision("alice"));
    AccountSid other = otherAccount();

    assertError(
        postForm(tokensPath(SID, "Revoke"), ROOT_AUTH, "Token", flip(token, 40)), 401, 20101);
    assertError(post(tokensPath(SID, "Revoke"), sdkHeader(flip(token, 40)), null, ""), 401, 20101);
    assertError(
        postForm(tokensPath(SID, "Revoke"), restrictedKey(CREATE_POLICY), "Token", token),
        403,
        70051);
    assertError(
        postForm(tokensPath(SID, "Revoke"), basic(other.value(), OTHER_TOKEN), "Token", token),
        404,
        20404);
    assertError(postForm(tokensPath(SID, "Revoke"), null, "Token", token), 401, 20003);
    assertError(post(tokensPath(SID, "Revoke"), ROOT_AUTH, "text/plain", token), 415, 20415);
    assertError(postForm(tokensPath(SID, "Revoke"), ROOT_AUTH), 400, 20001);
    // None of these revoked it.
    assertValid(validate(token));
  }

  @Test
  void validateWhenUserDeprovisionedThenInvalidAtOnceAndAfterRestart() throws Exception {
    String user = provision("alice");
    String token = mintToken(user);
    assertValid(validate(token));

    deprovision(instance, ROOT_AUTH, user);
    JsonNode atOnce = validate(token);
    restart();
    JsonNode afterRestart = validate(token);

    assertInvalid(atOnce, 20101);
    assertThat(atOnce.get("message").asText()).contains("deprovisioned");
    assertThat(afterRestart).isEqualTo(atOnce);
  }

  @Test
  void validateWhenUserProvisionedAgainThenOldTokenStaysInvalidAndNewOneIsValid() throws Exception {
    String user = provision("alice");
    String old = mintToken(user);
    deprovision(instance, ROOT_AUTH, user);

    String again = provision("alice");
    String fresh = mintToken(again);

    assertThat(again).isEqualTo(user);
    assertInvalid(validate(old), 20101);
    assertValid(validate(fresh));
    restart();
    assertInvalid(validate(old), 20101);
    assertValid(validate(fresh));
  }

  @Test
  void infoAnswersTheSdkCallingFromAnotherOriginWhetherTheTokenIsValidOrNot() throws Exception {
    String token = mint(instance, provision("carol"), ROOT_AUTH, null).get("access_token").asText();
    String path = tokensPath(SID, "Info");
    HttpRequest preflight =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Origin", "https://flex.example.com")
            .header("Access-Control-Request-Method", "POST")
            .header("Access-Control-Request-Headers", "authorization, content-type")
            .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
            .build();
    HttpResponse<String> r = TestServers.HTTP.send(preflight, HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
    assertThat(r.headers().firstValue("Access-Control-Allow-Methods")).contains("POST");
    assertThat(r.headers().firstValue("Access-Control-Allow-Headers"))
        .hasValueSatisfying(h -> assertThat(h).contains("Authorization", "Content-Type"));

    HttpResponse<String> valid = postForm(path, sdkHeader(token), "Token", token);
    assertThat(valid.statusCode()).as(valid.body()).isEqualTo(200);
    assertThat(valid.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
    String bad = flip(token, token.length() - 3);
    HttpResponse<String> invalid = postForm(path, sdkHeader(bad), "Token", bad);
    assertError(invalid, 401, 20101);
    assertThat(invalid.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
    // Only Info: the other token endpoints take account credentials and stay same-origin.
    HttpResponse<String> validate =
        postJson(tokensPath(SID, "validate"), ROOT_AUTH, Map.of("token", token));
    assertThat(validate.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
  }

  @Test
  void validateWhenAccountSuspendedThenInvalidAndValidAgainAfterReactivation() throws Exception {
    Account sub = subaccount();
    String subInstance = instanceOf(sub.getSid(), ROOT_AUTH);
    String token =
        mint(subInstance, provision(subInstance, ROOT_AUTH, "bob", "agent"), ROOT_AUTH, null)
            .get("access_token")
            .asText();
    assertValid(validate(sub.getSid(), ROOT_AUTH, token));

    Account.updater(sub.getSid()).setStatus(Account.Status.SUSPENDED).update(root);
    JsonNode suspended = validate(sub.getSid(), ROOT_AUTH, token);
    HttpResponse<String> info =
        postForm(tokensPath(sub.getSid(), "Info"), sdkHeader(token), "Token", token);
    Account.updater(sub.getSid()).setStatus(Account.Status.ACTIVE).update(root);
    JsonNode reactivated = validate(sub.getSid(), ROOT_AUTH, token);

    assertInvalid(suspended, 20101);
    assertThat(suspended.get("message").asText()).contains("not active");
    assertError(info, 401, 20101);
    assertValid(reactivated);
  }

  @Test
  void validateWhenAccountClosedThenInvalidAtOnceAndAfterRestartAndMintingRefused()
      throws Exception {
    Account sub = subaccount();
    String subInstance = instanceOf(sub.getSid(), ROOT_AUTH);
    String subUser = provision(subInstance, ROOT_AUTH, "bob", "agent");
    String token = mint(subInstance, subUser, ROOT_AUTH, null).get("access_token").asText();

    Account.updater(sub.getSid()).setStatus(Account.Status.CLOSED).update(root);
    JsonNode closed = validate(sub.getSid(), ROOT_AUTH, token);
    HttpResponse<String> mintAfter = post(mintPath(subInstance, subUser), ROOT_AUTH, null, "");
    restart();
    JsonNode afterRestart = validate(sub.getSid(), ROOT_AUTH, token);

    assertInvalid(closed, 20101);
    assertThat(afterRestart).isEqualTo(closed);
    assertError(mintAfter, 401, 20005);
  }

  // ---- validation: requests ----

  @Test
  void validateWithRestrictedKeyThen403UnlessItsPolicyAllowsValidatingFlexTokens()
      throws Exception {
    String token = mintToken(provision("alice"));

    assertError(
        postJson(tokensPath(SID, "validate"), restrictedKey(CREATE_POLICY), Map.of("token", token)),
        403,
        70051);
    assertValid(validate(SID, restrictedKey(VALIDATE_POLICY), token));
  }

  @Test
  void validateWhenRequestMalformedOrUnauthenticatedThenTwilioErrors() throws Exception {
    String token = mintToken(provision("alice"));
    String path = tokensPath(SID, "validate");

    assertError(postJson(path, ROOT_AUTH, Map.of()), 400, 20001);
    assertError(postJson(path, ROOT_AUTH, Map.of("token", "")), 400, 20001);
    assertError(postJson(path, ROOT_AUTH, Map.of("token", token, "extra", 1)), 400, 20001);
    assertError(postJson(path, ROOT_AUTH, Map.of("token", 5)), 400, 20001);
    assertError(post(path, ROOT_AUTH, JSON_TYPE, "{\"token\":\"a\",\"token\":\"b\"}"), 400, 20001);
    assertError(postForm(path, ROOT_AUTH, "token", token), 415, 20415);
    assertError(postJson(path, null, Map.of("token", token)), 401, 20003);
    // The token cannot vouch for itself here: the validator always sends account credentials.
    assertError(postJson(path, sdkHeader(token), Map.of("token", token)), 401, 20003);
    assertError(
        postJson(tokensPath("AC123", "validate"), ROOT_AUTH, Map.of("token", token)), 404, 20404);
  }

  // ---- Info (the Flex SDK) ----

  @Test
  void infoWithSdkHeaderIncludingTrailingParenThenAnswersTheTokensDetails() throws Exception {
    String user = provision(instance, ROOT_AUTH, "alice", "agent", "admin");
    JsonNode minted = mint(instance, user, ROOT_AUTH, null);
    String token = minted.get("access_token").asText();

    HttpResponse<String> res =
        postForm(tokensPath(SID, "Info"), sdkHeader(token), "Token", token, "Fingerprint", "fp");
    HttpResponse<String> withoutParen =
        postForm(tokensPath(SID, "Info"), basic("token", token), "Token", token);

    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.properties())
        .extracting(Map.Entry::getKey)
        .containsExactly(
            "account_sid",
            "flex_instance_sid",
            "flex_user_sid",
            "identity",
            "roles",
            "expiration",
            "permissions",
            "worker_sid",
            "realm_user_id",
            "name_id");
    JsonNode info = minted.get("token_info");
    assertThat(body.get("account_sid").asText()).isEqualTo(SID);
    assertThat(body.get("flex_instance_sid").asText()).isEqualTo(instance);
    assertThat(body.get("flex_user_sid").asText()).isEqualTo(user);
    assertThat(body.get("identity").asText()).isEqualTo("alice");
    assertThat(body.get("roles")).isEqualTo(info.get("roles"));
    assertThat(body.get("expiration").asText()).isEqualTo(info.get("expiration").asText());
    assertThat(body.get("permissions")).isEqualTo(info.get("permissions"));
    assertThat(body.get("worker_sid").asText()).startsWith("WK");
    assertThat(body.get("realm_user_id").asText()).isEqualTo("alice");
    assertThat(body.get("name_id").asText()).isEqualTo("alice");
    assertThat(withoutParen.statusCode()).as(withoutParen.body()).isEqualTo(200);
    assertThat(JSON.readTree(withoutParen.body())).isEqualTo(body);
  }

  @Test
  void infoWithAccountCredentialsThenAnswersAsWithTheTokenHeader() throws Exception {
    String token = mintToken(provision("alice"));

    HttpResponse<String> byAccount = postForm(tokensPath(SID, "Info"), ROOT_AUTH, "Token", token);
    HttpResponse<String> byToken =
        postForm(tokensPath(SID, "Info"), sdkHeader(token), "Token", token);

    assertThat(byAccount.statusCode()).as(byAccount.body()).isEqualTo(200);
    assertThat(JSON.readTree(byAccount.body())).isEqualTo(JSON.readTree(byToken.body()));
  }

  @Test
  void infoWhenHeaderTokenDiffersFromFormTokenThen401With20003() throws Exception {
    String user = provision("alice");
    String mine = mintToken(user);
    String other = mintToken(provision("bob"));

    assertError(postForm(tokensPath(SID, "Info"), sdkHeader(mine), "Token", other), 401, 20003);
    assertError(postForm(tokensPath(SID, "Info"), sdkHeader(""), "Token", other), 401, 20003);
  }

  @Test
  void infoWithoutAuthorizationOrWithBrokenHeaderThen401With20003() throws Exception {
    String token = mintToken(provision("alice"));

    HttpResponse<String> none = postForm(tokensPath(SID, "Info"), null, "Token", token);
    assertError(none, 401, 20003);
    assertThat(none.headers().firstValue("WWW-Authenticate"))
        .hasValue("Basic realm=\"Twilio API\"");
    // Account credentials with the stray ")" are not the SDK's form: refused.
    assertError(postForm(tokensPath(SID, "Info"), ROOT_AUTH + ")", "Token", token), 401, 20003);
    assertError(
        postForm(tokensPath(SID, "Info"), sdkHeader(token) + "))", "Token", token), 401, 20003);
    assertError(postForm(tokensPath(SID, "Info"), "Bearer " + token, "Token", token), 401, 20003);
  }

  @Test
  void infoWhenTokenInvalidExpiredOrOfAnotherAccountThen401With20101Or20104() throws Exception {
    String user = provision("alice");
    String token = mintToken(user);
    String shortLived =
        mint(instance, user, ROOT_AUTH, Map.of("ttl", 10)).get("access_token").asText();
    AccountSid other = otherAccount();
    String tampered = flip(token, token.length() - 30);

    assertError(
        postForm(tokensPath(SID, "Info"), sdkHeader(tampered), "Token", tampered), 401, 20101);
    assertError(postForm(tokensPath(SID, "Info"), ROOT_AUTH, "Token", tampered), 401, 20101);
    // The token's account is not the path's: the same as an invalid token.
    JsonNode foreign =
        assertError(
            postForm(tokensPath(other.value(), "Info"), sdkHeader(token), "Token", token),
            401,
            20101);
    assertThat(foreign.get("message").asText()).isEqualTo("Invalid Access Token");
    clock.advance(Duration.ofSeconds(10 + 60));
    HttpResponse<String> expired =
        postForm(tokensPath(SID, "Info"), sdkHeader(shortLived), "Token", shortLived);
    assertError(expired, 401, 20104);
    assertThat(expired.headers().firstValue("WWW-Authenticate")).isPresent();
  }

  @Test
  void infoWhenNotAFormOrWithUnknownFieldsThenRefused() throws Exception {
    String token = mintToken(provision("alice"));
    String path = tokensPath(SID, "Info");

    assertError(postJson(path, sdkHeader(token), Map.of("token", token)), 415, 20415);
    assertError(postForm(path, sdkHeader(token), "Token", token, "Extra", "1"), 400, 20001);
    assertError(postForm(path, sdkHeader(token), "Token", token, "Token", token), 400, 20001);
    assertError(postForm(path, ROOT_AUTH), 400, 20001);
    assertError(
        postForm("/v1/Accounts/AC123/Tokens/Info", sdkHeader(token), "Token", token), 404, 20404);
  }
}
