package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.console.ConsoleRoutes;
import io.callsign.tokens.sid.AccountSid;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The sign-in throttle across nodes (docs/design/0017-shared-login-throttle.md): three nodes on one
 * PostgreSQL database count sign-in failures against one budget, at the token server ({@code POST
 * /token}) and at the console ({@code POST /console/sign-in}), so that spreading guesses over
 * nodes, in turn or at once, buys an attacker nothing; and while PostgreSQL is down a sign-in
 * answers 503, never 200, 401 or 429, and the counts made before the outage still hold after it.
 */
class ClusterThrottleTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String PASSWORD = "plain words make a fine password";
  private static final String EMAIL = "ops@example.com";
  private static final String HOME = "127.0.0.1";
  // Generous: only catches "never" (PostgreSQL restarting, pools reconnecting).
  private static final Duration BOUND = Duration.ofSeconds(30);

  @TempDir static Path dir;
  private static TestPostgres pg;
  private static TestCluster cluster;
  private static MutableClock clock;
  private static String instance;

  @BeforeAll
  static void startThreeNodes() throws Exception {
    pg = TestPostgres.orSkip(TestPostgres.get());
    // Real time to start with, then moved by the tests (the same clock on every node).
    clock = new MutableClock(Instant.now().truncatedTo(ChronoUnit.SECONDS));
    cluster =
        new TestCluster(
            dir, new DatabaseConfig(pg.createDatabase(), TestPostgres.USER, null), clock, 3);
    cluster.node(0).console().addUser(AccountSid.of(TestCluster.SID), EMAIL, PASSWORD);
    instance = rootInstance(cluster);
  }

  @AfterAll
  static void stopNodes() {
    if (cluster != null) {
      cluster.close();
    }
  }

  @BeforeEach
  void forgetEveryCount() throws Exception {
    // Every test signs in from loopback: its per-source counter would otherwise carry over.
    try (Connection c = pg.connect(cluster.databaseName());
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE login_throttle_counters, login_throttle_trust");
    }
  }

  // ---------------------------------------------------------------------------- helpers

  private static String rootInstance(TestCluster on) throws Exception {
    JsonNode list =
        JSON.readTree(TestServers.get(on.port(0), "/v4/Instances", TestCluster.ROOT).body());
    for (JsonNode i : list.get("instances")) {
      if (i.get("account_sid").asText().equals(TestCluster.SID)) {
        return i.get("sid").asText();
      }
    }
    throw new AssertionError("no root instance: " + list);
  }

  /** Provisions {@code username} through node 0 of {@code on} with {@link #PASSWORD}. */
  private static void user(TestCluster on, String instanceSid, String username) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("username", username);
    body.put("email", username + "@example.com");
    body.put("full_name", "User " + username);
    body.put("roles", List.of("agent"));
    body.put("worker", Map.of("attributes", Map.of()));
    String users = "/v4/Instances/" + instanceSid + "/Users/";
    HttpResponse<String> provisioned =
        on.postJson(0, HOME, users + "Provision", TestCluster.ROOT, JSON.writeValueAsString(body));
    assertThat(provisioned.statusCode()).as(provisioned.body()).isEqualTo(201);
    String fu = JSON.readTree(provisioned.body()).get("flex_user_sid").asText();
    HttpResponse<String> set =
        on.postJson(
            0,
            HOME,
            users + fu + "/Password",
            TestCluster.ROOT,
            JSON.writeValueAsString(Map.of("password", PASSWORD)));
    assertThat(set.statusCode()).as(set.body()).isEqualTo(204);
  }

  /** {@code POST /token} on node {@code i} of {@code on}, from {@code source}. */
  private static HttpResponse<String> token(
      TestCluster on, int i, String source, String username, String password) throws Exception {
    return on.postJson(
        i,
        source,
        "/token",
        null,
        JSON.writeValueAsString(Map.of("username", username, "password", password)));
  }

  private static HttpResponse<String> token(int i, String source, String username, String password)
      throws Exception {
    return token(cluster, i, source, username, password);
  }

  private static void assertStatus(HttpResponse<String> res, int status) {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
  }

  /** A 429 with Retry-After; returns its seconds. */
  private static long assertThrottled(HttpResponse<String> res) {
    assertStatus(res, 429);
    return Long.parseLong(res.headers().firstValue("Retry-After").orElseThrow());
  }

  /** A console sign-in on node {@code i} by a new browser: the form, then the post. */
  private static HttpResponse<String> consoleSignIn(int port, String email, String password)
      throws Exception {
    ConsoleClient browser = new ConsoleClient(port);
    browser.get("/console/sign-in");
    return browser.post("/console/sign-in", Map.of("email", email, "password", password));
  }

  // ------------------------------------------------------------------------------ tests

  @Test
  void tokenServerFailuresOnOneNodeCountOnTheOthers() throws Exception {
    user(cluster, instance, "ana");
    // Five free failures, one node after the other: no node saw more than two itself.
    for (int i = 0; i < 5; i++) {
      assertStatus(token(i % 3, HOME, "ana", "guess " + i), 401);
    }
    // The sixth is admitted, and starts a one-second wait on every node.
    assertStatus(token(2, HOME, "ana", "guess 5"), 401);
    for (int i = 0; i < 3; i++) {
      assertThat(assertThrottled(token(i, HOME, "ana", PASSWORD))).isEqualTo(1);
    }

    clock.advance(Duration.ofSeconds(1));
    assertStatus(token(1, HOME, "ana", PASSWORD), 200);
  }

  @Test
  void guessesSpreadOverNodesAndSourcesMeetTheUsersLimitButNotTheOwnersTrustedSource()
      throws Exception {
    user(cluster, instance, "bea");
    String owner = "127.0.9.1";
    assertStatus(token(0, owner, "bea", PASSWORD), 200);
    // Ten sources, one guess each, over three nodes: the user's counter reaches its ten free ones.
    for (int i = 1; i <= 10; i++) {
      assertStatus(token(i % 3, "127.0.1." + i, "bea", "guess " + i), 401);
    }
    assertStatus(token(1, "127.0.1.11", "bea", "guess 11"), 401);
    // A twelfth source, on another node, waits: with the right password too.
    assertThat(assertThrottled(token(2, "127.0.1.12", "bea", PASSWORD))).isEqualTo(1);
    // The owner's source, trusted since its sign-in on node 0, signs in on node 2.
    assertStatus(token(2, owner, "bea", PASSWORD), 200);
  }

  @Test
  void parallelGuessesOverThreeNodesGetExactlyTheFreeFailures() throws Exception {
    user(cluster, instance, "cy");
    int n = 60;
    CountDownLatch start = new CountDownLatch(1);
    List<Future<HttpResponse<String>>> futures = new ArrayList<>(n);
    try (ExecutorService pool = Executors.newFixedThreadPool(n)) {
      for (int i = 0; i < n; i++) {
        int node = i % 3;
        String guess = "guess " + i;
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return token(node, "127.0.2.1", "cy", guess);
                }));
      }
      start.countDown();
      Map<Integer, Integer> statuses = new LinkedHashMap<>();
      for (Future<HttpResponse<String>> f : futures) {
        statuses.merge(f.get().statusCode(), 1, Integer::sum);
      }
      // Five free failures and the one that starts the wait, whatever node each reached.
      assertThat(statuses).containsExactlyInAnyOrderEntriesOf(Map.of(401, 6, 429, n - 6));
    }
  }

  @Test
  void consoleSignInFailuresOnOneNodeCountOnTheOthers() throws Exception {
    for (int i = 0; i < 6; i++) {
      assertStatus(consoleSignIn(cluster.port(i % 3), EMAIL, "wrong " + i), 401);
    }
    for (int i = 0; i < 3; i++) {
      HttpResponse<String> right = consoleSignIn(cluster.port(i), EMAIL, PASSWORD);
      assertThat(assertThrottled(right)).isEqualTo(1);
    }

    clock.advance(Duration.ofSeconds(1));
    assertStatus(consoleSignIn(cluster.port(2), EMAIL, PASSWORD), 303);
  }

  @Test
  void whilePostgresqlIsDownSignInAnswers503AndCountsMadeBeforeStillHoldAfter(@TempDir Path own)
      throws Exception {
    try (TestPostgres db = TestPostgres.orSkip(TestPostgres.startIndependent());
        TestCluster two =
            new TestCluster(
                own, new DatabaseConfig(db.createDatabase(), TestPostgres.USER, null), clock, 2)) {
      two.node(0).console().addUser(AccountSid.of(TestCluster.SID), EMAIL, PASSWORD);
      user(two, rootInstance(two), "dee");
      for (int i = 0; i < 5; i++) {
        assertStatus(token(two, i % 2, HOME, "dee", "guess " + i), 401);
      }
      // The console's form is fetched while the database is up; its token is a cookie.
      List<ConsoleClient> browsers = new ArrayList<>();
      for (int i = 0; i < 2; i++) {
        ConsoleClient b = new ConsoleClient(two.port(i));
        b.get("/console/sign-in");
        browsers.add(b);
      }

      db.stopServer();
      // The right password on one node, a wrong one on the other: neither is checked or counted.
      for (int i = 0; i < 2; i++) {
        String password = i == 0 ? PASSWORD : "guess while down";
        assertStatus(token(two, i, HOME, "dee", password), 503);
        HttpResponse<String> console =
            browsers.get(i).post("/console/sign-in", Map.of("email", EMAIL, "password", password));
        assertStatus(console, 503);
        assertThat(browsers.get(i).cookies).doesNotContainKey(ConsoleRoutes.SESSION_COOKIE);
      }

      db.startServer();
      two.awaitReady(BOUND);
      // The sixth counted failure is the first after the outage: none was counted during it.
      assertStatus(retryWhileUnavailable(() -> token(two, 1, HOME, "dee", "guess 5")), 401);
      assertThat(assertThrottled(token(two, 0, HOME, "dee", PASSWORD))).isEqualTo(1);
      // The console sign-in works again.
      assertStatus(retryWhileUnavailable(() -> consoleSignIn(two.port(1), EMAIL, PASSWORD)), 303);
    }
  }

  @FunctionalInterface
  private interface Call {
    HttpResponse<String> send() throws Exception;
  }

  // /readyz answers once one pooled connection works; others may still be stale for a moment.
  private static HttpResponse<String> retryWhileUnavailable(Call call) throws Exception {
    long deadline = System.nanoTime() + BOUND.toNanos();
    while (true) {
      HttpResponse<String> res = call.send();
      if (res.statusCode() != 503 || System.nanoTime() > deadline) {
        return res;
      }
      Thread.sleep(100);
    }
  }
}
