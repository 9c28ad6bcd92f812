package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.audit.JdbiAuditStore;
import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.logs.Logs;
import io.callsign.server.store.Database;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;
import org.slf4j.event.Level;

/**
 * Plants known secret values (auth tokens, key secrets, passwords, wrong guesses, the master
 * keyset, the database password, issued tokens), runs a workload over every feature with every
 * logger at TRACE, and finds none of them in any log line, in any response other than the one that
 * hands the secret out by design, or in any audit event.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class PlantedSecretsTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "5a1e".repeat(8);
  private static final String TOKEN = "planted0auth0token0" + "1".repeat(13);
  private static final String WRONG_KEY_SECRET = "planted0wrong0key0secret0" + "2".repeat(7);
  private static final String WRONG_AUTH_TOKEN = "planted0wrong0auth0token" + "3".repeat(8);
  private static final String PASSWORD = "planted flex password 4444";
  private static final String WRONG_PASSWORD = "planted wrong password 5555";
  private static final String DATABASE_PASSWORD = "planted0database0password";

  @TempDir Path dir;
  private int port;

  /** Every response, with the secrets it may show by design. */
  private record Exchange(String label, HttpResponse<String> response, Set<String> allowed) {}

  private final List<Exchange> exchanges = new ArrayList<>();
  private final Set<String> secrets = new LinkedHashSet<>();

  private void plant(String secret) {
    secrets.add(secret);
  }

  private static String basic(String user, String password) {
    return TestServers.basic(user, password);
  }

  // Plants the credentials and the Authorization header they make, as a proxy's log would show it.
  private String plantedBasic(String user, String password) {
    String header = basic(user, password);
    plant(password);
    plant(header.substring("Basic ".length()));
    return header;
  }

  /** The last response hands {@code secrets} out by design (they are what was asked for). */
  private void allowLast(String... secrets) {
    Exchange last = exchanges.removeLast();
    exchanges.add(new Exchange(last.label(), last.response(), Set.of(secrets)));
  }

  private HttpResponse<String> send(
      String label, String method, String path, String auth, String contentType, String body)
      throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("User-Agent", "planted-secrets-test");
    if (auth != null) {
      b.header("Authorization", auth);
    }
    if (contentType != null) {
      b.header("Content-Type", contentType);
    }
    b.method(
        method,
        body == null
            ? HttpRequest.BodyPublishers.noBody()
            : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> r = TestServers.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
    exchanges.add(new Exchange(label, r, Set.of()));
    return r;
  }

  private JsonNode form(String label, String path, String auth, String body) throws Exception {
    HttpResponse<String> r =
        send(label, "POST", path, auth, "application/x-www-form-urlencoded", body);
    assertThat(r.statusCode()).as(label + ": " + r.body()).isBetween(200, 299);
    return r.body().isEmpty() ? null : JSON.readTree(r.body());
  }

  private JsonNode json(String label, String path, String auth, Object body) throws Exception {
    HttpResponse<String> r =
        send(label, "POST", path, auth, "application/json", JSON.writeValueAsString(body));
    assertThat(r.statusCode()).as(label + ": " + r.body()).isBetween(200, 299);
    return r.body().isEmpty() ? null : JSON.readTree(r.body());
  }

  private HttpResponse<String> get(String label, String path, String auth) throws Exception {
    return send(label, "GET", path, auth, null, null);
  }

  /** A master keyset made for this test, and its key material planted. */
  private String plantedKeyset() throws Exception {
    Path seed = Files.createDirectory(dir.resolve("seed"));
    SecretBox.open(null, seed);
    String keyset = Files.readString(seed.resolve(SecretBox.KEYSET_FILE));
    Matcher m = Pattern.compile("\"value\"\\s*:\\s*\"([^\"]{16,})\"").matcher(keyset);
    while (m.find()) {
      plant(m.group(1));
    }
    assertThat(secrets).as("key material found in the keyset").isNotEmpty();
    return keyset;
  }

  private ServerConfig config(Path data, String keyset) {
    ServerConfig base = db.config(data);
    DatabaseConfig database = base.database();
    if (database != null) {
      // Trust authentication ignores it; it must still never be written anywhere.
      plant(DATABASE_PASSWORD);
      database = new DatabaseConfig(database.url(), database.user(), DATABASE_PASSWORD);
    }
    return new ServerConfig("127.0.0.1", 0, data, database, SID, TOKEN, keyset);
  }

  @Test
  void noPlantedSecretReachesALogLineAResponseOrAnAuditEvent() throws Exception {
    String keyset = plantedKeyset();
    Path data = dir.resolve("data");
    String root = plantedBasic(SID, TOKEN);
    String logged;
    try (LogCapture logs = new LogCapture(Logs.Format.JSON, Level.TRACE)) {
      MutableClock clock = new MutableClock(java.time.Instant.now());
      try (CallsignServer server = new CallsignServer(config(data, keyset), clock)) {
        port = server.start();
        workload(root);
        consoleWorkload(server, clock);
      }
      logged = logs.text();
    }
    // The capture works: the per-request lines (DEBUG) are there.
    assertThat(logged).contains("\"loggerName\":\"io.callsign.server.requests\"");

    List<String> events = new ArrayList<>();
    try (Database database = db.open(data)) {
      new JdbiAuditStore(database.jdbi()).forEach(0, e -> events.add(e.toString()));
    }
    assertThat(events).hasSizeGreaterThan(10);

    for (String secret : secrets) {
      List<String> leaks =
          logged
              .lines()
              .filter(l -> l.contains(secret))
              .map(l -> l.length() > 400 ? l.substring(0, 400) + "..." : l)
              .toList();
      assertThat(leaks).as("log lines holding a planted secret").isEmpty();
      assertThat(events).noneMatch(e -> e.contains(secret));
      for (Exchange x : exchanges) {
        if (!x.allowed().contains(secret)) {
          assertThat(x.response().body()).as(x.label()).doesNotContain(secret);
          assertThat(x.response().headers().map().toString()).as(x.label()).doesNotContain(secret);
        }
      }
    }
  }

  // The web console, as a browser uses it: its responses show some secrets by design (the page that
  // hands them out), so only logs and events are checked for these.
  private void consoleWorkload(CallsignServer server, MutableClock clock) throws Exception {
    String password = "planted console password 6666";
    plant(password);
    io.callsign.tokens.sid.AccountSid account = io.callsign.tokens.sid.AccountSid.of(SID);
    server.console().addUser(account, "planted@example.com", password);
    String link = server.console().addUser(account, "linked@example.com", null).signUpToken();
    plant(link);
    new ConsoleClient(port).get("/console/sign-up/" + link);

    ConsoleClient browser = new ConsoleClient(port);
    browser.get("/console/sign-in");
    browser.post(
        "/console/sign-in", Map.of("email", "planted@example.com", "password", "nope" + password));
    byte[] seed = browser.signInAndEnrol("planted@example.com", password, clock);
    ConsoleClient.recoveryCodes(browser.last.body()).forEach(this::plant);
    plant(browser.cookies.get(io.callsign.server.console.ConsoleRoutes.SESSION_COOKIE));
    browser.get("/console/keys");
    plant(browser.csrf());
    browser.post("/console/keys", Map.of("friendly_name", "console key", "type", "main"));
    plant(browser.cookies.get(io.callsign.server.console.ConsoleRoutes.ONCE_COOKIE));
    browser.follow();
    Matcher secret = Pattern.compile("id=\"new-key-secret\">([^<]+)<").matcher(browser.last.body());
    assertThat(secret.find()).isTrue();
    plant(secret.group(1));
    browser.get("/console/dashboard");
    clock.advance(java.time.Duration.ofSeconds(30));
    String code = ConsoleClient.code(seed, clock.instant());
    browser.post("/console/auth-token/reveal", Map.of("code", code));
    assertThat(browser.last.body()).contains(TOKEN);
    browser.get("/console/inspector");
    browser.post("/console/inspector", Map.of("token", flexTokenForInspector));
    server.flushAudit();
  }

  private String flexTokenForInspector = "";

  private void workload(String root) throws Exception {
    String keys = "/2010-04-01/Accounts/" + SID + "/Keys.json";
    // An API key: its secret is in the creation response only.
    JsonNode probe = form("create key (probe)", keys, root, "FriendlyName=probe");
    String keySid = probe.get("sid").asText();
    String keySecret = probe.get("secret").asText();
    plant(keySecret);
    allowLast(keySecret);
    String keyAuth = plantedBasic(keySid, keySecret);

    // Authentications: right, wrong and malformed.
    assertThat(get("fetch account by key", "/2010-04-01/Accounts/" + SID + ".json", keyAuth))
        .extracting(HttpResponse::statusCode)
        .isEqualTo(200);
    assertThat(get("wrong key secret", keys, plantedBasic(keySid, WRONG_KEY_SECRET)).statusCode())
        .isEqualTo(401);
    assertThat(get("wrong auth token", keys, plantedBasic(SID, WRONG_AUTH_TOKEN)).statusCode())
        .isEqualTo(401);
    plant(Base64.getEncoder().encodeToString(WRONG_AUTH_TOKEN.getBytes(StandardCharsets.UTF_8)));
    assertThat(get("malformed header", keys, "Basic " + WRONG_AUTH_TOKEN).statusCode())
        .isEqualTo(401);

    // A secondary auth token, used and deleted.
    JsonNode secondary = form("create secondary", "/v1/AuthTokens/Secondary", root, "");
    String secondaryToken = secondary.get("secondary_auth_token").asText();
    plant(secondaryToken);
    allowLast(secondaryToken);
    String secondaryAuth = plantedBasic(SID, secondaryToken);
    assertThat(get("list keys by secondary", keys, secondaryAuth).statusCode()).isEqualTo(200);
    assertThat(
            send("delete secondary", "DELETE", "/v1/AuthTokens/Secondary", root, null, null)
                .statusCode())
        .isEqualTo(204);

    // Access Tokens: minted (shown once), introspected, refused when tampered with.
    JsonNode minted =
        form("mint access token", "/v1/AccessTokens", keyAuth, "Identity=alice&Ttl=600");
    String jwt = minted.get("token").asText();
    String signature = jwt.substring(jwt.lastIndexOf('.') + 1);
    plant(signature);
    allowLast(signature);
    form("introspect", "/v1/AccessTokens/Introspect", keyAuth, "Token=" + jwt);
    form("introspect tampered", "/v1/AccessTokens/Introspect", keyAuth, "Token=" + jwt + "A");

    // Flex: a user with a password, the token server, a Flex token validated and revoked.
    String instance = null;
    for (JsonNode i :
        JSON.readTree(get("instances", "/v4/Instances", root).body()).get("instances")) {
      instance = i.get("sid").asText();
    }
    String users = "/v4/Instances/" + instance + "/Users";
    JsonNode user =
        json(
            "provision",
            users + "/Provision",
            root,
            Map.of(
                "username",
                "alice",
                "email",
                "alice@example.com",
                "full_name",
                "Alice",
                "roles",
                List.of("agent"),
                "worker",
                Map.of()));
    String fu = user.get("flex_user_sid").asText();
    plant(PASSWORD);
    json("set password", users + "/" + fu + "/Password", root, Map.of("password", PASSWORD));
    JsonNode signedIn =
        json("sign in", "/token", null, Map.of("username", "alice", "password", PASSWORD));
    String endUserJwt = signedIn.get("token").asText();
    String endUserSignature = endUserJwt.substring(endUserJwt.lastIndexOf('.') + 1);
    plant(endUserSignature);
    allowLast(endUserSignature);
    plant(WRONG_PASSWORD);
    assertThat(
            send(
                    "wrong password",
                    "POST",
                    "/token",
                    null,
                    "application/json",
                    JSON.writeValueAsString(
                        Map.of("username", "alice", "password", WRONG_PASSWORD)))
                .statusCode())
        .isEqualTo(401);
    JsonNode flex = json("mint flex token", users + "/" + fu + "/Tokens", root, Map.of("ttl", 600));
    String flexToken = flex.get("access_token").asText();
    // The JWE's ciphertext and tag are what make it a credential.
    String flexSecret = flexToken.substring(flexToken.indexOf('.', flexToken.indexOf("..") + 2));
    plant(flexSecret);
    allowLast(flexSecret, flexToken);
    flexTokenForInspector = flexToken;
    String tokens = "/v1/Accounts/" + SID + "/Tokens";
    json("validate flex token", tokens + "/validate", root, Map.of("token", flexToken));
    // As the Flex SDK sends it: the token as the Basic password of the user "token".
    form(
        "flex token info",
        tokens + "/Info",
        plantedBasic("token", flexToken),
        "Token=" + flexToken);
    form("revoke flex token", tokens + "/Revoke", root, "Token=" + flexToken);

    // Reads of what was made: nothing secret comes back.
    get("list keys", keys, root);
    get("events", "/v1/Events?PageSize=1000", root);
    get("metrics", "/metrics", null);
    assertThat(
            send(
                    "delete key",
                    "DELETE",
                    keys.replace(".json", "/" + keySid + ".json"),
                    root,
                    null,
                    null)
                .statusCode())
        .isEqualTo(204);
  }
}
