package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.http.TwilioRestClient;
import com.twilio.rest.api.v2010.Account;
import com.twilio.rest.api.v2010.account.Key;
import com.twilio.rest.api.v2010.account.NewKey;
import com.twilio.rest.iam.v1.NewApiKey;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.keys.KeyService;
import io.callsign.server.store.Database;
import io.callsign.tokens.AccessTokenVerifier;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.VerifiedAccessToken;
import io.callsign.tokens.sid.KeySid;
import io.jsonwebtoken.Jws;
import io.jsonwebtoken.Jwts;
import io.jsonwebtoken.security.Keys;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The end-user token server, {@code POST /token}, and the password API, {@code POST|DELETE
 * /v4/Instances/{GO}/Users/{FU}/Password}, over raw HTTP from several loopback source addresses;
 * tokens checked with the library, twilio-java's jjwt and introspection; time moved by an injected
 * clock.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class TokenServerTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = KeysTest.SID;
  private static final String TOKEN = KeysTest.TOKEN;
  private static final String ROOT_AUTH = basic(SID, TOKEN);
  private static final String JSON_TYPE = "application/json";
  private static final String PASSWORD = "plain words make a fine password";
  private static final String OTHER_PASSWORD = "another fine sentence to sign in";
  private static final String HOME = "127.0.0.1";
  private static final String APP_1 = "AP" + "1".repeat(32);
  private static final String APP_2 = "AP" + "2".repeat(32);
  private static final String CHAT_SERVICE = "IS" + "3".repeat(32);
  private static final String SYNC_SERVICE = "IS" + "4".repeat(32);
  private static final String BAD_CREDENTIALS =
      "{\"code\":20003,\"message\":\"Invalid username or password\","
          + "\"more_info\":\"https://www.twilio.com/docs/errors/20003\",\"status\":401}";

  @TempDir Path dir;
  private MutableClock clock;
  private CallsignServer server;
  private int port;
  private TwilioRestClient root;
  private String instance;
  private final Map<String, HttpClient> clients = new ConcurrentHashMap<>();

  /** Every password and secret this test has used: no response may contain one. */
  private final List<String> secrets = new CopyOnWriteArrayList<>(List.of(TOKEN));

  @BeforeEach
  void start() throws Exception {
    // Real time to start with (twilio-java's jjwt checks exp against it), then moved by the tests.
    clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN), clock);
    port = server.start();
    root = TestServers.twilioClient(new LoopbackTwilioClient(port), SID, TOKEN, SID);
    instance = instanceOf(SID);
  }

  @AfterEach
  void stop() {
    clients.values().forEach(HttpClient::close);
    server.stop();
  }

  // ---- helpers ----

  /** A client whose connections come from {@code source} (any 127.x.y.z address is loopback). */
  private HttpClient from(String source) {
    return clients.computeIfAbsent(
        source,
        s -> {
          try {
            return HttpClient.newBuilder().localAddress(InetAddress.getByName(s)).build();
          } catch (java.net.UnknownHostException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private HttpResponse<String> send(
      String source,
      String method,
      String path,
      String auth,
      String contentType,
      String body,
      Map<String, String> headers)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .method(
                method,
                body == null
                    ? HttpRequest.BodyPublishers.noBody()
                    : HttpRequest.BodyPublishers.ofString(body));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    headers.forEach(b::header);
    HttpResponse<String> res = from(source).send(b.build(), HttpResponse.BodyHandlers.ofString());
    for (String secret : secrets) {
      assertThat(res.body()).as(method + " " + path).doesNotContain(secret);
      res.headers()
          .map()
          .values()
          .forEach(v -> assertThat(String.join(",", v)).doesNotContain(secret));
    }
    return res;
  }

  private HttpResponse<String> postJson(String path, String auth, Object body) throws Exception {
    return send(HOME, "POST", path, auth, JSON_TYPE, JSON.writeValueAsString(body), Map.of());
  }

  private HttpResponse<String> get(String path, String auth) throws Exception {
    return send(HOME, "GET", path, auth, null, null, Map.of());
  }

  private JsonNode ok(HttpResponse<String> res, int status) throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    return JSON.readTree(res.body());
  }

  private static JsonNode assertError(HttpResponse<String> res, int status, int code)
      throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.get("code").asInt()).as(res.body()).isEqualTo(code);
    assertThat(body.get("status").asInt()).isEqualTo(status);
    return body;
  }

  private static void assertInvalid(HttpResponse<String> res, String param) throws Exception {
    JsonNode body = assertError(res, 400, 20001);
    assertThat(body.get("message").asText()).as(res.body()).contains(param);
  }

  private static void assertBadCredentials(HttpResponse<String> res) {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(401);
    assertThat(res.body()).isEqualTo(BAD_CREDENTIALS);
    assertThat(res.headers().firstValue("Content-Type")).hasValue(JSON_TYPE);
    assertThat(res.headers().firstValue("WWW-Authenticate")).isEmpty();
    assertThat(res.headers().firstValue("Retry-After")).isEmpty();
  }

  /** A 429/20429 with Retry-After; returns its seconds. */
  private static long assertThrottled(HttpResponse<String> res) throws Exception {
    assertError(res, 429, 20429);
    assertThat(res.headers().firstValue("Retry-After")).isPresent();
    return Long.parseLong(res.headers().firstValue("Retry-After").orElseThrow());
  }

  /** The Flex instance of {@code account}, as the root account lists them. */
  private String instanceOf(String account) throws Exception {
    for (JsonNode i : ok(get("/v4/Instances", ROOT_AUTH), 200).get("instances")) {
      if (i.get("account_sid").asText().equals(account)) {
        return i.get("sid").asText();
      }
    }
    throw new AssertionError("no instance of " + account);
  }

  private String users(String instanceSid) {
    return "/v4/Instances/" + instanceSid + "/Users";
  }

  /** Provisions {@code username} into {@code instanceSid} with {@code roles}. */
  private JsonNode provision(String instanceSid, String username, String... roles)
      throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("username", username);
    body.put("email", username + "@example.com");
    body.put("full_name", "User " + username);
    body.put("roles", roles.length == 0 ? List.of("agent") : List.of(roles));
    body.put("worker", Map.of("attributes", Map.of()));
    return ok(postJson(users(instanceSid) + "/Provision", ROOT_AUTH, body), 201);
  }

  private HttpResponse<String> setPassword(
      String instanceSid, String userSid, String auth, Object body) throws Exception {
    return send(
        HOME,
        "POST",
        users(instanceSid) + "/" + userSid + "/Password",
        auth,
        JSON_TYPE,
        body instanceof String s ? s : JSON.writeValueAsString(body),
        Map.of());
  }

  /** Provisions {@code username} in the root instance with {@code password}; returns the user. */
  private JsonNode user(String username, String password, String... roles) throws Exception {
    return userIn(instance, username, password, roles);
  }

  private JsonNode userIn(String instanceSid, String username, String password, String... roles)
      throws Exception {
    secrets.add(password);
    JsonNode u = provision(instanceSid, username, roles);
    HttpResponse<String> res =
        setPassword(
            instanceSid, u.get("flex_user_sid").asText(), ROOT_AUTH, Map.of("password", password));
    assertThat(res.statusCode()).as(res.body()).isEqualTo(204);
    return u;
  }

  private HttpResponse<String> signIn(String source, Map<String, ?> body, String query)
      throws Exception {
    return send(
        source,
        "POST",
        "/token" + (query == null ? "" : query),
        null,
        JSON_TYPE,
        JSON.writeValueAsString(body),
        Map.of());
  }

  private HttpResponse<String> signIn(String source, String username, String password)
      throws Exception {
    return signIn(source, Map.of("username", username, "password", password), null);
  }

  private HttpResponse<String> signIn(String username, String password) throws Exception {
    return signIn(HOME, username, password);
  }

  /** Signs in and expects 200; returns the Access Token. */
  private String token(String source, String username, String password) throws Exception {
    HttpResponse<String> res = signIn(source, username, password);
    JsonNode body = ok(res, 200);
    return body.get("token").asText();
  }

  private static JsonNode payload(String jwt) throws Exception {
    return JSON.readTree(java.util.Base64.getUrlDecoder().decode(jwt.split("\\.")[1]));
  }

  /** The secret of a key the server created, read from its store. */
  private String secretOf(String keySid) throws Exception {
    SecretBox box = SecretBox.open(null, dir);
    try (Database database = db.open(dir)) {
      String secret =
          new KeyService(new JdbiKeyStore(database.jdbi(), box), clock)
              .find(KeySid.of(keySid))
              .orElseThrow()
              .secret();
      secrets.add(secret);
      return secret;
    }
  }

  private JsonNode introspect(String token) throws Exception {
    return ok(postJson("/v1/AccessTokens/Introspect", ROOT_AUTH, Map.of("token", token)), 200);
  }

  private Map<String, Double> metrics() throws Exception {
    HttpResponse<String> res = get("/metrics", null);
    assertThat(res.statusCode()).isEqualTo(200);
    assertThat(res.headers().firstValue("Content-Type").orElseThrow()).startsWith("text/plain");
    Map<String, Double> out = new LinkedHashMap<>();
    Matcher m =
        Pattern.compile("(?m)^(callsign_token_server_[a-z_]+(\\{[^}]*\\})?) ([0-9.eE+-]+)$")
            .matcher(res.body());
    while (m.find()) {
      out.put(m.group(1), Double.parseDouble(m.group(3)));
    }
    return out;
  }

  private static <T> List<T> inParallel(int n, java.util.concurrent.Callable<T> task)
      throws Exception {
    CountDownLatch go = new CountDownLatch(1);
    List<Future<T>> futures = new ArrayList<>();
    try (ExecutorService pool = Executors.newVirtualThreadPerTaskExecutor()) {
      for (int i = 0; i < n; i++) {
        futures.add(
            pool.submit(
                () -> {
                  go.await();
                  return task.call();
                }));
      }
      go.countDown();
      List<T> out = new ArrayList<>();
      for (Future<T> f : futures) {
        out.add(f.get());
      }
      return out;
    }
  }

  // ---- signing in ----

  @Test
  void aSignInGetsAnAccessTokenWithTheUsersIdentityRoleGrantsAndTheInstancesTtl() throws Exception {
    ok(
        postJson(
            "/v4/Instances/" + instance + "/Roles/agent",
            ROOT_AUTH,
            Map.of(
                "grants",
                Map.of(
                    "voice",
                    Map.of("outgoing_application_sid", APP_1, "incoming_allow", true),
                    "task_router",
                    true))),
        200);
    ok(
        postJson(
            "/v4/Instances/" + instance + "/Roles",
            ROOT_AUTH,
            Map.of(
                "name",
                "video-desk",
                "permissions",
                List.of("FPN9999"),
                "grants",
                Map.of(
                    "video", Map.of("room", "standup"),
                    "voice", Map.of("outgoing_application_sid", APP_2),
                    "chat", Map.of("service_sid", CHAT_SERVICE),
                    "data_sync", Map.of("service_sid", SYNC_SERVICE),
                    "task_router", true))),
        201);
    ok(postJson("/v4/Instances/" + instance, ROOT_AUTH, Map.of("token_server_ttl", 600)), 200);
    JsonNode alice = user("alice", PASSWORD, "agent", "video-desk");
    String workerSid = alice.get("worker").get("worker_sid").asText();
    String workspaceSid = alice.get("worker").get("workspace_sid").asText();

    // The username matches case aside.
    HttpResponse<String> res = signIn("Alice", PASSWORD);
    JsonNode body = ok(res, 200);
    assertThat(res.headers().firstValue("Cache-Control")).hasValue("no-store");
    Instant now = clock.instant();
    assertThat(body.get("identity").asText()).isEqualTo("alice");
    assertThat(body.get("expires_at").asText())
        .isEqualTo(DateTimeFormatter.ISO_INSTANT.format(now.plusSeconds(600)));
    String jwt = body.get("token").asText();

    // Signed by the instance's token-server key, a standard key of the account.
    String keySid = payload(jwt).get("iss").asText();
    Key key = Key.fetcher(keySid).fetch(root);
    assertThat(key.getFriendlyName()).isEqualTo("Flex token server");
    String secret = secretOf(keySid);

    SigningKey signing = SigningKey.of(keySid, SID, secret.getBytes(StandardCharsets.UTF_8));
    VerifiedAccessToken verified =
        AccessTokenVerifier.builder(s -> s.equals(keySid) ? signing : null)
            .clock(clock)
            .build()
            .verify(jwt);
    assertThat(verified.identity()).hasValue("alice");
    assertThat(verified.accountSid()).isEqualTo(SID);
    assertThat(verified.expiresAt()).isEqualTo(now.plusSeconds(600));
    // Per kind, the first of the user's roles that grants it: voice from agent, the rest from
    // video-desk; task_router names the user's own worker and the role that granted it.
    JsonNode grants = JSON.valueToTree(verified.grants());
    assertThat(grants)
        .isEqualTo(
            JSON.readTree(
                """
                {"identity": "alice",
                 "video": {"room": "standup"},
                 "voice": {"incoming": {"allow": true}, "outgoing": {"application_sid": "%s"}},
                 "chat": {"service_sid": "%s"},
                 "data_sync": {"service_sid": "%s"},
                 "task_router": {"workspace_sid": "%s", "worker_sid": "%s", "role": "agent"}}
                """
                    .formatted(APP_1, CHAT_SERVICE, SYNC_SERVICE, workspaceSid, workerSid)));

    // twilio-java's JWT library accepts it too (jjwt reads a cty other than JWT as opaque content).
    Jws<byte[]> parsed =
        Jwts.parser()
            .verifyWith(Keys.hmacShaKeyFor(secret.getBytes(StandardCharsets.UTF_8)))
            .build()
            .parseSignedContent(jwt);
    JsonNode claims = JSON.readTree(parsed.getPayload());
    assertThat(claims.get("iss").asText()).isEqualTo(keySid);
    assertThat(claims.get("sub").asText()).isEqualTo(SID);
    assertThat(claims.get("grants")).isEqualTo(grants);

    JsonNode active = introspect(jwt);
    assertThat(active.get("active").asBoolean()).as(active.toString()).isTrue();
    assertThat(active.get("identity").asText()).isEqualTo("alice");
  }

  @Test
  void theInstanceIsNamedByFlexInstanceSidElseItIsTheRootAccountsOne() throws Exception {
    Account sub = Account.creator().setFriendlyName("tenant").create(root);
    secrets.add(sub.getAuthToken());
    String subInstance = instanceOf(sub.getSid());
    user("carol", PASSWORD);
    userIn(subInstance, "carol", OTHER_PASSWORD);

    assertThat(payload(token(HOME, "carol", PASSWORD)).get("sub").asText()).isEqualTo(SID);
    Map<String, String> named =
        Map.of("username", "carol", "password", OTHER_PASSWORD, "flex_instance_sid", subInstance);
    assertThat(
            payload(ok(signIn(HOME, named, null), 200).get("token").asText()).get("sub").asText())
        .isEqualTo(sub.getSid());
    HttpResponse<String> byQuery =
        signIn(
            HOME,
            Map.of("username", "carol", "password", OTHER_PASSWORD),
            "?FlexInstanceSid=" + subInstance);
    assertThat(payload(ok(byQuery, 200).get("token").asText()).get("sub").asText())
        .isEqualTo(sub.getSid());
    // Each instance has its own carol.
    assertBadCredentials(signIn(HOME, "carol", OTHER_PASSWORD));
    assertInvalid(signIn(HOME, named, "?FlexInstanceSid=" + instance), "flex_instance_sid");
  }

  @Test
  void everyRefusalHasTheSameStatusHeadersAndBody() throws Exception {
    user("alice", PASSWORD);
    provision(instance, "nopassword");
    JsonNode gone = user("gone", PASSWORD);
    assertThat(
            postJson(
                    users(instance) + "/Deprovision",
                    ROOT_AUTH,
                    Map.of("flex_user_sid", gone.get("flex_user_sid").asText()))
                .statusCode())
        .isEqualTo(204);
    Account sub = Account.creator().create(root);
    secrets.add(sub.getAuthToken());
    String subInstance = instanceOf(sub.getSid());
    userIn(subInstance, "dana", OTHER_PASSWORD);
    Account.updater(sub.getSid()).setStatus(Account.Status.SUSPENDED).update(root);

    Map<String, Object> nullUsername = new LinkedHashMap<>();
    nullUsername.put("username", null);
    nullUsername.put("password", PASSWORD);
    List<Map<String, ?>> refusals =
        List.of(
            Map.of("password", PASSWORD),
            Map.of("username", "alice"),
            Map.of(),
            nullUsername,
            Map.of("username", "  ", "password", PASSWORD),
            Map.of("username", "alice", "password", ""),
            Map.of("username", "alice", "password", "    "),
            Map.of("username", "nobody", "password", PASSWORD),
            Map.of("username", "nopassword", "password", PASSWORD),
            Map.of("username", "gone", "password", PASSWORD),
            Map.of("username", "alice", "password", OTHER_PASSWORD),
            Map.of("username", "alice", "password", PASSWORD.substring(0, 20)),
            Map.of(
                "username",
                "alice",
                "password",
                PASSWORD,
                "flex_instance_sid",
                "GO" + "0".repeat(32)),
            Map.of("username", "alice", "password", PASSWORD, "flex_instance_sid", "nonsense"),
            Map.of(
                "username", "dana", "password", OTHER_PASSWORD, "flex_instance_sid", subInstance),
            Map.of("username", "x".repeat(300), "password", PASSWORD));
    for (Map<String, ?> body : refusals) {
      assertBadCredentials(signIn(HOME, body, null));
    }
    // The right password still works: none of these was an answer about alice.
    token(HOME, "alice", PASSWORD);
  }

  /** The root account's events of {@code type}, newest first, once the batched ones are written. */
  private List<JsonNode> events(String type) throws Exception {
    server.stop();
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN), clock);
    port = server.start();
    JsonNode page = ok(get("/v1/Events?PageSize=1000&EventType=" + type, ROOT_AUTH), 200);
    List<JsonNode> out = new ArrayList<>();
    page.get("events").forEach(out::add);
    return out;
  }

  @Test
  void signInsAndRefusalsAreAuditedWithReasonAndNeverThePasswordOrAnUnknownUsername()
      throws Exception {
    JsonNode alice = user("alice", PASSWORD, "agent");
    String fu = alice.get("flex_user_sid").asText();
    token(HOME, "alice", PASSWORD);
    assertBadCredentials(signIn(HOME, "alice", "wrong-" + PASSWORD));
    String typo = "hunter2-typed-as-a-username";
    assertBadCredentials(signIn(HOME, typo, "whatever-password"));
    secrets.add("whatever-password");
    secrets.add("wrong-" + PASSWORD);

    List<JsonNode> ok = events("token-server.sign-in.succeeded");
    assertThat(ok)
        .singleElement()
        .satisfies(
            e -> {
              assertThat(e.get("actor_sid").asText()).isEqualTo(fu);
              assertThat(e.get("actor_type").asText()).isEqualTo("flex-user");
              assertThat(e.get("resource_sid").asText()).isEqualTo(fu);
              assertThat(e.get("source").asText()).isEqualTo("token-server");
              assertThat(e.get("source_ip_address").asText()).isEqualTo(HOME);
              assertThat(e.get("event_data").get("instance_sid").asText()).isEqualTo(instance);
            });
    List<JsonNode> failed = events("token-server.sign-in.failed");
    assertThat(failed)
        .extracting(e -> e.get("event_data").get("reason").asText())
        .containsExactlyInAnyOrder("wrong_password", "unknown_user");
    JsonNode wrong =
        failed.stream()
            .filter(e -> e.get("event_data").get("reason").asText().equals("wrong_password"))
            .findFirst()
            .orElseThrow();
    assertThat(wrong.get("resource_sid").asText()).isEqualTo(fu);
    assertThat(wrong.get("actor_type").asText()).isEqualTo("anonymous");
    String all = failed.toString() + ok;
    assertThat(all).doesNotContain(typo);
    for (String secret : secrets) {
      assertThat(all).doesNotContain(secret);
    }
  }

  @Test
  void malformedRequestsAre400And415() throws Exception {
    assertError(
        send(HOME, "POST", "/token", null, JSON_TYPE, "{\"username\":", Map.of()), 400, 20001);
    assertError(send(HOME, "POST", "/token", null, JSON_TYPE, "[]", Map.of()), 400, 20001);
    assertError(
        send(
            HOME,
            "POST",
            "/token",
            null,
            "application/x-www-form-urlencoded",
            "username=a&password=b",
            Map.of()),
        415,
        20415);
    assertInvalid(
        signIn(HOME, Map.of("username", "a", "password", PASSWORD, "passwrd", "x"), null),
        "passwrd");
    assertInvalid(signIn(HOME, Map.of("username", 7, "password", PASSWORD), null), "username");
  }

  @Test
  void deletingTheTokenServerKeyRevokesItsTokensAndTheNextSignInMakesANewKey() throws Exception {
    user("alice", PASSWORD);
    String first = token(HOME, "alice", PASSWORD);
    String firstKey = payload(first).get("iss").asText();
    assertThat(introspect(first).get("active").asBoolean()).isTrue();
    assertThat(payload(token(HOME, "alice", PASSWORD)).get("iss").asText()).isEqualTo(firstKey);

    assertThat(Key.deleter(firstKey).delete(root)).isTrue();

    JsonNode dead = introspect(first);
    assertThat(dead.get("active").asBoolean()).isFalse();
    assertThat(dead.get("code").asInt()).isEqualTo(20103);
    String second = token(HOME, "alice", PASSWORD);
    String secondKey = payload(second).get("iss").asText();
    assertThat(secondKey).isNotEqualTo(firstKey);
    assertThat(introspect(second).get("active").asBoolean()).isTrue();
    assertThat(Key.fetcher(secondKey).fetch(root).getFriendlyName()).isEqualTo("Flex token server");
  }

  @Test
  void parallelFirstSignInsAllSignWithTheOneKeyThatIsKept() throws Exception {
    for (int i = 0; i < 6; i++) {
      user("agent" + i, PASSWORD);
    }
    AtomicInteger next = new AtomicInteger();
    List<String> issuers =
        inParallel(
            6,
            () ->
                payload(token(HOME, "agent" + next.getAndIncrement(), PASSWORD))
                    .get("iss")
                    .asText());
    assertThat(new HashSet<>(issuers)).hasSize(1);
    List<String> names = new ArrayList<>();
    for (Key k : Key.reader().read(root)) {
      names.add(k.getFriendlyName() + " " + k.getSid());
    }
    assertThat(names).containsExactly("Flex token server " + issuers.getFirst());
  }

  // ---- passwords ----

  @Test
  void passwordsAreSetReplacedAndRemovedThroughTheApi() throws Exception {
    JsonNode alice = provision(instance, "alice");
    String sid = alice.get("flex_user_sid").asText();
    String path = users(instance) + "/" + sid;
    secrets.add(PASSWORD);
    secrets.add(OTHER_PASSWORD);
    assertThat(alice.get("has_password").asBoolean()).isFalse();
    assertBadCredentials(signIn("alice", PASSWORD));

    assertThat(setPassword(instance, sid, ROOT_AUTH, Map.of("password", PASSWORD)).statusCode())
        .isEqualTo(204);
    assertThat(ok(get(path, ROOT_AUTH), 200).get("has_password").asBoolean()).isTrue();
    token(HOME, "alice", PASSWORD);

    assertThat(
            setPassword(instance, sid, ROOT_AUTH, Map.of("password", OTHER_PASSWORD)).statusCode())
        .isEqualTo(204);
    assertBadCredentials(signIn("alice", PASSWORD));
    token(HOME, "alice", OTHER_PASSWORD);

    HttpResponse<String> removed =
        send(HOME, "DELETE", path + "/Password", ROOT_AUTH, null, null, Map.of());
    assertThat(removed.statusCode()).as(removed.body()).isEqualTo(204);
    assertThat(ok(get(path, ROOT_AUTH), 200).get("has_password").asBoolean()).isFalse();
    assertBadCredentials(signIn("alice", OTHER_PASSWORD));
    // Removing again changes nothing.
    assertThat(
            send(HOME, "DELETE", path + "/Password", ROOT_AUTH, null, null, Map.of()).statusCode())
        .isEqualTo(204);
  }

  @Test
  void thePasswordApiNeedsCredentialsThatMayManageThatInstancesUsers() throws Exception {
    JsonNode alice = provision(instance, "alice");
    String sid = alice.get("flex_user_sid").asText();
    secrets.add(PASSWORD);
    Map<String, String> body = Map.of("password", PASSWORD);

    assertError(setPassword(instance, sid, null, body), 401, 20003);
    assertError(setPassword(instance, sid, basic(SID, "f".repeat(32)), body), 401, 20003);
    NewApiKey restricted =
        NewApiKey.creator(SID)
            .setKeyType("restricted")
            .setPolicy(Map.of("allow", List.of("/twilio/flex/users/read")))
            .create(root);
    secrets.add(restricted.getSecret());
    assertError(
        setPassword(instance, sid, basic(restricted.getSid(), restricted.getSecret()), body),
        403,
        70051);
    HttpResponse<String> removeByRestricted =
        send(
            HOME,
            "DELETE",
            users(instance) + "/" + sid + "/Password",
            basic(restricted.getSid(), restricted.getSecret()),
            null,
            null,
            Map.of());
    assertError(removeByRestricted, 403, 70051);

    // A subaccount cannot see its parent's instance; unknown users are not found either.
    Account sub = Account.creator().create(root);
    secrets.add(sub.getAuthToken());
    assertError(
        setPassword(instance, sid, basic(sub.getSid(), sub.getAuthToken()), body), 404, 20404);
    assertError(setPassword(instance, "FU" + "0".repeat(32), ROOT_AUTH, body), 404, 20404);
    assertError(setPassword(instance, "not-a-sid", ROOT_AUTH, body), 404, 20404);
    // A user of this instance under another instance's path.
    String subInstance = instanceOf(sub.getSid());
    assertError(setPassword(subInstance, sid, ROOT_AUTH, body), 404, 20404);
    assertError(setPassword("GO" + "0".repeat(32), sid, ROOT_AUTH, body), 404, 20404);

    // None of them set it.
    assertBadCredentials(signIn("alice", PASSWORD));
    // A standard key may.
    NewKey standard = NewKey.creator().create(root);
    secrets.add(standard.getSecret());
    assertThat(
            setPassword(instance, sid, basic(standard.getSid(), standard.getSecret()), body)
                .statusCode())
        .isEqualTo(204);
    token(HOME, "alice", PASSWORD);
  }

  @Test
  void passwordRulesAreCheckedWithoutEchoingThePassword() throws Exception {
    String sid = provision(instance, "alice").get("flex_user_sid").asText();
    String smile = "\uD83D\uDE00";
    List<String> refused =
        List.of(
            "seven!!",
            "x".repeat(1025),
            "        ",
            // Four characters, though eight UTF-16 units.
            smile.repeat(4));
    for (String password : refused) {
      if (!password.isBlank()) {
        secrets.add(password);
      }
      assertInvalid(
          setPassword(instance, sid, ROOT_AUTH, Map.of("password", password)), "password");
    }
    assertInvalid(setPassword(instance, sid, ROOT_AUTH, Map.of()), "password");
    assertInvalid(setPassword(instance, sid, ROOT_AUTH, Map.of("password", 12345678)), "password");
    assertInvalid(
        setPassword(instance, sid, ROOT_AUTH, "{\"password\": \"\\ud800abcdefgh\"}"), "password");
    assertInvalid(
        setPassword(instance, sid, ROOT_AUTH, Map.of("password", PASSWORD, "pasword", "x")),
        "pasword");
    assertError(
        send(
            HOME,
            "POST",
            users(instance) + "/" + sid + "/Password",
            ROOT_AUTH,
            "text/plain",
            PASSWORD,
            Map.of()),
        415,
        20415);
    assertBadCredentials(signIn("alice", "seven!!"));

    // Eight to 1024 characters, anything goes; nothing is cut off.
    String longest = "y".repeat(1023) + "z";
    for (String password : List.of("eight ch", smile.repeat(8), longest, "x".repeat(64))) {
      secrets.add(password);
      assertThat(setPassword(instance, sid, ROOT_AUTH, Map.of("password", password)).statusCode())
          .isEqualTo(204);
    }
    String hundred = "p".repeat(99) + "q";
    secrets.add(hundred);
    assertThat(setPassword(instance, sid, ROOT_AUTH, Map.of("password", hundred)).statusCode())
        .isEqualTo(204);
    assertBadCredentials(signIn("alice", hundred.substring(0, 72)));
    token(HOME, "alice", hundred);
  }

  @Test
  void storedPasswordsAreArgon2idHashesWithTheAsvsParameters() throws Exception {
    JsonNode alice = user("alice", PASSWORD);
    String stored;
    try (Database database = db.open(dir)) {
      stored =
          database
              .jdbi()
              .withHandle(
                  h ->
                      h.createQuery("SELECT password_hash FROM flex_users WHERE sid = :sid")
                          .bind("sid", alice.get("flex_user_sid").asText())
                          .mapTo(String.class)
                          .one());
    }
    assertThat(stored)
        .matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}");
    db.assertStoredDataLacks(dir, List.of(PASSWORD));
  }

  // ---- brute force ----

  @Test
  void repeatedFailuresWaitProgressivelyAndAWaitChecksNoPassword() throws Exception {
    user("dave", PASSWORD);
    String source = "127.0.0.2";
    for (int i = 0; i < 6; i++) {
      assertBadCredentials(signIn(source, "dave", OTHER_PASSWORD));
    }
    assertThat(assertThrottled(signIn(source, "dave", OTHER_PASSWORD))).isEqualTo(1);
    // While waiting even the right password is refused, unchecked.
    assertThat(assertThrottled(signIn(source, "dave", PASSWORD))).isEqualTo(1);
    for (int i = 0; i < 20; i++) {
      assertThrottled(signIn(source, "dave", OTHER_PASSWORD));
    }
    clock.advance(Duration.ofSeconds(1));
    assertBadCredentials(signIn(source, "dave", OTHER_PASSWORD));
    // The seventh counted failure: the refused attempts did not count.
    assertThat(assertThrottled(signIn(source, "dave", PASSWORD))).isEqualTo(2);
    clock.advance(Duration.ofSeconds(2));
    token(source, "dave", PASSWORD);
    // A success starts the pair again from nothing.
    for (int i = 0; i < 6; i++) {
      assertBadCredentials(signIn(source, "dave", OTHER_PASSWORD));
    }
    assertThat(assertThrottled(signIn(source, "dave", PASSWORD))).isEqualTo(1);
    // Twelve quiet hours forget everything.
    clock.advance(Duration.ofHours(12));
    token(source, "dave", PASSWORD);
  }

  @Test
  void theOwnersKnownAddressSignsInWhileAnAttackerElsewhereIsThrottled() throws Exception {
    user("erin", PASSWORD);
    String owner = "127.0.0.2";
    token(owner, "erin", PASSWORD);

    // The attacker's own address: five free failures, then waits.
    String attacker = "127.0.0.3";
    for (int i = 0; i < 6; i++) {
      assertBadCredentials(signIn(attacker, "erin", OTHER_PASSWORD));
    }
    assertThrottled(signIn(attacker, "erin", OTHER_PASSWORD));

    // Many more addresses: the user's counter goes far past its ten free failures.
    for (int i = 10; i < 30; i++) {
      String source = "127.0.0." + i;
      HttpResponse<String> res = signIn(source, "erin", OTHER_PASSWORD);
      if (res.statusCode() == 429) {
        clock.advance(Duration.ofSeconds(assertThrottled(res)));
        res = signIn(source, "erin", OTHER_PASSWORD);
      }
      assertBadCredentials(res);
    }
    // A new address waits, even with the right password...
    assertThat(assertThrottled(signIn("127.0.0.99", "erin", PASSWORD))).isGreaterThan(60);
    // ...but the owner's known address does not.
    token(owner, "erin", PASSWORD);
  }

  @Test
  void forwardingHeadersDoNotChangeTheSource() throws Exception {
    user("frank", PASSWORD);
    for (int i = 0; i < 7; i++) {
      String spoofed = "198.51.100." + i;
      HttpResponse<String> res =
          send(
              "127.0.0.4",
              "POST",
              "/token",
              null,
              JSON_TYPE,
              JSON.writeValueAsString(Map.of("username", "frank", "password", OTHER_PASSWORD)),
              Map.of(
                  "X-Forwarded-For", spoofed,
                  "X-Real-IP", spoofed,
                  "Forwarded", "for=" + spoofed));
      if (i < 6) {
        assertBadCredentials(res);
      } else {
        assertThrottled(res);
      }
    }
  }

  @Test
  void oneAddressIsThrottledAcrossManyUsernames() throws Exception {
    String sprayer = "127.0.0.5";
    // Unknown users count exactly like known ones.
    for (int i = 0; i < 21; i++) {
      assertBadCredentials(signIn(sprayer, "user" + i, PASSWORD));
    }
    assertThrottled(signIn(sprayer, "user21", PASSWORD));
    assertBadCredentials(signIn("127.0.0.6", "user21", PASSWORD));
  }

  @Test
  void parallelFailuresAreCountedExactly() throws Exception {
    user("gina", PASSWORD);
    String source = "127.0.0.7";
    List<Integer> statuses =
        inParallel(100, () -> signIn(source, "gina", OTHER_PASSWORD).statusCode());
    assertThat(statuses.stream().filter(s -> s == 401)).hasSize(6);
    assertThat(statuses.stream().filter(s -> s == 429)).hasSize(94);
    clock.advance(Duration.ofSeconds(1));
    assertBadCredentials(signIn(source, "gina", OTHER_PASSWORD));
    assertThat(assertThrottled(signIn(source, "gina", OTHER_PASSWORD))).isEqualTo(2);
  }

  // ---- metrics ----

  @Test
  void metricsCountSignInsAndRefusalsByReason() throws Exception {
    String signIns = "callsign_token_server_sign_ins_total";
    String bad = "callsign_token_server_refusals_total{reason=\"bad_credentials\"}";
    String throttled = "callsign_token_server_refusals_total{reason=\"throttled\"}";
    assertThat(metrics()).containsEntry(signIns, 0.0).containsEntry(bad, 0.0);

    user("hana", PASSWORD);
    token(HOME, "hana", PASSWORD);
    for (int i = 0; i < 6; i++) {
      assertBadCredentials(signIn(HOME, "hana", OTHER_PASSWORD));
    }
    assertThrottled(signIn(HOME, "hana", OTHER_PASSWORD));
    assertThrottled(signIn(HOME, "hana", PASSWORD));

    Map<String, Double> after = metrics();
    assertThat(after)
        .containsEntry(signIns, 1.0)
        .containsEntry(bad, 6.0)
        .containsEntry(throttled, 2.0);
    Set<String> names = after.keySet();
    assertThat(String.join("\n", names)).doesNotContain("hana").doesNotContain("127.0.0");
  }
}
