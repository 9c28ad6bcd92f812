package io.callsign.server.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SerialTransactionsTest {
  @TempDir Path dir;

  @Test
  void sqliteTransactionWhenAnotherHoldsTheLockLongerThanTheBusyTimeoutThenWaitsItsTurn()
      throws Exception {
    try (Database db = Database.sqlite(dir)) {
      db.jdbi().useHandle(h -> h.execute("CREATE TABLE t (x INTEGER)"));
      CountDownLatch holding = new CountDownLatch(1);
      // Holds the write lock for longer than SQLite's busy timeout (5 s).
      CompletableFuture<Void> slow =
          CompletableFuture.runAsync(
              () -> {
                try {
                  db.jdbi()
                      .useTransaction(
                          h -> {
                            h.execute("INSERT INTO t VALUES (1)");
                            holding.countDown();
                            Thread.sleep(6_000);
                          });
                } catch (InterruptedException e) {
                  throw new IllegalStateException(e);
                }
              });
      holding.await();
      // Left to SQLite's busy handler this BEGIN IMMEDIATE failed with SQLITE_BUSY after 5 s.
      db.jdbi().useTransaction(h -> h.execute("INSERT INTO t VALUES (2)"));
      slow.join();
      int rows =
          db.jdbi()
              .withHandle(h -> h.createQuery("SELECT COUNT(*) FROM t").mapTo(Integer.class).one());
      assertThat(rows).isEqualTo(2);
    }
  }
}
