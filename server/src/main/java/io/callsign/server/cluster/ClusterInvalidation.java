package io.callsign.server.cluster;

import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.store.Database;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * Keeps this node's caches in step with changes that other nodes on the same database make
 * (docs/design/0016-cluster-invalidation.md). On PostgreSQL that is {@link
 * PostgresClusterInvalidation}: a change notified at commit, and a periodic reconcile against the
 * change log for anything a notification did not bring. On SQLite there is only ever one node, so
 * {@link #NONE} does nothing.
 */
public interface ClusterInvalidation extends MeterBinder, AutoCloseable {
  /** The prefix of the {@code application_name} of every connection a node opens. */
  String APPLICATION_NAME_PREFIX = "callsign/";

  /** One node alone on its database (SQLite): its local write hooks are all it needs. */
  ClusterInvalidation NONE =
      new ClusterInvalidation() {
        @Override
        public void start() {}

        @Override
        public void close() {}

        @Override
        public void bindTo(MeterRegistry registry) {}
      };

  /** Starts listening and reconciling; returns at once (the database may still be away). */
  void start();

  /** Stops listening and reconciling. Idempotent. */
  @Override
  void close();

  /**
   * A random name for this process among the nodes of a cluster: 12 hex digits, shown in logs and,
   * through {@link #applicationName}, in {@code pg_stat_activity}.
   */
  static String newNodeId() {
    byte[] id = new byte[6];
    new SecureRandom().nextBytes(id);
    return HexFormat.of().formatHex(id);
  }

  /**
   * The {@code application_name} of {@code node}'s pooled connections; the change-log trigger reads
   * the node back from it, so that a node can tell its own changes from others'.
   */
  static String applicationName(String node) {
    return APPLICATION_NAME_PREFIX + node;
  }

  /**
   * Cluster invalidation for {@code database}: {@link PostgresClusterInvalidation} on PostgreSQL
   * (configured by {@code config}), {@link #NONE} on SQLite. Nothing runs before {@link #start()}.
   */
  static ClusterInvalidation of(
      Database database, DatabaseConfig config, String node, Invalidator caches) {
    if (database.dialect() != Database.Dialect.POSTGRESQL) {
      return NONE;
    }
    return new PostgresClusterInvalidation(
        database.jdbi(),
        ListenerConnections.to(config, applicationName(node) + "/listener"),
        node,
        caches,
        PostgresClusterInvalidation.Tuning.defaults(config.clusterReconcile()));
  }
}
