package io.callsign.server.cluster;

import io.callsign.server.config.DatabaseConfig;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/**
 * Where the listener gets its connection: a dedicated one, outside the pool, because a LISTEN
 * belongs to one session for as long as it lives, and a pool would recycle that session.
 */
@FunctionalInterface
public interface ListenerConnections {
  /** A new connection to the database. */
  Connection open() throws SQLException;

  /**
   * Connections to {@code db} named {@code applicationName}. A connection attempt gives up after 5
   * s; a read after 30 s, so that a database gone silent (no reset, no FIN) is noticed at the next
   * heartbeat rather than never.
   */
  static ListenerConnections to(DatabaseConfig db, String applicationName) {
    return () -> {
      Properties props = new Properties();
      if (db.user() != null) {
        props.setProperty("user", db.user());
      }
      if (db.password() != null) {
        props.setProperty("password", db.password());
      }
      props.setProperty("ApplicationName", applicationName);
      props.setProperty("connectTimeout", "5");
      props.setProperty("socketTimeout", "30");
      props.setProperty("tcpKeepAlive", "true");
      return DriverManager.getConnection(db.url(), props);
    };
  }
}
