package io.callsign.server.audit;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The audit trail's writer. Changes are recorded in their own transaction ({@link #atomically}): an
 * acknowledged change always has its event. High-volume events (authentications) are queued ({@link
 * #submit}) and written in batches by one background thread, and flushed on {@link #close}.
 */
public final class AuditLog implements Audit, AutoCloseable, MeterBinder {
  private static final Logger LOG = LoggerFactory.getLogger(AuditLog.class);
  private static final int BATCH = 1000;
  private static final long FLUSH_MILLIS = 200;

  private final AuditStore store;
  private final BlockingQueue<NewEvent> queue;
  private final AtomicLong dropped = new AtomicLong();
  // Events queued and events written, so that flush() can wait for a batch the writer holds.
  private final AtomicLong queued = new AtomicLong();
  private final AtomicLong written = new AtomicLong();
  private final Thread writer;
  // The batch the writer is working on; after the writer stops, close() writes what is left.
  private final List<NewEvent> pending = new ArrayList<>(BATCH);
  private volatile boolean closed;

  /**
   * A log over {@code store}.
   *
   * @param capacity how many queued events may wait for the writer; beyond it new ones are dropped
   *     and counted, so that a stalled database cannot exhaust memory
   */
  public AuditLog(AuditStore store, int capacity) {
    this.store = store;
    this.queue = new ArrayBlockingQueue<>(capacity);
    this.writer = Thread.ofPlatform().daemon().name("audit-writer").unstarted(this::drainLoop);
  }

  /** Starts the background writer. */
  public void start() {
    writer.start();
  }

  /** The store, for reading. */
  public AuditStore store() {
    return store;
  }

  /**
   * Runs {@code work} and records the event {@code event} makes of its result in the same
   * transaction; when {@code event} gives {@code null} nothing is recorded.
   */
  @Override
  public <T> T atomically(Supplier<T> work, Function<T, NewEvent> event) {
    return store.inTransaction(
        () -> {
          T result = work.get();
          NewEvent e = event.apply(result);
          if (e != null) {
            store.append(List.of(e));
          }
          return result;
        });
  }

  /** Queues {@code e} for the background writer. Never blocks. */
  @Override
  public void submit(NewEvent e) {
    if (!closed && queue.offer(e)) {
      queued.incrementAndGet();
      return;
    }
    long n = dropped.incrementAndGet();
    if (n == 1 || n % 10_000 == 0) {
      LOG.warn("Audit queue full: {} events dropped so far", n);
    }
  }

  /**
   * Registers {@code callsign_audit_queue_events} (waiting for the writer) and {@code
   * callsign_audit_dropped_events_total}.
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    Gauge.builder("callsign.audit.queue", queue, BlockingQueue::size)
        .description("Batched audit events waiting for the writer")
        .baseUnit("events")
        .register(registry);
    FunctionCounter.builder("callsign.audit.dropped", dropped, AtomicLong::doubleValue)
        .description("Batched audit events dropped because the queue was full")
        .baseUnit("events")
        .register(registry);
  }

  /** How many queued events were dropped because the queue was full. */
  public long dropped() {
    return dropped.get();
  }

  /**
   * Writes every event queued so far now, and returns once they are written (including a batch the
   * background writer had taken but not yet written, waiting up to 5 s for it).
   */
  public void flush() {
    long target = queued.get();
    List<NewEvent> batch = new ArrayList<>(BATCH);
    while (queue.drainTo(batch, BATCH) > 0) {
      store.append(batch);
      written.addAndGet(batch.size());
      batch.clear();
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
    while (written.get() < target && System.nanoTime() < deadline) {
      try {
        Thread.sleep(2);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  private void drainLoop() {
    while (!closed) {
      try {
        if (pending.isEmpty()) {
          NewEvent first = queue.poll(FLUSH_MILLIS, TimeUnit.MILLISECONDS);
          if (first == null) {
            continue;
          }
          pending.add(first);
          queue.drainTo(pending, BATCH - 1);
        }
        store.append(pending);
        written.addAndGet(pending.size());
        pending.clear();
      } catch (InterruptedException e) {
        return;
      } catch (RuntimeException e) {
        // The database is away: keep the batch and try it again shortly.
        LOG.warn("Cannot write {} audit events yet: {}", pending.size(), e.getMessage());
        try {
          Thread.sleep(FLUSH_MILLIS);
        } catch (InterruptedException ie) {
          return;
        }
      }
    }
  }

  /** Stops the writer after it has written everything queued. */
  @Override
  public void close() {
    closed = true;
    writer.interrupt();
    try {
      writer.join(5_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      // The writer has stopped: what it held is written first, to keep the order.
      if (!pending.isEmpty()) {
        store.append(pending);
        written.addAndGet(pending.size());
        pending.clear();
      }
      flush();
    } catch (RuntimeException e) {
      LOG.warn("Could not write the last audit events on shutdown: {}", e.getMessage());
    }
  }
}
