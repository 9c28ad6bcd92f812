package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import com.twilio.security.RequestValidator;
import io.callsign.server.audit.AuditRetention;
import io.callsign.server.audit.AuditVerifier;
import io.callsign.server.audit.JdbiAuditStore;
import io.callsign.server.config.AuditSinkConfig;
import io.callsign.server.store.Database;
import java.net.InetSocketAddress;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The streaming audit sink against a real HTTP receiver, whose signatures the official twilio-java
 * RequestValidator checks.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class AuditSinkTest {
  @Parameter TestDatabase db;

  private static final ObjectMapper JSON = new ObjectMapper();
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "e".repeat(16) + "f".repeat(16);
  private static final String ROOT = basic(SID, TOKEN);
  private static final String SECRET = "sink-secret-".repeat(3);

  @TempDir Path dir;
  private HttpServer receiver;
  private String url;
  // Answers to give, in turn; 200 once they run out.
  private final List<Integer> answers = new CopyOnWriteArrayList<>();
  private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
  private final AtomicInteger refused = new AtomicInteger();
  private CallsignServer server;
  private int port;

  /** One request the receiver acknowledged. */
  private record Delivery(String url, String signature, String idempotency, String body) {}

  @BeforeEach
  void startReceiver() throws Exception {
    receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
    receiver.createContext(
        "/sink",
        exchange -> {
          byte[] body = exchange.getRequestBody().readAllBytes();
          int status = answers.isEmpty() ? 200 : answers.removeFirst();
          if (status == 200) {
            deliveries.add(
                new Delivery(
                    "http://127.0.0.1:"
                        + receiver.getAddress().getPort()
                        + exchange.getRequestURI(),
                    exchange.getRequestHeaders().getFirst("X-Twilio-Signature"),
                    exchange.getRequestHeaders().getFirst("I-Twilio-Idempotency-Token"),
                    new String(body, StandardCharsets.UTF_8)));
          } else {
            refused.incrementAndGet();
          }
          exchange.sendResponseHeaders(status, -1);
          exchange.close();
        });
    receiver.start();
    url = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/sink?tenant=ci";
  }

  @AfterEach
  void stop() {
    if (server != null) {
      server.stop();
    }
    receiver.stop(0);
  }

  private void startServer(MutableClock clock, Duration retention) {
    server =
        new CallsignServer(
            db.config(dir)
                .withRootCredentials(SID, TOKEN)
                .withAuditRetention(retention)
                .withAuditSink(new AuditSinkConfig(url, SECRET)),
            clock);
    port = server.start();
  }

  private void startServer() {
    startServer(new MutableClock(Instant.now()), Duration.ofDays(90));
  }

  private void createKey() throws Exception {
    HttpResponse<String> r =
        TestServers.sendForm(
            port, "/2010-04-01/Accounts/" + SID + "/Keys.json", ROOT, "FriendlyName=sink");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(201);
  }

  private long headSeq() {
    try (Database database = db.open(dir)) {
      return new JdbiAuditStore(database.jdbi()).chain().headSeq();
    }
  }

  /** The seq of every event delivered, in delivery order. */
  private List<Long> deliveredSeqs() throws Exception {
    List<Long> seqs = new ArrayList<>();
    for (Delivery d : deliveries) {
      for (JsonNode e : JSON.readTree(d.body()).get("events")) {
        seqs.add(e.get("seq").asLong());
      }
    }
    return seqs;
  }

  private static void await(BooleanSupplier condition, String what) throws InterruptedException {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting for " + what).isLessThan(deadline);
      Thread.sleep(20);
    }
  }

  private long lastDelivered() {
    try {
      List<Long> seqs = deliveredSeqs();
      return seqs.isEmpty() ? 0 : seqs.getLast();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static List<Long> range(long from, long to) {
    List<Long> all = new ArrayList<>();
    for (long s = from; s <= to; s++) {
      all.add(s);
    }
    return all;
  }

  @Test
  void deliversEveryEventInOrderSignedSoThatTwilioJavasValidatorAcceptsIt() throws Exception {
    startServer();
    createKey();
    createKey();
    server.stop();
    long head = headSeq();
    startServer();
    await(() -> lastDelivered() >= head, "every event delivered");

    assertThat(deliveredSeqs()).startsWith(range(1, head).toArray(Long[]::new));
    RequestValidator official = new RequestValidator(SECRET);
    RequestValidator wrongSecret = new RequestValidator("x".repeat(32));
    for (Delivery d : deliveries) {
      assertThat(d.url()).contains("tenant=ci").contains("bodySHA256=");
      assertThat(official.validate(d.url(), d.body(), d.signature())).as(d.url()).isTrue();
      assertThat(wrongSecret.validate(d.url(), d.body(), d.signature())).isFalse();
      assertThat(official.validate(d.url(), d.body() + " ", d.signature())).isFalse();
      assertThat(d.idempotency()).matches("audit-\\d+-\\d+");
    }
    JsonNode first = JSON.readTree(deliveries.getFirst().body()).get("events").get(0);
    assertThat(first.get("prev_hash").asText()).isEqualTo("0".repeat(64));
    assertThat(first.get("hash").asText()).hasSize(64);
    assertThat(first.get("event_type").asText()).isNotBlank();
    assertThat(deliveries.toString()).doesNotContain(TOKEN).doesNotContain(SECRET);
  }

  @Test
  void whenTheReceiverFailsThenRetriesUntilAcknowledgedLosingNothing() throws Exception {
    answers.addAll(List.of(500, 503, 404));
    startServer();
    createKey();
    long head = headSeq();
    // Backoff 1 s, 2 s, 4 s before the fourth attempt succeeds.
    await(() -> lastDelivered() >= head, "delivery after three refusals");
    assertThat(refused.get()).isEqualTo(3);
    assertThat(deliveredSeqs()).startsWith(range(1, head).toArray(Long[]::new));
  }

  @Test
  void restartContinuesFromTheLastAcknowledgedEventWithoutLossOrRepeat() throws Exception {
    startServer();
    createKey();
    long firstHead = headSeq();
    await(() -> lastDelivered() >= firstHead, "first delivery");
    server.stop();
    long acknowledged = lastDelivered();
    int before = deliveries.size();

    // The receiver refuses everything while more events are made, then the server stops.
    answers.addAll(List.of(503, 503, 503, 503, 503, 503, 503, 503));
    startServer();
    createKey();
    createKey();
    server.stop();
    answers.clear();
    long head = headSeq();
    assertThat(head).isGreaterThan(acknowledged);

    startServer();
    await(() -> lastDelivered() >= head, "delivery after restart");
    List<Long> after = new ArrayList<>();
    for (Delivery d : deliveries.subList(before, deliveries.size())) {
      JSON.readTree(d.body()).get("events").forEach(e -> after.add(e.get("seq").asLong()));
    }
    assertThat(after).startsWith(range(acknowledged + 1, head).toArray(Long[]::new));
  }

  private long pruneAsOf(MutableClock clock) {
    try (Database database = db.open(dir)) {
      JdbiAuditStore store = new JdbiAuditStore(database.jdbi());
      new AuditRetention(store, Duration.ofDays(1), clock).prune();
      assertThat(AuditVerifier.verify(store).ok()).isTrue();
      return store.chain().anchorSeq();
    }
  }

  @Test
  void retentionKeepsEventsTheReceiverHasNotAcknowledgedUntilItHas() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    answers.addAll(Collections.nCopies(1000, 503));
    startServer(clock, Duration.ofDays(1));
    createKey();
    server.stop();
    long head = headSeq();

    clock.advance(Duration.ofDays(10));
    assertThat(pruneAsOf(clock)).as("nothing delivered, nothing pruned").isZero();

    answers.clear();
    startServer(clock, Duration.ofDays(1));
    await(() -> lastDelivered() >= head, "delivery");
    server.stop();
    assertThat(pruneAsOf(clock)).as("delivered, then pruned").isGreaterThanOrEqualTo(head);
  }

  @Test
  void withoutASinkConfiguredAnyMoreRetentionNoLongerWaits() throws Exception {
    MutableClock clock = new MutableClock(Instant.now());
    answers.addAll(Collections.nCopies(1000, 503));
    startServer(clock, Duration.ofDays(1));
    createKey();
    server.stop();
    long head = headSeq();

    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN), clock);
    server.start();
    server.stop();
    clock.advance(Duration.ofDays(10));
    assertThat(pruneAsOf(clock)).isGreaterThanOrEqualTo(head);
  }
}
