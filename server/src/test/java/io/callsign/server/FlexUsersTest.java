package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.rest.flexapi.v1.Configuration;
import io.callsign.server.store.Database;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** Flex instances, v4 users and roles (twilio-wire.md 9.2) on a real server. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class FlexUsersTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "a".repeat(16) + "b".repeat(16);
  private static final String OTHER_TOKEN = "c".repeat(32);
  private static final String ROOT = basic(SID, TOKEN);

  @TempDir Path dir;
  private CallsignServer server;
  private int port;
  private String instance;

  @BeforeEach
  void start() throws Exception {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
    instance = instanceOf(ROOT);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private HttpResponse<String> call(String method, String path, String auth, String body)
      throws Exception {
    return TestServers.sendJson(port, method, path, auth, body);
  }

  private JsonNode ok(HttpResponse<String> r, int status) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    return JSON.readTree(r.body());
  }

  private void assertError(HttpResponse<String> r, int status, int code, String inMessage)
      throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    JsonNode e = JSON.readTree(r.body());
    assertThat(e.get("code").asInt()).isEqualTo(code);
    assertThat(e.get("status").asInt()).isEqualTo(status);
    assertThat(e.get("message").asText()).contains(inMessage);
  }

  /** The only instance the credential's own account has. */
  private String instanceOf(String auth) throws Exception {
    JsonNode list = ok(call("GET", "/v4/Instances", auth, null), 200);
    return list.get("instances").get(0).get("sid").asText();
  }

  private String users() {
    return "/v4/Instances/" + instance + "/Users";
  }

  private static String user(String username, String... roles) throws Exception {
    return JSON.writeValueAsString(
        Map.of(
            "username",
            username,
            "email",
            username.toLowerCase(java.util.Locale.ROOT) + "@example.com",
            "full_name",
            "Full " + username,
            "roles",
            List.of(roles),
            "worker",
            Map.of("attributes", Map.of("skills", List.of("sales")))));
  }

  private JsonNode provision(String username, String... roles) throws Exception {
    HttpResponse<String> r = call("POST", users() + "/Provision", ROOT, user(username, roles));
    assertThat(r.statusCode()).as(r.body()).isIn(200, 201);
    return JSON.readTree(r.body());
  }

  private String subaccount() throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/2010-04-01/Accounts.json"))
            .header("Authorization", ROOT)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("FriendlyName=sub"))
            .build();
    JsonNode sub =
        JSON.readTree(TestServers.HTTP.send(req, HttpResponse.BodyHandlers.ofString()).body());
    return basic(sub.get("sid").asText(), sub.get("auth_token").asText());
  }

  // ---- instances ----

  @Test
  void firstStartWritesTheRootInstanceToCredentialsFile() throws Exception {
    server.stop();
    Path fresh = dir.resolve("fresh");
    server = new CallsignServer(db.config(fresh));
    port = server.start();
    String env = Files.readString(server.credentialsFile());
    String sid = server.bootstrap().root().sid().value();
    String token =
        env.lines()
            .filter(l -> l.startsWith("TWILIO_AUTH_TOKEN="))
            .findFirst()
            .orElseThrow()
            .substring("TWILIO_AUTH_TOKEN=".length());
    assertThat(env).contains("FLEX_INSTANCE_SID=" + instanceOf(basic(sid, token)));
    // A restart leaves the file as it was.
    server.stop();
    server = new CallsignServer(db.config(fresh));
    port = server.start();
    assertThat(Files.readString(server.credentialsFile())).isEqualTo(env);
  }

  @Test
  void twilioJavaFindsTheInstanceThroughFlexConfiguration() throws Exception {
    Configuration c =
        Configuration.fetcher()
            .fetch(TestServers.twilioClient(new LoopbackTwilioClient(port), SID, TOKEN, SID));
    JsonNode i = ok(call("GET", "/v4/Instances/" + instance, ROOT, null), 200);
    assertThat(c.getAccountSid()).isEqualTo(SID);
    assertThat(c.getFlexInstanceSid()).isEqualTo(instance);
    assertThat(c.getTaskrouterWorkspaceSid()).isEqualTo(i.get("workspace_sid").asText());
    assertThat(c.getStatus()).isEqualTo(Configuration.Status.OK);
    assertThat(c.getDateCreated()).isNotNull();
  }

  @Test
  void instanceCarriesItsAccountWorkspaceAndTokenServerTtl() throws Exception {
    JsonNode i = ok(call("GET", "/v4/Instances/" + instance, ROOT, null), 200);
    assertThat(i.get("sid").asText()).matches("GO[0-9a-f]{32}");
    assertThat(i.get("account_sid").asText()).isEqualTo(SID);
    assertThat(i.get("workspace_sid").asText()).matches("WS[0-9a-f]{32}");
    assertThat(i.get("token_server_ttl").asInt()).isEqualTo(3600);
    assertThat(i.get("created_date").asText())
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    assertThat(i.get("url").asText())
        .isEqualTo("http://127.0.0.1:" + port + "/v4/Instances/" + instance);
  }

  @Test
  void updateInstanceSetsTokenServerTtlWithinOneDay() throws Exception {
    String path = "/v4/Instances/" + instance;
    JsonNode i = ok(call("POST", path, ROOT, "{\"token_server_ttl\":7200}"), 200);
    assertThat(i.get("token_server_ttl").asInt()).isEqualTo(7200);
    assertError(
        call("POST", path, ROOT, "{\"token_server_ttl\":0}"), 400, 20001, "token_server_ttl");
    assertError(
        call("POST", path, ROOT, "{\"token_server_ttl\":86401}"), 400, 20001, "token_server_ttl");
    assertError(
        call("POST", path, ROOT, "{\"token_server_ttl\":\"1h\"}"), 400, 20001, "token_server_ttl");
    assertThat(ok(call("GET", path, ROOT, null), 200).get("token_server_ttl").asInt())
        .isEqualTo(7200);
  }

  @Test
  void subaccountGetsItsOwnInstanceWhichItsParentSeesButNotTheReverse() throws Exception {
    String sub = subaccount();
    String subInstance = instanceOf(sub);
    assertThat(subInstance).isNotEqualTo(instance);
    ok(call("GET", "/v4/Instances/" + subInstance, ROOT, null), 200);
    assertThat(ok(call("GET", "/v4/Instances", ROOT, null), 200).get("instances")).hasSize(2);
    assertError(call("GET", "/v4/Instances/" + instance, sub, null), 404, 20404, instance);
    assertError(call("GET", users(), sub, null), 404, 20404, "");
    assertError(
        call("POST", users() + "/Provision", sub, user("mallory", "admin")), 404, 20404, "");
  }

  @Test
  void anotherAccountCannotSeeOrChangeThisInstance() throws Exception {
    String other = basic(db.insertMainAccount(dir, OTHER_TOKEN).value(), OTHER_TOKEN);
    JsonNode alice = provision("alice", "agent");
    String fu = alice.get("flex_user_sid").asText();
    assertThat(instanceOf(other)).isNotEqualTo(instance);
    assertError(call("GET", "/v4/Instances/" + instance, other, null), 404, 20404, "");
    assertError(call("GET", users() + "?Username=alice", other, null), 404, 20404, "");
    assertError(call("GET", users() + "/" + fu, other, null), 404, 20404, "");
    assertError(call("POST", users() + "/" + fu, other, "{\"email\":\"x@y.z\"}"), 404, 20404, "");
    assertError(
        call("POST", users() + "/Deprovision", other, "{\"flex_user_sid\":\"" + fu + "\"}"),
        404,
        20404,
        "");
    // Through its own instance's path the user is not found either.
    String otherUsers = "/v4/Instances/" + instanceOf(other) + "/Users/" + fu;
    assertError(call("GET", otherUsers, other, null), 404, 20404, "");
    assertThat(ok(call("GET", users() + "/" + fu, ROOT, null), 200).get("deactivated").asBoolean())
        .isFalse();
  }

  @Test
  void unknownOrMalformedInstanceIsNotFound() throws Exception {
    assertError(
        call("GET", "/v4/Instances/GO" + "0".repeat(32) + "/Users", ROOT, null), 404, 20404, "");
    assertError(call("GET", "/v4/Instances/GOnope/Users", ROOT, null), 404, 20404, "");
    assertError(call("GET", "/v4/Instances/" + SID + "/Users", ROOT, null), 404, 20404, "");
  }

  @Test
  void everyFlexCallNeedsCredentials() throws Exception {
    assertError(call("GET", "/v4/Instances", null, null), 401, 20003, "");
    assertError(call("GET", users(), basic(SID, "x".repeat(32)), null), 401, 20003, "");
    assertError(call("POST", users() + "/Provision", null, user("a", "agent")), 401, 20003, "");
  }

  @Test
  void restrictedKeyReadsUsersOnlyWhenItsPolicyAllowsAndNeverManagesWithoutIt() throws Exception {
    String reader = restrictedKey("/twilio/flex/users/read");
    provision("alice", "agent");
    assertThat(ok(call("GET", users(), reader, null), 200).get("users")).hasSize(1);
    assertError(call("POST", users() + "/Provision", reader, user("bob", "agent")), 403, 70051, "");
    String manager = restrictedKey("/twilio/flex/users/manage");
    ok(call("POST", users() + "/Provision", manager, user("bob", "agent")), 201);
    assertError(call("GET", users(), manager, null), 403, 70051, "");
  }

  @Test
  void standardKeyManagesUsers() throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:" + port + "/2010-04-01/Accounts/" + SID + "/Keys.json"))
            .header("Authorization", ROOT)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("FriendlyName=std"))
            .build();
    JsonNode key =
        JSON.readTree(TestServers.HTTP.send(req, HttpResponse.BodyHandlers.ofString()).body());
    String std = basic(key.get("sid").asText(), key.get("secret").asText());
    ok(call("POST", users() + "/Provision", std, user("carol", "supervisor")), 201);
  }

  private String restrictedKey(String permission) throws Exception {
    HttpRequest req =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/Keys"))
            .header("Authorization", ROOT)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(
                HttpRequest.BodyPublishers.ofString(
                    "AccountSid="
                        + SID
                        + "&KeyType=restricted&Policy="
                        + java.net.URLEncoder.encode(
                            "{\"allow\":[\"" + permission + "\"]}",
                            java.nio.charset.StandardCharsets.UTF_8)))
            .build();
    JsonNode key =
        JSON.readTree(TestServers.HTTP.send(req, HttpResponse.BodyHandlers.ofString()).body());
    return basic(key.get("sid").asText(), key.get("secret").asText());
  }

  // ---- provisioning ----

  @Test
  void provisionCreatesUserWithWorkerInTheInstanceWorkspace() throws Exception {
    HttpResponse<String> r = call("POST", users() + "/Provision", ROOT, user("alice", "agent"));
    JsonNode u = ok(r, 201);
    JsonNode i = ok(call("GET", "/v4/Instances/" + instance, ROOT, null), 200);
    assertThat(u.get("account_sid").asText()).isEqualTo(SID);
    assertThat(u.get("instance_sid").asText()).isEqualTo(instance);
    assertThat(u.get("flex_user_sid").asText()).matches("FU[0-9a-f]{32}");
    assertThat(u.get("username").asText()).isEqualTo("alice");
    assertThat(u.get("email").asText()).isEqualTo("alice@example.com");
    assertThat(u.get("full_name").asText()).isEqualTo("Full alice");
    assertThat(u.get("roles")).hasSize(1);
    assertThat(u.get("roles").get(0).asText()).isEqualTo("agent");
    assertThat(u.get("worker").get("worker_sid").asText()).matches("WK[0-9a-f]{32}");
    assertThat(u.get("worker").get("workspace_sid").asText())
        .isEqualTo(i.get("workspace_sid").asText());
    assertThat(u.get("worker").get("attributes").get("skills").get(0).asText()).isEqualTo("sales");
    assertThat(u.get("teams").has("team_member")).isTrue();
    assertThat(u.get("deactivated").asBoolean()).isFalse();
    assertThat(u.get("deactivated_date").isNull()).isTrue();
    assertThat(u.get("version").asInt()).isZero();
    assertThat(u.get("created_date").asText())
        .matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    assertThat(u.get("has_password").asBoolean()).isFalse();
  }

  @Test
  void provisionIsIdempotentAndUpdatesWhatChanged() throws Exception {
    JsonNode first = provision("alice", "agent");
    HttpResponse<String> again = call("POST", users() + "/Provision", ROOT, user("alice", "agent"));
    JsonNode same = ok(again, 200);
    assertThat(same.get("flex_user_sid")).isEqualTo(first.get("flex_user_sid"));
    assertThat(same.get("version").asInt()).isZero();
    JsonNode promoted = provision("alice", "agent", "supervisor");
    assertThat(promoted.get("flex_user_sid")).isEqualTo(first.get("flex_user_sid"));
    assertThat(promoted.get("version").asInt()).isEqualTo(1);
    assertThat(promoted.get("roles")).hasSize(2);
    assertThat(promoted.get("worker").get("worker_sid"))
        .isEqualTo(first.get("worker").get("worker_sid"));
  }

  @Test
  void usernamesDifferingOnlyInCaseAreOneUser() throws Exception {
    JsonNode lower = provision("alice", "agent");
    JsonNode upper = provision("ALICE", "agent");
    assertThat(upper.get("flex_user_sid")).isEqualTo(lower.get("flex_user_sid"));
    // The first spelling stays the username (the identity of its tokens).
    assertThat(upper.get("username").asText()).isEqualTo("alice");
    JsonNode found = ok(call("GET", users() + "?Username=Alice", ROOT, null), 200);
    assertThat(found.get("users")).hasSize(1);
  }

  @Test
  void provisionRefusesMissingOrBadFieldsAndWritesNothing() throws Exception {
    String p = users() + "/Provision";
    assertError(
        call(
            "POST",
            p,
            ROOT,
            "{\"email\":\"a@b.c\",\"full_name\":\"A\",\"roles\":[\"agent\"],\"worker\":{}}"),
        400,
        20001,
        "username");
    assertError(
        call(
            "POST",
            p,
            ROOT,
            "{\"username\":\"a\",\"full_name\":\"A\",\"roles\":[\"agent\"],\"worker\":{}}"),
        400,
        20001,
        "email");
    assertError(
        call(
            "POST",
            p,
            ROOT,
            "{\"username\":\"a\",\"email\":\"a@b.c\",\"roles\":[\"agent\"],\"worker\":{}}"),
        400,
        20001,
        "full_name");
    assertError(
        call(
            "POST",
            p,
            ROOT,
            "{\"username\":\"a\",\"email\":\"a@b.c\",\"full_name\":\"A\",\"worker\":{}}"),
        400,
        20001,
        "roles");
    assertError(
        call(
            "POST",
            p,
            ROOT,
            "{\"username\":\"a\",\"email\":\"a@b.c\",\"full_name\":\"A\",\"roles\":[]}"
                .replace("[]", "[\"agent\"]")),
        400,
        20001,
        "worker");
    assertError(
        call(
            "POST",
            p,
            ROOT,
            "{\"username\":\"a\",\"email\":\"a@b.c\",\"full_name\":\"A\",\"roles\":[],\"worker\":{}}"),
        400,
        20001,
        "roles");
    assertError(call("POST", p, ROOT, user("a", "janitor")), 400, 20001, "janitor");
    assertError(
        call("POST", p, ROOT, user("a", "agent").replace("a@example.com", "not-an-email")),
        400,
        20001,
        "email");
    assertError(
        call("POST", p, ROOT, user("a", "agent").replace("\"a\"", "\" a\"")),
        400,
        20001,
        "username");
    assertError(
        call("POST", p, ROOT, user("a", "agent").replace("\"a\"", "\"a\\u0000b\"")),
        400,
        20001,
        "username");
    assertError(call("POST", p, ROOT, user("x".repeat(257), "agent")), 400, 20001, "username");
    assertError(
        call(
            "POST",
            p,
            ROOT,
            user("a", "agent").replace("\"worker\":{", "\"wrker\":{}, \"worker\":{")),
        400,
        20001,
        "wrker");
    assertError(
        call("POST", p, ROOT, user("a", "agent").replace("\"attributes\"", "\"attrs\"")),
        400,
        20001,
        "worker.attrs");
    assertError(
        call("POST", p, ROOT, user("a", "agent").replace("{\"skills\":[\"sales\"]}", "[1]")),
        400,
        20001,
        "attributes");
    assertError(call("POST", p, ROOT, "{\"username\":"), 400, 20001, "malformed JSON");
    assertError(call("POST", p, ROOT, "[]"), 400, 20001, "JSON object");
    assertError(
        call(
            "POST",
            p,
            ROOT,
            "{\"username\":\"a\",\"username\":\"b\",\"email\":\"a@b.c\",\"full_name\":\"A\",\"roles\":[\"agent\"],\"worker\":{}}"),
        400,
        20001,
        "malformed JSON");
    HttpRequest form =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + p))
            .header("Authorization", ROOT)
            .header("Content-Type", "application/x-www-form-urlencoded")
            .POST(HttpRequest.BodyPublishers.ofString("Username=a"))
            .build();
    assertError(
        TestServers.HTTP.send(form, HttpResponse.BodyHandlers.ofString()),
        415,
        20415,
        "application/json");
    assertThat(ok(call("GET", users(), ROOT, null), 200).get("users")).isEmpty();
  }

  // ---- lookup, paging, fetch ----

  @Test
  void lookupByUsernameReturnsTheUserInTheTokenEnvelope() throws Exception {
    JsonNode alice = provision("alice", "agent");
    provision("bob", "agent");
    JsonNode page = ok(call("GET", users() + "?Username=alice", ROOT, null), 200);
    assertThat(page.get("account_sid").asText()).isEqualTo(SID);
    assertThat(page.get("instance_sid").asText()).isEqualTo(instance);
    assertThat(page.get("users")).hasSize(1);
    assertThat(page.get("users").get(0).get("flex_user_sid")).isEqualTo(alice.get("flex_user_sid"));
    JsonNode meta = page.get("meta");
    assertThat(meta.get("direct_token").asBoolean()).isTrue();
    assertThat(meta.get("list_key").asText()).isEqualTo("users");
    assertThat(meta.get("page_size").asInt()).isEqualTo(50);
    assertThat(meta.has("next_token") && meta.get("next_token").isNull()).isTrue();
    assertThat(meta.has("previous_token") && meta.get("previous_token").isNull()).isTrue();
    assertThat(ok(call("GET", users() + "?Username=nobody", ROOT, null), 200).get("users"))
        .isEmpty();
  }

  @Test
  void listPagesForwardAndBackByUsername() throws Exception {
    for (String name : List.of("erin", "alice", "dave", "bob", "carol")) {
      provision(name, "agent");
    }
    List<String> seen = new ArrayList<>();
    String token = null;
    List<String> tokens = new ArrayList<>();
    do {
      JsonNode page =
          ok(
              call(
                  "GET",
                  users() + "?PageSize=2" + (token == null ? "" : "&PageToken=" + token),
                  ROOT,
                  null),
              200);
      page.get("users").forEach(u -> seen.add(u.get("username").asText()));
      tokens.add(page.get("meta").get("previous_token").asText(null));
      token = page.get("meta").get("next_token").asText(null);
    } while (token != null);
    assertThat(seen).containsExactly("alice", "bob", "carol", "dave", "erin");
    assertThat(tokens.getFirst()).isNull();
    // The last page's previous token leads back to carol and dave.
    JsonNode back =
        ok(call("GET", users() + "?PageSize=2&PageToken=" + tokens.getLast(), ROOT, null), 200);
    assertThat(back.get("users").findValuesAsText("username")).containsExactly("carol", "dave");
    assertThat(back.get("meta").get("next_token").isNull()).isFalse();
    JsonNode first =
        ok(
            call(
                "GET",
                users()
                    + "?PageSize=2&PageToken="
                    + back.get("meta").get("previous_token").asText(),
                ROOT,
                null),
            200);
    assertThat(first.get("users").findValuesAsText("username")).containsExactly("alice", "bob");
    assertThat(first.get("meta").get("previous_token").isNull()).isTrue();
  }

  @Test
  void listRefusesBadPageSizeOrToken() throws Exception {
    assertError(call("GET", users() + "?PageSize=0", ROOT, null), 400, 20001, "PageSize");
    assertError(call("GET", users() + "?PageSize=1001", ROOT, null), 400, 20001, "PageSize");
    assertError(call("GET", users() + "?PageSize=x", ROOT, null), 400, 20001, "PageSize");
    assertError(call("GET", users() + "?PageToken=Zabc", ROOT, null), 400, 20001, "PageToken");
    assertError(call("GET", users() + "?PageToken=N!!", ROOT, null), 400, 20001, "PageToken");
  }

  @Test
  void fetchByUnknownOrMalformedSidIsNotFound() throws Exception {
    assertError(call("GET", users() + "/FU" + "0".repeat(32), ROOT, null), 404, 20404, "");
    assertError(call("GET", users() + "/nope", ROOT, null), 404, 20404, "");
  }

  // ---- update and deprovision ----

  @Test
  void updateChangesOnlyWhatIsGivenAndRaisesVersion() throws Exception {
    JsonNode alice = provision("alice", "agent");
    String path = users() + "/" + alice.get("flex_user_sid").asText();
    JsonNode u = ok(call("POST", path, ROOT, "{\"roles\":[\"admin\"],\"locale\":\"fr-FR\"}"), 200);
    assertThat(u.get("roles").get(0).asText()).isEqualTo("admin");
    assertThat(u.get("locale").asText()).isEqualTo("fr-FR");
    assertThat(u.get("email").asText()).isEqualTo("alice@example.com");
    assertThat(u.get("version").asInt()).isEqualTo(1);
    assertThat(ok(call("GET", path, ROOT, null), 200)).isEqualTo(u);
  }

  @Test
  void updateRefusesBadFieldsAndChangesNothing() throws Exception {
    JsonNode alice = provision("alice", "agent");
    String path = users() + "/" + alice.get("flex_user_sid").asText();
    assertError(
        call("POST", path, ROOT, "{\"email\":\"nope\",\"roles\":[\"admin\"]}"),
        400,
        20001,
        "email");
    assertError(
        call("POST", path, ROOT, "{\"roles\":[\"admin\",\"janitor\"]}"), 400, 20001, "janitor");
    assertError(call("POST", path, ROOT, "{\"username\":\"eve\"}"), 400, 20001, "username");
    assertError(call("POST", path, ROOT, "{\"roles\":\"admin\"}"), 400, 20001, "roles");
    JsonNode now = ok(call("GET", path, ROOT, null), 200);
    assertThat(now.get("roles").get(0).asText()).isEqualTo("agent");
    assertThat(now.get("version").asInt()).isZero();
  }

  @Test
  void deprovisionKeepsTheRecordAndReprovisionReactivatesWithNewWorker() throws Exception {
    JsonNode alice = provision("alice", "agent");
    String fu = alice.get("flex_user_sid").asText();
    String body = "{\"flex_user_sid\":\"" + fu + "\"}";
    HttpResponse<String> r = call("POST", users() + "/Deprovision", ROOT, body);
    assertThat(r.statusCode()).isEqualTo(204);
    assertThat(r.body()).isEmpty();
    JsonNode gone = ok(call("GET", users() + "/" + fu, ROOT, null), 200);
    assertThat(gone.get("deactivated").asBoolean()).isTrue();
    assertThat(gone.get("deactivated_date").asText()).endsWith("Z");
    assertThat(gone.get("worker").get("worker_sid").isNull()).isTrue();
    assertThat(gone.get("username").asText()).isEqualTo("alice");
    assertThat(ok(call("GET", users() + "?Username=alice", ROOT, null), 200).get("users"))
        .hasSize(1);
    // Deprovisioning again changes nothing.
    assertThat(call("POST", users() + "/Deprovision", ROOT, body).statusCode()).isEqualTo(204);
    assertThat(ok(call("GET", users() + "/" + fu, ROOT, null), 200)).isEqualTo(gone);

    JsonNode back = ok(call("POST", users() + "/Provision", ROOT, user("alice", "agent")), 200);
    assertThat(back.get("flex_user_sid").asText()).isEqualTo(fu);
    assertThat(back.get("deactivated").asBoolean()).isFalse();
    assertThat(back.get("deactivated_date").isNull()).isTrue();
    assertThat(back.get("worker").get("worker_sid").asText())
        .matches("WK[0-9a-f]{32}")
        .isNotEqualTo(alice.get("worker").get("worker_sid").asText());
  }

  @Test
  void deprovisionRefusesUnknownOrMissingUser() throws Exception {
    String d = users() + "/Deprovision";
    assertError(
        call("POST", d, ROOT, "{\"flex_user_sid\":\"FU" + "0".repeat(32) + "\"}"), 404, 20404, "");
    assertError(call("POST", d, ROOT, "{\"flex_user_sid\":\"alice\"}"), 404, 20404, "");
    assertError(call("POST", d, ROOT, "{}"), 400, 20001, "flex_user_sid");
  }

  // ---- roles ----

  @Test
  void builtInRolesListTheirPermissionCodes() throws Exception {
    JsonNode roles = ok(call("GET", "/v4/Instances/" + instance + "/Roles", ROOT, null), 200);
    assertThat(roles.get("roles").findValuesAsText("name"))
        .containsExactly("agent", "supervisor", "admin");
    JsonNode agent = roles.get("roles").get(0);
    assertThat(agent.get("built_in").asBoolean()).isTrue();
    assertThat(agent.get("permissions").toString()).isEqualTo("[\"FPN9999\",\"FPN0000\"]");
    assertThat(agent.get("grants").get("task_router").asBoolean()).isTrue();
  }

  @Test
  void customRoleCanBeCreatedHeldAndDeletedOnlyWhenNobodyActiveHoldsIt() throws Exception {
    String roles = "/v4/Instances/" + instance + "/Roles";
    JsonNode qa =
        ok(
            call(
                "POST",
                roles,
                ROOT,
                "{\"name\":\"qa\",\"permissions\":[\"FPN9999\",\"FPN0100\"],\"grants\":{\"video\":{\"room\":\"review\"},\"voice\":{\"incoming_allow\":true}}}"),
            201);
    assertThat(qa.get("built_in").asBoolean()).isFalse();
    assertThat(qa.get("grants").get("video").get("room").asText()).isEqualTo("review");
    assertThat(qa.get("grants").get("voice").get("incoming_allow").asBoolean()).isTrue();
    assertThat(qa.get("grants").get("task_router").asBoolean()).isFalse();
    assertThat(ok(call("GET", roles + "/qa", ROOT, null), 200)).isEqualTo(qa);
    JsonNode eve = provision("eve", "qa");
    assertError(call("DELETE", roles + "/qa", ROOT, null), 409, 20409, "1 active user");
    call(
        "POST",
        users() + "/Deprovision",
        ROOT,
        "{\"flex_user_sid\":\"" + eve.get("flex_user_sid").asText() + "\"}");
    assertThat(call("DELETE", roles + "/qa", ROOT, null).statusCode()).isEqualTo(204);
    assertError(call("GET", roles + "/qa", ROOT, null), 404, 20404, "");
    assertError(call("DELETE", roles + "/qa", ROOT, null), 404, 20404, "");
  }

  @Test
  void roleCreationRefusesBadInput() throws Exception {
    String roles = "/v4/Instances/" + instance + "/Roles";
    assertError(
        call("POST", roles, ROOT, "{\"name\":\"agent\",\"permissions\":[\"FPN9999\"]}"),
        409,
        20409,
        "exists");
    assertError(
        call("POST", roles, ROOT, "{\"name\":\"Q A\",\"permissions\":[\"FPN9999\"]}"),
        400,
        20001,
        "name");
    assertError(call("POST", roles, ROOT, "{\"permissions\":[\"FPN9999\"]}"), 400, 20001, "name");
    assertError(call("POST", roles, ROOT, "{\"name\":\"qa\"}"), 400, 20001, "permissions");
    assertError(
        call("POST", roles, ROOT, "{\"name\":\"qa\",\"permissions\":[]}"),
        400,
        20001,
        "permissions");
    assertError(
        call("POST", roles, ROOT, "{\"name\":\"qa\",\"permissions\":[\"FPN1234\"]}"),
        400,
        20001,
        "FPN1234");
    assertError(
        call(
            "POST",
            roles,
            ROOT,
            "{\"name\":\"qa\",\"permissions\":[\"FPN9999\"],\"grants\":{\"fax\":{}}}"),
        400,
        20001,
        "grants.fax");
    assertError(
        call(
            "POST",
            roles,
            ROOT,
            "{\"name\":\"qa\",\"permissions\":[\"FPN9999\"],\"grants\":{\"voice\":{\"outgoing_application_sid\":\"XX1\"}}}"),
        400,
        20001,
        "outgoing_application_sid");
    assertError(
        call(
            "POST",
            roles,
            ROOT,
            "{\"name\":\"qa\",\"permissions\":[\"FPN9999\"],\"grants\":{\"chat\":{}}}"),
        400,
        20001,
        "service_sid");
    assertError(call("GET", roles + "/qa", ROOT, null), 404, 20404, "");
  }

  @Test
  void builtInRoleKeepsItsPermissionsButItsGrantsCanBeConfigured() throws Exception {
    String agent = "/v4/Instances/" + instance + "/Roles/agent";
    assertError(
        call("POST", agent, ROOT, "{\"permissions\":[\"FPN9999\",\"FPN0200\"]}"),
        400,
        20001,
        "fixed");
    String app = "AP" + "1".repeat(32);
    JsonNode r =
        ok(
            call(
                "POST",
                agent,
                ROOT,
                "{\"grants\":{\"voice\":{\"outgoing_application_sid\":\""
                    + app
                    + "\",\"incoming_allow\":true},\"task_router\":true}}"),
            200);
    assertThat(r.get("grants").get("voice").get("outgoing_application_sid").asText())
        .isEqualTo(app);
    assertThat(r.get("permissions").toString()).isEqualTo("[\"FPN9999\",\"FPN0000\"]");
    assertError(call("DELETE", agent, ROOT, null), 400, 20001, "built-in");
    // The configuration survives a restart.
    server.stop();
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
    assertThat(ok(call("GET", agent, ROOT, null), 200).get("grants")).isEqualTo(r.get("grants"));
  }

  // ---- instances for accounts that predate Flex ----

  @Test
  void accountWithoutInstanceGetsOneOnNextStartAndTheFileFollows() throws Exception {
    server.stop();
    Path fresh = dir.resolve("fresh");
    server = new CallsignServer(db.config(fresh));
    port = server.start();
    String before = Files.readString(server.credentialsFile());
    server.stop();
    try (Database database = db.open(fresh)) {
      database.jdbi().useHandle(h -> h.execute("DELETE FROM flex_instances"));
    }
    server = new CallsignServer(db.config(fresh));
    port = server.start();
    String after = Files.readString(server.credentialsFile());
    String line =
        after.lines().filter(l -> l.startsWith("FLEX_INSTANCE_SID=")).findFirst().orElseThrow();
    assertThat(before).doesNotContain(line);
    assertThat(after.lines().filter(l -> l.startsWith("FLEX_INSTANCE_SID="))).hasSize(1);
    assertThat(after).contains("TWILIO_ACCOUNT_SID=").contains("TWILIO_AUTH_TOKEN=");
  }
}
