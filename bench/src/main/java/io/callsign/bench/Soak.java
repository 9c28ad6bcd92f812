package io.callsign.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The load client of {@code bench/soak}: mixed requests spread over several Callsign nodes for a
 * fixed time, paced to a target rate, with every answer counted by kind and status and checked for
 * what it says. Configured by the environment:
 *
 * <ul>
 *   <li>{@code SOAK_NODES}: the nodes' base URLs, comma-separated;
 *   <li>{@code SOAK_ACCOUNT_SID}, {@code SOAK_AUTH_TOKEN}: the root account;
 *   <li>{@code SOAK_SECONDS} (600), {@code SOAK_CLIENTS} (8), {@code SOAK_RATE} (requests per
 *       second over all clients, 400).
 * </ul>
 *
 * <p>Each client repeats one cycle, each request to the next node in turn: authentication (GET the
 * account with a main key), an Access Token minted and then introspected on another node, a Flex
 * token validated, and every few cycles a key created on one node, used on the next and deleted on
 * the third. A deleted key is tried again a little over a second later (the cluster's revocation
 * bound, design note 0016): that 401 is the one deliberate non-2xx answer; anything else that is
 * not what the kind expects is counted as unexpected. Prints progress to stderr every minute and
 * the report to stdout; exits 1 when any answer was unexpected.
 */
public final class Soak {
  private static final ObjectMapper JSON = new ObjectMapper();
  // Longer than the cluster's one-second revocation bound, so that the 401 must be there.
  private static final long REVOCATION_CHECK_AFTER_NANOS = 1_100_000_000L;
  private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(30);

  /** What a request does, and what it must answer. */
  enum Kind {
    AUTH(200, false),
    MINT(201, false),
    INTROSPECT(200, false),
    FLEX_VALIDATE(200, false),
    KEY_CREATE(201, false),
    KEY_USE(200, false),
    KEY_DELETE(204, false),
    REVOKED_KEY(401, true);

    final int expected;
    final boolean deliberate;

    Kind(int expected, boolean deliberate) {
      this.expected = expected;
      this.deliberate = deliberate;
    }

    String label() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  /** One kind's counts, kept per client (no sharing on the hot path) and merged at the end. */
  static final class Tally {
    long requests;
    long expected;
    long wrongBody;
    long ioErrors;
    // Also counted apart from the map below, so that progress can read it while clients write.
    long unexpectedCount;
    final Map<Integer, Long> unexpectedByStatus = new TreeMap<>();
    long[] latencies = new long[1024];
    int latencyCount;

    void add(long nanos) {
      if (latencyCount == latencies.length) {
        latencies = Arrays.copyOf(latencies, latencies.length * 2);
      }
      latencies[latencyCount++] = nanos;
    }

    void merge(Tally o) {
      requests += o.requests;
      expected += o.expected;
      wrongBody += o.wrongBody;
      ioErrors += o.ioErrors;
      unexpectedCount += o.unexpectedCount;
      o.unexpectedByStatus.forEach((s, n) -> unexpectedByStatus.merge(s, n, Long::sum));
      for (int i = 0; i < o.latencyCount; i++) {
        add(o.latencies[i]);
      }
    }

    long unexpected() {
      return unexpectedCount;
    }

    long fiveHundreds() {
      return unexpectedByStatus.entrySet().stream()
          .filter(e -> e.getKey() >= 500)
          .mapToLong(Map.Entry::getValue)
          .sum();
    }
  }

  private final List<String> nodes;
  private final String accountSid;
  private final String rootAuth;
  private final HttpClient http =
      HttpClient.newBuilder()
          .version(HttpClient.Version.HTTP_1_1)
          .connectTimeout(Duration.ofSeconds(5))
          .build();
  private String mainKeyAuth;
  private String flexToken;

  private Soak(List<String> nodes, String accountSid, String authToken) {
    this.nodes = nodes;
    this.accountSid = accountSid;
    this.rootAuth = basic(accountSid, authToken);
  }

  /** Runs the soak as the environment says; see the class comment. */
  public static void main(String[] args) throws Exception {
    Map<String, String> env = System.getenv();
    List<String> nodes = List.of(required(env, "SOAK_NODES").split(","));
    long seconds = Long.parseLong(env.getOrDefault("SOAK_SECONDS", "600"));
    int clients = Integer.parseInt(env.getOrDefault("SOAK_CLIENTS", "8"));
    double rate = Double.parseDouble(env.getOrDefault("SOAK_RATE", "400"));
    Soak soak =
        new Soak(nodes, required(env, "SOAK_ACCOUNT_SID"), required(env, "SOAK_AUTH_TOKEN"));
    soak.setUp();
    boolean clean = soak.run(Duration.ofSeconds(seconds), clients, rate);
    System.exit(clean ? 0 : 1);
  }

