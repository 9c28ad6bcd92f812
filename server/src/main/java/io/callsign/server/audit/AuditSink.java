package io.callsign.server.audit;

import com.fasterxml.jackson.core.JsonProcessingException;
import io.callsign.server.config.AuditSinkConfig;
import io.callsign.server.http.Json;
import io.callsign.tokens.webhook.RequestSigner;
import io.callsign.tokens.webhook.SignedUrl;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The streaming sink: POSTs the audit trail, in seq order and in batches of at most {@value
 * #BATCH}, to a configured URL as {@code {"events": [...]}} (each event as {@link
 * AuditExport#line}), signed as Twilio signs JSON webhooks ({@code bodySHA256} in the query, {@code
 * X-Twilio-Signature}). The events table is the queue and {@code audit_sink.delivered_seq} the
 * cursor, so nothing is lost across restarts; a batch is sent again until the receiver answers 2xx
 * (at least once: receivers deduplicate on {@code seq} or on the {@code I-Twilio-Idempotency-Token}
 * header). In a cluster one node at a time delivers, holding a lease in the database.
 */
public final class AuditSink implements AutoCloseable, MeterBinder {
  private static final Logger LOG = LoggerFactory.getLogger(AuditSink.class);
  static final int BATCH = 500;
  private static final Duration IDLE = Duration.ofMillis(500);
  private static final Duration LEASE = Duration.ofSeconds(30);
  private static final Duration MAX_BACKOFF = Duration.ofMinutes(1);
  private static final Duration TIMEOUT = Duration.ofSeconds(30);

  private final AuditStore store;
  private final AuditSinkConfig config;
  private final RequestSigner signer;
  private final Clock clock;
  private final String node = UUID.randomUUID().toString();
  private final HttpClient http;
  private final Thread worker;
  private final AtomicLong delivered = new AtomicLong();
  private final AtomicLong failures = new AtomicLong();
  private volatile boolean closed;

  /** A sink delivering {@code store}'s events as {@code config} says. */
  public AuditSink(AuditStore store, AuditSinkConfig config, Clock clock) {
    this.store = store;
    this.config = config;
    this.signer = new RequestSigner(config.secret());
    this.clock = clock;
    this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    this.worker = Thread.ofPlatform().daemon().name("audit-sink").unstarted(this::run);
  }

  /** Records the receiver (so that retention waits for it) and starts delivering. */
  public void start() {
    store.configureSink(config.url());
    worker.start();
  }

  /**
   * Registers {@code callsign_audit_sink_delivered_events_total}, {@code
   * callsign_audit_sink_failures_total} and {@code callsign_audit_sink_lag_events}.
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("callsign.audit.sink.delivered", delivered, AtomicLong::doubleValue)
        .description("Audit events the sink's receiver acknowledged")
        .baseUnit("events")
        .register(registry);
    FunctionCounter.builder("callsign.audit.sink.failures", failures, AtomicLong::doubleValue)
        .description("Deliveries to the sink's receiver that failed and will be retried")
        .register(registry);
    Gauge.builder("callsign.audit.sink.lag", store, AuditSink::lag)
        .description("Audit events not yet delivered to the sink's receiver")
        .baseUnit("events")
        .register(registry);
  }

  private static double lag(AuditStore store) {
    try {
      return store.chain().headSeq() - store.sink().deliveredSeq();
    } catch (RuntimeException e) {
      return Double.NaN;
    }
  }

  private void run() {
    Duration backoff = Duration.ofSeconds(1);
    while (!closed) {
      Duration pause = IDLE;
      try {
        if (store.leaseSink(node, clock.instant(), clock.instant().plus(LEASE))) {
          List<AuditEvent> batch = pending();
          if (!batch.isEmpty()) {
            if (deliver(batch)) {
              backoff = Duration.ofSeconds(1);
              pause = Duration.ZERO;
            } else {
              failures.incrementAndGet();
              pause = backoff;
              backoff = min(backoff.multipliedBy(2), MAX_BACKOFF);
            }
          }
        }
      } catch (RuntimeException e) {
        // The database is away: try again shortly.
        LOG.warn("Audit sink cannot read its progress: {}", e.getMessage());
      }
      if (!pause.isZero() && !sleep(pause)) {
        return;
      }
    }
  }

  private List<AuditEvent> pending() {
    long after = Math.max(store.sink().deliveredSeq(), store.chain().anchorSeq());
    List<AuditEvent> batch = new ArrayList<>(BATCH);
    store.forEach(
        after,
        e -> {
          batch.add(e);
          return batch.size() < BATCH;
        });
    return batch;
  }

  // True when the receiver acknowledged the batch and the progress is recorded.
  private boolean deliver(List<AuditEvent> batch) {
    String body;
    try {
      body =
          Json.STRICT.writeValueAsString(
              Map.of("events", batch.stream().map(AuditExport::line).toList()));
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("cannot write audit events", e);
    }
    long first = batch.getFirst().seq();
    long last = batch.getLast().seq();
    SignedUrl signed = signer.signJson(config.url(), body);
    HttpRequest request =
        HttpRequest.newBuilder(URI.create(signed.url()))
            .timeout(TIMEOUT)
            .header("Content-Type", "application/json")
            .header("User-Agent", "Callsign-Audit-Sink/1.0")
            .header("X-Twilio-Signature", signed.signature())
            .header("I-Twilio-Idempotency-Token", "audit-" + first + "-" + last)
            .POST(HttpRequest.BodyPublishers.ofString(body))
            .build();
    int status;
    try {
      status = http.send(request, HttpResponse.BodyHandlers.discarding()).statusCode();
    } catch (IOException e) {
      LOG.warn("Audit sink: {} unreachable: {}", config.url(), e.getMessage());
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
    if (status / 100 != 2) {
      LOG.warn("Audit sink: {} answered {} to events {}..{}", config.url(), status, first, last);
      return false;
    }
    if (store.sinkDelivered(node, last)) {
      delivered.addAndGet(batch.size());
    }
    return true;
  }

  private static Duration min(Duration a, Duration b) {
    return a.compareTo(b) <= 0 ? a : b;
  }

  private boolean sleep(Duration d) {
    try {
      Thread.sleep(d);
      return true;
    } catch (InterruptedException e) {
      return false;
    }
  }

  /**
   * Stops delivering (a batch in flight is abandoned and sent again by the next start) and gives up
   * the lease, so that another node takes over at once.
   */
  @Override
  public void close() {
    closed = true;
    worker.interrupt();
    try {
      worker.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    http.close();
    try {
      store.releaseSink(node);
    } catch (RuntimeException e) {
      LOG.warn("Audit sink could not give up its lease; it expires in {}", LEASE);
    }
  }
}
