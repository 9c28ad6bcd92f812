package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.cluster.ChangeKind;
import io.callsign.server.cluster.ClusterInvalidation;
import io.callsign.server.cluster.Invalidator;
import io.callsign.server.cluster.ListenerConnections;
import io.callsign.server.cluster.PostgresClusterInvalidation;
import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.store.Database;
import io.callsign.tokens.sid.AccountSid;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.SQLException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import org.jdbi.v3.core.Handle;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link PostgresClusterInvalidation} on a real PostgreSQL, against a recording {@link
 * Invalidator}: what reaches a node by notification, what the reconcile catches when notifications
 * are lost, and what never arrives (a rolled-back change). Changes are made with plain SQL, as any
 * writer (a node, an operator) would; the change-log trigger of migration V10 does the rest.
 *
 * <p>The listener's connections pass through a gate the test can close: a closed gate refuses every
 * connection attempt, so "the listener is down while something changes" is a state the test holds,
 * not a race it hopes to win.
 */
class ClusterInvalidationTest {
  private static final Duration RECONCILE = Duration.ofMillis(300);
  // Generous: every wait here is for something that takes milliseconds or one reconcile interval.
  private static final Duration DEADLINE = Duration.ofSeconds(10);
  private static final String NODE = "testnode0001";
  private static final String LISTENER_NAME =
      ClusterInvalidation.applicationName(NODE) + "/listener";

  private final List<Database> databases = new CopyOnWriteArrayList<>();
  private final List<PostgresClusterInvalidation> started = new CopyOnWriteArrayList<>();
  private TestPostgres ownCluster;

  /** What the node was told to forget. */
  private static final class Recorder implements Invalidator {
    final List<String> entries = new CopyOnWriteArrayList<>();
    final AtomicInteger everything = new AtomicInteger();

    @Override
    public void invalidate(ChangeKind kind, String entry) {
      entries.add(kind.wire() + " " + entry);
    }

    @Override
    public void invalidateAll() {
      everything.incrementAndGet();
    }

    long count(String entry) {
      return entries.stream().filter(entry::equals).count();
    }
  }

  /** Lets the listener connect while open; refuses it (as a database that is away would) else. */
  private static final class Gate implements ListenerConnections {
    final AtomicBoolean open = new AtomicBoolean(true);
    final AtomicInteger refused = new AtomicInteger();
    private final ListenerConnections target;

    Gate(ListenerConnections target) {
      this.target = target;
    }

    @Override
    public java.sql.Connection open() throws SQLException {
      if (!open.get()) {
        refused.incrementAndGet();
        throw new SQLTransientConnectionException("gate closed by the test");
      }
      return target.open();
    }
  }

  /** One node's invalidation, its database handle, recorder, gate and meters. */
  private record Node(
      PostgresClusterInvalidation invalidation,
      Database database,
      Recorder recorder,
      Gate gate,
      SimpleMeterRegistry meters) {

    double counter(String name, String... tags) {
      return meters.get(name).tags(tags).functionCounter().count();
    }

    double missed() {
      return counter("callsign.cluster.reconcile.missed");
    }

    double reconciles() {
      return counter("callsign.cluster.reconciles", "outcome", "ok");
    }

    double resets(String reason) {
      return counter("callsign.cluster.full_invalidations", "reason", reason);
    }
  }

  @AfterEach
  void stop() {
    started.forEach(PostgresClusterInvalidation::close);
    databases.forEach(Database::close);
    if (ownCluster != null) {
      ownCluster.close();
    }
  }

  private DatabaseConfig newDatabase(TestPostgres pg) {
    return new DatabaseConfig(pg.createDatabase(), TestPostgres.USER, null);
  }

