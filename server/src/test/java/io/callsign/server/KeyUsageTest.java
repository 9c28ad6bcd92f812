package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.audit.AuditVerifier;
import io.callsign.server.audit.JdbiAuditStore;
import io.callsign.server.config.KeyUsageConfig;
import io.callsign.server.store.Database;
import io.callsign.server.usage.JdbiKeyUsageStore;
import io.callsign.server.usage.KeyUsageStore;
import io.callsign.tokens.sid.KeySid;
import java.net.InetAddress;
import java.net.URI;
import java.net.URLEncoder;
import java.net.UnknownHostException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * API-key usage: counts per day and address, least-privilege suggestions, and the alerts. Requests
 * come from several loopback addresses (127.0.0.x: the server sees the TCP peer, never a
 * forwarded-for header); a clock the test moves stands in for the days passing. Usage is written
 * when the server stops (the periodic write is set to 10 minutes, except where it is the subject),
 * so each check restarts the server first.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class KeyUsageTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "a".repeat(16) + "b".repeat(16);
  private static final String ROOT = basic(SID, TOKEN);
  private static final String ACCOUNT = "/2010-04-01/Accounts/" + SID + ".json";
  private static final String READ_ACCOUNTS = "/twilio/accounts/accounts/read";
  private static final String READ_EVENTS = "/twilio/monitor/events/read";
  private static final String INTROSPECT = "/twilio/iam/access-tokens/introspect";
  private static final String READ_USAGE = "/twilio/iam/api-keys/usage/read";
  private static final String MESSAGING = "/twilio/messaging/messages/read";
  // Tuesday 10:00 UTC.
  private static final Instant START = Instant.parse("2026-11-10T10:00:00Z");
  private static final KeyUsageConfig WRITTEN_ON_STOP =
      new KeyUsageConfig(Duration.ofMinutes(10), 7, 10.0, 1_000, 7, 400);
  private static final Map<String, HttpClient> FROM = new ConcurrentHashMap<>();

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(START);
  private KeyUsageConfig usageConfig = WRITTEN_ON_STOP;
  private CallsignServer server;
  private int port;

  private void start(KeyUsageConfig config) {
    usageConfig = config;
    server =
        new CallsignServer(
            db.config(dir).withRootCredentials(SID, TOKEN).withKeyUsage(usageConfig), clock);
    port = server.start();
  }

  private void start() {
    start(WRITTEN_ON_STOP);
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
    }
  }

  /** Stops (which writes the usage counted so far) and starts again on the same data. */
  private void restart() {
    server.stop();
    start(usageConfig);
  }

  /** An HTTP client whose connections come from {@code address} (any 127.0.0.0/8 address). */
  private static HttpClient from(String address) {
    return FROM.computeIfAbsent(
        address,
        a -> {
          try {
            return HttpClient.newBuilder().localAddress(InetAddress.getByName(a)).build();
          } catch (UnknownHostException e) {
            throw new IllegalStateException(e);
          }
        });
  }

  private HttpResponse<String> send(
      String from, String method, String path, String auth, String contentType, String body)
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
    return from(from).send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String from, String path, String auth) throws Exception {
    return send(from, "GET", path, auth, null, null);
  }

  private static String form(String... pairs) {
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < pairs.length; i += 2) {
      parts.add(pairs[i] + "=" + URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return String.join("&", parts);
  }

  /** A key of {@code type} (restricted with {@code allow}) created by the root account. */
  private Credential key(String type, String... allow) throws Exception {
    List<String> params = new ArrayList<>(List.of("AccountSid", SID, "FriendlyName", type));
    if (!type.equals("standard")) {
      params.addAll(List.of("KeyType", type));
    }
    if (allow.length > 0) {
      params.addAll(List.of("Policy", JSON.writeValueAsString(Map.of("allow", List.of(allow)))));
    }
    HttpResponse<String> r =
        send(
            "127.0.0.1",
            "POST",
            "/v1/Keys",
            ROOT,
            "application/x-www-form-urlencoded",
            form(params.toArray(String[]::new)));
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    JsonNode k = JSON.readTree(r.body());
    return new Credential(
        k.get("sid").asText(), basic(k.get("sid").asText(), k.get("secret").asText()));
  }

  private record Credential(String sid, String auth) {}

  /** {@code times} account fetches by {@code key} from {@code address}, each answered 200. */
  private void fetchAccount(Credential key, String address, int times) throws Exception {
    for (int i = 0; i < times; i++) {
      HttpResponse<String> r = get(address, ACCOUNT, key.auth());
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
  }

  private JsonNode usage(String sk, String query) throws Exception {
    HttpResponse<String> r = get("127.0.0.1", "/v1/Keys/" + sk + "/Usage" + query, ROOT);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private JsonNode suggestedPolicy(String sk, String query) throws Exception {
    HttpResponse<String> r = get("127.0.0.1", "/v1/Keys/" + sk + "/SuggestedPolicy" + query, ROOT);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  private static void assertError(HttpResponse<String> r, int status, int code) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
    assertThat(JSON.readTree(r.body()).get("code").asInt()).isEqualTo(code);
  }

  /** The root account's events of {@code type}, newest first. */
  private List<JsonNode> events(String type) throws Exception {
    HttpResponse<String> r = get("127.0.0.1", "/v1/Events?EventType=" + type, ROOT);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(r.body()).get("events").forEach(out::add);
    return out;
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.asText()));
    return out;
  }

  // --- usage ---

  @Test
  void usageReportsRequestsPerDayAddressesAndTheLastUse() throws Exception {
    start();
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 3);
    fetchAccount(key, "127.0.0.2", 2);
    clock.advance(Duration.ofDays(1).plusHours(2));
    fetchAccount(key, "127.0.0.3", 1);
    restart();

    JsonNode u = usage(key.sid(), "");

    assertThat(u.get("account_sid").asText()).isEqualTo(SID);
    assertThat(u.get("key_sid").asText()).isEqualTo(key.sid());
    assertThat(u.get("window_days").asInt()).isEqualTo(30);
    assertThat(u.get("start_date").asText()).isEqualTo("2026-10-13");
    assertThat(u.get("end_date").asText()).isEqualTo("2026-11-11");
    assertThat(u.get("requests").asLong()).isEqualTo(6);
    assertThat(u.get("last_used_date").asText()).isEqualTo("2026-11-11T12:00:00Z");
    assertThat(u.get("last_used_ip_address").asText()).isEqualTo("127.0.0.3");
    assertThat(u.get("distinct_ip_addresses").asInt()).isEqualTo(3);
    JsonNode addresses = u.get("ip_addresses");
    assertThat(addresses).hasSize(3);
    // Most recently seen first.
    assertThat(addresses.get(0).get("ip_address").asText()).isEqualTo("127.0.0.3");
    JsonNode first =
        addresses.get(1).get("ip_address").asText().equals("127.0.0.1")
            ? addresses.get(1)
            : addresses.get(2);
    assertThat(first.get("requests").asLong()).isEqualTo(3);
    assertThat(first.get("first_seen_date").asText()).isEqualTo("2026-11-10T10:00:00Z");
    assertThat(first.get("last_seen_date").asText()).isEqualTo("2026-11-10T10:00:00Z");
    JsonNode days = u.get("days");
    assertThat(days).hasSize(30);
    assertThat(days.get(0).get("date").asText()).isEqualTo("2026-10-13");
    assertThat(days.get(28).get("date").asText()).isEqualTo("2026-11-10");
    assertThat(days.get(28).get("requests").asLong()).isEqualTo(5);
    assertThat(days.get(28).get("distinct_ip_addresses").asInt()).isEqualTo(2);
    assertThat(days.get(29).get("requests").asLong()).isEqualTo(1);
    assertThat(days.get(29).get("distinct_ip_addresses").asInt()).isEqualTo(1);
    assertThat(days.get(27).get("requests").asLong()).isZero();
    assertThat(u.get("url").asText())
        .isEqualTo("http://127.0.0.1:" + port + "/v1/Keys/" + key.sid() + "/Usage");
  }

  @Test
  void anUnusedKeyHasAnEmptyReport() throws Exception {
    start();
    Credential key = key("standard");

    JsonNode u = usage(key.sid(), "?Days=7");

    assertThat(u.get("requests").asLong()).isZero();
    assertThat(u.get("last_used_date").isNull()).isTrue();
    assertThat(u.get("last_used_ip_address").isNull()).isTrue();
    assertThat(u.get("ip_addresses")).isEmpty();
    assertThat(u.get("days"))
        .hasSize(7)
        .allSatisfy(d -> assertThat(d.get("requests").asLong()).isZero());
  }

  @Test
  void usageIsWrittenOnStopAndAddsUpAcrossRestarts() throws Exception {
    start();
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 2);
    restart();
    fetchAccount(key, "127.0.0.1", 3);
    restart();

    JsonNode u = usage(key.sid(), "?Days=1");

    assertThat(u.get("requests").asLong()).isEqualTo(5);
    assertThat(u.get("ip_addresses").get(0).get("requests").asLong()).isEqualTo(5);
  }

  @Test
  void usageIsWrittenPeriodicallyWhileServing() throws Exception {
    start(new KeyUsageConfig(Duration.ofMillis(100), 7, 10.0, 1_000, 7, 400));
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 4);

    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    long requests = 0;
    while (requests < 4 && System.nanoTime() < deadline) {
      Thread.sleep(50);
      requests = usage(key.sid(), "?Days=1").get("requests").asLong();
    }

    assertThat(requests).isEqualTo(4);
    // The writer's own counts, for operators.
    assertThat(get("127.0.0.1", "/metrics", null).body())
        .contains("callsign_key_usage_write_failures_total")
        .contains("callsign_key_usage_alerts_total{type=\"new_address\"}")
        .contains("callsign_key_usage_unitemized_requests_total");
  }

  @Test
  void usageOlderThanTheRetentionIsDeleted() throws Exception {
    start(new KeyUsageConfig(Duration.ofMillis(100), 7, 10.0, 1_000, 7, 90));
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 1);
    restart();
    clock.advance(Duration.ofDays(40));
    fetchAccount(key, "127.0.0.2", 1);
    restart();
    // One row each of requests, address and permission per day used.
    assertThat(usageRows(key.sid())).isEqualTo(6);

    clock.advance(Duration.ofDays(60));

    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    long rows = usageRows(key.sid());
    while (rows > 3 && System.nanoTime() < deadline) {
      Thread.sleep(100);
      rows = usageRows(key.sid());
    }
    assertThat(rows).as("the rows of the day 100 days ago are gone").isEqualTo(3);
    JsonNode u = usage(key.sid(), "?Days=90");
    assertThat(u.get("requests").asLong()).isEqualTo(1);
    assertThat(u.get("last_used_ip_address").asText()).isEqualTo("127.0.0.2");
  }

  @Test
  void failedAuthenticationsAndAuthTokenRequestsAreNotCounted() throws Exception {
    start();
    Credential key = key("standard");
    String wrong = basic(key.sid(), "W".repeat(43));
    assertThat(get("127.0.0.2", ACCOUNT, wrong).statusCode()).isEqualTo(401);
    assertThat(get("127.0.0.2", ACCOUNT, ROOT).statusCode()).isEqualTo(200);
    fetchAccount(key, "127.0.0.1", 1);
    restart();

    JsonNode u = usage(key.sid(), "?Days=1");

    assertThat(u.get("requests").asLong()).isEqualTo(1);
    assertThat(u.get("distinct_ip_addresses").asInt()).isEqualTo(1);
    assertThat(u.get("last_used_ip_address").asText()).isEqualTo("127.0.0.1");
  }

  @Test
  void aSubaccountsKeyIsReadByTheParentAndNotCountedWhileItsAccountIsSuspended() throws Exception {
    start();
    HttpResponse<String> created =
        send(
            "127.0.0.1",
            "POST",
            "/2010-04-01/Accounts.json",
            ROOT,
            "application/x-www-form-urlencoded",
            "FriendlyName=sub");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    String sub = JSON.readTree(created.body()).get("sid").asText();
    HttpResponse<String> k =
        send(
            "127.0.0.1",
            "POST",
            "/v1/Keys",
            ROOT,
            "application/x-www-form-urlencoded",
            form("AccountSid", sub, "FriendlyName", "sub key"));
    assertThat(k.statusCode()).as(k.body()).isEqualTo(201);
    JsonNode keyJson = JSON.readTree(k.body());
    String sk = keyJson.get("sid").asText();
    String auth = basic(sk, keyJson.get("secret").asText());
    String subAccount = "/2010-04-01/Accounts/" + sub + ".json";
    assertThat(get("127.0.0.1", subAccount, auth).statusCode()).isEqualTo(200);
    assertThat(get("127.0.0.1", subAccount, auth).statusCode()).isEqualTo(200);
    HttpResponse<String> suspended =
        send(
            "127.0.0.1",
            "POST",
            subAccount,
            ROOT,
            "application/x-www-form-urlencoded",
            "Status=suspended");
    assertThat(suspended.statusCode()).as(suspended.body()).isEqualTo(200);
    assertError(get("127.0.0.1", subAccount, auth), 401, 20005);
    restart();

    JsonNode u = usage(sk, "");

    assertThat(u.get("account_sid").asText()).isEqualTo(sub);
    assertThat(u.get("requests").asLong()).isEqualTo(2);
  }

  @Test
  void theDaysParameterSetsTheWindowAndOutOfRangeValuesAreRefused() throws Exception {
    start();
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 2);
    clock.advance(Duration.ofDays(2));
    fetchAccount(key, "127.0.0.2", 1);
    restart();

    JsonNode today = usage(key.sid(), "?Days=1");
    JsonNode three = usage(key.sid(), "?Days=3");
    JsonNode longest = usage(key.sid(), "?Days=90");

    assertThat(today.get("requests").asLong()).isEqualTo(1);
    assertThat(today.get("distinct_ip_addresses").asInt()).isEqualTo(1);
    assertThat(today.get("ip_addresses")).hasSize(1);
    assertThat(three.get("requests").asLong()).isEqualTo(3);
    assertThat(longest.get("days")).hasSize(90);
    for (String bad : List.of("0", "91", "-1", "seven", "", "1.5")) {
      assertError(
          get("127.0.0.1", "/v1/Keys/" + key.sid() + "/Usage?Days=" + bad, ROOT), 400, 20001);
      assertError(
          get("127.0.0.1", "/v1/Keys/" + key.sid() + "/SuggestedPolicy?Days=" + bad, ROOT),
          400,
          20001);
    }
  }

  @Test
  void anotherAccountsKeyAndUnknownOrMalformedKeysAreNotFound() throws Exception {
    start();
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 1);
    String otherToken = "c".repeat(32);
    String other = db.insertMainAccount(dir, otherToken).value();
    restart();

    for (String path :
        List.of("/v1/Keys/" + key.sid() + "/Usage", "/v1/Keys/" + key.sid() + "/SuggestedPolicy")) {
      HttpResponse<String> r = get("127.0.0.1", path, basic(other, otherToken));
      assertError(r, 404, 20404);
      assertThat(r.body()).doesNotContain("127.0.0.1");
    }
    assertError(get("127.0.0.1", "/v1/Keys/SK" + "9".repeat(32) + "/Usage", ROOT), 404, 20404);
    assertError(get("127.0.0.1", "/v1/Keys/nonsense/Usage", ROOT), 404, 20404);
    assertError(
        get("127.0.0.1", "/v1/Keys/SK" + "9".repeat(32) + "/SuggestedPolicy", ROOT), 404, 20404);
  }

  @Test
  void usageCannotBeChangedThroughTheApi() throws Exception {
    start();
    Credential key = key("standard");
    for (String method : List.of("POST", "DELETE", "PUT")) {
      assertThat(
              send("127.0.0.1", method, "/v1/Keys/" + key.sid() + "/Usage", ROOT, null, null)
                  .statusCode())
          .as(method)
          .isEqualTo(405);
    }
  }

  @Test
  void aDeletedKeysUsageIsNotFoundAndItsRowsGoWithIt() throws Exception {
    start();
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 2);
    restart();
    assertThat(usage(key.sid(), "").get("requests").asLong()).isEqualTo(2);

    assertThat(send("127.0.0.1", "DELETE", "/v1/Keys/" + key.sid(), ROOT, null, null).statusCode())
        .isEqualTo(204);

    assertError(get("127.0.0.1", "/v1/Keys/" + key.sid() + "/Usage", ROOT), 404, 20404);
    assertError(get("127.0.0.1", "/v1/Keys/" + key.sid() + "/SuggestedPolicy", ROOT), 404, 20404);
    server.stop();
    assertThat(usageRows(key.sid())).isZero();
    start();
  }

  private long usageRows(String sk) {
    try (Database database = db.open(dir)) {
      return database
          .jdbi()
          .withHandle(
              h -> {
                long n = 0;
                for (String table :
                    List.of("key_usage_days", "key_usage_addresses", "key_usage_permissions")) {
                  n +=
                      h.createQuery("SELECT COUNT(*) FROM " + table + " WHERE key_sid = :key")
                          .bind("key", sk)
                          .mapTo(Long.class)
                          .one();
                }
                return n;
              });
    }
  }

  @Test
  void requestsOfAKeyDeletedBeforeTheWriteAreDroppedAndTheOthersStillWritten() throws Exception {
    start();
    Credential gone = key("standard");
    Credential kept = key("standard");
    fetchAccount(gone, "127.0.0.1", 2);
    fetchAccount(kept, "127.0.0.1", 3);
    assertThat(send("127.0.0.1", "DELETE", "/v1/Keys/" + gone.sid(), ROOT, null, null).statusCode())
        .isEqualTo(204);
    restart();

    assertThat(usage(kept.sid(), "").get("requests").asLong()).isEqualTo(3);
    server.stop();
    assertThat(usageRows(gone.sid())).isZero();
    start();
  }

  // --- who may read it ---

  @Test
  void standardKeysAndRestrictedKeysWithoutTheUsagePermissionAreRefused() throws Exception {
    start();
    Credential subject = key("standard");
    Credential standard = key("standard");
    Credential events = key("restricted", READ_EVENTS);
    String unknown = "SK" + "9".repeat(32);

    for (String sk : List.of(subject.sid(), unknown)) {
      assertError(get("127.0.0.1", "/v1/Keys/" + sk + "/Usage", standard.auth()), 401, 20003);
      assertError(
          get("127.0.0.1", "/v1/Keys/" + sk + "/SuggestedPolicy", standard.auth()), 401, 20003);
      // Refused before the key is looked up: a caller without the permission learns nothing.
      assertError(get("127.0.0.1", "/v1/Keys/" + sk + "/Usage", events.auth()), 403, 70051);
      assertError(
          get("127.0.0.1", "/v1/Keys/" + sk + "/SuggestedPolicy", events.auth()), 403, 70051);
    }
    assertError(get("127.0.0.1", "/v1/Keys/" + subject.sid() + "/Usage", null), 401, 20003);
  }

  @Test
  void mainKeysAndRestrictedKeysWithTheUsagePermissionMayRead() throws Exception {
    start();
    Credential subject = key("standard");
    Credential main = key("main");
    Credential watcher = key("restricted", READ_USAGE);

    assertThat(get("127.0.0.1", "/v1/Keys/" + subject.sid() + "/Usage", main.auth()).statusCode())
        .isEqualTo(200);
    assertThat(
            get("127.0.0.1", "/v1/Keys/" + subject.sid() + "/Usage", watcher.auth()).statusCode())
        .isEqualTo(200);
    assertThat(
            get("127.0.0.1", "/v1/Keys/" + subject.sid() + "/SuggestedPolicy", watcher.auth())
                .statusCode())
        .isEqualTo(200);
  }

  // --- least privilege ---

  @Test
  void aRestrictedKeysSuggestionNamesWhatItUsedAndLeavesOutWhatItDidNot() throws Exception {
    start();
    Credential key = key("restricted", READ_ACCOUNTS, READ_EVENTS, INTROSPECT, MESSAGING);
    fetchAccount(key, "127.0.0.1", 3);
    assertThat(get("127.0.0.1", "/v1/Events", key.auth()).statusCode()).isEqualTo(200);
    // Refused calls are not uses.
    assertThat(get("127.0.0.1", "/v4/Instances", key.auth()).statusCode()).isEqualTo(403);
    restart();

    JsonNode s = suggestedPolicy(key.sid(), "");

    assertThat(s.get("key_type").asText()).isEqualTo("restricted");
    assertThat(s.get("window_days").asInt()).isEqualTo(30);
    JsonNode used = s.get("permissions_used");
    assertThat(used).hasSize(2);
    assertThat(used.get(0).get("permission").asText()).isEqualTo(READ_ACCOUNTS);
    assertThat(used.get(0).get("requests").asLong()).isEqualTo(3);
    assertThat(used.get(0).get("grantable_by_policy").asBoolean()).isTrue();
    assertThat(used.get(0).get("last_used_date").asText()).isEqualTo("2026-11-10T10:00:00Z");
    assertThat(used.get(1).get("permission").asText()).isEqualTo(READ_EVENTS);
    assertThat(s.get("least_key_type").asText()).isEqualTo("restricted");
    assertThat(texts(s.get("suggested_policy").get("allow")))
        .containsExactly(READ_ACCOUNTS, READ_EVENTS);
    assertThat(texts(s.get("current_policy").get("allow")))
        .containsExactly(READ_ACCOUNTS, READ_EVENTS, INTROSPECT, MESSAGING);
    assertThat(texts(s.get("unused_permissions"))).containsExactly(INTROSPECT);
    assertThat(texts(s.get("unobserved_permissions"))).containsExactly(MESSAGING);
    assertThat(s.get("explanation").asText()).contains("1 permission").contains("unobserved");
  }

  @Test
  void theSuggestedPolicyIsAcceptedAsARestrictedKeysPolicy() throws Exception {
    start();
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 1);
    assertThat(get("127.0.0.1", "/v1/Events", key.auth()).statusCode()).isEqualTo(200);
    restart();
    String[] allow =
        texts(suggestedPolicy(key.sid(), "").get("suggested_policy").get("allow"))
            .toArray(String[]::new);

    Credential replacement = key("restricted", allow);

    fetchAccount(replacement, "127.0.0.1", 1);
    assertThat(get("127.0.0.1", "/v1/Events", replacement.auth()).statusCode()).isEqualTo(200);
  }

  @Test
  void aMainKeyThatOnlyReadEventsWouldHaveDoneAsARestrictedKey() throws Exception {
    start();
    Credential key = key("main");
    assertThat(get("127.0.0.1", "/v1/Events", key.auth()).statusCode()).isEqualTo(200);
    restart();

    JsonNode s = suggestedPolicy(key.sid(), "");

    assertThat(s.get("key_type").asText()).isEqualTo("main");
    assertThat(s.get("least_key_type").asText()).isEqualTo("restricted");
    assertThat(texts(s.get("suggested_policy").get("allow"))).containsExactly(READ_EVENTS);
    assertThat(s.get("current_policy").isNull()).isTrue();
    assertThat(texts(s.get("unused_permissions")))
        .contains("credentials-manage", "access-tokens-create", READ_ACCOUNTS)
        .doesNotContain(READ_EVENTS);
    assertThat(s.get("explanation").asText()).contains("restricted key");
  }

  @Test
  void aMainKeyThatManagedKeysMustStayAMainKey() throws Exception {
    start();
    Credential key = key("main");
    HttpResponse<String> created =
        send(
            "127.0.0.1",
            "POST",
            "/2010-04-01/Accounts/" + SID + "/Keys.json",
            key.auth(),
            "application/x-www-form-urlencoded",
            "FriendlyName=made");
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    assertThat(get("127.0.0.1", "/v1/Events", key.auth()).statusCode()).isEqualTo(200);
    restart();

    JsonNode s = suggestedPolicy(key.sid(), "");

    assertThat(s.get("least_key_type").asText()).isEqualTo("main");
    assertThat(s.get("permissions_used").findValuesAsText("permission"))
        .containsExactlyInAnyOrder("credentials-manage", READ_EVENTS);
    JsonNode manage =
        s.get("permissions_used").get(0).get("permission").asText().equals("credentials-manage")
            ? s.get("permissions_used").get(0)
            : s.get("permissions_used").get(1);
    assertThat(manage.get("grantable_by_policy").asBoolean()).isFalse();
    // The part a policy can grant, for a restricted key beside it.
    assertThat(texts(s.get("suggested_policy").get("allow"))).containsExactly(READ_EVENTS);
  }

  @Test
  void aStandardKeyThatMintedAccessTokensMustStayAStandardKey() throws Exception {
    start();
    Credential key = key("standard");
    HttpResponse<String> minted =
        send(
            "127.0.0.1",
            "POST",
            "/v1/AccessTokens",
            key.auth(),
            "application/json",
            "{\"identity\":\"alice\"}");
    assertThat(minted.statusCode()).as(minted.body()).isEqualTo(201);
    restart();

    JsonNode s = suggestedPolicy(key.sid(), "");

    assertThat(s.get("least_key_type").asText()).isEqualTo("standard");
    assertThat(s.get("suggested_policy").isNull()).isTrue();
    assertThat(s.get("explanation").asText()).contains("access-tokens-create");
  }

  @Test
  void aKeyUnusedInTheWindowGetsNoSuggestedPolicy() throws Exception {
    start();
    Credential key = key("restricted", READ_ACCOUNTS);
    fetchAccount(key, "127.0.0.1", 1);
    clock.advance(Duration.ofDays(10));
    restart();

    JsonNode recent = suggestedPolicy(key.sid(), "?Days=7");
    JsonNode month = suggestedPolicy(key.sid(), "?Days=30");

    assertThat(recent.get("window_days").asInt()).isEqualTo(7);
    assertThat(recent.get("permissions_used")).isEmpty();
    assertThat(recent.get("least_key_type").isNull()).isTrue();
    assertThat(recent.get("suggested_policy").isNull()).isTrue();
    assertThat(texts(recent.get("unused_permissions"))).containsExactly(READ_ACCOUNTS);
    assertThat(recent.get("explanation").asText()).contains("not used in the last 7 days");
    assertThat(texts(month.get("suggested_policy").get("allow"))).containsExactly(READ_ACCOUNTS);
  }

  // --- alerts ---

  @Test
  void aNewAddressAfterAQuietPeriodRaisesOneAlertPerQuietPeriod() throws Exception {
    start();
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 1);
    restart();
    clock.advance(Duration.ofDays(8));
    fetchAccount(key, "127.0.0.1", 1);
    fetchAccount(key, "127.0.0.2", 1);
    fetchAccount(key, "127.0.0.3", 1);
    restart();
    // Another new address the same day: the key is no longer quiet.
    fetchAccount(key, "127.0.0.4", 1);
    restart();

    List<JsonNode> alerts = events("api-key.new-address");

    assertThat(alerts).hasSize(1);
    JsonNode e = alerts.getFirst();
    assertThat(e.get("account_sid").asText()).isEqualTo(SID);
    assertThat(e.get("actor_sid").asText()).isEqualTo(key.sid());
    assertThat(e.get("actor_type").asText()).isEqualTo("api-key");
    assertThat(e.get("resource_sid").asText()).isEqualTo(key.sid());
    assertThat(e.get("resource_type").asText()).isEqualTo("api-key");
    assertThat(e.get("source").asText()).isEqualTo("system");
    assertThat(e.get("source_ip_address").asText()).isEqualTo("127.0.0.2");
    assertThat(e.get("event_date").asText()).isEqualTo("2026-11-18T10:00:00Z");
    JsonNode data = e.get("event_data");
    assertThat(texts(data.get("ip_addresses"))).containsExactly("127.0.0.2", "127.0.0.3");
    assertThat(data.get("previous_new_address_date").asText()).isEqualTo("2026-11-10T10:00:00Z");
    // The last use already written when the alert was judged: idle since then.
    assertThat(data.get("previous_last_used_date").asText()).isEqualTo("2026-11-10T10:00:00Z");
    assertThat(data.get("previous_last_used_ip_address").asText()).isEqualTo("127.0.0.1");
    assertThat(data.get("days_without_new_address").asInt()).isEqualTo(8);
    assertThat(data.get("quiet_days").asInt()).isEqualTo(7);

    // Quiet again for a week: the next new address alerts again.
    clock.advance(Duration.ofDays(7));
    fetchAccount(key, "127.0.0.5", 1);
    restart();
    assertThat(events("api-key.new-address")).hasSize(2);
    server.stop();
    try (Database database = db.open(dir)) {
      AuditVerifier.Result chain = AuditVerifier.verify(new JdbiAuditStore(database.jdbi()));
      assertThat(chain.ok()).as(chain.problem()).isTrue();
    }
    start();
  }

  @Test
  void newAddressesWithinTheQuietPeriodOrOnFirstUseRaiseNoAlert() throws Exception {
    start();
    Credential key = key("standard");
    // First use, from two addresses: nothing to compare with.
    fetchAccount(key, "127.0.0.1", 1);
    fetchAccount(key, "127.0.0.2", 1);
    restart();
    clock.advance(Duration.ofDays(6).plusHours(23));
    fetchAccount(key, "127.0.0.3", 1);
    restart();
    // Eight days after the first addresses, but one after the last new one.
    clock.advance(Duration.ofDays(1).plusHours(1));
    fetchAccount(key, "127.0.0.4", 1);
    // Known addresses after a long pause are not new.
    clock.advance(Duration.ofDays(30));
    fetchAccount(key, "127.0.0.1", 1);
    restart();

    assertThat(events("api-key.new-address")).isEmpty();
  }

  @Test
  void volumeWellAboveTheUsualLevelRaisesOneAlertAndNotAtTheThreshold() throws Exception {
    // Threshold: more than max(3 x the 7-day average, 5).
    start(new KeyUsageConfig(Duration.ofMinutes(10), 7, 3.0, 5, 7, 400));
    Credential key = key("standard");
    for (int day = 1; day <= 7; day++) {
      clock.advance(Duration.ofDays(1));
      fetchAccount(key, "127.0.0.1", 2);
    }
    clock.advance(Duration.ofDays(1));
    fetchAccount(key, "127.0.0.1", 6);
    restart();
    assertThat(events("api-key.volume-spike")).as("at the threshold").isEmpty();

    fetchAccount(key, "127.0.0.1", 1);
    restart();
    fetchAccount(key, "127.0.0.1", 5);
    restart();

    List<JsonNode> alerts = events("api-key.volume-spike");
    assertThat(alerts).hasSize(1);
    JsonNode e = alerts.getFirst();
    assertThat(e.get("actor_sid").asText()).isEqualTo(key.sid());
    assertThat(e.get("resource_sid").asText()).isEqualTo(key.sid());
    JsonNode data = e.get("event_data");
    assertThat(data.get("date").asText()).isEqualTo("2026-11-18");
    assertThat(data.get("requests").asLong()).isEqualTo(7);
    assertThat(data.get("baseline_daily_average").asDouble()).isEqualTo(2.0);
    assertThat(data.get("baseline_days").asInt()).isEqualTo(7);
    assertThat(data.get("threshold").asDouble()).isEqualTo(6.0);
  }

  @Test
  void volumeAboveTheFactorButUnderTheFloorOrOnAKeysFirstDayRaisesNoAlert() throws Exception {
    // Default floor: 1,000 requests a day; factor 10.
    start();
    Credential old = key("standard");
    clock.advance(Duration.ofDays(1));
    fetchAccount(old, "127.0.0.1", 1);
    clock.advance(Duration.ofDays(1));
    fetchAccount(old, "127.0.0.1", 30);
    restart();
    assertThat(events("api-key.volume-spike")).as("under the floor").isEmpty();
    server.stop();

    start(new KeyUsageConfig(Duration.ofMinutes(10), 7, 3.0, 1, 7, 400));
    Credential fresh = key("standard");
    fetchAccount(fresh, "127.0.0.1", 20);
    restart();
    assertThat(events("api-key.volume-spike")).as("on the day the key was created").isEmpty();
  }

  @Test
  void eachAlertIsClaimedOncePerKeyAndDay() throws Exception {
    start();
    Credential key = key("standard");
    fetchAccount(key, "127.0.0.1", 1);
    server.stop();
    long day = START.toEpochMilli() / 86_400_000L;
    try (Database database = db.open(dir)) {
      KeyUsageStore store = new JdbiKeyUsageStore(database.jdbi());
      KeySid sid = KeySid.of(key.sid());
      assertThat(store.claimAlert(sid, day, KeyUsageStore.Alert.NEW_ADDRESS)).isTrue();
      assertThat(store.claimAlert(sid, day, KeyUsageStore.Alert.NEW_ADDRESS)).isFalse();
      assertThat(store.claimAlert(sid, day, KeyUsageStore.Alert.VOLUME)).isTrue();
      assertThat(store.claimAlert(sid, day + 1, KeyUsageStore.Alert.VOLUME))
          .as("a day without usage")
          .isFalse();
    }
    start();
  }
}
