package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.keys.JdbiKeyStore;
import io.callsign.server.store.Database;
import io.callsign.server.store.StoreUnavailableException;
import io.callsign.tokens.sid.KeySid;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.UnableToExecuteStatementException;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The database goes away while the server runs: requests that need it get 503 with the Twilio error
 * body (never 200, never 401), {@code /readyz} is not ready while {@code /healthz} stays up, and
 * everything works again once the database is back, without restarting Callsign.
 *
 * <p>PostgreSQL only: SQLite is a file inside the process, with no server that can be down. The
 * cluster is this class's own, so that stopping it leaves the other tests' cluster alone.
 */
class DatabaseOutageTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "00112233445566778899aabbccddeeff";
  private static final String TOKEN = "e".repeat(16) + "f".repeat(16);
  private static final String ACCOUNT = "/2010-04-01/Accounts/" + SID;
  private static final String KEYS = ACCOUNT + "/Keys.json";
  // Generous: a 503 takes about Hikari's connection timeout.
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  private static final Duration RECOVERY_DEADLINE = Duration.ofSeconds(15);
  // The authentication cache's lifetime (Authenticator), plus a margin.
  private static final Duration AUTH_CACHE_EXPIRY = Duration.ofMillis(1_200);

  private static TestPostgres pg;

  @TempDir Path dir;
  private int port;

  @BeforeAll
  static void startCluster() {
    pg = TestPostgres.orSkip(TestPostgres.startIndependent());
  }

  @AfterAll
  static void removeCluster() {
    if (pg != null) {
      pg.close();
    }
  }

  @Test
  void databaseDownThen503AndNotReadyAndBackThenServesWithoutRestart() throws Exception {
    DatabaseConfig database = new DatabaseConfig(pg.createDatabase(), TestPostgres.USER, null);
    try (CallsignServer server =
        new CallsignServer(
            TestServers.config(dir).withDatabase(database).withRootCredentials(SID, TOKEN))) {
      port = server.start();
      HttpResponse<String> created = send("POST", KEYS, basic(SID, TOKEN), "FriendlyName=outage");
      assertThat(created.statusCode()).isEqualTo(201);
      JsonNode key = JSON.readTree(created.body());
      String keySid = key.get("sid").asText();
      String keyAuth = basic(keySid, key.get("secret").asText());
      String keyPath = ACCOUNT + "/Keys/" + keySid + ".json";
      // The root's credentials are now in the authentication cache; the key's are not.
      assertThat(send("GET", ACCOUNT + ".json", basic(SID, TOKEN), null).statusCode())
          .isEqualTo(200);
      long rootCached = System.nanoTime();

      pg.stopServer();
      try {
        // Once the root's cache entry has expired, authenticating the root needs the database too.
        long cachedFor = System.nanoTime() - rootCached;
        if (cachedFor < AUTH_CACHE_EXPIRY.toNanos()) {
          Thread.sleep(Duration.ofNanos(AUTH_CACHE_EXPIRY.toNanos() - cachedFor));
        }
        long sent = System.nanoTime();
        // In parallel: each waits for Hikari's connection timeout (2 s).
        Map<String, CompletableFuture<HttpResponse<String>>> during = new LinkedHashMap<>();
        during.put("readyz", sendAsync("GET", "/readyz", null, null));
        during.put("fetch key", sendAsync("GET", keyPath, basic(SID, TOKEN), null));
        during.put("create key", sendAsync("POST", KEYS, basic(SID, TOKEN), "FriendlyName=x"));
        during.put("authenticate key", sendAsync("GET", ACCOUNT + ".json", keyAuth, null));
        for (int i = 1; i <= 3; i++) {
          during.put(
              "authenticate root " + i,
              sendAsync("GET", ACCOUNT + ".json", basic(SID, TOKEN), null));
        }
        assertThat(send("GET", "/healthz", null, null).statusCode()).isEqualTo(200);
        for (var e : during.entrySet()) {
          assertUnavailable(e.getKey(), e.getValue().join());
        }
        Duration took = Duration.ofNanos(System.nanoTime() - sent);
        System.out.println("DatabaseOutageTest: the 503s came within " + took.toMillis() + " ms");
        // Five requests with the root's credentials share one failed load of the account: about
        // one connection timeout, where loading in turn would take five (10 s).
        assertThat(took).isLessThan(Duration.ofSeconds(6));
      } finally {
        pg.startServer();
      }

      // The pool reconnects by itself: the same requests succeed again.
      long up = System.nanoTime();
      awaitRecovered("readyz", () -> send("GET", "/readyz", null, null), 200);
      awaitRecovered("fetch key", () -> send("GET", keyPath, basic(SID, TOKEN), null), 200);
      awaitRecovered(
          "create key", () -> send("POST", KEYS, basic(SID, TOKEN), "FriendlyName=y"), 201);
      awaitRecovered("authenticate key", () -> send("GET", ACCOUNT + ".json", keyAuth, null), 200);
      awaitRecovered(
          "authenticate root", () -> send("GET", ACCOUNT + ".json", basic(SID, TOKEN), null), 200);
      System.out.println(
          "DatabaseOutageTest: recovered "
              + Duration.ofNanos(System.nanoTime() - up).toMillis()
              + " ms after pg_ctl start returned");
    }
  }

  /**
   * A pooled connection may be one the server has already cut: the statement, not the pool, fails
   * then. That is unavailability too, while a statement the database rejects is not.
   */
  @Test
  void storeCallWhenServerCutTheConnectionThenStoreUnavailable() throws Exception {
    String url = pg.createDatabase();
    try (Database migrated =
        Database.postgresql(new DatabaseConfig(url, TestPostgres.USER, null))) {
      migrated.migrate();
    }
    String name = url.substring(url.lastIndexOf('/') + 1);
    SecretBox box = SecretBox.open(null, dir);
    try (Connection conn = pg.connect(name);
        Connection admin = pg.connect(name);
        Statement s = conn.createStatement();
        ResultSet rs = s.executeQuery("SELECT pg_backend_pid()")) {
      rs.next();
      int pid = rs.getInt(1);
      JdbiKeyStore keys = new JdbiKeyStore(Jdbi.create(conn), box);
      assertThat(keys.find(KeySid.random())).isEmpty();

      try (Statement kill = admin.createStatement()) {
        // Waits (up to 5 s) until the backend is gone.
        kill.execute("SELECT pg_terminate_backend(" + pid + ", 5000)");
      }

      assertThatThrownBy(() -> keys.find(KeySid.random()))
          .isInstanceOf(StoreUnavailableException.class);
    }
    try (Connection fresh = pg.connect(name);
        Statement drop = fresh.createStatement()) {
      drop.execute("DROP TABLE api_keys CASCADE");
      JdbiKeyStore keys = new JdbiKeyStore(Jdbi.create(fresh), box);
      assertThatThrownBy(() -> keys.find(KeySid.random()))
          .isInstanceOf(UnableToExecuteStatementException.class);
    }
  }

  private static void assertUnavailable(String what, HttpResponse<String> res) throws Exception {
    assertThat(res.statusCode()).as(what + ": " + res.body()).isEqualTo(503);
    JsonNode body = JSON.readTree(res.body());
    assertThat(body.get("code").asInt()).as(what).isEqualTo(20503);
    assertThat(body.get("status").asInt()).as(what).isEqualTo(503);
  }

  private interface Call {
    HttpResponse<String> send() throws Exception;
  }

  /** Polls {@code call} until it answers {@code status}; meanwhile only 503 is acceptable. */
  private static void awaitRecovered(String what, Call call, int status) throws Exception {
    long deadline = System.nanoTime() + RECOVERY_DEADLINE.toNanos();
    while (true) {
      HttpResponse<String> res = call.send();
      if (res.statusCode() == status) {
        return;
      }
      assertUnavailable(what + " while recovering", res);
      assertThat(System.nanoTime()).as(what + " recovered in time").isLessThan(deadline);
      Thread.sleep(50);
    }
  }

  private HttpResponse<String> send(String method, String path, String auth, String form)
      throws Exception {
    return sendAsync(method, path, auth, form).join();
  }

  private CompletableFuture<HttpResponse<String>> sendAsync(
      String method, String path, String auth, String form) {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(REQUEST_TIMEOUT);
    if (auth != null) {
      b.header("Authorization", auth);
    }
    if (form != null) {
      b.header("Content-Type", "application/x-www-form-urlencoded")
          .method(method, HttpRequest.BodyPublishers.ofString(form));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return TestServers.HTTP.sendAsync(b.build(), HttpResponse.BodyHandlers.ofString());
  }
}