  private Node node(DatabaseConfig config, PostgresClusterInvalidation.Tuning tuning) {
    Database database = Database.postgresql(config, ClusterInvalidation.applicationName(NODE));
    databases.add(database);
    database.migrate();
    Recorder recorder = new Recorder();
    Gate gate = new Gate(ListenerConnections.to(config, LISTENER_NAME));
    PostgresClusterInvalidation invalidation =
        new PostgresClusterInvalidation(database.jdbi(), gate, NODE, recorder, tuning);
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    invalidation.bindTo(meters);
    started.add(invalidation);
    return new Node(invalidation, database, recorder, gate, meters);
  }

  private Node startedNode(DatabaseConfig config) {
    Node n = node(config, PostgresClusterInvalidation.Tuning.defaults(RECONCILE));
    n.invalidation().start();
    await("listening", n.invalidation()::isListening);
    await("first reconcile", () -> n.reconciles() >= 1);
    return n;
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for: " + what);
      }
      try {
        Thread.sleep(10);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new AssertionError("interrupted waiting for: " + what);
      }
    }
  }

  // Waits for the reconcile to run at least twice more: whatever it was going to find, it found.
  private static void awaitTwoReconciles(Node n) {
    double before = n.reconciles();
    await("two more reconciles", () -> n.reconciles() >= before + 2);
  }

  /** An account row, written as an operator would; returns its SID. */
  private static String insertAccount(Handle h) {
    String sid = AccountSid.random().value();
    h.createUpdate(
            "INSERT INTO accounts (sid, owner_account_sid, friendly_name, status, type,"
                + " auth_token_enc, date_created, date_updated)"
                + " VALUES (:sid, :sid, 'cluster test', 'active', 'Full', '\\x00'::bytea, 0, 0)")
        .bind("sid", sid)
        .execute();
    return sid;
  }

  private static void suspend(Handle h, String sid) {
    h.createUpdate("UPDATE accounts SET status = 'suspended' WHERE sid = :sid")
        .bind("sid", sid)
        .execute();
  }

  private static String account(String sid) {
    return ChangeKind.ACCOUNT.wire() + " " + sid;
  }

  private static int terminateListener(Node n) {
    return n.database()
        .jdbi()
        .withHandle(
            h ->
                h.createQuery(
                        "SELECT count(pg_terminate_backend(pid, 5000)) FROM pg_stat_activity"
                            + " WHERE application_name = :name")
                    .bind("name", LISTENER_NAME)
                    .mapTo(Integer.class)
                    .one());
  }

  // ---------------------------------------------------------------------------------- tests

  @Test
  void committedChangeArrivesByNotificationOnceAndTheReconcileDoesNotApplyItAgain() {
    Node n = startedNode(newDatabase(TestPostgres.orSkip(TestPostgres.get())));
    String sid = n.database().jdbi().withHandle(ClusterInvalidationTest::insertAccount);
    n.database().jdbi().useHandle(h -> suspend(h, sid));

    await("both changes notified", () -> n.recorder().count(account(sid)) == 2);
    awaitTwoReconciles(n);

    assertThat(n.recorder().count(account(sid))).isEqualTo(2);
    assertThat(n.missed()).isZero();
    // The node's own pool made the change: counted as sent, not received.
    assertThat(n.counter("callsign.cluster.notifications.sent")).isEqualTo(2);
    assertThat(n.counter("callsign.cluster.notifications.received")).isZero();
    assertThat(n.resets("start")).isEqualTo(1);
  }

  @Test
  void rolledBackChangeIsNeitherNotifiedNorLogged() {
    Node n = startedNode(newDatabase(TestPostgres.orSkip(TestPostgres.get())));
    String kept = n.database().jdbi().withHandle(ClusterInvalidationTest::insertAccount);
    await("insert notified", () -> n.recorder().count(account(kept)) == 1);

    String[] undone = new String[1];
    n.database()
        .jdbi()
        .useHandle(
            h -> {
              h.begin();
              undone[0] = insertAccount(h);
              suspend(h, kept);
              h.rollback();
            });
    // A committed change after it: once this one has arrived, the rolled-back one would have too.
    n.database().jdbi().useHandle(h -> suspend(h, kept));
    await("later change notified", () -> n.recorder().count(account(kept)) == 2);
    awaitTwoReconciles(n);

    assertThat(n.recorder().count(account(undone[0]))).isZero();
    assertThat(n.missed()).isZero();
    long logged =
        n.database()
            .jdbi()
            .withHandle(
                h ->
                    h.createQuery("SELECT count(*) FROM cluster_changes WHERE sid = :sid")
                        .bind("sid", undone[0])
                        .mapTo(Long.class)
                        .one());
    assertThat(logged).isZero();
  }

  @Test
  void changeMadeWhileTheListenerIsDownIsAppliedByTheReconcileWithinTheInterval() {
    Node n = startedNode(newDatabase(TestPostgres.orSkip(TestPostgres.get())));
    String sid = n.database().jdbi().withHandle(ClusterInvalidationTest::insertAccount);
    await("insert notified", () -> n.recorder().count(account(sid)) == 1);

    n.gate().open.set(false);
    assertThat(terminateListener(n)).isEqualTo(1);
    await("listener down", () -> !n.invalidation().isListening());
    await("a reconnection refused", () -> n.gate().refused.get() >= 1);
    long changed = System.nanoTime();
    n.database().jdbi().useHandle(h -> suspend(h, sid));
    await("change applied by the reconcile", () -> n.recorder().count(account(sid)) == 2);
    Duration took = Duration.ofNanos(System.nanoTime() - changed);

    assertThat(n.missed()).isEqualTo(1);
    // One interval, plus a read; generous for a loaded machine.
    assertThat(took).isLessThan(RECONCILE.multipliedBy(10));
    System.out.println(
        "ClusterInvalidationTest: a change missed by the listener applied after "
            + took.toMillis()
            + " ms (reconcile every "
            + RECONCILE.toMillis()
            + " ms)");

    // The listener comes back by itself, forgets everything once, and notifications flow again.
    n.gate().open.set(true);
    await("listening again", n.invalidation()::isListening);
    await("reconnect reset", () -> n.resets("reconnect") == 1);
    assertThat(n.counter("callsign.cluster.listener.reconnects")).isEqualTo(1);
    assertThat(n.recorder().everything.get()).isEqualTo(2); // start, reconnect
    n.database().jdbi().useHandle(h -> suspend(h, sid));
    await("notified again", () -> n.recorder().count(account(sid)) == 3);
    awaitTwoReconciles(n);
    assertThat(n.missed()).isEqualTo(1);
  }

  @Test
  void changeThatCommitsAfterALaterOneWasReadIsStillApplied() {
    DatabaseConfig config = newDatabase(TestPostgres.orSkip(TestPostgres.get()));
    Node n = node(config, PostgresClusterInvalidation.Tuning.defaults(RECONCILE));
    // Only the reconcile delivers here.
    n.gate().open.set(false);
    n.invalidation().start();
    await("first reconcile", () -> n.reconciles() >= 1);
    String first = n.database().jdbi().withHandle(ClusterInvalidationTest::insertAccount);
    String second = n.database().jdbi().withHandle(ClusterInvalidationTest::insertAccount);
    await("inserts reconciled", () -> n.recorder().entries.size() == 2);

    try (Handle slow = n.database().jdbi().open()) {
      slow.begin();
      // Logged first (the smaller change id), committed last.
      suspend(slow, first);
      n.database().jdbi().useHandle(h -> suspend(h, second));
      await("later change reconciled", () -> n.recorder().count(account(second)) == 2);
      awaitTwoReconciles(n);
      assertThat(n.recorder().count(account(first))).isEqualTo(1);
      slow.commit();
    }
    await("earlier change reconciled", () -> n.recorder().count(account(first)) == 2);
    awaitTwoReconciles(n);

    assertThat(n.recorder().count(account(first))).isEqualTo(2);
    assertThat(n.recorder().count(account(second))).isEqualTo(2);
    assertThat(n.missed()).isEqualTo(4);
  }

  @Test
  void backlogLargerThanTheLimitForgetsEverythingInsteadOfApplyingPartOfIt() {
    DatabaseConfig config = newDatabase(TestPostgres.orSkip(TestPostgres.get()));
    PostgresClusterInvalidation.Tuning small =
        new PostgresClusterInvalidation.Tuning(
            RECONCILE,
            Duration.ofMillis(250),
            Duration.ofSeconds(5),
            Duration.ofHours(1),
            Duration.ofMinutes(10),
            2);
    Node n = node(config, small);
    n.gate().open.set(false);
    n.invalidation().start();
    await("first reconcile", () -> n.reconciles() >= 1);

    n.database()
        .jdbi()
        .useTransaction(
            h -> {
              for (int i = 0; i < 3; i++) {
                insertAccount(h);
              }
            });
    await("backlog reset", () -> n.resets("backlog") == 1);

    assertThat(n.recorder().entries).isEmpty();
    assertThat(n.recorder().everything.get()).isEqualTo(2); // start, backlog
    assertThat(n.missed()).isZero();
  }

  @Test
  void notificationThatIsNotAChangeIsIgnoredAndTheListenerCarriesOn() {
    Node n = startedNode(newDatabase(TestPostgres.orSkip(TestPostgres.get())));
    n.database()
        .jdbi()
        .useHandle(
            h -> {
              h.execute("NOTIFY callsign_changes, 'drop everything please'");
              h.execute("SELECT pg_notify('callsign_changes', '1 nosuchkind AC00 0')");
            });
    String sid = n.database().jdbi().withHandle(ClusterInvalidationTest::insertAccount);
    await("real change notified", () -> n.recorder().count(account(sid)) == 1);

    assertThat(n.counter("callsign.cluster.notifications.ignored")).isEqualTo(2);
    assertThat(n.recorder().entries).containsExactly(account(sid));
    assertThat(n.recorder().everything.get()).isEqualTo(1); // start only
    assertThat(n.invalidation().isListening()).isTrue();
  }

  @Test
  void databaseDownThenReconcileFailsQuietlyAndBothPathsRecoverByThemselves() throws Exception {
    ownCluster = TestPostgres.orSkip(TestPostgres.startIndependent());
    Node n = startedNode(newDatabase(ownCluster));
    String sid = n.database().jdbi().withHandle(ClusterInvalidationTest::insertAccount);
    await("insert notified", () -> n.recorder().count(account(sid)) == 1);

    ownCluster.stopServer();
    try {
      await("listener down", () -> !n.invalidation().isListening());
      await(
          "a reconcile failed",
          () -> n.counter("callsign.cluster.reconciles", "outcome", "failed") >= 1);
    } finally {
      ownCluster.startServer();
    }

    await("listening again", n.invalidation()::isListening);
    await("reconnect reset", () -> n.resets("reconnect") == 1);
    double ok = n.reconciles();
    await("reconciling again", () -> n.reconciles() > ok);
    n.database().jdbi().useHandle(h -> suspend(h, sid));
    await("notified after the outage", () -> n.recorder().count(account(sid)) == 2);
    assertThat(n.missed()).isZero();
  }

  @Test
  void closeStopsListeningAndReleasesTheConnectionPromptly() {
    Node n = startedNode(newDatabase(TestPostgres.orSkip(TestPostgres.get())));
    long t = System.nanoTime();
    n.invalidation().close();
    Duration took = Duration.ofNanos(System.nanoTime() - t);

    assertThat(n.invalidation().isListening()).isFalse();
    assertThat(took).isLessThan(Duration.ofSeconds(5));
    await("listener backend gone", () -> terminateListener(n) == 0);
    n.invalidation().close(); // idempotent
  }
}