  private static String required(Map<String, String> env, String name) {
    String v = env.get(name);
    if (v == null || v.isBlank()) {
      throw new IllegalArgumentException(name + " is not set");
    }
    return v;
  }

  private static String basic(String user, String password) {
    return "Basic "
        + Base64.getEncoder()
            .encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
  }

  // ------------------------------------------------------------------------------ setup

  /**
   * Through the first node: a main key (it may mint and validate Flex tokens), a Flex user of the
   * root account's instance and a day-long Flex token for it, checked to validate.
   */
  private void setUp() throws IOException, InterruptedException {
    String base = nodes.getFirst();
    JsonNode key =
        expectJson(
            send(
                "POST",
                base + "/v1/Keys",
                rootAuth,
                "application/x-www-form-urlencoded",
                "FriendlyName=soak&KeyType=main&AccountSid=" + accountSid),
            201);
    mainKeyAuth = basic(key.get("sid").asText(), key.get("secret").asText());
    JsonNode instances =
        expectJson(send("GET", base + "/v4/Instances", mainKeyAuth, null, null), 200);
    String instance = findSid(instances, "GO");
    JsonNode user =
        expectJson(
            send(
                "POST",
                base + "/v4/Instances/" + instance + "/Users/Provision",
                mainKeyAuth,
                "application/json",
                "{\"username\":\"soak\",\"email\":\"soak@example.com\",\"full_name\":\"Soak\","
                    + "\"roles\":[\"agent\"],\"worker\":{}}"),
            201);
    JsonNode token =
        expectJson(
            send(
                "POST",
                base
                    + "/v4/Instances/"
                    + instance
                    + "/Users/"
                    + user.get("flex_user_sid").asText()
                    + "/Tokens",
                mainKeyAuth,
                "application/json",
                "{\"ttl\":86400}"),
            201);
    flexToken = token.get("access_token").asText();
    JsonNode valid = expectJson(flexValidate(base), 200);
    if (!valid.path("valid").asBoolean()) {
      throw new IllegalStateException("the soak's Flex token does not validate: " + valid);
    }
  }

  private static String findSid(JsonNode node, String prefix) {
    if (node.isObject() && node.path("sid").asText().startsWith(prefix)) {
      return node.get("sid").asText();
    }
    for (JsonNode child : node) {
      String found = findSid(child, prefix);
      if (found != null) {
        return found;
      }
    }
    return null;
  }

  private static JsonNode expectJson(HttpResponse<String> res, int status) throws IOException {
    if (res.statusCode() != status) {
      throw new IllegalStateException(
          "setup: " + res.request().uri() + " answered " + res.statusCode() + ": " + res.body());
    }
    return JSON.readTree(res.body());
  }

  // ------------------------------------------------------------------------------ requests

