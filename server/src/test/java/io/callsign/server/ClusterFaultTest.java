package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.crypto.SecretBox;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicIntegerArray;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.IntPredicate;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Three nodes, each a JVM of its own, on one PostgreSQL, under a load of concurrent clients, with
 * the two faults a cluster must survive: a node killed with SIGKILL, and PostgreSQL stopped and
 * started again. Issue 8's "proof under load and faults".
 *
 * <p>The clients are a few virtual threads with {@code java.net.http}, spreading writes (API keys
 * created) and reads (keys fetched, credentials used, key lists) over the nodes the way a balancer
 * would. Every outcome is recorded with its node, its kind and when it was sent and answered, and
 * the assertions are made on that record afterwards. The PostgreSQL cluster is this class's own, so
 * that stopping it leaves the other tests' cluster alone. The only timing assertions are generous
 * upper bounds; the figures are printed.
 */
class ClusterFaultTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "fa017e57".repeat(4);
  private static final String TOKEN = "f".repeat(16) + "0".repeat(16);
  private static final String ROOT = basic(SID, TOKEN);
  private static final String ACCOUNT = "/2010-04-01/Accounts/" + SID;
  private static final String KEYS = ACCOUNT + "/Keys.json";
  private static final int NODES = 3;
  // A 503 takes about Hikari's connection timeout (2 s) while the database is down.
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
  // Generous: catches "never", not "slow".
  private static final Duration BOUND = Duration.ofSeconds(30);
  // The credential cache's lifetime (CredentialCache.EXPIRY).
  private static final Duration CACHE_EXPIRY = Duration.ofSeconds(1);
  // Longer than the cache's lifetime plus the pool's 2 s wait, so that every kind of request meets
  // the outage itself, not a cache entry or a connection that outlived the database.
  private static final Duration OUTAGE = Duration.ofSeconds(6);
  // How long the load runs, every kind served, before PostgreSQL is stopped.
  private static final Duration WARM_LOAD = Duration.ofMillis(1_500);
  // How many acknowledged key creations before the fault, and after it on the survivors.
  private static final int WRITES_BEFORE = 60;
  private static final int WRITES_AFTER = 60;

  @TempDir Path dir;
  private static TestPostgres pg;

  @BeforeAll
  static void startPostgres() {
    pg = TestPostgres.orSkip(TestPostgres.startIndependent());
  }

  @AfterAll
  static void removePostgres() {
    if (pg != null) {
      pg.close();
    }
  }

  // ------------------------------------------------------------------------------ the nodes

  /** Three {@link ServerProcess}es on one database, configured as an operator would. */
  private static final class Nodes implements AutoCloseable {
    private final List<ServerProcess> processes = new ArrayList<>();
    private final long startedIn;

    Nodes(Path dir, String jdbcUrl) throws Exception {
      long begin = System.nanoTime();
      // The operator generates one keyset and gives it, and the root credentials, to every node.
      Path keysetDir = Files.createDirectories(dir.resolve("keyset"));
      SecretBox.open(null, keysetDir);
      Map<String, String> env =
          Map.of(
              "CALLSIGN_ACCOUNT_SID", SID,
              "CALLSIGN_AUTH_TOKEN", TOKEN,
              "CALLSIGN_MASTER_KEYSET", Files.readString(keysetDir.resolve(SecretBox.KEYSET_FILE)));
      try {
        // The first migrates and creates the root account; the others then start together.
        processes.add(ServerProcess.launch(dir.resolve("node-0"), jdbcUrl, env));
        List<Future<ServerProcess>> rest = new ArrayList<>();
        try (var starts = Executors.newVirtualThreadPerTaskExecutor()) {
          for (int i = 1; i < NODES; i++) {
            Path data = dir.resolve("node-" + i);
            rest.add(starts.submit(() -> ServerProcess.launch(data, jdbcUrl, env)));
          }
        }
        // Every started process joins the list before a failure is thrown, so that close() ends it.
        Exception failed = null;
        for (Future<ServerProcess> f : rest) {
          try {
            processes.add(f.get());
          } catch (ExecutionException e) {
            failed = failed == null ? e : failed;
          }
        }
        if (failed != null) {
          throw failed;
        }
        startedIn = System.nanoTime() - begin;
      } catch (Exception e) {
        close();
        throw e;
      }
    }

    int port(int node) {
      return processes.get(node).port();
    }

    /** How long the three took to start, in milliseconds. */
    long startedInMillis() {
      return ms(startedIn);
    }

    ServerProcess process(int node) {
      return processes.get(node);
    }

    @Override
    public void close() throws IOException {
      for (ServerProcess p : processes) {
        p.close();
      }
    }
  }

  // ------------------------------------------------------------------------------ the load

  /** What a request does. */
  private enum Kind {
    /** POST .../Keys.json with the root's auth token: a write. */
    CREATE_KEY,
    /** GET .../Keys/SK....json with the root's auth token: served from the credential cache. */
    FETCH_KEY,
    /** GET .../Accounts/AC....json with a key's secret: authentication, from the cache. */
    KEY_AUTH,
    /** GET .../Accounts/AC....json with the root's auth token, from the cache. */
    ROOT_AUTH,
    /** GET .../Keys.json: a database read on every request. */
    LIST_KEYS,
    /** GET /readyz. */
    READYZ
  }

  /**
   * One request as its client saw it: the node, when it was sent and answered ({@code
   * System.nanoTime()}), and the status, or -1 when no answer came (connection refused or cut).
   */
  private record Outcome(int node, Kind kind, long sent, long done, int status, String body) {
    boolean answered() {
      return status > 0;
    }

    boolean ok() {
      return status >= 200 && status < 300;
    }

    @Override
    public String toString() {
      return "node %d %s -> %d %s"
          .formatted(node, kind, status, body.length() > 200 ? body.substring(0, 200) : body);
    }
  }

  /** A key whose creation was acknowledged (201 with its secret). */
  private record Acked(String sid, String secret, String name, int node) {}

  /** One request of {@code kind} to {@code node} (a key creation names its key {@code name}). */
  @FunctionalInterface
  private interface Ask {
    void ask(int node, Kind kind, String name) throws Exception;
  }

  /** One client's step: sends one or more requests through {@link Load#send}. */
  @FunctionalInterface
  private interface Step {
    void run(int client, long round) throws Exception;
  }

  /**
   * Concurrent clients, each a virtual thread repeating its {@link Step} until {@link #close()};
   * every outcome is kept. One HTTP/1.1 client with keep-alive, as most Twilio SDKs use.
   */
  private static final class Load implements AutoCloseable {
    final Nodes nodes;
    final HttpClient http =
        HttpClient.newBuilder()
            .version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(2))
            .build();
    final ConcurrentLinkedQueue<Outcome> outcomes = new ConcurrentLinkedQueue<>();
    final ConcurrentLinkedQueue<Throwable> clientFailures = new ConcurrentLinkedQueue<>();
    final AtomicIntegerArray inFlight = new AtomicIntegerArray(NODES);
    private final AtomicBoolean stop = new AtomicBoolean();
    private final List<Thread> clients = new ArrayList<>();

    Load(Nodes nodes) {
      this.nodes = nodes;
    }

    void start(int clientCount, Step step) {
      for (int c = 0; c < clientCount; c++) {
        int client = c;
        clients.add(
            Thread.ofVirtual()
                .name("fault-client-" + c)
                .start(
                    () -> {
                      for (long round = 0; !stop.get(); round++) {
                        try {
                          step.run(client, round);
                        } catch (InterruptedException e) {
                          return;
                        } catch (Exception | AssertionError e) {
                          clientFailures.add(e);
                          return;
                        }
                      }
                    }));
      }
    }

    Outcome send(int node, Kind kind, String method, String path, String auth, String form)
        throws InterruptedException {
      HttpRequest.Builder b =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + nodes.port(node) + path))
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
      long sent = System.nanoTime();
      inFlight.incrementAndGet(node);
      Outcome o;
      try {
        HttpResponse<String> res = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
        o = new Outcome(node, kind, sent, System.nanoTime(), res.statusCode(), res.body());
      } catch (IOException e) {
        o = new Outcome(node, kind, sent, System.nanoTime(), -1, String.valueOf(e));
      } finally {
        inFlight.decrementAndGet(node);
      }
      outcomes.add(o);
      return o;
    }

    /** Stops the clients (each finishes the request it is in) and waits for them. */
    void stop() throws InterruptedException {
      stop.set(true);
      for (Thread t : clients) {
        assertThat(t.join(BOUND)).as(t.getName() + " stopped").isTrue();
      }
    }

    /** Stops the clients without waiting (when a test fails midway) and closes the HTTP client. */
    @Override
    public void close() {
      stop.set(true);
      http.close();
    }
  }

  private static String form(String name) {
    return "FriendlyName=" + name;
  }

  private static String keyPath(String keySid) {
    return ACCOUNT + "/Keys/" + keySid + ".json";
  }

  /** Waits until {@code condition} holds; fails after {@code bound} with {@code what}. */
  private static void await(String what, Duration bound, BooleanSupplier condition)
      throws InterruptedException {
    long deadline = System.nanoTime() + bound.toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as(what + " within " + bound).isLessThan(deadline);
      Thread.sleep(10);
    }
  }

  private static String byStatus(List<Outcome> outcomes) {
    return outcomes.stream()
        .collect(Collectors.groupingBy(Outcome::status, TreeMap::new, Collectors.counting()))
        .toString();
  }

  private static long ms(long nanos) {
    return TimeUnit.NANOSECONDS.toMillis(nanos);
  }

  /**
   * 503 with the Twilio error body (code 20503), which Twilio's SDKs surface as a retryable error.
   */
  private static boolean isUnavailable(Outcome o) {
    if (o.status() != 503) {
      return false;
    }
    try {
      JsonNode body = JSON.readTree(o.body());
      return body.path("code").asInt() == 20503 && body.path("status").asInt() == 503;
    } catch (IOException e) {
      return false;
    }
  }

  /**
   * Whether a 2xx answer says what is true: the account or key asked for, as it is. Nothing changes
   * the root account or the keys read here during the test, so "as it is" is known in advance.
   */
  private static boolean answersRight(Outcome o, String keySid) throws IOException {
    JsonNode body = JSON.readTree(o.body());
    return switch (o.kind()) {
      case ROOT_AUTH ->
          body.path("sid").asText().equals(SID)
              && body.path("status").asText().equals("active")
              && body.path("auth_token").asText().equals(TOKEN);
      case KEY_AUTH ->
          body.path("sid").asText().equals(SID) && body.path("status").asText().equals("active");
      case FETCH_KEY -> body.path("sid").asText().equals(keySid);
      case LIST_KEYS -> body.path("keys").isArray();
      case READYZ -> body.path("status").asText().equals("ready");
      case CREATE_KEY -> body.path("sid").asText().startsWith("SK");
    };
  }

  // ------------------------------------------------------------------------------ kill -9

  @Test
  void nodeKilledWithSigkillUnderLoadLosesNoAcknowledgedWriteAndTheOthersKeepServing()
      throws Exception {
    String url = pg.createDatabase();
    int victim = 1;
    Map<String, Acked> acked = new ConcurrentHashMap<>();
    ConcurrentLinkedQueue<String> wrongAnswers = new ConcurrentLinkedQueue<>();
    // The friendly names of creations sent to the victim that got no answer: in doubt.
    Set<String> inDoubt = ConcurrentHashMap.newKeySet();
    AtomicLong ackedAfterKill = new AtomicLong();
    AtomicBoolean killed = new AtomicBoolean();
    AtomicInteger creationsAtVictim = new AtomicInteger();
    try (Nodes nodes = new Nodes(dir, url);
        Load load = new Load(nodes)) {
      // The balancer's view: the victim leaves the rotation once it is dead.
      IntPredicate live = n -> !(killed.get() && n == victim);
      load.start(
          6,
          (client, round) -> {
            int n = next(live, client + (int) round);
            String name = "fault-" + client + "-" + round;
            if (n == victim) {
              creationsAtVictim.incrementAndGet();
            }
            Outcome created = load.send(n, Kind.CREATE_KEY, "POST", KEYS, ROOT, form(name));
            if (n == victim) {
              creationsAtVictim.decrementAndGet();
            }
            if (!created.answered()) {
              inDoubt.add(name);
              return;
            }
            if (created.status() != 201) {
              return; // recorded; asserted below
            }
            JsonNode key = JSON.readTree(created.body());
            Acked a = new Acked(key.get("sid").asText(), key.get("secret").asText(), name, n);
            acked.put(a.sid(), a);
            if (killed.get()) {
              ackedAfterKill.incrementAndGet();
            }
            // Read what was just written through the other nodes: the write is visible there.
            int m = next(live, n + 1);
            Outcome fetched = load.send(m, Kind.FETCH_KEY, "GET", keyPath(a.sid()), ROOT, null);
            if (fetched.ok() && !answersRight(fetched, a.sid())) {
              wrongAnswers.add(fetched.toString());
            }
            int o = next(live, m + 1);
            Outcome used =
                load.send(
                    o, Kind.KEY_AUTH, "GET", ACCOUNT + ".json", basic(a.sid(), a.secret()), null);
            if (used.ok() && !answersRight(used, a.sid())) {
              wrongAnswers.add(used.toString());
            }
            if (round % 4 == 0) {
              load.send(next(live, o + 1), Kind.LIST_KEYS, "GET", KEYS + "?PageSize=5", ROOT, null);
            }
          });

      await("the first writes", BOUND, () -> acked.size() >= WRITES_BEFORE);
      // Kill while the victim has a creation in hand, so that writes are cut off unanswered.
      await("a creation in flight at the victim", BOUND, () -> creationsAtVictim.get() > 0);
      int inFlightAtKill = load.inFlight.get(victim);
      long killedAt = System.nanoTime();
      nodes.process(victim).process().destroyForcibly(); // SIGKILL on Linux
      killed.set(true);
      assertThat(nodes.process(victim).awaitExit(10, TimeUnit.SECONDS)).isTrue();
      int ackedAtKill = acked.size();

      await("writes on the survivors", BOUND, () -> ackedAfterKill.get() >= WRITES_AFTER);
      load.stop();
      assertThat(load.clientFailures).as("client failures").isEmpty();

      // The survivors answered 2xx to everything, before and after the kill.
      List<Outcome> survivors = load.outcomes.stream().filter(o -> o.node() != victim).toList();
      List<Outcome> notOk = survivors.stream().filter(o -> !o.ok()).toList();
      assertThat(notOk).as("survivors' answers other than 2xx").isEmpty();
      // The victim answered 2xx until it died, then nothing: never an error status.
      List<Outcome> fromVictim = load.outcomes.stream().filter(o -> o.node() == victim).toList();
      assertThat(fromVictim.stream().filter(o -> o.answered() && !o.ok()).toList())
          .as("victim's answers other than 2xx")
          .isEmpty();
      assertThat(fromVictim.stream().filter(o -> !o.answered() && o.done() < killedAt).toList())
          .as("victim's failures before the kill")
          .isEmpty();
      assertThat(wrongAnswers).as("reads that said something untrue").isEmpty();

      // Every acknowledged key is there, read through each survivor, and its secret works.
      List<Integer> alive = List.of(0, 2);
      List<String> missing = new ArrayList<>();
      try (var checks = Executors.newVirtualThreadPerTaskExecutor()) {
        List<Future<String>> results = new ArrayList<>();
        int i = 0;
        for (Acked a : acked.values()) {
          int port = nodes.port(alive.get(i++ % alive.size()));
          results.add(
              checks.submit(
                  () -> {
                    HttpResponse<String> read = TestServers.get(port, keyPath(a.sid()), ROOT);
                    HttpResponse<String> use =
                        TestServers.get(port, ACCOUNT + ".json", basic(a.sid(), a.secret()));
                    return read.statusCode() == 200 && use.statusCode() == 200
                        ? null
                        : a + ": read " + read.statusCode() + ", used " + use.statusCode();
                  }));
        }
        for (Future<String> r : results) {
          if (r.get() != null) {
            missing.add(r.get());
          }
        }
      }

      // And the database holds nothing else: every key there was acknowledged or in doubt (sent to
      // the victim, no answer), and no creation was applied twice.
      Map<String, Integer> stored = new HashMap<>();
      try (Connection c = pg.connect(url.substring(url.lastIndexOf('/') + 1));
          PreparedStatement s =
              c.prepareStatement(
                  "SELECT friendly_name, count(*) FROM api_keys"
                      + " WHERE account_sid = ? AND friendly_name LIKE 'fault-%' GROUP BY 1")) {
        s.setString(1, SID);
        try (ResultSet rs = s.executeQuery()) {
          while (rs.next()) {
            stored.put(rs.getString(1), rs.getInt(2));
          }
        }
      }
      Set<String> ackedNames =
          acked.values().stream().map(Acked::name).collect(Collectors.toCollection(HashSet::new));
      Set<String> extra = new HashSet<>(stored.keySet());
      extra.removeAll(ackedNames);
      Set<String> inDoubtStored = new HashSet<>(extra);
      inDoubtStored.retainAll(inDoubt);

      String figures =
          ("nodes started in %d ms; requests=%d (survivors %d: %s; victim %d: %s) acknowledged=%d (%d before the kill)"
                  + " requests in flight at the kill=%d creations unanswered=%d of which stored=%d")
              .formatted(
                  nodes.startedInMillis(),
                  load.outcomes.size(),
                  survivors.size(),
                  byStatus(survivors),
                  fromVictim.size(),
                  byStatus(fromVictim),
                  acked.size(),
                  ackedAtKill,
                  inFlightAtKill,
                  inDoubt.size(),
                  inDoubtStored.size());
      System.out.println("ClusterFaultTest kill -9: " + figures);
      assertThat(missing).as("acknowledged keys lost; " + figures).isEmpty();
      assertThat(ackedNames).as("acknowledged keys in the database").isSubsetOf(stored.keySet());
      assertThat(extra)
          .as("keys stored that were neither acknowledged nor in doubt")
          .isSubsetOf(inDoubt);
      assertThat(stored.values()).as("creations applied twice").allMatch(n -> n == 1);
    }
  }

  /** The first node at or after {@code from} (modulo the node count) that {@code live} accepts. */
  private static int next(IntPredicate live, int from) {
    for (int i = 0; i < NODES; i++) {
      int n = Math.floorMod(from + i, NODES);
      if (live.test(n)) {
        return n;
      }
    }
    throw new IllegalStateException("no live node");
  }

  // ------------------------------------------------------------------------------ PostgreSQL down

  @Test
  void postgresStoppedUnderLoadThenNodesAnswer503NeverWrongAndRecoverByThemselves()
      throws Exception {
    String url = pg.createDatabase();
    try (Nodes nodes = new Nodes(dir, url);
        Load load = new Load(nodes)) {
      // A key to authenticate with and to fetch, read once through every node (cached there).
      HttpResponse<String> made =
          TestServers.sendForm(nodes.port(0), KEYS, ROOT, form("outage-reader"));
      assertThat(made.statusCode()).as(made.body()).isEqualTo(201);
      JsonNode key = JSON.readTree(made.body());
      String keySid = key.get("sid").asText();
      String keyAuth = basic(keySid, key.get("secret").asText());

      // Acknowledged keys, and the node that created each.
      Map<String, Integer> acked = new ConcurrentHashMap<>();
      ConcurrentLinkedQueue<String> wrongAnswers = new ConcurrentLinkedQueue<>();
      // One request of a kind to a node, its answer checked and its write remembered.
      Ask ask =
          (n, kind, name) -> {
            Outcome o =
                switch (kind) {
                  case CREATE_KEY -> load.send(n, kind, "POST", KEYS, ROOT, form(name));
                  case FETCH_KEY -> load.send(n, kind, "GET", keyPath(keySid), ROOT, null);
                  case KEY_AUTH -> load.send(n, kind, "GET", ACCOUNT + ".json", keyAuth, null);
                  case ROOT_AUTH -> load.send(n, kind, "GET", ACCOUNT + ".json", ROOT, null);
                  case LIST_KEYS -> load.send(n, kind, "GET", KEYS + "?PageSize=5", ROOT, null);
                  case READYZ -> load.send(n, kind, "GET", "/readyz", null, null);
                };
            if (o.ok() && !answersRight(o, keySid)) {
              wrongAnswers.add(o.toString());
            }
            if (o.status() == 201) {
              acked.put(JSON.readTree(o.body()).get("sid").asText(), n);
            }
          };
      // The API kinds in turn, and the nodes in turn: 5 and 3 are coprime, so each client meets
      // every pair.
      List<Kind> api = List.of(Kind.values()).subList(0, Kind.READYZ.ordinal());
      load.start(
          9,
          (client, round) ->
              ask.ask(
                  (int) ((client + round) % NODES),
                  api.get((int) ((client + round) % api.size())),
                  "outage-" + client + "-" + round));

      // And the balancer's health check: each node's /readyz every 100 ms.
      load.start(
          NODES,
          (node, round) -> {
            load.send(node, Kind.READYZ, "GET", "/readyz", null, null);
            Thread.sleep(100);
          });

      // Every kind served by every node before the fault, then a while longer under load.
      await(
          "every kind served by every node",
          BOUND,
          () -> servedByAll(load, Long.MIN_VALUE, Set.of(Kind.values())));
      Thread.sleep(WARM_LOAD.toMillis());

      long stopping = System.nanoTime();
      pg.stopServer();
      long stopped = System.nanoTime();
      // Besides the load, one request of every kind to every node now, so that each kind surely
      // meets the outage on each node, whatever the clients' timing.
      List<Future<Object>> probed = new ArrayList<>();
      try (var probes = Executors.newVirtualThreadPerTaskExecutor()) {
        for (int n = 0; n < NODES; n++) {
          for (Kind k : Kind.values()) {
            int node = n;
            probed.add(
                probes.submit(
                    () -> {
                      ask.ask(node, k, "outage-probe-" + node + "-" + k);
                      return null;
                    }));
          }
        }
      }
      for (Future<Object> f : probed) {
        f.get(); // rethrows what went wrong in a probe
      }
      Thread.sleep(Math.max(0, OUTAGE.toNanos() - (System.nanoTime() - stopped)) / 1_000_000);
      long starting = System.nanoTime();
      pg.startServer();
      long started = System.nanoTime();

      // Recovery, by themselves: every node serves every kind again.
      await(
          "every node serving every kind after PostgreSQL came back",
          BOUND,
          () -> servedByAll(load, started, Set.of(Kind.values())));
      long recovered = System.nanoTime();
      load.stop();
      assertThat(load.clientFailures).as("client failures").isEmpty();

      List<Outcome> all = List.copyOf(load.outcomes);
      // Never 401 (it would tell a client its credentials are wrong), never anything but 2xx or
      // the Twilio 503, at any time.
      assertThat(all.stream().filter(o -> !o.ok() && !isUnavailable(o)).toList())
          .as("answers other than 2xx and the Twilio 503")
          .isEmpty();
      assertThat(wrongAnswers).as("2xx answers that said something untrue").isEmpty();

      // Wholly inside the outage: sent after the stop returned, answered before the start began.
      List<Outcome> during =
          all.stream().filter(o -> o.sent() >= stopped && o.done() <= starting).toList();
      Map<Kind, List<Outcome>> duringByKind = new EnumMap<>(Kind.class);
      for (Outcome o : during) {
        duringByKind.computeIfAbsent(o.kind(), k -> new ArrayList<>()).add(o);
      }
      // What needs the database answers 503, on every node: readiness, listing, creating.
      for (Kind k : List.of(Kind.READYZ, Kind.LIST_KEYS, Kind.CREATE_KEY)) {
        List<Outcome> of = duringByKind.getOrDefault(k, List.of());
        assertThat(of).as(k + " during the outage").isNotEmpty();
        assertThat(of).as(k + " during the outage").allMatch(ClusterFaultTest::isUnavailable);
      }
      for (int n = 0; n < NODES; n++) {
        int node = n;
        assertThat(during)
            .as("node %d said not ready during the outage", node)
            .anyMatch(o -> o.node() == node && o.kind() == Kind.READYZ && isUnavailable(o));
      }
      // What the credential cache holds may answer 200 (rightly, checked above) for at most its
      // lifetime after the last load, which was before the stop returned; after that, 503 too.
      List<Outcome> cached =
          during.stream()
              .filter(o -> Set.of(Kind.FETCH_KEY, Kind.KEY_AUTH, Kind.ROOT_AUTH).contains(o.kind()))
              .toList();
      List<Outcome> cachedOk = cached.stream().filter(Outcome::ok).toList();
      long lastCachedOk = cachedOk.stream().mapToLong(o -> o.sent() - stopped).max().orElse(-1);
      // Past one lifetime plus a second (a margin for two JVMs' scheduling: the point is "not for
      // the whole outage"), 503 like the rest.
      assertThat(
              cached.stream()
                  .filter(o -> o.sent() - stopped > CACHE_EXPIRY.toNanos() + 1_000_000_000L)
                  .toList())
          .as("requests served from the cache, past its lifetime")
          .isNotEmpty()
          .allMatch(ClusterFaultTest::isUnavailable);

      // Acknowledged writes made before the stop are still there after the start.
      List<String> lost = new ArrayList<>();
      for (Map.Entry<String, Integer> a : acked.entrySet()) {
        int status =
            TestServers.get(nodes.port(a.getValue()), keyPath(a.getKey()), ROOT).statusCode();
        if (status != 200) {
          lost.add(a.getKey() + " " + status);
        }
      }
      assertThat(lost).as("acknowledged keys lost").isEmpty();

      // The balancer's view: when each node went unready after the stop began, and ready again
      // after the start.
      Map<Integer, Long> unreadyAfter = new TreeMap<>();
      Map<Integer, Long> recoveredAfter = new TreeMap<>();
      for (int n = 0; n < NODES; n++) {
        int node = n;
        unreadyAfter.put(
            n,
            ms(
                all.stream()
                        .filter(o -> o.node() == node && o.kind() == Kind.READYZ)
                        .filter(o -> o.sent() >= stopping && isUnavailable(o))
                        .mapToLong(Outcome::done)
                        .min()
                        .orElseThrow()
                    - stopping));
        recoveredAfter.put(
            n,
            ms(
                all.stream()
                        .filter(o -> o.node() == node && o.sent() >= started && o.ok())
                        .filter(o -> o.kind() == Kind.READYZ)
                        .mapToLong(Outcome::done)
                        .min()
                        .orElse(recovered)
                    - started));
      }
      System.out.printf(
          "ClusterFaultTest PostgreSQL down: nodes started in %d ms; requests=%d %s; stop took %d ms, down %d ms;"
              + " wholly inside the outage %d %s, of which from the cache %d (2xx %d, the last sent"
              + " %d ms after the stop); not ready after the stop began (ms, by node) %s; ready"
              + " again after the start (ms, by node) %s, every kind on every node within %d ms;"
              + " acknowledged writes %d%n",
          nodes.startedInMillis(),
          all.size(),
          byStatus(all),
          ms(stopped - stopping),
          ms(starting - stopped),
          during.size(),
          byStatus(during),
          cached.size(),
          cachedOk.size(),
          lastCachedOk < 0 ? -1 : ms(lastCachedOk),
          unreadyAfter,
          recoveredAfter,
          ms(recovered - started),
          acked.size());
    }
  }

  /**
   * Whether every node has answered every one of {@code kinds} with 2xx for a request sent at or
   * after {@code since}.
   */
  private static boolean servedByAll(Load load, long since, Set<Kind> kinds) {
    Map<Integer, Set<Kind>> served = new HashMap<>();
    for (Outcome o : load.outcomes) {
      if (o.sent() >= since && o.ok()) {
        served.computeIfAbsent(o.node(), n -> new HashSet<>()).add(o.kind());
      }
    }
    for (int n = 0; n < NODES; n++) {
      if (!served.getOrDefault(n, Set.of()).containsAll(kinds)) {
        return false;
      }
    }
    return true;
  }
}
