package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.twilio.base.ResourceSet;
import com.twilio.rest.monitor.v1.Event;
import io.callsign.server.audit.AuditVerifier;
import io.callsign.server.audit.JdbiAuditStore;
import io.callsign.server.store.Database;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.StreamSupport;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/** The audit trail: events for changes and authentications, the Events API, the hash chain. */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class AuditTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "a".repeat(16) + "b".repeat(16);
  private static final String ROOT = basic(SID, TOKEN);

  @TempDir Path dir;
  private CallsignServer server;
  private int port;

  @BeforeEach
  void start() {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private void restart() {
    server.stop();
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
  }

  private HttpResponse<String> form(String path, String auth, String body) throws Exception {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .header("Content-Type", "application/x-www-form-urlencoded")
            .header("User-Agent", "audit-test/1.0")
            .POST(HttpRequest.BodyPublishers.ofString(body));
    if (auth != null) {
      b.header("Authorization", auth);
    }
    return TestServers.HTTP.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private JsonNode createKey() throws Exception {
    HttpResponse<String> r =
        form("/2010-04-01/Accounts/" + SID + "/Keys.json", ROOT, "FriendlyName=ci");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
    return JSON.readTree(r.body());
  }

  /** Every event of the root account, newest first, once the batched ones are written. */
  private List<JsonNode> events(String query) throws Exception {
    // Authentication events are written in batches every 200 ms; a restart flushes them.
    restart();
    HttpResponse<String> r = TestServers.get(port, "/v1/Events" + query, ROOT);
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    List<JsonNode> out = new ArrayList<>();
    JSON.readTree(r.body()).get("events").forEach(out::add);
    return out;
  }

  private static List<JsonNode> ofType(List<JsonNode> events, String type) {
    return events.stream().filter(e -> e.get("event_type").asText().equals(type)).toList();
  }

  @Test
  void keyCreationIsRecordedWithActorSourceAndNoSecret() throws Exception {
    JsonNode key = createKey();
    List<JsonNode> created = ofType(events(""), "api-key.created");
    assertThat(created).hasSize(1);
    JsonNode e = created.getFirst();
    assertThat(e.get("sid").asText()).matches("AE[0-9a-f]{32}");
    assertThat(e.get("account_sid").asText()).isEqualTo(SID);
    assertThat(e.get("actor_sid").asText()).isEqualTo(SID);
    assertThat(e.get("actor_type").asText()).isEqualTo("account");
    assertThat(e.get("resource_sid").asText()).isEqualTo(key.get("sid").asText());
    assertThat(e.get("resource_type").asText()).isEqualTo("api-key");
    assertThat(e.get("source").asText()).isEqualTo("api");
    assertThat(e.get("source_ip_address").asText()).isEqualTo("127.0.0.1");
    assertThat(e.get("user_agent").asText()).isEqualTo("audit-test/1.0");
    assertThat(e.get("event_data").get("friendly_name").asText()).isEqualTo("ci");
    assertThat(e.get("event_date").asText()).matches("\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ");
    assertThat(e.toString()).doesNotContain(key.get("secret").asText());
  }

  @Test
  void keyDeletionAndAuthTokenPromotionAreRecorded() throws Exception {
    JsonNode key = createKey();
    String sk = key.get("sid").asText();
    HttpRequest delete =
        HttpRequest.newBuilder(
                URI.create(
                    "http://127.0.0.1:"
                        + port
                        + "/2010-04-01/Accounts/"
                        + SID
                        + "/Keys/"
                        + sk
                        + ".json"))
            .header("Authorization", ROOT)
            .DELETE()
            .build();
    assertThat(TestServers.HTTP.send(delete, HttpResponse.BodyHandlers.ofString()).statusCode())
        .isEqualTo(204);
    HttpResponse<String> secondary = form("/v1/AuthTokens/Secondary", ROOT, "");
    assertThat(secondary.statusCode()).isEqualTo(201);
    String promotedToken = JSON.readTree(secondary.body()).get("secondary_auth_token").asText();
    assertThat(form("/v1/AuthTokens/Promote", ROOT, "").statusCode()).isEqualTo(200);
    restart();
    HttpResponse<String> r = TestServers.get(port, "/v1/Events", basic(SID, promotedToken));
    List<JsonNode> events = new ArrayList<>();
    JSON.readTree(r.body()).get("events").forEach(events::add);
    assertThat(ofType(events, "api-key.deleted"))
        .singleElement()
        .satisfies(e -> assertThat(e.get("resource_sid").asText()).isEqualTo(sk));
    assertThat(ofType(events, "secondary-auth-token.created")).hasSize(1);
    assertThat(ofType(events, "auth-token.promoted")).hasSize(1);
  }

  @Test
  void failedAuthenticationIsRecordedWithoutTheSecretTried() throws Exception {
    JsonNode key = createKey();
    String sk = key.get("sid").asText();
    String wrong = "W".repeat(43);
    assertThat(
            TestServers.get(port, "/2010-04-01/Accounts/" + SID + ".json", basic(sk, wrong))
                .statusCode())
        .isEqualTo(401);
    String unknown = "SK" + "9".repeat(32);
    assertThat(
            TestServers.get(port, "/2010-04-01/Accounts/" + SID + ".json", basic(unknown, wrong))
                .statusCode())
        .isEqualTo(401);
    List<JsonNode> failed = ofType(events("?EventType=auth.failed"), "auth.failed");
    assertThat(failed)
        .extracting(e -> e.get("event_data").get("attempted_sid").asText())
        .contains(sk, unknown);
    assertThat(failed.toString()).doesNotContain(wrong);
    JsonNode known =
        failed.stream()
            .filter(e -> e.get("resource_sid").asText().equals(sk))
            .findFirst()
            .orElseThrow();
    assertThat(known.get("actor_type").asText()).isEqualTo("anonymous");
    assertThat(known.get("event_data").get("credential_kind").asText()).isEqualTo("api-key");
  }

  @Test
  void successfulAuthenticationIsRecordedWithItsCredentialKind() throws Exception {
    JsonNode key = createKey();
    String std = basic(key.get("sid").asText(), key.get("secret").asText());
    assertThat(TestServers.get(port, "/2010-04-01/Accounts/" + SID + ".json", std).statusCode())
        .isEqualTo(200);
    List<JsonNode> ok = ofType(events("?ActorSid=" + key.get("sid").asText()), "auth.succeeded");
    assertThat(ok)
        .singleElement()
        .satisfies(
            e ->
                assertThat(e.get("event_data").get("credential_kind").asText())
                    .isEqualTo("standard-key"));
  }

  @Test
  void twilioJavaReadsEventsWithFiltersAndPages() throws Exception {
    for (int i = 0; i < 5; i++) {
      createKey();
    }
    restart();
    var client = TestServers.twilioClient(new LoopbackTwilioClient(port), SID, TOKEN, SID);
    ResourceSet<Event> created =
        Event.reader().setEventType("api-key.created").setPageSize(2L).read(client);
    List<Event> all = StreamSupport.stream(created.spliterator(), false).toList();
    assertThat(all).hasSize(5);
    assertThat(all).allSatisfy(e -> assertThat(e.getEventType()).isEqualTo("api-key.created"));
    // Newest first.
    assertThat(all.getFirst().getEventDate()).isAfterOrEqualTo(all.getLast().getEventDate());
    Event one = Event.fetcher(all.getFirst().getSid()).fetch(client);
    assertThat(one.getResourceSid()).isEqualTo(all.getFirst().getResourceSid());
    List<Event> none =
        StreamSupport.stream(
                Event.reader()
                    .setEventType("api-key.created")
                    .setEndDate(java.time.ZonedDateTime.parse("2001-01-01T00:00:00Z"))
                    .read(client)
                    .spliterator(),
                false)
            .toList();
    assertThat(none).isEmpty();
  }

  @Test
  void eventsCannotBeChangedOrDeletedThroughTheApi() throws Exception {
    createKey();
    String sid = events("").getFirst().get("sid").asText();
    for (String method : List.of("POST", "DELETE", "PUT")) {
      HttpRequest r =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/v1/Events/" + sid))
              .header("Authorization", ROOT)
              .method(method, HttpRequest.BodyPublishers.noBody())
              .build();
      assertThat(TestServers.HTTP.send(r, HttpResponse.BodyHandlers.ofString()).statusCode())
          .as(method)
          .isEqualTo(405);
    }
  }

  @Test
  void anotherAccountSeesNoneOfTheseEvents() throws Exception {
    createKey();
    String other = db.insertMainAccount(dir, "c".repeat(32)).value();
    String sid = events("").getFirst().get("sid").asText();
    HttpResponse<String> list = TestServers.get(port, "/v1/Events", basic(other, "c".repeat(32)));
    assertThat(JSON.readTree(list.body()).get("events").toString()).doesNotContain(sid);
    assertThat(
            TestServers.get(port, "/v1/Events/" + sid, basic(other, "c".repeat(32))).statusCode())
        .isEqualTo(404);
  }

  @Test
  void badFiltersAreRefused() throws Exception {
    assertThat(TestServers.get(port, "/v1/Events?StartDate=yesterday", ROOT).statusCode())
        .isEqualTo(400);
    assertThat(TestServers.get(port, "/v1/Events?PageSize=0", ROOT).statusCode()).isEqualTo(400);
    assertThat(TestServers.get(port, "/v1/Events?PageToken=XX1", ROOT).statusCode()).isEqualTo(400);
    assertThat(TestServers.get(port, "/v1/Events/AEnope", ROOT).statusCode()).isEqualTo(404);
  }

  @Test
  void chainVerifiesAndATamperedEventIsNamed() throws Exception {
    createKey();
    createKey();
    server.stop();
    try (Database database = db.open(dir)) {
      JdbiAuditStore store = new JdbiAuditStore(database.jdbi());
      AuditVerifier.Result ok = AuditVerifier.verify(store);
      assertThat(ok.ok()).as(ok.problem()).isTrue();
      assertThat(ok.events()).isGreaterThanOrEqualTo(2);
      database
          .jdbi()
          .useHandle(
              h ->
                  h.execute(
                      "UPDATE audit_events SET description = 'nothing happened' WHERE seq = 1"));
      AuditVerifier.Result broken = AuditVerifier.verify(store);
      assertThat(broken.ok()).isFalse();
      assertThat(broken.problem()).startsWith("event 1 ").contains("altered");
    }
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
  }

  @Test
  void deletedEventsAndATruncatedEndAreDetected() throws Exception {
    createKey();
    createKey();
    createKey();
    server.stop();
    try (Database database = db.open(dir)) {
      JdbiAuditStore store = new JdbiAuditStore(database.jdbi());
      long head = store.chain().headSeq();
      database.jdbi().useHandle(h -> h.execute("DELETE FROM audit_events WHERE seq = 2"));
      assertThat(AuditVerifier.verify(store).problem()).startsWith("event 3 ").contains("missing");
      database.jdbi().useHandle(h -> h.execute("DELETE FROM audit_events WHERE seq >= 2"));
      assertThat(AuditVerifier.verify(store).problem()).contains("head says " + head);
    }
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
  }

  /** Restarts the server on {@code clock}, keeping audit events for {@code retention}. */
  private void restartAt(MutableClock clock, Duration retention) {
    server.stop();
    server =
        new CallsignServer(
            db.config(dir).withRootCredentials(SID, TOKEN).withAuditRetention(retention), clock);
    port = server.start();
  }

  private long countEvents() {
    try (Database database = db.open(dir)) {
      long[] n = {0};
      new JdbiAuditStore(database.jdbi()).forEach(0, e -> ++n[0] > 0);
      return n[0];
    }
  }

  @Test
  void startWhenEventsOutliveRetentionThenPrunesThemAndTheRestVerifies() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    restartAt(clock, Duration.ofDays(30));
    createKey();
    createKey();
    server.stop();
    long before = countEvents();
    assertThat(before).isGreaterThanOrEqualTo(2);

    clock.advance(Duration.ofDays(31));
    restartAt(clock, Duration.ofDays(30));
    JsonNode fresh = createKey();
    // The first prune runs in the background right after start.
    Instant deadline = Instant.now().plusSeconds(20);
    List<JsonNode> left;
    do {
      Thread.sleep(50);
      HttpResponse<String> r = TestServers.get(port, "/v1/Events?PageSize=1000", ROOT);
      left = new ArrayList<>();
      JSON.readTree(r.body()).get("events").forEach(left::add);
    } while (ofType(left, "api-key.created").size() != 1 && Instant.now().isBefore(deadline));
    assertThat(ofType(left, "api-key.created"))
        .singleElement()
        .satisfies(
            e -> assertThat(e.get("resource_sid").asText()).isEqualTo(fresh.get("sid").asText()));
    server.stop();
    try (Database database = db.open(dir)) {
      JdbiAuditStore store = new JdbiAuditStore(database.jdbi());
      AuditVerifier.Result r = AuditVerifier.verify(store);
      assertThat(r.ok()).as(r.problem()).isTrue();
      assertThat(store.chain().anchorSeq()).isGreaterThanOrEqualTo(before);
    }
  }

  @Test
  void startWhenRetentionIsZeroThenKeepsEveryEvent() throws Exception {
    MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
    restartAt(clock, Duration.ZERO);
    createKey();
    server.stop();
    long before = countEvents();
    clock.advance(Duration.ofDays(3650));
    restartAt(clock, Duration.ZERO);
    createKey();
    server.stop();
    // Nothing pruned: the old events are all there, plus the new ones.
    assertThat(countEvents()).isGreaterThan(before);
    try (Database database = db.open(dir)) {
      assertThat(new JdbiAuditStore(database.jdbi()).chain().anchorSeq()).isZero();
    }
  }

  @Test
  void pruneWhenMoreDueThanOneBatchThenDeletesInBatchesAndStaysVerifiable() throws Exception {
    for (int i = 0; i < 5; i++) {
      createKey();
    }
    server.stop();
    try (Database database = db.open(dir)) {
      JdbiAuditStore store = new JdbiAuditStore(database.jdbi());
      long head = store.chain().headSeq();
      assertThat(store.pruneBefore(Instant.now().plusSeconds(1), 2)).isEqualTo(2);
      assertThat(store.chain().anchorSeq()).isEqualTo(2);
      assertThat(AuditVerifier.verify(store).ok()).isTrue();
      assertThat(store.pruneBefore(Instant.now().plusSeconds(1), 1_000)).isEqualTo(head - 2);
      assertThat(AuditVerifier.verify(store).ok()).isTrue();
    }
    restart();
  }

  @Test
  void pruningKeepsTheRemainingChainVerifiable() throws Exception {
    createKey();
    createKey();
    server.stop();
    try (Database database = db.open(dir)) {
      JdbiAuditStore store = new JdbiAuditStore(database.jdbi());
      long head = store.chain().headSeq();
      // Every event is older than "now + 1 s": all go.
      int pruned = store.pruneBefore(Instant.now().plusSeconds(1), 1_000);
      assertThat(pruned).isEqualTo(head);
      assertThat(AuditVerifier.verify(store).ok()).isTrue();
    }
    restart();
    createKey();
    server.stop();
    try (Database database = db.open(dir)) {
      AuditVerifier.Result r = AuditVerifier.verify(new JdbiAuditStore(database.jdbi()));
      assertThat(r.ok()).as(r.problem()).isTrue();
      assertThat(r.events()).isGreaterThanOrEqualTo(1);
    }
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
  }

  @Test
  void aChangeWhoseEventCannotBeWrittenIsNotMade() throws Exception {
    try (Database database = db.open(dir)) {
      database
          .jdbi()
          .useHandle(h -> h.execute("ALTER TABLE audit_events RENAME TO audit_events_away"));
    }
    HttpResponse<String> r =
        form("/2010-04-01/Accounts/" + SID + "/Keys.json", ROOT, "FriendlyName=lost");
    assertThat(r.statusCode()).isGreaterThanOrEqualTo(500);
    try (Database database = db.open(dir)) {
      database
          .jdbi()
          .useHandle(h -> h.execute("ALTER TABLE audit_events_away RENAME TO audit_events"));
    }
    HttpResponse<String> keys =
        TestServers.get(port, "/2010-04-01/Accounts/" + SID + "/Keys.json", ROOT);
    assertThat(JSON.readTree(keys.body()).get("keys")).isEmpty();
  }

  @Test
  void flexUserLifecycleAndIssuedTokensAreRecorded() throws Exception {
    String instance =
        JSON.readTree(TestServers.get(port, "/v4/Instances", ROOT).body())
            .get("instances")
            .get(0)
            .get("sid")
            .asText();
    String users = "/v4/Instances/" + instance + "/Users";
    HttpResponse<String> p =
        TestServers.sendJson(
            port,
            "POST",
            users + "/Provision",
            ROOT,
            "{\"username\":\"alice\",\"email\":\"a@example.com\",\"full_name\":\"A\","
                + "\"roles\":[\"agent\"],\"worker\":{}}");
    String fu = JSON.readTree(p.body()).get("flex_user_sid").asText();
    HttpResponse<String> minted =
        TestServers.sendJson(port, "POST", users + "/" + fu + "/Tokens", ROOT, "{}");
    assertThat(minted.statusCode()).as(minted.body()).isEqualTo(201);
    String token = JSON.readTree(minted.body()).get("access_token").asText();
    TestServers.sendJson(
        port, "POST", users + "/Deprovision", ROOT, "{\"flex_user_sid\":\"" + fu + "\"}");
    List<JsonNode> events = events("?ResourceSid=" + fu);
    assertThat(events)
        .extracting(e -> e.get("event_type").asText())
        .containsExactly(
            "flex-user.deprovisioned", "flex-user.token-issued", "flex-user.provisioned");
    assertThat(events.get(1).get("event_data").get("token_id").asText()).isNotEmpty();
    assertThat(events.toString()).doesNotContain(token);
  }
}
