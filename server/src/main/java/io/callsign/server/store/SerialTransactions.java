package io.callsign.server.store;

import java.sql.SQLException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.transaction.DelegatingTransactionHandler;
import org.jdbi.v3.core.transaction.TransactionHandler;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;

/**
 * Runs SQLite transactions one at a time, in arrival order. SQLite has one writer; left to itself,
 * every waiting transaction polls the lock with growing sleeps, so under load some wait past the
 * busy timeout while later ones get in (SQLITE_BUSY at BEGIN IMMEDIATE). One server owns the file,
 * so a fair lock in the JVM queues them instead. Nested transactions on the thread reuse the lock.
 */
final class SerialTransactions extends DelegatingTransactionHandler {
  /** How long a transaction waits for its turn before the request gets 503 (try again later). */
  private static final long WAIT_SECONDS = 10;

  private final ReentrantLock turn;

  SerialTransactions(TransactionHandler delegate) {
    this(delegate, new ReentrantLock(true));
  }

  private SerialTransactions(TransactionHandler delegate, ReentrantLock turn) {
    super(delegate);
    this.turn = turn;
  }

  @Override
  public TransactionHandler specialize(Handle handle) throws SQLException {
    return new SerialTransactions(getDelegate().specialize(handle), turn);
  }

  @Override
  public <R, X extends Exception> R inTransaction(Handle handle, HandleCallback<R, X> callback)
      throws X {
    awaitTurn();
    try {
      return super.inTransaction(handle, callback);
    } finally {
      turn.unlock();
    }
  }

  @Override
  public <R, X extends Exception> R inTransaction(
      Handle handle, TransactionIsolationLevel level, HandleCallback<R, X> callback) throws X {
    awaitTurn();
    try {
      return super.inTransaction(handle, level, callback);
    } finally {
      turn.unlock();
    }
  }

  private void awaitTurn() {
    try {
      if (!turn.tryLock(WAIT_SECONDS, TimeUnit.SECONDS)) {
        throw new StoreUnavailableException(
            new SQLException("no turn to write within " + WAIT_SECONDS + " s"));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new StoreUnavailableException(e);
    }
  }
}
