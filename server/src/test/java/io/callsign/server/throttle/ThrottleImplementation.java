package io.callsign.server.throttle;

import io.callsign.server.TestPostgres;
import io.callsign.server.config.DatabaseConfig;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.store.Database;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;

/**
 * The implementations of {@link LoginThrottle} that must behave alike: {@link LoginThrottleTest}
 * runs every rule against each. The PostgreSQL one shares one migrated database per test JVM, its
 * tables emptied for each new throttle, so that tests stay independent.
 */
enum ThrottleImplementation {
  LOCAL("in memory") {
    @Override
    LoginThrottle create(ThrottlePolicy policy, Clock clock) {
      return new LocalLoginThrottle(policy, clock);
    }

    @Override
    long entries(LoginThrottle throttle) {
      return ((LocalLoginThrottle) throttle).entries();
    }
  },

  POSTGRESQL("PostgreSQL") {
    @Override
    LoginThrottle create(ThrottlePolicy policy, Clock clock) {
      Database db = database();
      synchronized (ThrottleImplementation.class) {
        // The previous test's clock may be days ahead of this one's: its prunes must not run on.
        if (last != null) {
          last.stopPruning();
        }
        db.jdbi()
            .useHandle(h -> h.execute("TRUNCATE login_throttle_counters, login_throttle_trust"));
        last = new PostgresLoginThrottle(db.jdbi(), box(), policy, clock);
        return last;
      }
    }

    @Override
    long entries(LoginThrottle throttle) {
      return ((PostgresLoginThrottle) throttle).entries();
    }
  };

  private static Database database;
  private static SecretBox box;
  private static PostgresLoginThrottle last;

  private final String label;

  ThrottleImplementation(String label) {
    this.label = label;
  }

  /** A new throttle with no counters, applying {@code policy} with time from {@code clock}. */
  abstract LoginThrottle create(ThrottlePolicy policy, Clock clock);

  /** How many counters and trusted pairs {@code throttle} holds, after dropping what it may. */
  abstract long entries(LoginThrottle throttle);

  /** The migrated database the PostgreSQL throttles share (skipped or failed without one). */
  static synchronized Database database() {
    if (database == null) {
      TestPostgres pg = TestPostgres.orSkip(TestPostgres.get());
      database =
          Database.postgresql(new DatabaseConfig(pg.createDatabase(), TestPostgres.USER, null));
      database.migrate();
      Runtime.getRuntime().addShutdownHook(new Thread(database::close, "throttle-test-db-close"));
    }
    return database;
  }

  /** The master keyset that seals the shared database's HMAC key. */
  static synchronized SecretBox box() {
    if (box == null) {
      try {
        Path dir = Files.createTempDirectory("callsign-throttle-keyset-");
        box = SecretBox.open(null, dir);
        // Deleted in the reverse order of registration: the file, then its directory.
        dir.toFile().deleteOnExit();
        dir.resolve(SecretBox.KEYSET_FILE).toFile().deleteOnExit();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return box;
  }

  @Override
  public String toString() {
    return label;
  }
}
