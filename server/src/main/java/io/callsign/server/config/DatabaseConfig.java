package io.callsign.server.config;

import java.time.Duration;
import java.util.Objects;

/**
 * An external PostgreSQL database, which several nodes may share.
 *
 * @param url a {@code jdbc:postgresql://} URL
 * @param user the user name, or {@code null} when the URL or the driver's defaults carry it
 * @param password the password, or {@code null}
 * @param clusterReconcile how often this node reads the change log of the nodes sharing the
 *     database: the longest a missed invalidation can keep a cached entry
 *     (docs/design/0016-cluster-invalidation.md)
 */
public record DatabaseConfig(String url, String user, String password, Duration clusterReconcile) {

  /** How often the change log is read unless configured otherwise. */
  public static final Duration DEFAULT_CLUSTER_RECONCILE = Duration.ofSeconds(5);

  /** The longest reconcile interval accepted; the change log is read well within its retention. */
  public static final Duration MAX_CLUSTER_RECONCILE = Duration.ofMinutes(5);

  /** Checks that {@code url} names PostgreSQL, the only external database supported. */
  public DatabaseConfig {
    if (url == null || !url.startsWith("jdbc:postgresql:")) {
      throw new IllegalArgumentException(
          "database URL must start with jdbc:postgresql: (SQLite needs no URL: it lives in the data"
              + " directory)");
    }
    Objects.requireNonNull(clusterReconcile, "clusterReconcile");
    if (clusterReconcile.isNegative()
        || clusterReconcile.isZero()
        || clusterReconcile.compareTo(MAX_CLUSTER_RECONCILE) > 0) {
      throw new IllegalArgumentException(
          "the cluster reconcile interval must be positive and at most "
              + MAX_CLUSTER_RECONCILE.toSeconds()
              + " seconds, was "
              + clusterReconcile);
    }
  }

  /** The database at {@code url}, reconciled every {@link #DEFAULT_CLUSTER_RECONCILE}. */
  public DatabaseConfig(String url, String user, String password) {
    this(url, user, password, DEFAULT_CLUSTER_RECONCILE);
  }

  /** A copy reading the cluster's change log every {@code interval}. */
  public DatabaseConfig withClusterReconcile(Duration interval) {
    return new DatabaseConfig(url, user, password, interval);
  }

  @Override
  public String toString() {
    return "DatabaseConfig[url=%s, user=%s, password=%s, clusterReconcile=%s]"
        .formatted(
            // A JDBC URL may carry ?password=...: show only the part before the parameters.
            url.replaceFirst("\\?.*", "?***"),
            user,
            password == null ? null : "***",
            clusterReconcile);
  }
}
