package io.callsign.server.cluster;

import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.jdbi.v3.core.Jdbi;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Cross-node cache invalidation on PostgreSQL (docs/design/0016-cluster-invalidation.md).
 *
 * <p>Two paths deliver a change made anywhere to this node's {@link Invalidator}:
 *
 * <ul>
 *   <li><b>Notifications.</b> A trigger logs every change to a cached row in {@code
 *       cluster_changes} and calls {@code pg_notify('callsign_changes', ...)} in the writing
 *       transaction, so the notification goes out at commit and never for a rolled-back change. One
 *       thread holds a dedicated connection (not from the pool) that LISTENs and polls with {@code
 *       getNotifications(timeout)}; when that connection drops it reconnects by itself, backing off
 *       from {@link Tuning#reconnectMin} to {@link Tuning#reconnectMax}.
 *   <li><b>Reconcile.</b> Every {@link Tuning#reconcileEvery}, one indexed query through the pool
 *       reads the changes committed since the last read's snapshot ({@code ChangeLog}); those no
 *       notification brought are applied then (after a grace of at most 200 ms, in case it is on
 *       its way). So a lost notification (the listener was down, the network dropped it) costs at
 *       most about one interval, never a revoked key that stays alive.
 * </ul>
 *
 * <p>Everything is forgotten ({@link Invalidator#invalidateAll()}) and the log read afresh when
 * nothing can be trusted to be complete: at start, when the listener reconnects, when no read has
 * succeeded for {@link Tuning#staleAfter} (the log may have been pruned past it), when the backlog
 * is larger than {@link Tuning#maxBacklog}, and when the database's transaction ids went back (a
 * restore).
 */
public final class PostgresClusterInvalidation implements ClusterInvalidation {
  /** The channel the change-log trigger notifies. */
  public static final String CHANNEL = "callsign_changes";

  private static final Logger LOG = LoggerFactory.getLogger(PostgresClusterInvalidation.class);
  // How long one poll for notifications blocks: also how long close() may wait for the listener.
  private static final int POLL_MILLIS = 500;
  // A quiet connection is checked this often, so that a silently dead one is replaced.
  private static final long HEARTBEAT_NANOS = Duration.ofSeconds(10).toNanos();
  // How often a node prunes the change log (each node does; deleting twice is harmless).
  private static final long PRUNE_NANOS = Duration.ofMinutes(10).toNanos();
  // Notified changes are remembered until the reconcile reads them, or this long at most.
  private static final long REMEMBER_NANOS = Duration.ofMinutes(1).toNanos();
  private static final int MAX_REMEMBERED = 100_000;
  // A change the reconcile finds that no notification has brought yet may just be one whose
  // notification is on its way (it commits, then the listener hears of it a few ms later): it is
  // applied only if still unannounced this much later, so that "missed" counts real misses.
  private static final Duration GRACE = Duration.ofMillis(200);

  /**
   * How cluster invalidation is paced.
   *
   * @param reconcileEvery how often the change log is read: the longest a missed notification can
   *     keep a cached entry (plus one read, and a grace of at most 200 ms in which the notification
   *     may still arrive)
   * @param reconnectMin the first wait before reconnecting the listener; doubled per failure
   * @param reconnectMax the longest wait between reconnection attempts
   * @param keepChanges how long the change log keeps a change
   * @param staleAfter after how long without a successful read everything is forgotten (must be
   *     well below {@code keepChanges})
   * @param maxBacklog the most changes one read applies; a larger backlog forgets everything
   */
  public record Tuning(
      Duration reconcileEvery,
      Duration reconnectMin,
      Duration reconnectMax,
      Duration keepChanges,
      Duration staleAfter,
      int maxBacklog) {

    /** Checks the values. */
    public Tuning {
      for (Duration d :
          new Duration[] {reconcileEvery, reconnectMin, reconnectMax, keepChanges, staleAfter}) {
        Objects.requireNonNull(d);
        if (d.isNegative() || d.isZero()) {
          throw new IllegalArgumentException("cluster timings must be positive");
        }
      }
      if (staleAfter.compareTo(keepChanges) >= 0 || reconcileEvery.compareTo(staleAfter) >= 0) {
        throw new IllegalArgumentException(
            "cluster timings: need reconcileEvery < staleAfter < keepChanges");
      }
      if (maxBacklog < 1) {
        throw new IllegalArgumentException("maxBacklog must be positive");
      }
    }

    /**
     * Reconciling every {@code reconcileEvery}; reconnecting after 250 ms, backing off to 5 s;
     * keeping changes an hour, forgetting everything after 10 minutes without a read, or for a
     * backlog of over 10,000 changes.
     */
    public static Tuning defaults(Duration reconcileEvery) {
      return new Tuning(
          reconcileEvery,
          Duration.ofMillis(250),
          Duration.ofSeconds(5),
          Duration.ofHours(1),
          Duration.ofMinutes(10),
          10_000);
    }
  }

  /** Why everything was forgotten. */
  private enum Reset {
    START,
    RECONNECT,
    STALE,
    BACKLOG,
    REWIND;

    String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private final ChangeLog log;
  private final ListenerConnections connections;
  private final String node;
  private final Invalidator caches;
  private final Tuning tuning;

  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private final AtomicLong ignored = new AtomicLong();
  private final AtomicLong reconciled = new AtomicLong();
  private final AtomicLong reconcileFailures = new AtomicLong();
  private final AtomicLong missed = new AtomicLong();
  private final AtomicLong reconnects = new AtomicLong();
  private final Map<Reset, AtomicLong> resets = new ConcurrentHashMap<>();
  private volatile Timer lag;

  // Change ids a notification brought, and when (nanoTime): the reconcile skips those.
  private final Map<Long, Long> notified = new ConcurrentHashMap<>();
  // Set by the listener on reconnect; the reconcile thread forgets everything when it sees it.
  private final AtomicReference<Reset> resetRequested = new AtomicReference<>(Reset.START);

  private final Object lifecycle = new Object();
  private volatile boolean closing;
  private volatile boolean listening;
  private volatile Connection connection;
  private Thread listener;
  private ScheduledExecutorService reconciler;

  // Owned by the reconcile thread.
  private final List<Change> pending = new ArrayList<>();
  private String since;
  private long lastRead;
  private long lastPrune;
  private boolean failing;

  /**
   * Invalidation of {@code caches} for node {@code node}: the change log read through {@code jdbi}
   * (the pool), notifications through connections from {@code connections}.
   */
  public PostgresClusterInvalidation(
      Jdbi jdbi, ListenerConnections connections, String node, Invalidator caches, Tuning tuning) {
    this.log = new ChangeLog(jdbi);
    this.connections = connections;
    this.node = node;
    this.caches = caches;
    this.tuning = tuning;
    for (Reset r : Reset.values()) {
      resets.put(r, new AtomicLong());
    }
  }

  @Override
  public void start() {
    synchronized (lifecycle) {
      if (listener != null || closing) {
        return;
      }
      long now = System.nanoTime();
      lastPrune = now;
      ScheduledThreadPoolExecutor executor =
          new ScheduledThreadPoolExecutor(
              1, Thread.ofPlatform().daemon().name("cluster-reconcile").factory());
      // A settle still waiting at close has nothing left to protect.
      executor.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
      reconciler = executor;
      reconciler.scheduleWithFixedDelay(
          this::reconcile, 0, tuning.reconcileEvery().toMillis(), TimeUnit.MILLISECONDS);
      listener = Thread.ofPlatform().daemon().name("cluster-listener").start(this::listen);
      LOG.info(
          "Cluster invalidation: node {} listens on {} and reconciles every {} ms",
          node,
          CHANNEL,
          tuning.reconcileEvery().toMillis());
    }
  }

  @Override
  public void close() {
    Thread thread;
    ScheduledExecutorService scheduler;
    synchronized (lifecycle) {
      if (closing) {
        return;
      }
      closing = true;
      thread = listener;
      scheduler = reconciler;
    }
    Connection c = connection;
    if (c != null) {
      try {
        // Closes the socket under a blocked poll at once, where close() would wait for it.
        c.abort(Runnable::run);
      } catch (SQLException e) {
        LOG.debug("Cluster listener: abort failed: {}", e.getMessage());
      }
    }
    if (thread != null) {
      thread.interrupt();
      join(thread);
    }
    if (scheduler != null) {
      // Lets a running read finish rather than interrupting it mid-statement.
      scheduler.shutdown();
      try {
        scheduler.awaitTermination(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private static void join(Thread thread) {
    try {
      thread.join(Duration.ofSeconds(5));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Whether the listener holds a connection that is LISTENing now. */
  public boolean isListening() {
    return listening;
  }

  // ----------------------------------------------------------------------------- listener

  private void listen() {
    long backoff = tuning.reconnectMin().toNanos();
    boolean everConnected = false;
    while (!closing) {
      Connection c = null;
      try {
        c = connections.open();
        connection = c;
        if (closing) {
          break;
        }
        try (Statement s = c.createStatement()) {
          s.execute("LISTEN " + CHANNEL);
        }
        PGConnection pg = c.unwrap(PGConnection.class);
        listening = true;
        backoff = tuning.reconnectMin().toNanos();
        if (everConnected) {
          // Notifications sent while this node was not listening are gone: read the log afresh
          // and forget everything, in case the database itself is not the one it was.
          reconnects.incrementAndGet();
          LOG.info("Cluster listener reconnected: reconciling everything");
          requestReconcile(Reset.RECONNECT);
        } else {
          // What committed before the LISTEN is in the log: read it now, not at the next tick.
          requestReconcile(null);
        }
        everConnected = true;
        poll(c, pg);
      } catch (SQLException | RuntimeException e) {
        if (closing) {
          break;
        }
        if (listening) {
          LOG.warn(
              "Cluster listener lost its connection ({}); reconnecting, the reconcile covers the gap",
              e.getMessage());
        } else {
          LOG.debug("Cluster listener cannot connect: {}", e.getMessage());
        }
      } finally {
        listening = false;
        connection = null;
        closeQuietly(c);
      }
      if (closing) {
        break;
      }
      // Jitter, so that nodes cut off together do not all come back at the same instant.
      long wait = backoff / 2 + ThreadLocalRandom.current().nextLong(backoff / 2 + 1);
      try {
        Thread.sleep(Duration.ofNanos(wait));
      } catch (InterruptedException e) {
        break;
      }
      backoff = Math.min(backoff * 2, tuning.reconnectMax().toNanos());
    }
  }

  private void poll(Connection c, PGConnection pg) throws SQLException {
    long lastHeard = System.nanoTime();
    while (!closing) {
      PGNotification[] batch = pg.getNotifications(POLL_MILLIS);
      long now = System.nanoTime();
      if (batch != null && batch.length > 0) {
        lastHeard = now;
        for (PGNotification n : batch) {
          receive(n.getParameter(), now);
        }
      } else if (now - lastHeard > HEARTBEAT_NANOS) {
        // A connection that the network dropped without a reset just stays quiet: ask.
        try (Statement s = c.createStatement()) {
          s.execute("SELECT 1");
        }
        lastHeard = now;
      }
    }
  }

  private void receive(String payload, long now) {
    Change change = Change.parse(payload).orElse(null);
    if (change == null) {
      // Anyone may notify the channel; the log is what counts, and the reconcile reads it.
      ignored.incrementAndGet();
      return;
    }
    notified.put(change.id(), now);
    apply(change);
    if (node.equals(change.origin())) {
      sent.incrementAndGet();
    } else {
      received.incrementAndGet();
      Timer t = lag;
      if (t != null) {
        long millis = System.currentTimeMillis() - change.changedAtMillis();
        t.record(Duration.ofMillis(Math.max(0, millis)));
      }
    }
  }

  private void apply(Change change) {
    try {
      caches.invalidate(change.kind(), change.entry());
    } catch (IllegalArgumentException e) {
      // Not a name this node could have cached (e.g. a malformed SID written by hand).
      LOG.debug("Cluster invalidation: ignored {}: {}", change, e.getMessage());
    }
  }

  private static void closeQuietly(Connection c) {
    if (c == null) {
      return;
    }
    try {
      c.close();
    } catch (SQLException | RuntimeException e) {
      LOG.debug("Cluster listener: close failed: {}", e.getMessage());
    }
  }

  // ---------------------------------------------------------------------------- reconcile

  private void requestReconcile(Reset reset) {
    if (reset != null) {
      resetRequested.set(reset);
    }
    try {
      ScheduledExecutorService scheduler = reconciler;
      if (scheduler != null && !closing) {
        scheduler.execute(this::reconcile);
      }
    } catch (RejectedExecutionException e) {
      // Closing.
    }
  }

  /** One run: reads the changes since the last snapshot and applies those not yet notified. */
  private void reconcile() {
    if (closing) {
      return;
    }
    long now = System.nanoTime();
    forgetOldNotifications(now);
    try {
      Reset reset = resetRequested.get();
      if (reset == null && now - lastRead > tuning.staleAfter().toNanos()) {
        reset = Reset.STALE;
      }
      if (reset != null) {
        forgetEverything(reset, now);
      } else {
        ChangeLog.Read read = log.since(since, tuning.maxBacklog());
        if (read.overflow()) {
          forgetEverything(Reset.BACKLOG, now);
        } else if (Long.compareUnsigned(ChangeLog.xmin(read.snapshot()), ChangeLog.xmin(since))
            < 0) {
          forgetEverything(Reset.REWIND, now);
        } else {
          boolean unannounced = false;
          for (Change c : read.changes()) {
            if (notified.remove(c.id()) == null) {
              pending.add(c);
              unannounced = true;
            }
          }
          since = read.snapshot();
          lastRead = now;
          if (unannounced && !closing) {
            try {
              reconciler.schedule(this::settle, grace(), TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
              // Closing.
            }
          }
        }
      }
      reconciled.incrementAndGet();
      if (failing) {
        LOG.info("Cluster reconcile works again");
        failing = false;
      }
      pruneNowAndThen(now);
    } catch (RuntimeException e) {
      reconcileFailures.incrementAndGet();
      if (!failing) {
        // Once per outage: the database being away is reported by /readyz and the pool already.
        LOG.warn("Cluster reconcile failed ({}); retrying every interval", e.getMessage());
        failing = true;
      }
    }
  }

  // Applies the changes still unannounced a grace period after the reconcile found them.
  private void settle() {
    for (Change c : pending) {
      if (notified.remove(c.id()) == null) {
        missed.incrementAndGet();
        apply(c);
      }
    }
    pending.clear();
  }

  private long grace() {
    return Math.min(GRACE.toMillis(), tuning.reconcileEvery().toMillis() / 2);
  }

  // Everything cached may be older than a change this node will never read: forget it all, and
  // read from now on. The snapshot first: a change committed after it is read next time, one
  // committed before it is in the database that the emptied caches load from.
  private void forgetEverything(Reset reason, long now) {
    String snapshot = log.snapshot();
    resetRequested.compareAndSet(reason, null);
    caches.invalidateAll();
    notified.clear();
    pending.clear();
    since = snapshot;
    lastRead = now;
    resets.get(reason).incrementAndGet();
    if (reason != Reset.START) {
      LOG.info("Cluster invalidation: forgot every cached entry ({})", reason.tag());
    }
  }

  private void forgetOldNotifications(long now) {
    if (notified.size() > MAX_REMEMBERED) {
      notified.clear();
      return;
    }
    notified.values().removeIf(at -> now - at > REMEMBER_NANOS);
  }

  private void pruneNowAndThen(long now) {
    if (now - lastPrune < PRUNE_NANOS) {
      return;
    }
    lastPrune = now;
    try {
      int deleted = log.prune(tuning.keepChanges());
      LOG.debug("Cluster change log: pruned {} changes", deleted);
    } catch (RuntimeException e) {
      LOG.debug("Cluster change log: prune failed: {}", e.getMessage());
    }
  }

  // ------------------------------------------------------------------------------ metrics

  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("callsign.cluster.notifications.sent", sent, AtomicLong::doubleValue)
        .description(
            "Changes this node made, as its own listener received their notifications back")
        .register(registry);
    FunctionCounter.builder(
            "callsign.cluster.notifications.received", received, AtomicLong::doubleValue)
        .description("Notifications of changes made by other nodes (or by hand), applied here")
        .register(registry);
    FunctionCounter.builder(
            "callsign.cluster.notifications.ignored", ignored, AtomicLong::doubleValue)
        .description("Notifications on the channel that were not a change this node knows")
        .register(registry);
    FunctionCounter.builder("callsign.cluster.reconciles", reconciled, AtomicLong::doubleValue)
        .description("Reconcile runs against the change log")
        .tags(Tags.of("outcome", "ok"))
        .register(registry);
    FunctionCounter.builder(
            "callsign.cluster.reconciles", reconcileFailures, AtomicLong::doubleValue)
        .description("Reconcile runs against the change log")
        .tags(Tags.of("outcome", "failed"))
        .register(registry);
    FunctionCounter.builder("callsign.cluster.reconcile.missed", missed, AtomicLong::doubleValue)
        .description("Changes the reconcile applied because no notification had brought them")
        .register(registry);
    resets.forEach(
        (reason, n) ->
            FunctionCounter.builder(
                    "callsign.cluster.full_invalidations", n, AtomicLong::doubleValue)
                .description("Times every cached entry was forgotten, by reason")
                .tags(Tags.of("reason", reason.tag()))
                .register(registry));
    FunctionCounter.builder(
            "callsign.cluster.listener.reconnects", reconnects, AtomicLong::doubleValue)
        .description("Times the listener connected again after losing its connection")
        .register(registry);
    Gauge.builder("callsign.cluster.listener.connected", this, c -> c.listening ? 1 : 0)
        .description("1 while the listener's connection LISTENs, else 0")
        .register(registry);
    lag =
        Timer.builder("callsign.cluster.invalidation.lag")
            .description(
                "From a change on another node (database clock) to its invalidation here (this"
                    + " node's clock)")
            .publishPercentiles(0.5, 0.99)
            .register(registry);
  }
}
