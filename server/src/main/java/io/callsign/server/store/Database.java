package io.callsign.server.store;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.callsign.server.config.DatabaseConfig;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import javax.sql.DataSource;
import org.flywaydb.core.Flyway;
import org.jdbi.v3.core.Jdbi;

/**
 * The connection pool, the schema and the JDBI handle. SQLite in the data directory by default;
 * PostgreSQL when a {@link DatabaseConfig} is given.
 */
public final class Database implements AutoCloseable {
  /** The SQLite file inside the data directory. */
  public static final String SQLITE_FILE = "callsign.db";

  private final HikariDataSource dataSource;
  private final Jdbi jdbi;
  private final Dialect dialect;
  private volatile boolean migrated;

  /** The SQL dialects with their own migration scripts. */
  public enum Dialect {
    SQLITE,
    POSTGRESQL
  }

  private Database(HikariDataSource dataSource, Dialect dialect) {
    this.dataSource = dataSource;
    this.dialect = dialect;
    this.jdbi = Jdbi.create(dataSource);
    if (dialect == Dialect.SQLITE) {
      jdbi.setTransactionHandler(new SerialTransactions(jdbi.getTransactionHandler()));
    }
  }

  /** The embedded database, {@code dataDir/callsign.db}. */
  public static Database sqlite(Path dataDir) {
    HikariConfig cfg = new HikariConfig();
    cfg.setPoolName("callsign-sqlite");
    cfg.setJdbcUrl("jdbc:sqlite:" + dataDir.resolve(SQLITE_FILE).toAbsolutePath());
    // Applied by the driver to every new connection.
    cfg.addDataSourceProperty("journal_mode", "WAL"); // readers do not block the writer
    cfg.addDataSourceProperty("synchronous", "FULL"); // an acknowledged write survives power loss
    cfg.addDataSourceProperty("busy_timeout", "5000"); // wait for the write lock, do not fail
    cfg.addDataSourceProperty("foreign_keys", "true");
    // Every transaction takes the write lock when it begins: a transaction that read first and
    // wrote later would otherwise fail at once (SQLITE_BUSY) when another writer got in between.
    cfg.addDataSourceProperty("transaction_mode", "IMMEDIATE");
    // SQLite has one writer at a time; a few connections serve concurrent readers.
    cfg.setMaximumPoolSize(4);
    return open(cfg, Dialect.SQLITE);
  }

  /** An external PostgreSQL database. */
  public static Database postgresql(DatabaseConfig db) {
    return postgresql(db, "callsign");
  }

  /**
   * An external PostgreSQL database, its connections named {@code applicationName} (in {@code
   * pg_stat_activity}; the cluster change log reads the node from it).
   */
  public static Database postgresql(DatabaseConfig db, String applicationName) {
    return postgresql(db, applicationName, IDLE_IN_TRANSACTION_LIMIT);
  }

  /**
   * How long PostgreSQL lets one of this node's sessions sit idle inside a transaction before it
   * ends the session. A node that hangs mid-transaction (stopped, swapping, a debugger) would
   * otherwise hold its row locks, among them the audit chain's head that every audited write takes,
   * and stall every other node's writes (docs/design/0018). Our transactions never wait on anything
   * but the database, so a healthy node is nowhere near this.
   */
  public static final java.time.Duration IDLE_IN_TRANSACTION_LIMIT =
      java.time.Duration.ofSeconds(10);

  static Database postgresql(
      DatabaseConfig db, String applicationName, java.time.Duration idleInTransactionLimit) {
    HikariConfig cfg = new HikariConfig();
    cfg.setPoolName("callsign-postgresql");
    cfg.setJdbcUrl(db.url());
    if (db.user() != null) {
      cfg.setUsername(db.user());
    }
    if (db.password() != null) {
      cfg.setPassword(db.password());
    }
    cfg.setMaximumPoolSize(10);
    // A database that vanishes from the network without closing connections would otherwise hold
    // a request until TCP gives up; no statement of ours runs anywhere near this long.
    cfg.addDataSourceProperty("socketTimeout", "10");
    cfg.addDataSourceProperty("tcpKeepAlive", "true");
    cfg.addDataSourceProperty("ApplicationName", applicationName);
    cfg.addDataSourceProperty(
        "options", "-c idle_in_transaction_session_timeout=" + idleInTransactionLimit.toMillis());
    return open(cfg, Dialect.POSTGRESQL);
  }

  private static Database open(HikariConfig cfg, Dialect dialect) {
    // Fail a request with 503 quickly when the database is away, rather than hang it for 30 s.
    // Every request waits this long in an outage (Hikari also uses it as the login timeout); 2 s
    // still lets a new connection survive one lost TCP SYN, whose retransmission comes after 1 s.
    cfg.setConnectionTimeout(2_000);
    // Start even when the database is not up yet: /readyz reports it, and the pool recovers.
    cfg.setInitializationFailTimeout(-1);
    return new Database(new HikariDataSource(cfg), dialect);
  }

  /** Applies the migrations of this dialect ({@code db/migration/<dialect>}). */
  public void migrate() {
    Flyway.configure()
        .dataSource(dataSource)
        .locations("classpath:db/migration/" + dialect.name().toLowerCase(java.util.Locale.ROOT))
        .load()
        .migrate();
    migrated = true;
  }

  /** True when the migrations have run and the database answers within a second. */
  public boolean isReady() {
    if (!migrated) {
      return false;
    }
    try (Connection c = dataSource.getConnection()) {
      return c.isValid(1);
    } catch (SQLException e) {
      return false;
    }
  }

  /** The JDBI handle for stores. */
  public Jdbi jdbi() {
    return jdbi;
  }

  /** The pooled data source. */
  public DataSource dataSource() {
    return dataSource;
  }

  /** The dialect in use. */
  public Dialect dialect() {
    return dialect;
  }

  @Override
  public void close() {
    dataSource.close();
  }
}