  private HttpResponse<String> send(
      String method, String url, String auth, String contentType, String body)
      throws IOException, InterruptedException {
    HttpRequest.Builder b =
        HttpRequest.newBuilder(URI.create(url))
            .timeout(REQUEST_TIMEOUT)
            .header("Authorization", auth);
    if (contentType != null) {
      b.header("Content-Type", contentType)
          .method(method, HttpRequest.BodyPublishers.ofString(body));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> flexValidate(String base) throws IOException, InterruptedException {
    return send(
        "POST",
        base + "/v1/Accounts/" + accountSid + "/Tokens/validate",
        mainKeyAuth,
        "application/json",
        "{\"token\":\"" + flexToken + "\"}");
  }

  /** A key deleted at {@code deletedAt}, to be tried again once the revocation bound has passed. */
  private record Deleted(String auth, long deletedAt) {}

  /** One client: its own counts, its place in the node rotation, and its work in progress. */
  private final class Client {
    final Map<Kind, Tally> tallies = new EnumMap<>(Kind.class);
    final ArrayDeque<Deleted> deleted = new ArrayDeque<>();
    int node;
    String lastToken;

    Client(int id) {
      node = id % nodes.size();
      for (Kind k : Kind.values()) {
        tallies.put(k, new Tally());
      }
    }

    String nextNode() {
      node = (node + 1) % nodes.size();
      return nodes.get(node);
    }

    /**
     * Sends one request of {@code kind} to the next node and counts its answer; returns the body
     * when the answer is the expected one, else null.
     */
    JsonNode call(Kind kind, String method, String path, String auth, String type, String body)
        throws InterruptedException {
      Tally t = tallies.get(kind);
      t.requests++;
      long start = System.nanoTime();
      HttpResponse<String> res;
      try {
        res = send(method, nextNode() + path, auth, type, body);
      } catch (IOException e) {
        t.ioErrors++;
        t.unexpectedCount++;
        return null;
      } finally {
        t.add(System.nanoTime() - start);
      }
      if (res.statusCode() != kind.expected) {
        t.unexpectedByStatus.merge(res.statusCode(), 1L, Long::sum);
        t.unexpectedCount++;
        return null;
      }
      try {
        JsonNode json = res.body().isEmpty() ? JSON.nullNode() : JSON.readTree(res.body());
        if (!saysWhatItShould(kind, json)) {
          t.wrongBody++;
          t.unexpectedCount++;
          return null;
        }
        t.expected++;
        return json;
      } catch (IOException e) {
        t.wrongBody++;
        t.unexpectedCount++;
        return null;
      }
    }

    private boolean saysWhatItShould(Kind kind, JsonNode json) {
      return switch (kind) {
        case AUTH, KEY_USE -> json.path("sid").asText().equals(accountSid);
        case MINT -> json.path("token").asText().startsWith("ey");
        case INTROSPECT -> json.path("active").asBoolean();
        case FLEX_VALIDATE -> json.path("valid").asBoolean();
        case KEY_CREATE -> json.path("sid").asText().startsWith("SK");
        case KEY_DELETE -> true;
        case REVOKED_KEY -> json.path("code").asInt() == 20003;
      };
    }

    /** One cycle: about a dozen requests. */
    void cycle(long round, Runnable pace) throws InterruptedException {
      String account = "/2010-04-01/Accounts/" + accountSid;
      for (int i = 0; i < 2; i++) {
        pace.run();
        call(Kind.AUTH, "GET", account + ".json", mainKeyAuth, null, null);
        pace.run();
        JsonNode minted =
            call(
                Kind.MINT,
                "POST",
                "/v1/AccessTokens",
                mainKeyAuth,
                "application/json",
                "{\"identity\":\"soak\",\"ttl\":3600,\"grants\":{\"video\":{\"room\":\"soak\"}}}");
        if (minted != null) {
          lastToken = minted.get("token").asText();
        }
        if (lastToken != null) {
          pace.run();
          call(
              Kind.INTROSPECT,
              "POST",
              "/v1/AccessTokens/Introspect",
              mainKeyAuth,
              "application/x-www-form-urlencoded",
              "Token=" + URLEncoder.encode(lastToken, StandardCharsets.UTF_8));
        }
        pace.run();
        call(
            Kind.FLEX_VALIDATE,
            "POST",
            "/v1/Accounts/" + accountSid + "/Tokens/validate",
            mainKeyAuth,
            "application/json",
            "{\"token\":\"" + flexToken + "\"}");
      }
      if (round % 2 == 0) {
        pace.run();
        JsonNode key =
            call(
                Kind.KEY_CREATE,
                "POST",
                account + "/Keys.json",
                rootAuth,
                "application/x-www-form-urlencoded",
                "FriendlyName=soak-" + round);
        if (key != null) {
          String sid = key.get("sid").asText();
          String auth = basic(sid, key.get("secret").asText());
          pace.run();
          call(Kind.KEY_USE, "GET", account + ".json", auth, null, null);
          pace.run();
          if (call(
                  Kind.KEY_DELETE,
                  "DELETE",
                  account + "/Keys/" + sid + ".json",
                  rootAuth,
                  null,
                  null)
              != null) {
            deleted.add(new Deleted(auth, System.nanoTime()));
          }
        }
      }
      while (!deleted.isEmpty()
          && System.nanoTime() - deleted.peek().deletedAt() > REVOCATION_CHECK_AFTER_NANOS) {
        pace.run();
        call(Kind.REVOKED_KEY, "GET", account + ".json", deleted.poll().auth(), null, null);
      }
    }
  }

  // ------------------------------------------------------------------------------ the run

  private boolean run(Duration length, int clientCount, double rate) throws InterruptedException {
    long start = System.nanoTime();
    long end = start + length.toNanos();
    // Each client paces itself to its share of the rate: request n is not sent before
    // start + n * interval (a client that falls behind sends at once, without catching up in a
    // burst beyond what its connection allows).
    long interval = (long) (1e9 * clientCount / rate);
    AtomicBoolean stop = new AtomicBoolean();
    List<Client> clients = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int c = 0; c < clientCount; c++) {
      Client client = new Client(c);
      clients.add(client);
      long offset = interval * c / clientCount;
      threads.add(
          Thread.ofVirtual()
              .name("soak-" + c)
              .start(
                  () -> {
                    long[] sent = {0};
                    Runnable pace =
                        () -> {
                          long due = start + offset + sent[0]++ * interval;
                          long wait = due - System.nanoTime();
                          if (wait > 0) {
                            try {
                              Thread.sleep(Duration.ofNanos(wait));
                            } catch (InterruptedException e) {
                              Thread.currentThread().interrupt();
                            }
                          }
                        };
                    try {
                      for (long round = 0;
                          !stop.get() && System.nanoTime() < end && !Thread.interrupted();
                          round++) {
                        client.cycle(round, pace);
                      }
                    } catch (InterruptedException e) {
                      Thread.currentThread().interrupt();
                    }
                  }));
    }
    long nextProgress = start + Duration.ofSeconds(60).toNanos();
    while (System.nanoTime() < end) {
      Thread.sleep(Math.min(1_000, Math.max(1, (end - System.nanoTime()) / 1_000_000)));
      if (System.nanoTime() >= nextProgress && System.nanoTime() < end) {
        nextProgress += Duration.ofSeconds(60).toNanos();
        // Read without locks: a rough count is all progress needs.
        long requests = 0;
        long unexpected = 0;
        for (Client c : clients) {
          for (Tally t : c.tallies.values()) {
            requests += t.requests;
            unexpected += t.unexpected();
          }
        }
        System.err.printf(
            "soak: %d s, %d requests, %d unexpected%n",
            (System.nanoTime() - start) / 1_000_000_000L, requests, unexpected);
      }
    }
    stop.set(true);
    for (Thread t : threads) {
      t.join(REQUEST_TIMEOUT.multipliedBy(2));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    return report(clients, seconds);
  }

  private static boolean report(List<Client> clients, double seconds) {
    Map<Kind, Tally> total = new EnumMap<>(Kind.class);
    for (Kind k : Kind.values()) {
      total.put(k, new Tally());
    }
    for (Client c : clients) {
      c.tallies.forEach((k, t) -> total.get(k).merge(t));
    }
    long requests = 0;
    long unexpected = 0;
    long fiveHundreds = 0;
    long deliberate = 0;
    System.out.println(
        "| kind | requests | as expected | expected status | unexpected (status: count) | 5xx |"
            + " I/O errors | wrong body | p50 ms | p99 ms | max ms |");
    System.out.println("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|");
    for (Map.Entry<Kind, Tally> e : total.entrySet()) {
      Kind k = e.getKey();
      Tally t = e.getValue();
      long[] lat = Arrays.copyOf(t.latencies, t.latencyCount);
      Arrays.sort(lat);
      requests += t.requests;
      unexpected += t.unexpected();
      fiveHundreds += t.fiveHundreds();
      if (k.deliberate) {
        deliberate += t.expected;
      }
      System.out.printf(
          Locale.ROOT,
          "| %s | %d | %d | %d%s | %s | %d | %d | %d | %.1f | %.1f | %.1f |%n",
          k.label(),
          t.requests,
          t.expected,
          k.expected,
          k.deliberate ? " (deliberate)" : "",
          t.unexpectedByStatus.isEmpty() ? "none" : t.unexpectedByStatus.toString(),
          t.fiveHundreds(),
          t.ioErrors,
          t.wrongBody,
          percentile(lat, 0.50),
          percentile(lat, 0.99),
          lat.length == 0 ? 0 : lat[lat.length - 1] / 1e6);
    }
    System.out.printf(
        Locale.ROOT,
        "SOAK requests=%d seconds=%.0f rate=%.1f unexpected=%d five_hundreds=%d"
            + " deliberate_non_2xx=%d%n",
        requests,
        seconds,
        requests / seconds,
        unexpected,
        fiveHundreds,
        deliberate);
    return unexpected == 0;
  }

  private static double percentile(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    return sorted[(int) Math.ceil(p * sorted.length) - 1] / 1e6;
  }
}
