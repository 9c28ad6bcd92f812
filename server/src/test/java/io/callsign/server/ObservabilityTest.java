package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.logs.Logs;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.event.Level;

/** Request ids, Prometheus metrics and JSON logs (docs/design/0013-metrics-and-logs.md). */
class ObservabilityTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "c".repeat(16) + "d".repeat(16);
  private static final String ROOT = basic(SID, TOKEN);
  private static final Pattern SAMPLE =
      Pattern.compile(
          "^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{(?:[^\"}]|\"(?:[^\"\\\\]|\\\\.)*\")*\\})? (\\S+)$",
          Pattern.MULTILINE);

  @TempDir Path dir;
  private CallsignServer server;
  private int port;

  @BeforeEach
  void start() {
    server = new CallsignServer(TestDatabase.SQLITE.config(dir).withRootCredentials(SID, TOKEN));
    port = server.start();
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  /** Every sample of the scrape, keyed by name and labels as printed. */
  private Map<String, Double> scrape() throws Exception {
    HttpResponse<String> r = TestServers.get(port, "/metrics", null);
    assertThat(r.statusCode()).isEqualTo(200);
    Map<String, Double> samples = new HashMap<>();
    Matcher m = SAMPLE.matcher(r.body());
    while (m.find()) {
      samples.put(m.group(1) + (m.group(2) == null ? "" : m.group(2)), Double.valueOf(m.group(3)));
    }
    return samples;
  }

  private static double sample(Map<String, Double> samples, String name, String... labels) {
    return samples.entrySet().stream()
        .filter(e -> e.getKey().startsWith(name + "{") || e.getKey().equals(name))
        .filter(e -> List.of(labels).stream().allMatch(l -> e.getKey().contains(l)))
        .mapToDouble(Map.Entry::getValue)
        .sum();
  }

  private HttpResponse<String> fetchAccount(String auth) throws Exception {
    return TestServers.get(port, "/2010-04-01/Accounts/" + SID + ".json", auth);
  }

  @Test
  void everyResponseCarriesItsOwnTwilioRequestId() throws Exception {
    HttpResponse<String> a = fetchAccount(ROOT);
    HttpResponse<String> b = fetchAccount(basic(SID, "x".repeat(32)));
    HttpResponse<String> c = TestServers.get(port, "/no/such/path", null);
    List<String> ids = new ArrayList<>();
    for (HttpResponse<String> r : List.of(a, b, c)) {
      String id = r.headers().firstValue("Twilio-Request-Id").orElseThrow();
      assertThat(id).matches("RQ[0-9a-f]{32}");
      ids.add(id);
    }
    assertThat(ids).doesNotHaveDuplicates();
  }

  @Test
  void requestsAreTimedByRouteTemplateNeverByRawPath() throws Exception {
    assertThat(fetchAccount(ROOT).statusCode()).isEqualTo(200);
    assertThat(fetchAccount(ROOT).statusCode()).isEqualTo(200);
    String probe = "/no/such/" + "f".repeat(20);
    assertThat(TestServers.get(port, probe, null).statusCode()).isEqualTo(404);

    Map<String, Double> m = scrape();
    assertThat(
            sample(
                m,
                "http_server_requests_seconds_count",
                "method=\"GET\"",
                "route=\"/2010-04-01/Accounts/{sidJson}\"",
                "status=\"200\""))
        .isEqualTo(2);
    assertThat(
            sample(
                m, "http_server_requests_seconds_count", "route=\"unmatched\"", "status=\"404\""))
        .isEqualTo(1);
    assertThat(sample(m, "http_server_requests_seconds_bucket", "status=\"200\"", "le=\"+Inf\""))
        .isGreaterThanOrEqualTo(2);
    assertThat(m.keySet()).noneMatch(k -> k.contains(SID) || k.contains("f".repeat(20)));
  }

  @Test
  void inventedMethodsShareOneTimerSoTheyCannotGrowTheScrape() throws Exception {
    for (String method : List.of("BREW", "WHEN", "FETCH")) {
      TestServers.HTTP.send(
          java.net.http.HttpRequest.newBuilder(
                  java.net.URI.create("http://127.0.0.1:" + port + "/healthz"))
              .method(method, java.net.http.HttpRequest.BodyPublishers.noBody())
              .build(),
          HttpResponse.BodyHandlers.ofString());
    }
    Map<String, Double> m = scrape();
    assertThat(sample(m, "http_server_requests_seconds_count", "method=\"OTHER\"")).isEqualTo(3);
    assertThat(m.keySet()).noneMatch(k -> k.contains("BREW") || k.contains("FETCH"));
  }

  @Test
  void authenticationsAreCountedByOutcomeAndReason() throws Exception {
    fetchAccount(ROOT);
    fetchAccount(basic(SID, "x".repeat(32)));
    fetchAccount(basic(SID, "y".repeat(32)));
    fetchAccount(null);
    fetchAccount("Basic !!!");

    Map<String, Double> m = scrape();
    String name = "callsign_authentications_total";
    assertThat(sample(m, name, "outcome=\"succeeded\"", "credential_kind=\"auth-token\""))
        .isEqualTo(1);
    assertThat(sample(m, name, "reason=\"unknown_credential_or_wrong_secret\"")).isEqualTo(2);
    assertThat(sample(m, name, "reason=\"no_credentials\"")).isEqualTo(1);
    assertThat(sample(m, name, "reason=\"malformed_credentials\"")).isEqualTo(1);
    assertThat(sample(m, name, "reason=\"account_not_active\"")).isZero();
  }

  @Test
  void accessTokenMintsAndIntrospectionsAreCountedAndCacheHitsShow() throws Exception {
    JsonNode key =
        JSON.readTree(
            TestServers.sendForm(
                    port, "/2010-04-01/Accounts/" + SID + "/Keys.json", ROOT, "FriendlyName=m")
                .body());
    String keyAuth = basic(key.get("sid").asText(), key.get("secret").asText());
    HttpResponse<String> minted =
        TestServers.sendForm(port, "/v1/AccessTokens", keyAuth, "Identity=alice");
    assertThat(minted.statusCode()).as(minted.body()).isEqualTo(201);
    String jwt = JSON.readTree(minted.body()).get("token").asText();
    TestServers.sendForm(port, "/v1/AccessTokens/Introspect", keyAuth, "Token=" + jwt);
    TestServers.sendForm(port, "/v1/AccessTokens/Introspect", keyAuth, "Token=" + jwt + "x");

    Map<String, Double> m = scrape();
    assertThat(sample(m, "callsign_access_tokens_minted_total")).isEqualTo(1);
    assertThat(sample(m, "callsign_access_tokens_introspected_total", "outcome=\"active\""))
        .isEqualTo(1);
    assertThat(
            sample(
                m,
                "callsign_access_tokens_introspected_total",
                "outcome=\"inactive\"",
                "code=\"20107\""))
        .isEqualTo(1);
    // The key was read once and then served from the cache.
    assertThat(sample(m, "cache_gets_total", "cache=\"keys\"", "result=\"hit\"")).isPositive();
    assertThat(sample(m, "jvm_memory_used_bytes")).isPositive();
    assertThat(m).containsKey("callsign_audit_queue_events");
  }

  @Test
  void jsonLogsNameTheRequestTheirLinesBelongTo() throws Exception {
    String id;
    String logged;
    try (LogCapture logs = new LogCapture(Logs.Format.JSON, Level.DEBUG)) {
      HttpResponse<String> r = fetchAccount(ROOT);
      id = r.headers().firstValue("Twilio-Request-Id").orElseThrow();
      // The request line is written once the response is complete.
      long deadline = System.nanoTime() + 5_000_000_000L;
      while (!logs.text().contains(id) && System.nanoTime() < deadline) {
        Thread.sleep(10);
      }
      logged = logs.text();
    }
    JsonNode line = null;
    for (String l : logged.split("\n")) {
      JsonNode node = JSON.readTree(l);
      assertThat(node.has("level")).as(l).isTrue();
      if (node.path("mdc").path("request_id").asText().equals(id)) {
        line = node;
      }
    }
    assertThat(line).as(logged).isNotNull();
    assertThat(line.get("loggerName").asText()).isEqualTo("io.callsign.server.requests");
    assertThat(line.get("formattedMessage").asText())
        .startsWith("GET /2010-04-01/Accounts/{sidJson} answered 200 in ");
    assertThat(line.get("timestamp").asLong()).isPositive();
  }

  @Test
  void configureWhenCalledAgainThenTheStreamStaysOpenAndCallsignLogsAtTheLevelLibrariesAtInfo() {
    boolean[] closed = {false};
    java.io.ByteArrayOutputStream out =
        new java.io.ByteArrayOutputStream() {
          @Override
          public void close() {
            closed[0] = true;
          }
        };
    // Puts the test configuration back afterwards.
    LogCapture restore = new LogCapture(Logs.Format.TEXT, Level.INFO);
    try {
      Logs.configure(Logs.Format.TEXT, Level.INFO, out);
      // As `callsign serve` does after the CLI's own start-up configuration.
      Logs.configure(Logs.Format.TEXT, Level.TRACE, out);
      org.slf4j.LoggerFactory.getLogger("io.callsign.probe").trace("own trace line");
      org.slf4j.LoggerFactory.getLogger("org.eclipse.jetty.probe").debug("library debug line");
      org.slf4j.LoggerFactory.getLogger("org.eclipse.jetty.probe").info("library info line");
    } finally {
      restore.close();
    }
    assertThat(closed[0]).isFalse();
    assertThat(out.toString(java.nio.charset.StandardCharsets.UTF_8))
        .contains("own trace line", "library info line")
        .doesNotContain("library debug line");
  }

  @Test
  void logFormatAndLevelNamesAreCheckedWithClearMessages() {
    assertThat(Logs.Format.parse(" JSON ")).isEqualTo(Logs.Format.JSON);
    assertThat(Logs.level("Trace")).isEqualTo(Level.TRACE);
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Logs.Format.parse("xml"))
        .hasMessageContaining("text or json");
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> Logs.level("verbose"))
        .hasMessageContaining("error, warn, info, debug, trace");
  }
}
