package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.config.ServerConfig;
import io.callsign.server.crypto.SecretBox;
import java.net.URLEncoder;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes in one JVM on one PostgreSQL database, configured as an operator would (the same
 * master keyset and root credentials from the environment, a data directory each): a change made
 * through one node takes effect on the others within milliseconds, through the change log's
 * notifications, and within the reconcile interval when notifications are lost.
 *
 * <p>Before each change the other nodes' caches are warmed (a request that succeeds), so what is
 * measured is invalidation, not a cold load. The only timing assertions are generous upper bounds
 * ({@link #BOUND}); the figures themselves are printed and recorded in docs/benchmarks.md.
 */
class ClusterTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "c1a5".repeat(8);
  private static final String TOKEN = "c".repeat(16) + "d".repeat(16);
  private static final String ROOT = basic(SID, TOKEN);
  private static final Duration RECONCILE = Duration.ofSeconds(1);
  // Generous: convergence is expected within milliseconds (notifications) or one reconcile
  // interval; this only catches "never".
  private static final Duration BOUND = Duration.ofSeconds(5);
  private static final int REVOCATIONS = 100;
  // Well above the few milliseconds a notification takes, well below the caches' 500 ms refresh.
  private static final Duration SETTLE = Duration.ofMillis(50);
  private static final Pattern SAMPLE =
      Pattern.compile("^([a-z_]+)(\\{[^}]*\\})? ([0-9.eE+-]+)$", Pattern.MULTILINE);

  @TempDir static Path dir;
  private static TestPostgres pg;
  private static DatabaseConfig database;
  private static String keyset;
  private static final List<CallsignServer> nodes = new ArrayList<>();
  private static final List<Integer> ports = new ArrayList<>();

  @BeforeAll
  static void startThreeNodes() throws Exception {
    pg = TestPostgres.orSkip(TestPostgres.get());
    database =
        new DatabaseConfig(pg.createDatabase(), TestPostgres.USER, null)
            .withClusterReconcile(RECONCILE);
    // The operator generates one keyset and gives it to every node.
    SecretBox.open(null, dir.resolve("keyset"));
    keyset = Files.readString(dir.resolve("keyset").resolve(SecretBox.KEYSET_FILE));
    // One after the other: the first migrates and creates the root account.
    for (String name : List.of("a", "b", "c")) {
      startNode(name);
    }
  }

  private static ServerConfig nodeConfig(String name) {
    return ServerConfig.defaults(
            Map.of(
                "CALLSIGN_ACCOUNT_SID", SID,
                "CALLSIGN_AUTH_TOKEN", TOKEN,
                "CALLSIGN_MASTER_KEYSET", keyset))
        .withListen("127.0.0.1", 0)
        .withDataDir(dir.resolve(name))
        .withDatabase(database);
  }

  private static void startNode(String name) {
    CallsignServer node = new CallsignServer(nodeConfig(name));
    nodes.add(node);
    ports.add(node.start());
  }

  @AfterAll
  static void stopNodes() {
    nodes.forEach(CallsignServer::stop);
  }

  private static int a() {
    return ports.get(0);
  }

  private static List<Integer> others() {
    return ports.subList(1, ports.size());
  }

  // ---------------------------------------------------------------------------- helpers

  private static HttpResponse<String> form(int port, String path, String auth, String... pairs)
      throws Exception {
    StringBuilder body = new StringBuilder();
    for (int i = 0; i < pairs.length; i += 2) {
      body.append(body.isEmpty() ? "" : "&")
          .append(pairs[i])
          .append('=')
          .append(URLEncoder.encode(pairs[i + 1], StandardCharsets.UTF_8));
    }
    return TestServers.sendForm(port, path, auth, body.toString());
  }

  private static JsonNode expect(HttpResponse<String> res, int status) throws Exception {
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    return res.body().isEmpty() ? null : JSON.readTree(res.body());
  }

  private static String accountPath(String account) {
    return "/2010-04-01/Accounts/" + account + ".json";
  }

  /** A new subaccount of the root account, created through {@code port}: its SID and token. */
  private static String[] subaccount(int port) throws Exception {
    JsonNode sub =
        expect(form(port, "/2010-04-01/Accounts.json", ROOT, "FriendlyName", "cluster"), 201);
    return new String[] {sub.get("sid").asText(), sub.get("auth_token").asText()};
  }

  /** A new key of {@code account}, created through {@code port}: its SID and secret. */
  private static String[] key(int port, String account, String auth) throws Exception {
    JsonNode key =
        expect(
            form(port, "/2010-04-01/Accounts/" + account + "/Keys.json", auth, "FriendlyName", "k"),
            201);
    return new String[] {key.get("sid").asText(), key.get("secret").asText()};
  }

  private static int fetch(int port, String account, String auth) throws Exception {
    return TestServers.get(port, accountPath(account), auth).statusCode();
  }

  /** A check made against one node: true once the node shows the change. */
  @FunctionalInterface
  private interface Check {
    boolean done(int port) throws Exception;
  }

  /**
   * How long after {@code since} (nanoTime) each of {@code on} passed {@code check}, asking each
   * node in turn without pause; fails after {@link #BOUND}.
   */
  private static long[] awaitEach(List<Integer> on, long since, String what, Check check)
      throws Exception {
    long[] took = new long[on.size()];
    Arrays.fill(took, -1);
    int left = on.size();
    while (left > 0) {
      for (int i = 0; i < on.size(); i++) {
        if (took[i] < 0 && check.done(on.get(i))) {
          took[i] = System.nanoTime() - since;
          left--;
        }
      }
      if (left > 0 && System.nanoTime() - since > BOUND.toNanos()) {
        throw new AssertionError(what + ": not seen on every node within " + BOUND);
      }
    }
    return took;
  }

  /**
   * Waits until each of {@code on} passes {@code check} (a change made just before, e.g. a new
   * secondary token, reaches every node within milliseconds, not at once), lets the change's own
   * notifications land (so they do not empty a cache after it was warmed), then passes {@code
   * check} on each again: the entries it reads are now cached, freshly.
   */
  private static void warm(List<Integer> on, String what, Check check) throws Exception {
    awaitEach(on, System.nanoTime(), what, check);
    Thread.sleep(SETTLE.toMillis());
    assertOnEach(on, what, check);
  }

  private static void assertOnEach(List<Integer> on, String what, Check check) throws Exception {
    for (int port : on) {
      assertThat(check.done(port)).as(what + " on port " + port).isTrue();
    }
  }

  /** The figures of {@code nanos}: count, p50, p99 and max in milliseconds. */
  private static String figures(List<Long> nanos) {
    long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
    return "n=%d p50=%.1f ms p99=%.1f ms max=%.1f ms"
        .formatted(
            sorted.length,
            percentile(sorted, 0.50) / 1e6,
            percentile(sorted, 0.99) / 1e6,
            sorted[sorted.length - 1] / 1e6);
  }

  private static long percentile(long[] sorted, double p) {
    return sorted[(int) Math.ceil(p * sorted.length) - 1];
  }

  private static void record(List<Long> into, long[] took) {
    for (long t : took) {
      into.add(t);
    }
  }

  /** Every sample of {@code port}'s scrape, keyed by name and labels as printed. */
  private static Map<String, Double> scrape(int port) throws Exception {
    String body = TestServers.get(port, "/metrics", null).body();
    Map<String, Double> samples = new HashMap<>();
    Matcher m = SAMPLE.matcher(body);
    while (m.find()) {
      samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.valueOf(m.group(3)));
    }
    return samples;
  }

  private static double sample(int port, String name, String... labels) throws Exception {
    return scrape(port).entrySet().stream()
        .filter(e -> e.getKey().startsWith(name + "{") || e.getKey().equals(name))
        .filter(e -> Arrays.stream(labels).allMatch(l -> e.getKey().contains(l)))
        .mapToDouble(Map.Entry::getValue)
        .sum();
  }

  private static String databaseName() {
    return database.url().substring(database.url().lastIndexOf('/') + 1);
  }

  // ------------------------------------------------------------------------------ tests

  @Test
  void keyDeletedOnOneNodeIsRejectedByTheOthersWithinOneSecond() throws Exception {
    List<Long> took = new ArrayList<>();
    double receivedBefore = sample(ports.get(1), "callsign_cluster_notifications_received_total");
    for (int i = 0; i < REVOCATIONS; i++) {
      String[] key = key(a(), SID, ROOT);
      String auth = basic(key[0], key[1]);
      // Created through A, it authenticates on B and C too (which warms their caches).
      warm(ports, "new key authenticates", p -> fetch(p, SID, auth) == 200);

      expect(
          TestServers.sendJson(
              a(),
              "DELETE",
              "/2010-04-01/Accounts/" + SID + "/Keys/" + key[0] + ".json",
              ROOT,
              null),
          204);
      long deleted = System.nanoTime();
      assertThat(fetch(a(), SID, auth)).as("on the node that deleted it").isEqualTo(401);
      record(took, awaitEach(others(), deleted, "key deletion", p -> fetch(p, SID, auth) == 401));
    }
    System.out.println(
        "ClusterTest: key deleted on A, first 401 on B and C after: " + figures(took));
    assertThat(took).hasSize(2 * REVOCATIONS).allMatch(t -> t < BOUND.toNanos());
    // Through notifications, not the cache expiry: B hears of every creation and deletion.
    awaitEach(
        List.of(ports.get(1)),
        System.nanoTime(),
        "every notification received",
        p ->
            sample(p, "callsign_cluster_notifications_received_total")
                >= receivedBefore + 2 * REVOCATIONS);
  }

  @Test
  void promotedAuthTokenStopsTheOldOneAndDeletedSecondaryStopsOnEveryNode() throws Exception {
    String[] sub = subaccount(a());
    String old = basic(sub[0], sub[1]);
    String secondary =
        expect(form(a(), "/v1/AuthTokens/Secondary", old), 201)
            .get("secondary_auth_token")
            .asText();
    String promoted = basic(sub[0], secondary);
    warm(ports, "both tokens", p -> fetch(p, sub[0], old) == 200);
    warm(ports, "both tokens", p -> fetch(p, sub[0], promoted) == 200);

    expect(form(a(), "/v1/AuthTokens/Promote", old), 200);
    long at = System.nanoTime();
    long[] promotion = awaitEach(others(), at, "promotion", p -> fetch(p, sub[0], old) == 401);
    assertOnEach(ports, "the promoted token", p -> fetch(p, sub[0], promoted) == 200);

    // A new secondary, then deleted: it stops everywhere too.
    String second =
        expect(form(a(), "/v1/AuthTokens/Secondary", promoted), 201)
            .get("secondary_auth_token")
            .asText();
    String secondAuth = basic(sub[0], second);
    warm(ports, "new secondary", p -> fetch(p, sub[0], secondAuth) == 200);
    expect(TestServers.sendJson(a(), "DELETE", "/v1/AuthTokens/Secondary", promoted, null), 204);
    long deleted = System.nanoTime();
    long[] deletion =
        awaitEach(
            others(), deleted, "secondary deletion", p -> fetch(p, sub[0], secondAuth) == 401);
    assertOnEach(ports, "the primary token", p -> fetch(p, sub[0], promoted) == 200);

    List<Long> took = new ArrayList<>();
    record(took, promotion);
    record(took, deletion);
    System.out.println("ClusterTest: auth token promotion/secondary deletion: " + figures(took));
  }

  @Test
  void suspendedSubaccountAndItsKeysAreRejectedOnEveryNodeUntilReactivated() throws Exception {
    String[] sub = subaccount(a());
    String[] key = key(a(), sub[0], ROOT);
    List<String> credentials = List.of(basic(sub[0], sub[1]), basic(key[0], key[1]));
    for (String auth : credentials) {
      warm(ports, "active subaccount", p -> fetch(p, sub[0], auth) == 200);
    }

    expect(form(a(), accountPath(sub[0]), ROOT, "Status", "suspended"), 200);
    long suspended = System.nanoTime();
    List<Long> took = new ArrayList<>();
    for (String auth : credentials) {
      record(
          took,
          awaitEach(
              others(),
              suspended,
              "suspension",
              p -> {
                HttpResponse<String> res = TestServers.get(p, accountPath(sub[0]), auth);
                return res.statusCode() == 401
                    && JSON.readTree(res.body()).get("code").asInt() == 20005;
              }));
    }

    expect(form(a(), accountPath(sub[0]), ROOT, "Status", "active"), 200);
    long reactivated = System.nanoTime();
    for (String auth : credentials) {
      awaitEach(others(), reactivated, "reactivation", p -> fetch(p, sub[0], auth) == 200);
    }
    System.out.println("ClusterTest: subaccount suspended on A, 401 elsewhere: " + figures(took));
  }

  @Test
  void accountSuspendedByHandInTheDatabaseIsRejectedOnEveryNodeIncludingTheFirst()
      throws Exception {
    // No node wrote this change, so no node's own write hook ran: the trigger is what tells them.
    String[] sub = subaccount(a());
    String auth = basic(sub[0], sub[1]);
    warm(ports, "active subaccount", p -> fetch(p, sub[0], auth) == 200);

    try (Connection c = pg.connect(databaseName());
        PreparedStatement s =
            c.prepareStatement("UPDATE accounts SET status = 'suspended' WHERE sid = ?")) {
      s.setString(1, sub[0]);
      assertThat(s.executeUpdate()).isEqualTo(1);
    }
    long suspended = System.nanoTime();
    long[] took =
        awaitEach(ports, suspended, "suspension by hand", p -> fetch(p, sub[0], auth) == 401);

    System.out.println(
        "ClusterTest: account suspended in SQL, 401 on A, B and C after: "
            + figures(Arrays.stream(took).boxed().toList()));
  }

  @Test
  void deprovisionedFlexUserAndRevokedFlexTokenStopValidatingOnEveryNode() throws Exception {
    String instance = null;
    for (JsonNode i : expect(TestServers.get(a(), "/v4/Instances", ROOT), 200).get("instances")) {
      if (i.get("account_sid").asText().equals(SID)) {
        instance = i.get("sid").asText();
      }
    }
    assertThat(instance).isNotNull();
    String users = "/v4/Instances/" + instance + "/Users/";
    List<Long> took = new ArrayList<>();

    // Deprovisioning on A: the user's tokens stop on B and C.
    String user = provision(users, "cluster-agent");
    String token = mint(users, user);
    warm(ports, "valid token", p -> valid(p, token));
    expect(
        TestServers.sendJson(
            a(), "POST", users + "Deprovision", ROOT, "{\"flex_user_sid\":\"" + user + "\"}"),
        204);
    long deprovisioned = System.nanoTime();
    record(took, awaitEach(others(), deprovisioned, "deprovisioning", p -> !valid(p, token)));

    // Revoking one token on A: it stops on B and C, the user's other token does not.
    String other = provision(users, "cluster-agent-2");
    String revoked = mint(users, other);
    String kept = mint(users, other);
    warm(ports, "valid token", p -> valid(p, revoked));
    expect(
        TestServers.sendJson(
            a(),
            "POST",
            "/v1/Accounts/" + SID + "/Tokens/Revoke",
            ROOT,
            JSON.writeValueAsString(Map.of("token", revoked))),
        204);
    long revocation = System.nanoTime();
    record(took, awaitEach(others(), revocation, "revocation", p -> !valid(p, revoked)));
    assertOnEach(ports, "the other token", p -> valid(p, kept));

    System.out.println(
        "ClusterTest: Flex user deprovisioned / token revoked on A, invalid elsewhere: "
            + figures(took));
  }

  private static String provision(String users, String username) throws Exception {
    Map<String, Object> body =
        Map.of(
            "username",
            username,
            "email",
            username + "@example.com",
            "full_name",
            "Agent " + username,
            "roles",
            List.of("agent"),
            "worker",
            Map.of());
    return expect(
            TestServers.sendJson(
                a(), "POST", users + "Provision", ROOT, JSON.writeValueAsString(body)),
            201)
        .get("flex_user_sid")
        .asText();
  }

  private static String mint(String users, String user) throws Exception {
    return expect(TestServers.sendJson(a(), "POST", users + user + "/Tokens", ROOT, null), 201)
        .get("access_token")
        .asText();
  }

  private static boolean valid(int port, String token) throws Exception {
    return expect(
            TestServers.sendJson(
                port,
                "POST",
                "/v1/Accounts/" + SID + "/Tokens/validate",
                ROOT,
                JSON.writeValueAsString(Map.of("token", token))),
            200)
        .get("valid")
        .asBoolean();
  }

  @Test
  void keyDeletedWhileEveryListenerIsDownIsRejectedEverywhereWithinTheReconcileInterval()
      throws Exception {
    double[] reconnectsBefore = new double[ports.size()];
    for (int i = 0; i < ports.size(); i++) {
      reconnectsBefore[i] = sample(ports.get(i), "callsign_cluster_listener_reconnects_total");
    }
    // Warmed just before the deletion: well within the caches' own refresh time (500 ms), so
    // what ends the key below is the cluster machinery, not the cache's expiry.
    String[] key = key(a(), SID, ROOT);
    String auth = basic(key[0], key[1]);
    warm(ports, "new key authenticates", p -> fetch(p, SID, auth) == 200);

    // Every node's listener loses its connection, and the key goes (by hand, so no node's own
    // write hook runs either) before any listener can be back: the notification reaches no one.
    long deleted;
    try (Connection c = pg.connect(databaseName());
        Statement s = c.createStatement()) {
      Object pids;
      // Signalled all at once: waiting for each in turn (pg_terminate_backend's timeout) takes
      // about 100 ms apiece, long enough for the first listeners to be back.
      try (ResultSet rs =
          s.executeQuery(
              "SELECT array_agg(pid) FROM (SELECT pid, pg_terminate_backend(pid)"
                  + " FROM pg_stat_activity WHERE datname = current_database()"
                  + " AND application_name LIKE 'callsign/%/listener') t")) {
        rs.next();
        pids = rs.getArray(1).getArray();
      }
      assertThat((Object[]) pids).hasSize(3);
      try (PreparedStatement gone =
          c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ANY(?)")) {
        gone.setArray(1, c.createArrayOf("integer", (Object[]) pids));
        long deadline = System.nanoTime() + BOUND.toNanos();
        while (true) {
          try (ResultSet rs = gone.executeQuery()) {
            rs.next();
            if (rs.getInt(1) == 0) {
              break;
            }
          }
          assertThat(System.nanoTime()).as("listener backends gone").isLessThan(deadline);
        }
      }
      assertThat(s.executeUpdate("DELETE FROM api_keys WHERE sid = '" + key[0] + "'")).isEqualTo(1);
      deleted = System.nanoTime();
    }
    long[] took =
        awaitEach(
            ports, deleted, "deletion missed by the listeners", p -> fetch(p, SID, auth) == 401);

    // Each listener reconnected by itself, and then forgot everything it might have missed.
    for (int i = 0; i < ports.size(); i++) {
      int port = ports.get(i);
      double before = reconnectsBefore[i];
      awaitEach(
          List.of(port),
          System.nanoTime(),
          "listener reconnected",
          p -> sample(p, "callsign_cluster_listener_reconnects_total") > before);
      assertThat(sample(port, "callsign_cluster_listener_connected")).isEqualTo(1);
    }
    StringBuilder how = new StringBuilder();
    for (int port : ports) {
      how.append(
          " [reconcile applied %.0f, resets on reconnect %.0f]"
              .formatted(
                  sample(port, "callsign_cluster_reconcile_missed_total"),
                  sample(
                      port, "callsign_cluster_full_invalidations_total", "reason=\"reconnect\"")));
    }
    System.out.println(
        "ClusterTest: key deleted in SQL while every listener was down, 401 everywhere after: "
            + figures(Arrays.stream(took).boxed().toList())
            + how);

    // Notifications flow again: a deletion through A reaches B and C.
    String[] next = key(a(), SID, ROOT);
    String nextAuth = basic(next[0], next[1]);
    warm(ports, "new key authenticates", p -> fetch(p, SID, nextAuth) == 200);
    expect(
        TestServers.sendJson(
            a(),
            "DELETE",
            "/2010-04-01/Accounts/" + SID + "/Keys/" + next[0] + ".json",
            ROOT,
            null),
        204);
    awaitEach(
        others(),
        System.nanoTime(),
        "deletion after reconnect",
        p -> fetch(p, SID, nextAuth) == 401);
  }

  @Test
  void nodeRestartedRejoinsTheClusterAndHearsOfLaterChanges() throws Exception {
    CallsignServer c = nodes.get(2);
    c.stop();
    CallsignServer again = new CallsignServer(nodeConfig("c"));
    nodes.set(2, again);
    ports.set(2, again.start());

    String[] key = key(a(), SID, ROOT);
    String auth = basic(key[0], key[1]);
    warm(ports, "new key authenticates", p -> fetch(p, SID, auth) == 200);
    expect(
        TestServers.sendJson(
            a(), "DELETE", "/2010-04-01/Accounts/" + SID + "/Keys/" + key[0] + ".json", ROOT, null),
        204);
    awaitEach(others(), System.nanoTime(), "deletion", p -> fetch(p, SID, auth) == 401);
    assertThat(sample(ports.get(2), "callsign_cluster_listener_connected")).isEqualTo(1);
  }

  @Test
  void sqliteNodeHasNoClusterMachineryAndStillRevokesAtOnce() throws Exception {
    try (CallsignServer single =
        new CallsignServer(
            TestServers.config(dir.resolve("sqlite")).withRootCredentials(SID, TOKEN))) {
      int port = single.start();
      String[] key = key(port, SID, ROOT);
      String auth = basic(key[0], key[1]);
      assertThat(fetch(port, SID, auth)).isEqualTo(200);
      expect(
          TestServers.sendJson(
              port,
              "DELETE",
              "/2010-04-01/Accounts/" + SID + "/Keys/" + key[0] + ".json",
              ROOT,
              null),
          204);

      assertThat(fetch(port, SID, auth)).isEqualTo(401);
      // Nothing to listen to, reconcile or count.
      assertThat(scrape(port).keySet()).noneMatch(k -> k.startsWith("callsign_cluster_"));
    }
  }
}
