package io.callsign.server.audit;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Deletes audit events older than the retention period: once shortly after start and then every
 * hour, in transactions of at most {@value #BATCH} events so that writers are never held up for
 * long. The chain's anchor moves with each batch, so what remains always verifies. Safe to run on
 * every node at once: each batch locks the chain's head.
 */
public final class AuditRetention implements AutoCloseable {
  private static final Logger LOG = LoggerFactory.getLogger(AuditRetention.class);
  private static final int BATCH = 10_000;
  private static final Duration PERIOD = Duration.ofHours(1);

  private final AuditStore store;
  private final Duration retention;
  private final Clock clock;
  private ScheduledExecutorService scheduler;

  /**
   * Retention of {@code retention} over {@code store}; {@link Duration#ZERO} keeps every event.
   *
   * @throws IllegalArgumentException when {@code retention} is negative
   */
  public AuditRetention(AuditStore store, Duration retention, Clock clock) {
    if (retention.isNegative()) {
      throw new IllegalArgumentException("audit retention must not be negative");
    }
    this.store = store;
    this.retention = retention;
    this.clock = clock;
  }

  /** Starts the schedule (nothing to do when every event is kept). */
  public synchronized void start() {
    if (retention.isZero() || scheduler != null) {
      return;
    }
    scheduler =
        Executors.newSingleThreadScheduledExecutor(
            Thread.ofPlatform().daemon().name("audit-retention").factory());
    scheduler.scheduleWithFixedDelay(this::pruneQuietly, 0, PERIOD.toSeconds(), TimeUnit.SECONDS);
  }

  /**
   * Deletes every event dated before now minus the retention period, batch by batch.
   *
   * @return how many were deleted
   */
  public long prune() {
    if (retention.isZero()) {
      return 0;
    }
    Instant cutoff = clock.instant().minus(retention);
    long total = 0;
    int deleted;
    do {
      deleted = store.pruneBefore(cutoff, BATCH);
      total += deleted;
    } while (deleted == BATCH);
    return total;
  }

  private void pruneQuietly() {
    try {
      long deleted = prune();
      if (deleted > 0) {
        LOG.info("Audit retention: deleted {} events older than {}", deleted, retention);
      }
    } catch (RuntimeException e) {
      // The database may be away; the next run catches up.
      LOG.warn("Audit retention could not run: {}", e.getMessage());
    }
  }

  /** Stops the schedule, waiting for a running prune to finish its batch. */
  @Override
  public synchronized void close() {
    if (scheduler == null) {
      return;
    }
    // Lets a running batch commit rather than interrupting it mid-statement.
    scheduler.shutdown();
    try {
      scheduler.awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
