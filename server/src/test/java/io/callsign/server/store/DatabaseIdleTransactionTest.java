package io.callsign.server.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.server.TestPostgres;
import io.callsign.server.config.DatabaseConfig;
import java.time.Duration;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.JdbiException;
import org.junit.jupiter.api.Test;

/** A node that stops mid-transaction loses its session, not every other node's writes. */
class DatabaseIdleTransactionTest {
  private static DatabaseConfig newDatabase() {
    TestPostgres pg = TestPostgres.orSkip(TestPostgres.get());
    return new DatabaseConfig(pg.createDatabase(), TestPostgres.USER, null);
  }

  @Test
  void transactionLeftIdlePastTheLimitIsEndedAndItsLocksFreed() throws Exception {
    try (Database db = Database.postgresql(newDatabase(), "idle-test", Duration.ofMillis(500))) {
      db.jdbi().useHandle(h -> h.execute("CREATE TABLE t (id INT PRIMARY KEY, n INT)"));
      db.jdbi().useHandle(h -> h.execute("INSERT INTO t VALUES (1, 0)"));
      Handle hung = db.jdbi().open();
      hung.begin();
      hung.execute("UPDATE t SET n = 1 WHERE id = 1");

      Thread.sleep(1_500);

      // The row lock is gone: another session writes at once (it would block forever otherwise).
      db.jdbi()
          .useHandle(
              h -> {
                h.execute("SET lock_timeout = '2s'");
                h.execute("UPDATE t SET n = 2 WHERE id = 1");
              });
      assertThatThrownBy(() -> hung.execute("UPDATE t SET n = 3 WHERE id = 1"))
          .isInstanceOf(JdbiException.class);
      int n =
          db.jdbi().withHandle(h -> h.createQuery("SELECT n FROM t").mapTo(Integer.class).one());
      assertThat(n).isEqualTo(2);
      try {
        hung.close();
      } catch (JdbiException e) {
        // the session is gone already
      }
    }
  }

  @Test
  void everyPooledConnectionCarriesTheDefaultLimit() {
    try (Database db = Database.postgresql(newDatabase())) {
      String shown =
          db.jdbi()
              .withHandle(
                  h ->
                      h.createQuery("SHOW idle_in_transaction_session_timeout")
                          .mapTo(String.class)
                          .one());
      assertThat(shown).isEqualTo(Database.IDLE_IN_TRANSACTION_LIMIT.toSeconds() + "s");
    }
  }
}
