package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.http.Json;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyType;
import io.callsign.server.keys.Policy;
import io.callsign.server.store.Database;
import io.callsign.tokens.sid.AccountSid;
import java.net.CookieManager;
import java.net.ServerSocket;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
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
 * Single sign-on end to end, with mock-oauth2-server as the real provider ({@link
 * OidcTestProvider}) and the client side computing the code verifier, code challenge, nonce and
 * state exactly as {@code @twilio/flex-sdk@3.0.0} does (twilio-wire.md 9.3). A browser is an {@link
 * HttpClient} with its own cookies that follows no redirect by itself, so every hop is checked.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class SsoTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  private static final String SID = KeysTest.SID;
  private static final String TOKEN = KeysTest.TOKEN;
  private static final String ROOT_AUTH = basic(SID, TOKEN);
  private static final String REDIRECT = "https://flex.example.com/sso/done";
  private static final String CLIENT_ID = "callsign-flex";
  private static final String CLIENT_SECRET = "provider-client-secret-" + "7f3a9c1e5b";
  private static final String IDP_A = "idp-a";
  private static final String IDP_B = "idp-b";

  @TempDir Path dir;
  private final TestClock clock = new TestClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
  private OidcTestProvider provider;
  private CallsignServer server;
  private int port;
  private String instance;

  /** Every secret this test has seen: no response, event or stored row may contain one. */
  private final List<String> secrets = new CopyOnWriteArrayList<>(List.of(TOKEN, CLIENT_SECRET));

  @BeforeEach
  void start() throws Exception {
    provider = new OidcTestProvider();
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN), clock);
    port = server.start();
    JsonNode config = json(TestServers.get(port, "/v1/Configuration", ROOT_AUTH), 200);
    instance = config.get("flex_instance_sid").asText();
  }

  @AfterEach
  void stop() {
    server.stop();
    provider.close();
  }

  private void restart() {
    server.stop();
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN), clock);
    port = server.start();
  }

  // ---- helpers: HTTP ----

  private String base() {
    return "http://127.0.0.1:" + port;
  }

  private static JsonNode json(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return JSON.readTree(r.body());
  }

  private static void assertError(HttpResponse<String> r, int status, int code) throws Exception {
    JsonNode body = json(r, status);
    assertThat(body.get("code").asInt()).as(r.body()).isEqualTo(code);
    assertThat(body.get("status").asInt()).isEqualTo(status);
  }

  private HttpResponse<String> postJson(String path, String auth, Object body) throws Exception {
    return TestServers.sendJson(port, "POST", path, auth, Json.write(body));
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(v -> out.add(v.asText()));
    return out;
  }

  private static Map<String, String> query(URI uri) {
    Map<String, String> out = new LinkedHashMap<>();
    if (uri.getRawQuery() == null) {
      return out;
    }
    for (String pair : uri.getRawQuery().split("&")) {
      int eq = pair.indexOf('=');
      out.put(
          URLDecoder.decode(pair.substring(0, eq), StandardCharsets.UTF_8),
          URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8));
    }
    return out;
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  /** A browser: its own cookies, and redirects followed one hop at a time by the test. */
  private static final class Browser {
    private final HttpClient http =
        HttpClient.newBuilder()
            .cookieHandler(new CookieManager())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    HttpResponse<String> get(URI uri) throws Exception {
      return http.send(
          HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Follows one redirect: the response must be a 302 to somewhere. */
    URI hop(URI uri) throws Exception {
      HttpResponse<String> r = get(uri);
      assertThat(r.statusCode()).as(uri + " -> " + r.body()).isEqualTo(302);
      return URI.create(r.headers().firstValue("Location").orElseThrow());
    }
  }

  // ---- helpers: profiles ----

  private Map<String, Object> profileBody(String issuerId) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("friendly_name", "Provider " + issuerId);
    body.put("issuer", provider.issuer(issuerId));
    body.put("client_id", CLIENT_ID);
    body.put("client_secret", CLIENT_SECRET);
    body.put("roles_claim", "roles");
    body.put("redirect_urls", List.of(REDIRECT, "http://localhost:3000/login"));
    return body;
  }

  private String createProfile(String issuerId) throws Exception {
    return createProfile(profileBody(issuerId));
  }

  private String createProfile(Map<String, Object> body) throws Exception {
    JsonNode created = json(postJson(profilesPath(), ROOT_AUTH, body), 201);
    return created.get("sid").asText();
  }

  private String profilesPath() {
    return "/v4/Instances/" + instance + "/SsoProfiles";
  }

  // ---- helpers: the Flex SDK's side (twilio-wire.md 9.3) ----

  /**
   * What {@code getLoginDetails} computes: codeVerifier = base64url(48 random bytes), codeChallenge
   * = base64url(SHA-256(codeVerifier)), nonce = base64url(24 random bytes), state = base64url of
   * {@code {"connection_name": clientId, "redirect_url": redirectUrl}}, and the login URL.
   */
  private record Sdk(
      String profileSid,
      String redirectUrl,
      String codeVerifier,
      String codeChallenge,
      String nonce,
      String state,
      String loginPath) {}

  private Sdk sdk(String profileSid, String redirectUrl) throws Exception {
    // getAuthenticationConfig first: every parameter sent, the absent ones empty.
    JsonNode config =
        json(
            TestServers.get(
                port,
                "/v1/Flex/Authentication/Config?AccountSid="
                    + SID
                    + "&FlexInstanceSid=&RuntimeDomain=&SSOProfileSid="
                    + profileSid
                    + "&AppType=SinglePageApp",
                null),
            200);
    JsonNode item = config.get("config_list").get(0);
    assertThat(item.get("connection_name").asText()).isEqualTo(profileSid);
    String clientId = item.get("client_id").asText();
    String verifier = BASE64URL.encodeToString(bytes(48));
    String challenge =
        BASE64URL.encodeToString(
            MessageDigest.getInstance("SHA-256")
                .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    String nonce = BASE64URL.encodeToString(bytes(24));
    Map<String, String> stateJson = new LinkedHashMap<>();
    stateJson.put("connection_name", clientId);
    stateJson.put("redirect_url", redirectUrl);
    String state = BASE64URL.encodeToString(Json.write(stateJson).getBytes(StandardCharsets.UTF_8));
    String login =
        "/v1/Flex/Authorize?redirectUrl="
            + enc(redirectUrl)
            + "&nonce="
            + nonce
            + "&codeChallenge="
            + challenge
            + "&state="
            + state
            + "&ssoProfileSid="
            + profileSid;
    return new Sdk(profileSid, redirectUrl, verifier, challenge, nonce, state, login);
  }

  private Sdk sdk(String profileSid) throws Exception {
    return sdk(profileSid, REDIRECT);
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** The browser opens the SDK's login URL; Callsign sends it to the provider. */
  private URI authorize(Browser browser, Sdk sdk) throws Exception {
    return browser.hop(URI.create(base() + sdk.loginPath()));
  }

  /** At the provider (which signs the user in at once): back to Callsign's callback. */
  private URI atProvider(Browser browser, URI providerUrl) throws Exception {
    URI callback = browser.hop(providerUrl);
    assertThat(callback.toString()).startsWith(base() + "/v1/Flex/Authentication/Callback?");
    return callback;
  }

  /** The whole browser journey; returns where the browser lands, with its query parameters. */
  private Map<String, String> signIn(
      Sdk sdk, String issuerId, String subject, Map<String, Object> claims) throws Exception {
    provider.nextSignIn(issuerId, subject, claims);
    Browser browser = new Browser();
    URI landing = browser.hop(atProvider(browser, authorize(browser, sdk)));
    assertThat(landing.toString()).startsWith(sdk.redirectUrl() + "?");
    return query(landing);
  }

  private static Map<String, Object> claims(String username, String email, Object roles) {
    Map<String, Object> c = new LinkedHashMap<>();
    c.put("preferred_username", username);
    c.put("email", email);
    c.put("name", "Name of " + username);
    if (roles != null) {
      c.put("roles", roles);
    }
    return c;
  }

  private HttpResponse<String> exchange(Sdk sdk, String code) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sso_profile_sid", sdk.profileSid());
    body.put("code", code);
    body.put("code_verifier", sdk.codeVerifier());
    body.put("nonce", sdk.nonce());
    body.put("grant_type", "AuthorizationCode");
    return tokens(body);
  }

  private HttpResponse<String> tokens(Map<String, Object> body) throws Exception {
    // As the SDK sends it: JSON, no Authorization header.
    HttpResponse<String> r = postJson("/v1/Flex/OAuth/Tokens", null, body);
    if (r.statusCode() == 200) {
      JsonNode answer = JSON.readTree(r.body());
      secrets.add(answer.get("refresh_token").asText());
      assertThat(r.headers().firstValue("Cache-Control")).contains("no-store");
    }
    return r;
  }

  private HttpResponse<String> refresh(String profileSid, String refreshToken) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("refresh_token", refreshToken);
    body.put("sso_profile_sid", profileSid);
    body.put("grant_type", "RefreshToken");
    return tokens(body);
  }

  /** Signs in and exchanges the code: the SDK's tokens. */
  private JsonNode signInAndExchange(
      Sdk sdk, String issuerId, String subject, Map<String, Object> claims) throws Exception {
    Map<String, String> landing = signIn(sdk, issuerId, subject, claims);
    assertThat(landing).containsKey("code");
    return json(exchange(sdk, landing.get("code")), 200);
  }

  /** The Flex SDK's {@code validateToken}: the token authenticates itself, stray ")" and all. */
  private HttpResponse<String> tokenInfo(String token) throws Exception {
    String header =
        "Basic "
            + Base64.getEncoder()
                .encodeToString(("token:" + token).getBytes(StandardCharsets.UTF_8))
            + ")";
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(base() + "/v1/Accounts/" + SID + "/Tokens/Info"))
            .header("Authorization", header)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("Token=" + enc(token)))
            .build();
    return TestServers.HTTP.send(request, HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode user(String fu) throws Exception {
    return json(
        TestServers.get(port, "/v4/Instances/" + instance + "/Users/" + fu, ROOT_AUTH), 200);
  }

  /** The root account's events of {@code type}, newest first, after a restart flushed them all. */
  private List<JsonNode> events(String type) throws Exception {
    restart();
    HttpResponse<String> r = TestServers.get(port, "/v1/Events?EventType=" + type, ROOT_AUTH);
    List<JsonNode> out = new ArrayList<>();
    json(r, 200).get("events").forEach(out::add);
    for (JsonNode e : out) {
      assertNoSecret(e.toString());
    }
    return out;
  }

  private void assertNoSecret(String text) {
    for (String secret : secrets) {
      assertThat(text).doesNotContain(secret);
    }
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

  // ================================================================================ profiles

  @Test
  void createProfileThenAnswersNeverShowTheClientSecretNorStoresItInClear() throws Exception {
    HttpResponse<String> created = postJson(profilesPath(), ROOT_AUTH, profileBody(IDP_A));
    JsonNode p = json(created, 201);
    assertThat(p.get("sid").asText()).matches("JQ[0-9a-f]{32}");
    assertThat(p.get("instance_sid").asText()).isEqualTo(instance);
    assertThat(p.get("account_sid").asText()).isEqualTo(SID);
    assertThat(p.get("issuer").asText()).isEqualTo(provider.issuer(IDP_A));
    assertThat(p.get("client_id").asText()).isEqualTo(CLIENT_ID);
    assertThat(p.get("client_secret_set").asBoolean()).isTrue();
    assertThat(p.has("client_secret")).isFalse();
    assertThat(strings(p.get("scopes"))).containsExactly("openid", "email", "profile");
    assertThat(p.get("username_claim").asText()).isEqualTo("preferred_username");
    assertThat(p.get("email_claim").asText()).isEqualTo("email");
    assertThat(p.get("full_name_claim").asText()).isEqualTo("name");
    assertThat(p.get("roles_claim").asText()).isEqualTo("roles");
    assertThat(p.get("default_role").asText()).isEqualTo("agent");
    assertThat(p.get("active").asBoolean()).isTrue();
    assertThat(p.get("app_type").asText()).isEqualTo("SinglePageApp");
    assertThat(p.get("callback_url").asText())
        .isEqualTo(base() + "/v1/Flex/Authentication/Callback");
    String sid = p.get("sid").asText();
    HttpResponse<String> fetched = TestServers.get(port, profilesPath() + "/" + sid, ROOT_AUTH);
    HttpResponse<String> listed = TestServers.get(port, profilesPath(), ROOT_AUTH);
    assertThat(json(listed, 200).get("sso_profiles")).hasSize(1);
    assertThat(json(fetched, 200).get("client_secret_set").asBoolean()).isTrue();
    for (HttpResponse<String> r : List.of(created, fetched, listed)) {
      assertNoSecret(r.body());
    }
    server.stop();
    db.assertStoredDataLacks(dir, List.of(CLIENT_SECRET));
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN), clock);
    port = server.start();
  }

  @Test
  void createProfileWhenAFieldBreaksARuleThen400NamingItAndNothingIsCreated() throws Exception {
    Map<String, Object> good = profileBody(IDP_A);
    List<Map.Entry<String, Object>> bad =
        List.of(
            Map.entry("issuer", "http://idp.example.com/realm"), // http off loopback
            Map.entry("issuer", "https://idp.example.com/?tenant=x"),
            Map.entry("issuer", "idp.example.com"),
            Map.entry("redirect_urls", List.of()),
            Map.entry("redirect_urls", List.of("https://flex.example.com/done#fragment")),
            Map.entry("redirect_urls", List.of("javascript:alert(1)")),
            Map.entry("redirect_urls", List.of("/relative")),
            Map.entry("scopes", List.of("email", "profile")), // no openid
            Map.entry("default_role", "no-such-role"),
            Map.entry("app_type", "DesktopApp"),
            Map.entry("client_id", ""),
            Map.entry("unknown_member", "x"));
    for (Map.Entry<String, Object> change : bad) {
      Map<String, Object> body = new LinkedHashMap<>(good);
      body.put(change.getKey(), change.getValue());
      HttpResponse<String> r = postJson(profilesPath(), ROOT_AUTH, body);
      assertError(r, 400, 20001);
      assertThat(JSON.readTree(r.body()).get("message").asText())
          .as(change.toString())
          .contains(change.getKey());
    }
    Map<String, Object> missing = new LinkedHashMap<>(good);
    missing.remove("issuer");
    assertError(postJson(profilesPath(), ROOT_AUTH, missing), 400, 20001);
    assertThat(json(TestServers.get(port, profilesPath(), ROOT_AUTH), 200).get("sso_profiles"))
        .isEmpty();
  }

  @Test
  void profilesWhenCallerLacksTheSsoPolicyThen403AndAnotherAccountsProfileIsNotFound()
      throws Exception {
    String sid = createProfile(IDP_A);
    String without = restrictedKey("/twilio/flex/users/read", "/twilio/flex/users/manage");
    assertError(TestServers.get(port, profilesPath(), without), 403, 70051);
    assertError(postJson(profilesPath(), without, profileBody(IDP_A)), 403, 70051);
    String reader = restrictedKey("/twilio/flex/sso-profiles/read");
    assertThat(
            json(TestServers.get(port, profilesPath() + "/" + sid, reader), 200)
                .get("sid")
                .asText())
        .isEqualTo(sid);
    assertError(postJson(profilesPath() + "/" + sid, reader, Map.of("active", false)), 403, 70051);
    String manager = restrictedKey("/twilio/flex/sso-profiles/manage");
    json(postJson(profilesPath() + "/" + sid, manager, Map.of("friendly_name", "Renamed")), 200);

    String otherToken = "e".repeat(32);
    secrets.add(otherToken);
    AccountSid other = db.insertMainAccount(dir, otherToken);
    String otherAuth = basic(other.value(), otherToken);
    assertError(TestServers.get(port, profilesPath() + "/" + sid, otherAuth), 404, 20404);
    assertError(TestServers.get(port, profilesPath(), otherAuth), 404, 20404);
  }

  @Test
  void updateAndDeleteProfileAreRecordedWithoutTheSecret() throws Exception {
    String sid = createProfile(IDP_A);
    String newSecret = "another-client-secret-" + "c0ffee";
    secrets.add(newSecret);
    JsonNode updated =
        json(
            postJson(
                profilesPath() + "/" + sid,
                ROOT_AUTH,
                Map.of("client_secret", newSecret, "active", false, "default_role", "supervisor")),
            200);
    assertThat(updated.get("active").asBoolean()).isFalse();
    assertThat(updated.get("default_role").asText()).isEqualTo("supervisor");
    assertThat(updated.get("version").asInt()).isEqualTo(1);
    assertError(
        postJson(profilesPath() + "/" + sid, ROOT_AUTH, Map.of("issuer", "ftp://x")), 400, 20001);
    HttpResponse<String> deleted =
        TestServers.sendJson(port, "DELETE", profilesPath() + "/" + sid, ROOT_AUTH, null);
    assertThat(deleted.statusCode()).isEqualTo(204);
    assertError(TestServers.get(port, profilesPath() + "/" + sid, ROOT_AUTH), 404, 20404);

    assertThat(events("sso-profile.created")).hasSize(1);
    List<JsonNode> updates = events("sso-profile.updated");
    assertThat(updates).hasSize(1);
    JsonNode data = updates.getFirst().get("event_data");
    assertThat(strings(data.get("changed")))
        .containsExactlyInAnyOrder("client_secret", "active", "default_role");
    assertThat(data.get("client_secret_set").asBoolean()).isTrue();
    assertThat(updates.getFirst().get("resource_sid").asText()).isEqualTo(sid);
    assertThat(events("sso-profile.deleted")).hasSize(1);
  }

  @Test
  void configListsTheAccountsProfilesWithNothingSecretAndNothingWhenNothingIsNamed()
      throws Exception {
    String active = createProfile(IDP_A);
    Map<String, Object> inactiveBody = profileBody(IDP_B);
    inactiveBody.put("active", false);
    inactiveBody.put("app_type", "MobileApp");
    inactiveBody.put("redirect_urls", List.of("com.example.flex:/sso"));
    String inactive = createProfile(inactiveBody);
    HttpResponse<String> r =
        TestServers.get(
            port,
            "/v1/Flex/Authentication/Config?AccountSid="
                + SID
                + "&FlexInstanceSid=&RuntimeDomain=&SSOProfileSid=&AppType=",
            null);
    JsonNode list = json(r, 200).get("config_list");
    assertThat(list).hasSize(2);
    // Profiles made in the same second come in SID order.
    boolean activeFirst = list.get(0).get("connection_name").asText().equals(active);
    JsonNode first = list.get(activeFirst ? 0 : 1);
    JsonNode second = list.get(activeFirst ? 1 : 0);
    assertThat(first.get("account_sid").asText()).isEqualTo(SID);
    assertThat(first.get("instance_sid").asText()).isEqualTo(instance);
    assertThat(first.get("connection_name").asText()).isEqualTo(active);
    assertThat(first.get("client_id").asText()).isEqualTo(active);
    assertThat(first.get("active").asBoolean()).isTrue();
    assertThat(first.get("app_type").asText()).isEqualTo("SinglePageApp");
    assertThat(second.get("connection_name").asText()).isEqualTo(inactive);
    assertThat(second.get("active").asBoolean()).isFalse();
    assertThat(r.body()).doesNotContain(CLIENT_ID).doesNotContain("issuer");
    assertNoSecret(r.body());

    JsonNode mobile =
        json(
            TestServers.get(
                port,
                "/v1/Flex/Authentication/Config?AccountSid=&FlexInstanceSid="
                    + instance
                    + "&RuntimeDomain=&SSOProfileSid=&AppType=MobileApp",
                null),
            200);
    assertThat(mobile.get("config_list")).hasSize(1);
    assertThat(mobile.get("config_list").get(0).get("connection_name").asText())
        .isEqualTo(inactive);
    JsonNode none =
        json(
            TestServers.get(
                port,
                "/v1/Flex/Authentication/Config?AccountSid=&FlexInstanceSid=&RuntimeDomain="
                    + "&SSOProfileSid=&AppType=SinglePageApp",
                null),
            200);
    assertThat(none.get("config_list")).isEmpty();
    assertError(
        TestServers.get(port, "/v1/Flex/Authentication/Config?AccountSid=nope", null), 400, 20001);
  }

  // ============================================================================ the sign-in

  @Test
  void signInThenExchangeGivesAFlexTokenThatValidatesThroughTheFlexEndpoints() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    provider.nextSignIn(
        IDP_A,
        "alice-sub",
        claims("alice", "alice@example.com", List.of("supervisor", "no-such-role")));
    Browser browser = new Browser();

    URI toProvider = authorize(browser, sdk);
    assertThat(toProvider.toString()).startsWith(provider.issuer(IDP_A) + "/authorize?");
    Map<String, String> asked = query(toProvider);
    assertThat(asked).containsEntry("response_type", "code");
    assertThat(asked).containsEntry("client_id", CLIENT_ID);
    assertThat(asked).containsEntry("code_challenge_method", "S256");
    assertThat(asked).containsEntry("redirect_uri", base() + "/v1/Flex/Authentication/Callback");
    assertThat(asked.get("scope").split(" ")).contains("openid", "email", "profile");
    // Callsign's own state, nonce and challenge toward the provider: 256 random bits each.
    assertThat(asked.get("state")).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(sdk.state());
    assertThat(asked.get("nonce")).matches("[A-Za-z0-9_-]{43}").isNotEqualTo(sdk.nonce());
    assertThat(asked.get("code_challenge"))
        .matches("[A-Za-z0-9_-]{43}")
        .isNotEqualTo(sdk.codeChallenge());
    assertThat(toProvider.toString()).doesNotContain(sdk.state()).doesNotContain(sdk.nonce());

    URI landing = browser.hop(atProvider(browser, toProvider));
    assertThat(landing.toString()).startsWith(REDIRECT + "?");
    Map<String, String> back = query(landing);
    assertThat(back.keySet()).containsExactly("code", "state");
    assertThat(back.get("state")).isEqualTo(sdk.state());

    HttpResponse<String> exchanged = exchange(sdk, back.get("code"));
    JsonNode tokens = json(exchanged, 200);
    assertThat(tokens.fieldNames())
        .toIterable()
        .containsExactly("access_token", "refresh_token", "token_info");
    JsonNode info = tokens.get("token_info");
    String fu = info.get("flex_user_sid").asText();
    assertThat(fu).matches("FU[0-9a-f]{32}");
    assertThat(info.get("account_sid").asText()).isEqualTo(SID);
    assertThat(info.get("flex_instance_sid").asText()).isEqualTo(instance);
    assertThat(info.get("username").asText()).isEqualTo("alice");
    assertThat(info.get("identity").asText()).isEqualTo("alice");
    assertThat(strings(info.get("roles"))).containsExactly("supervisor");
    assertThat(info.get("expiration").asText())
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");

    // The token is a Flex token like any other: the SDK's validateToken and the validator take it.
    String access = tokens.get("access_token").asText();
    JsonNode validated = json(tokenInfo(access), 200);
    assertThat(validated.get("flex_user_sid").asText()).isEqualTo(fu);
    JsonNode viaValidator =
        json(
            postJson(
                "/v1/Accounts/" + SID + "/Tokens/validate", ROOT_AUTH, Map.of("token", access)),
            200);
    assertThat(viaValidator.get("valid").asBoolean()).isTrue();

    JsonNode u = user(fu);
    assertThat(u.get("username").asText()).isEqualTo("alice");
    assertThat(u.get("email").asText()).isEqualTo("alice@example.com");
    assertThat(u.get("full_name").asText()).isEqualTo("Name of alice");
    assertThat(u.get("worker").get("worker_sid").asText()).matches("WK[0-9a-f]{32}");

    List<JsonNode> signedIn = events("sso.sign-in.succeeded");
    assertThat(signedIn).hasSize(1);
    JsonNode e = signedIn.getFirst();
    assertThat(e.get("actor_sid").asText()).isEqualTo(fu);
    assertThat(e.get("actor_type").asText()).isEqualTo("flex-user");
    assertThat(e.get("source").asText()).isEqualTo("sso");
    assertThat(e.get("event_data").get("issuer").asText()).isEqualTo(provider.issuer(IDP_A));
    assertThat(e.get("event_data").get("subject").asText()).isEqualTo("alice-sub");
    assertThat(e.toString()).doesNotContain(back.get("code")).doesNotContain(access);
    assertThat(events("flex-user.provisioned")).hasSize(1);
  }

  @Test
  void authorizeWhenRedirectUrlIsNotExactlyAllowedThen400AndTheBrowserGoesNowhere()
      throws Exception {
    String profile = createProfile(IDP_A);
    for (String url :
        List.of(
            REDIRECT + "/",
            REDIRECT.toUpperCase(java.util.Locale.ROOT),
            "https://FLEX.example.com/sso/done",
            REDIRECT + "?next=x",
            REDIRECT + "x",
            "https://flex.example.com.evil.example/sso/done",
            "https://services.twilio.com/v1/Flex/Authentication/Callback")) {
      HttpResponse<String> r =
          new Browser().get(URI.create(base() + sdk(profile, url).loginPath()));
      assertError(r, 400, 20001);
      assertThat(r.headers().firstValue("Location")).as(url).isEmpty();
      assertThat(JSON.readTree(r.body()).get("message").asText()).contains("redirectUrl");
    }
  }

  @Test
  void authorizeWhenParametersAreMissingOrMalformedThen400() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    for (String drop : List.of("nonce", "codeChallenge", "state", "redirectUrl")) {
      String path = sdk.loginPath().replaceAll("([?&])" + drop + "=[^&]*", "$1x=");
      assertError(new Browser().get(URI.create(base() + path)), 400, 20001);
    }
    String plain = sdk.loginPath().replace(sdk.codeChallenge(), "too-short");
    assertError(new Browser().get(URI.create(base() + plain)), 400, 20001);
    String twice = sdk.loginPath() + "&state=again";
    assertError(new Browser().get(URI.create(base() + twice)), 400, 20001);
  }

  @Test
  void authorizeWhenProfileUnknownThen404AndWhenInactiveThen70251() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    String unknown = "JQ" + "0".repeat(32);
    assertError(
        new Browser().get(URI.create(base() + sdk.loginPath().replace(profile, unknown))),
        404,
        20404);
    assertError(
        new Browser().get(URI.create(base() + sdk.loginPath().replace(profile, "JQnope"))),
        404,
        20404);
    json(postJson(profilesPath() + "/" + profile, ROOT_AUTH, Map.of("active", false)), 200);
    HttpResponse<String> r = new Browser().get(URI.create(base() + sdk.loginPath()));
    assertError(r, 400, 70251);
    assertThat(r.body()).contains("not active");
  }

  @Test
  void authorizeWhenProviderUnreachableThen502WithAClearMessage() throws Exception {
    int closedPort;
    try (ServerSocket s = new ServerSocket(0)) {
      closedPort = s.getLocalPort();
    }
    Map<String, Object> body = profileBody(IDP_A);
    body.put("issuer", "http://127.0.0.1:" + closedPort + "/gone");
    String profile = createProfile(body);
    HttpResponse<String> r = new Browser().get(URI.create(base() + sdk(profile).loginPath()));
    assertError(r, 502, 20502);
    assertThat(JSON.readTree(r.body()).get("message").asText())
        .contains("identity provider could not be reached");
    assertThat(r.headers().firstValue("Location")).isEmpty();
  }

  @Test
  void authorizeWhenDiscoveryNamesAnotherIssuerThen502BadSsoSettings() throws Exception {
    Map<String, Object> body = profileBody(IDP_A);
    // A trailing slash: the provider's document names the issuer without it.
    body.put("issuer", provider.issuer(IDP_A) + "/");
    String profile = createProfile(body);
    HttpResponse<String> r = new Browser().get(URI.create(base() + sdk(profile).loginPath()));
    assertError(r, 502, 70251);
    assertThat(r.body()).contains("another issuer");
  }

  // ============================================================================= callbacks

  @Test
  void callbackWhenStateTamperedThen400AndNoCodeButTheRealSignInStillWorks() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    provider.nextSignIn(IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    Browser browser = new Browser();
    URI callback = atProvider(browser, authorize(browser, sdk));
    String state = query(callback).get("state");
    String tampered = (state.charAt(0) == 'A' ? "B" : "A") + state.substring(1);
    HttpResponse<String> r = browser.get(URI.create(callback.toString().replace(state, tampered)));
    assertError(r, 400, 20001);
    assertThat(r.headers().firstValue("Location")).isEmpty();
    HttpResponse<String> none =
        browser.get(URI.create(callback.toString().replace("state=" + state, "x=1")));
    assertError(none, 400, 20001);
    // The real answer is untouched by the forgeries.
    Map<String, String> back = query(browser.hop(callback));
    assertThat(back).containsKey("code").containsEntry("state", sdk.state());
  }

  @Test
  void callbackWhenStateReplayedThen400() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    provider.nextSignIn(IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    Browser browser = new Browser();
    URI callback = atProvider(browser, authorize(browser, sdk));
    assertThat(query(browser.hop(callback))).containsKey("code");
    HttpResponse<String> again = browser.get(callback);
    assertError(again, 400, 20001);
    assertThat(again.body()).contains("already used");
  }

  @Test
  void callbackInAnotherBrowserThenRefusedWithoutACode() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    provider.nextSignIn(IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    Browser victim = new Browser();
    URI callback = atProvider(victim, authorize(victim, sdk));
    Map<String, String> back = query(new Browser().hop(callback));
    assertThat(back).doesNotContainKey("code");
    assertThat(back).containsEntry("error", "access_denied").containsEntry("state", sdk.state());
    assertThat(back.get("error_description")).contains("another browser");
    assertThat(failures()).contains("other_browser");
  }

  @Test
  void callbackAfterTheSignInsTenMinutesThenRefused() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    provider.nextSignIn(IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    Browser browser = new Browser();
    URI callback = atProvider(browser, authorize(browser, sdk));
    clock.advance(Duration.ofMinutes(10).plusSeconds(1));
    Map<String, String> back = query(browser.hop(callback));
    assertThat(back).doesNotContainKey("code").containsEntry("error", "access_denied");
    assertThat(failures()).contains("state_expired");
  }

  @Test
  void callbackWhenIdTokenNonceIsWrongThenRefused() throws Exception {
    String profile = createProfile(IDP_A);
    Map<String, Object> c = claims("alice", "alice@example.com", null);
    c.put("nonce", BASE64URL.encodeToString(bytes(32)));
    Map<String, String> back = signIn(sdk(profile), IDP_A, "alice-sub", c);
    assertThat(back).doesNotContainKey("code").containsEntry("error", "access_denied");
    assertThat(back.get("error_description")).contains("ID token").contains("nonce");
    assertThat(failureDetails()).contains("id_token_invalid/nonce");
  }

  @Test
  void callbackWhenIdTokenExpiredOrForAnotherClientThenRefused() throws Exception {
    String profile = createProfile(IDP_A);
    // The provider issues an ID token valid for a minute, when Callsign redeems the code; by then
    // the server's clock is three minutes on (beyond the minute of skew allowed).
    provider.nextSignIn(IDP_A, "alice-sub", claims("alice", "alice@example.com", null), 60);
    Browser browser = new Browser();
    URI callback = atProvider(browser, authorize(browser, sdk(profile)));
    clock.advance(Duration.ofMinutes(3));
    Map<String, String> expired = query(browser.hop(callback));
    assertThat(expired).doesNotContainKey("code").containsEntry("error", "access_denied");

    Map<String, Object> c = claims("alice", "alice@example.com", null);
    c.put("aud", List.of("some-other-client"));
    assertThat(signIn(sdk(profile), IDP_A, "alice-sub", c)).doesNotContainKey("code");
    assertThat(failureDetails()).contains("id_token_invalid/expired", "id_token_invalid/audience");
  }

  @Test
  void callbackWhenIssParameterNamesAnotherIssuerThenRefused() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    provider.nextSignIn(IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    Browser browser = new Browser();
    URI callback = atProvider(browser, authorize(browser, sdk));
    URI mixedUp = URI.create(callback + "&iss=" + enc(provider.issuer(IDP_B)));
    Map<String, String> back = query(browser.hop(mixedUp));
    assertThat(back).doesNotContainKey("code").containsEntry("error", "access_denied");
    assertThat(back.get("error_description")).contains("another identity provider");
    assertThat(failures()).contains("issuer_mismatch");
  }

  @Test
  void callbackWhenIdTokenComesFromAnotherIssuerThenRefused() throws Exception {
    // Provider A's document sends codes to B's token endpoint; both sign with one key (as the
    // tenants of one multi-tenant provider do), so only the issuer check can tell.
    provider.tokenEndpointOf(IDP_A, IDP_B);
    String profile = createProfile(IDP_A);
    Map<String, String> back =
        signIn(sdk(profile), IDP_B, "mallory-sub", claims("mallory", "m@example.com", null));
    assertThat(back).doesNotContainKey("code").containsEntry("error", "access_denied");
    assertThat(failureDetails()).contains("id_token_invalid/issuer");
    assertThat(
            json(TestServers.get(port, "/v4/Instances/" + instance + "/Users", ROOT_AUTH), 200)
                .get("users"))
        .isEmpty();
  }

  @Test
  void callbackWhenProviderDeniesThenTheSdkGetsTheErrorAndItsState() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    Browser browser = new Browser();
    URI toProvider = authorize(browser, sdk);
    String ourState = query(toProvider).get("state");
    URI denied =
        URI.create(
            base()
                + "/v1/Flex/Authentication/Callback?error=access_denied&error_description="
                + enc("<script>alert(1)</script>")
                + "&state="
                + ourState);
    Map<String, String> back = query(browser.hop(denied));
    assertThat(back).doesNotContainKey("code");
    assertThat(back).containsEntry("error", "access_denied").containsEntry("state", sdk.state());
    // The provider's own description is not passed on.
    assertThat(back.get("error_description")).doesNotContain("script");
    assertThat(failures()).contains("provider_denied");
  }

  @Test
  void callbackWhenProviderRefusesTheCodeThenTheSdkGetsServerError() throws Exception {
    provider.refuseTokenRequests(IDP_A);
    String profile = createProfile(IDP_A);
    Map<String, String> back =
        signIn(sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    assertThat(back).doesNotContainKey("code").containsEntry("error", "server_error");
    assertThat(back.get("error_description")).contains("refused").contains("invalid_client");
    assertThat(failureDetails()).contains("provider_refused/invalid_client");
  }

  // ============================================================================== exchange

  @Test
  void exchangeWhenCodeVerifierMissingOrWrongThen400AndAWrongOneUsesTheCodeUp() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    String code =
        signIn(sdk, IDP_A, "alice-sub", claims("alice", "alice@example.com", null)).get("code");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sso_profile_sid", profile);
    body.put("code", code);
    body.put("nonce", sdk.nonce());
    body.put("grant_type", "AuthorizationCode");
    HttpResponse<String> missing = tokens(body);
    assertError(missing, 400, 20001);
    assertThat(missing.body()).contains("code_verifier");
    // A verifier of another sign-in (the SDK's format, another value).
    body.put("code_verifier", BASE64URL.encodeToString(bytes(48)));
    HttpResponse<String> wrong = tokens(body);
    assertError(wrong, 400, 20001);
    assertThat(wrong.body()).contains("code_verifier");
    // The challenge itself is no verifier (a PKCE downgrade to "plain").
    body.put("code_verifier", sdk.codeChallenge());
    assertError(tokens(body), 400, 20001);
    HttpResponse<String> right = exchange(sdk, code);
    assertError(right, 400, 20001);
    assertThat(right.body()).contains("already used");
  }

  @Test
  void exchangeWhenNonceOrProfileIsNotTheSignInsThen400() throws Exception {
    String profile = createProfile(IDP_A);
    String other = createProfile(IDP_B);
    Sdk sdk = sdk(profile);
    String code =
        signIn(sdk, IDP_A, "alice-sub", claims("alice", "alice@example.com", null)).get("code");
    Sdk wrongNonce =
        new Sdk(
            profile,
            REDIRECT,
            sdk.codeVerifier(),
            sdk.codeChallenge(),
            "other-nonce",
            sdk.state(),
            "");
    HttpResponse<String> r = exchange(wrongNonce, code);
    assertError(r, 400, 20001);
    assertThat(r.body()).contains("nonce");

    String code2 =
        signIn(sdk, IDP_A, "alice-sub", claims("alice", "alice@example.com", null)).get("code");
    Sdk otherProfile =
        new Sdk(
            other, REDIRECT, sdk.codeVerifier(), sdk.codeChallenge(), sdk.nonce(), sdk.state(), "");
    HttpResponse<String> r2 = exchange(otherProfile, code2);
    assertError(r2, 400, 20001);
    assertThat(r2.body()).contains("not issued through");
  }

  @Test
  void exchangeWhenCodeReplayedThenRevokesIssuedTokens() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    String code =
        signIn(sdk, IDP_A, "alice-sub", claims("alice", "alice@example.com", null)).get("code");
    JsonNode first = json(exchange(sdk, code), 200);
    String access = first.get("access_token").asText();
    String refreshToken = first.get("refresh_token").asText();
    assertThat(tokenInfo(access).statusCode()).isEqualTo(200);

    HttpResponse<String> replay = exchange(sdk, code);
    assertError(replay, 400, 20001);
    assertThat(replay.body()).contains("already used").contains("revoked");
    assertError(tokenInfo(access), 401, 20101);
    assertError(refresh(profile, refreshToken), 400, 20001);
    List<JsonNode> replays = events("sso.code.replay-detected");
    assertThat(replays).hasSize(1);
    assertThat(replays.getFirst().get("event_data").get("revoked_tokens").asInt()).isEqualTo(1);
    // Still revoked after the restart events() made.
    assertError(tokenInfo(access), 401, 20101);
  }

  @Test
  void exchangeWhenCodeExpiredThen400() throws Exception {
    String profile = createProfile(IDP_A);
    Sdk sdk = sdk(profile);
    String code =
        signIn(sdk, IDP_A, "alice-sub", claims("alice", "alice@example.com", null)).get("code");
    clock.advance(Duration.ofSeconds(60));
    HttpResponse<String> r = exchange(sdk, code);
    assertError(r, 400, 20001);
    assertThat(r.body()).contains("expired");
    assertError(exchange(sdk, "made-up-" + code), 400, 20001);
  }

  @Test
  void tokensWhenGrantTypeOrBodyIsWrongThen400Or415() throws Exception {
    String profile = createProfile(IDP_A);
    assertError(tokens(Map.of("sso_profile_sid", profile, "grant_type", "password")), 400, 20001);
    assertError(tokens(Map.of("sso_profile_sid", profile, "code", "c")), 400, 20001);
    assertError(
        tokens(Map.of("sso_profile_sid", profile, "grant_type", "AuthorizationCode", "extra", 1)),
        400,
        20001);
    assertError(
        tokens(
            Map.of(
                "sso_profile_sid",
                "JQ" + "0".repeat(32),
                "grant_type",
                "RefreshToken",
                "refresh_token",
                "x")),
        404,
        20404);
    HttpRequest xml =
        HttpRequest.newBuilder(URI.create(base() + "/v1/Flex/OAuth/Tokens"))
            .header("Content-Type", "text/xml")
            .POST(HttpRequest.BodyPublishers.ofString("<x/>"))
            .build();
    assertError(TestServers.HTTP.send(xml, HttpResponse.BodyHandlers.ofString()), 415, 20415);
  }

  @Test
  void configAndTokensAnswerTheSdkCallingFromAnotherOrigin() throws Exception {
    String profile = createProfile(IDP_A);
    for (String path : List.of("/v1/Flex/OAuth/Tokens", "/v1/Flex/Authentication/Config")) {
      HttpRequest preflight =
          HttpRequest.newBuilder(URI.create(base() + path))
              .header("Origin", "https://flex.example.com")
              .header("Access-Control-Request-Method", "POST")
              .header("Access-Control-Request-Headers", "content-type")
              .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
              .build();
      HttpResponse<String> r =
          TestServers.HTTP.send(preflight, HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(path).isEqualTo(204);
      assertThat(r.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
      assertThat(r.headers().firstValue("Access-Control-Allow-Headers")).contains("Content-Type");
    }
    HttpResponse<String> config =
        TestServers.get(port, "/v1/Flex/Authentication/Config?SSOProfileSid=" + profile, null);
    assertThat(config.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
    JsonNode tokens =
        signInAndExchange(
            sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    HttpResponse<String> refreshed = refresh(profile, tokens.get("refresh_token").asText());
    assertThat(refreshed.headers().firstValue("Access-Control-Allow-Origin")).contains("*");
    // The browser pages are navigations, never read by scripts of other origins.
    HttpResponse<String> authorize =
        new Browser().get(URI.create(base() + sdk(profile).loginPath()));
    assertThat(authorize.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    assertThat(authorize.headers().firstValue("Cache-Control")).contains("no-store");
    assertThat(authorize.headers().firstValue("Referrer-Policy")).contains("no-referrer");
  }

  // =============================================================================== refresh

  @Test
  void refreshRotatesBothTokensAndTheNewAccessTokenValidates() throws Exception {
    String profile = createProfile(IDP_A);
    JsonNode first =
        signInAndExchange(
            sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    clock.advance(Duration.ofMinutes(30));
    JsonNode second = json(refresh(profile, first.get("refresh_token").asText()), 200);
    assertThat(second.get("refresh_token").asText())
        .isNotEqualTo(first.get("refresh_token").asText())
        .matches("[A-Za-z0-9_-]{43}");
    assertThat(second.get("access_token").asText())
        .isNotEqualTo(first.get("access_token").asText());
    assertThat(second.get("token_info").get("flex_user_sid").asText())
        .isEqualTo(first.get("token_info").get("flex_user_sid").asText());
    assertThat(tokenInfo(second.get("access_token").asText()).statusCode()).isEqualTo(200);
    // Form-encoded works too.
    HttpRequest form =
        HttpRequest.newBuilder(URI.create(base() + "/v1/Flex/OAuth/Tokens"))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "grant_type=RefreshToken&sso_profile_sid="
                        + profile
                        + "&refresh_token="
                        + second.get("refresh_token").asText()))
            .build();
    HttpResponse<String> third = TestServers.HTTP.send(form, HttpResponse.BodyHandlers.ofString());
    secrets.add(json(third, 200).get("refresh_token").asText());
  }

  @Test
  void refreshWhenARotatedTokenIsReusedThenTheWholeFamilyIsRevoked() throws Exception {
    String profile = createProfile(IDP_A);
    JsonNode first =
        signInAndExchange(
            sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    JsonNode second = json(refresh(profile, first.get("refresh_token").asText()), 200);
    JsonNode third = json(refresh(profile, second.get("refresh_token").asText()), 200);
    // An unrelated sign-in of the same user is another family: it survives.
    JsonNode elsewhere =
        signInAndExchange(
            sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", null));

    HttpResponse<String> reuse = refresh(profile, first.get("refresh_token").asText());
    assertError(reuse, 400, 20001);
    assertThat(reuse.body()).contains("already used").contains("revoked");
    for (JsonNode issued : List.of(first, second, third)) {
      assertError(tokenInfo(issued.get("access_token").asText()), 401, 20101);
    }
    assertError(refresh(profile, third.get("refresh_token").asText()), 400, 20001);
    assertThat(tokenInfo(elsewhere.get("access_token").asText()).statusCode()).isEqualTo(200);
    json(refresh(profile, elsewhere.get("refresh_token").asText()), 200);
    List<JsonNode> reuses = events("sso.refresh-token.reuse-detected");
    assertThat(reuses).hasSize(1);
    assertThat(reuses.getFirst().get("event_data").get("revoked_tokens").asInt()).isEqualTo(3);
  }

  @Test
  void refreshWhenIdleTooLongOrProfileDiffersThen400() throws Exception {
    String profile = createProfile(IDP_A);
    String other = createProfile(IDP_B);
    JsonNode first =
        signInAndExchange(
            sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    JsonNode second =
        signInAndExchange(
            sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    HttpResponse<String> wrongProfile = refresh(other, second.get("refresh_token").asText());
    assertError(wrongProfile, 400, 20001);
    assertThat(wrongProfile.body()).contains("not issued through");
    clock.advance(Duration.ofHours(24));
    HttpResponse<String> idle = refresh(profile, first.get("refresh_token").asText());
    assertError(idle, 400, 20001);
    assertThat(idle.body()).contains("expired");
    assertError(refresh(profile, "made-up"), 400, 20001);
  }

  // ================================================================================= users

  @Test
  void twoProvidersReturningTheSameEmailMakeTwoDistinctUsers() throws Exception {
    String a = createProfile(IDP_A);
    String b = createProfile(IDP_B);
    Map<String, Object> same = claims("alice", "alice@example.com", null);
    JsonNode viaA = signInAndExchange(sdk(a), IDP_A, "same-sub", same);
    JsonNode viaB = signInAndExchange(sdk(b), IDP_B, "same-sub", same);
    String userA = viaA.get("token_info").get("flex_user_sid").asText();
    String userB = viaB.get("token_info").get("flex_user_sid").asText();
    assertThat(userA).isNotEqualTo(userB);
    assertThat(viaA.get("token_info").get("username").asText()).isEqualTo("alice");
    assertThat(viaB.get("token_info").get("username").asText()).isEqualTo("alice-2");
    // Each identity comes back to its own user.
    assertThat(
            signInAndExchange(sdk(b), IDP_B, "same-sub", same)
                .get("token_info")
                .get("flex_user_sid")
                .asText())
        .isEqualTo(userB);
    assertThat(
            signInAndExchange(sdk(a), IDP_A, "same-sub", same)
                .get("token_info")
                .get("flex_user_sid")
                .asText())
        .isEqualTo(userA);
  }

  @Test
  void signInWhenAUserWithThatNameExistsThenANewUserNeverTheExistingOne() throws Exception {
    JsonNode existing =
        json(
            postJson(
                "/v4/Instances/" + instance + "/Users/Provision",
                ROOT_AUTH,
                Map.of(
                    "username", "Alice",
                    "email", "admin@example.com",
                    "full_name", "The admin",
                    "roles", List.of("admin"),
                    "worker", Map.of())),
            201);
    String profile = createProfile(IDP_A);
    JsonNode tokens =
        signInAndExchange(
            sdk(profile),
            IDP_A,
            "alice-sub",
            claims("alice", "alice@example.com", List.of("agent")));
    JsonNode info = tokens.get("token_info");
    assertThat(info.get("flex_user_sid").asText())
        .isNotEqualTo(existing.get("flex_user_sid").asText());
    assertThat(info.get("username").asText()).isEqualTo("alice-2");
    JsonNode admin = user(existing.get("flex_user_sid").asText());
    assertThat(admin.get("email").asText()).isEqualTo("admin@example.com");
    assertThat(strings(admin.get("roles"))).containsExactly("admin");
  }

  @Test
  void signInAgainThenTheSameUserIsUpdatedFromTheClaims() throws Exception {
    String profile = createProfile(IDP_A);
    JsonNode first =
        signInAndExchange(
            sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", "admin"));
    assertThat(strings(first.get("token_info").get("roles"))).containsExactly("admin");
    Map<String, Object> changed =
        claims("alice.renamed", "alice@new.example.com", List.of("nothing-known"));
    changed.put("name", "Alice Renamed");
    JsonNode second = signInAndExchange(sdk(profile), IDP_A, "alice-sub", changed);
    String fu = first.get("token_info").get("flex_user_sid").asText();
    assertThat(second.get("token_info").get("flex_user_sid").asText()).isEqualTo(fu);
    // The username stays (it is the identity); the rest follows the provider; no known role
    // means the default one.
    JsonNode u = user(fu);
    assertThat(u.get("username").asText()).isEqualTo("alice");
    assertThat(u.get("email").asText()).isEqualTo("alice@new.example.com");
    assertThat(u.get("full_name").asText()).isEqualTo("Alice Renamed");
    assertThat(strings(u.get("roles"))).containsExactly("agent");
  }

  @Test
  void signInWhenTheEmailClaimIsMissingThenRefusedWithoutAUser() throws Exception {
    String profile = createProfile(IDP_A);
    Map<String, Object> c = claims("alice", "alice@example.com", null);
    c.remove("email");
    Map<String, String> back = signIn(sdk(profile), IDP_A, "alice-sub", c);
    assertThat(back).doesNotContainKey("code").containsEntry("error", "access_denied");
    assertThat(back.get("error_description")).contains("email");
    assertThat(
            json(TestServers.get(port, "/v4/Instances/" + instance + "/Users", ROOT_AUTH), 200)
                .get("users"))
        .isEmpty();
  }

  @Test
  void signInWhenTheUserWasDeprovisionedThenRefusedAndItsRefreshTokensStop() throws Exception {
    String profile = createProfile(IDP_A);
    JsonNode tokens =
        signInAndExchange(
            sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    String fu = tokens.get("token_info").get("flex_user_sid").asText();
    HttpResponse<String> deprovisioned =
        postJson(
            "/v4/Instances/" + instance + "/Users/Deprovision",
            ROOT_AUTH,
            Map.of("flex_user_sid", fu));
    assertThat(deprovisioned.statusCode()).isEqualTo(204);
    assertError(refresh(profile, tokens.get("refresh_token").asText()), 400, 20001);
    Map<String, String> back =
        signIn(sdk(profile), IDP_A, "alice-sub", claims("alice", "alice@example.com", null));
    assertThat(back).doesNotContainKey("code");
    assertThat(back.get("error_description")).contains("deactivated");
    assertThat(failures()).contains("user_deactivated");
  }

  // ========================================================================== provider keys

  @Test
  void callbackWhenProviderRotatedItsKeyThenOneJwksRefetchAndSignInWorks() throws Exception {
    String profile = createProfile(IDP_A);
    Map<String, Object> c = claims("alice", "alice@example.com", null);
    assertThat(signIn(sdk(profile), IDP_A, "alice-sub", c)).containsKey("code");
    assertThat(provider.jwksFetches(IDP_A)).isEqualTo(1);
    // Cached: a second sign-in with the same key fetches nothing.
    assertThat(signIn(sdk(profile), IDP_A, "alice-sub", c)).containsKey("code");
    assertThat(provider.jwksFetches(IDP_A)).isEqualTo(1);

    provider.rotateKey();
    assertThat(signIn(sdk(profile), IDP_A, "alice-sub", c)).containsKey("code");
    assertThat(provider.jwksFetches(IDP_A)).isEqualTo(2);
    assertThat(signIn(sdk(profile), IDP_A, "alice-sub", c)).containsKey("code");
    assertThat(provider.jwksFetches(IDP_A)).isEqualTo(2);
  }

  @Test
  void callbackWhenKidsAreUnknownThenAtMostOneJwksRefetchPerInterval() throws Exception {
    String profile = createProfile(IDP_A);
    Map<String, Object> c = claims("alice", "alice@example.com", null);
    assertThat(signIn(sdk(profile), IDP_A, "alice-sub", c)).containsKey("code");
    assertThat(provider.jwksFetches(IDP_A)).isEqualTo(1);

    provider.signWithUnpublishedKey();
    for (int i = 0; i < 3; i++) {
      Map<String, String> back = signIn(sdk(profile), IDP_A, "alice-sub", c);
      assertThat(back).doesNotContainKey("code").containsEntry("error", "access_denied");
    }
    // Three tokens with an unknown kid in a row: one refetch.
    assertThat(provider.jwksFetches(IDP_A)).isEqualTo(2);
    clock.advance(Duration.ofSeconds(30));
    assertThat(signIn(sdk(profile), IDP_A, "alice-sub", c)).doesNotContainKey("code");
    assertThat(provider.jwksFetches(IDP_A)).isEqualTo(3);
    assertThat(failureDetails()).contains("id_token_invalid/signature");
  }

  // ---- helpers: failure events ----

  private List<String> failures() throws Exception {
    return events("sso.sign-in.failed").stream()
        .map(e -> e.get("event_data").get("reason").asText())
        .toList();
  }

  /** Each failure as reason/detail. */
  private List<String> failureDetails() throws Exception {
    return events("sso.sign-in.failed").stream()
        .map(
            e ->
                e.get("event_data").get("reason").asText()
                    + "/"
                    + e.get("event_data").get("detail").asText())
        .toList();
  }
}
