package io.callsign.server.store;

import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLTransientConnectionException;
import java.util.Set;
import java.util.function.Supplier;
import org.jdbi.v3.core.ConnectionException;
import org.jdbi.v3.core.JdbiException;

/** The database cannot be reached right now; the request may succeed later (HTTP 503). */
public final class StoreUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  // PostgreSQL's "operator intervention" states of a server going away or not yet back:
  // admin_shutdown, crash_shutdown, cannot_connect_now.
  private static final Set<String> SERVER_GOING_AWAY = Set.of("57P01", "57P02", "57P03");

  /** Wraps the connection failure. */
  public StoreUnavailableException(Throwable cause) {
    super("the database is unavailable", cause);
  }

  /**
   * Runs a store call. A database that cannot be reached means "try again later", not "internal
   * error": whether the pool had no connection to give (JDBI's {@link ConnectionException}) or the
   * connection broke under a statement or transaction (an SQLException of class 08, or PostgreSQL
   * shutting down), the failure becomes a {@link StoreUnavailableException}. Other failures pass
   * unchanged.
   */
  public static <T> T guard(Supplier<T> call) {
    try {
      return call.get();
    } catch (JdbiException e) {
      if (isConnectionFailure(e)) {
        throw new StoreUnavailableException(e);
      }
      throw e;
    }
  }

  private static boolean isConnectionFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof ConnectionException
          || t instanceof SQLTransientConnectionException
          || t instanceof SQLNonTransientConnectionException) {
        return true;
      }
      if (t instanceof SQLException s && s.getSQLState() != null) {
        String state = s.getSQLState();
        if (state.startsWith("08") || SERVER_GOING_AWAY.contains(state)) {
          return true;
        }
      }
    }
    return false;
  }
}
