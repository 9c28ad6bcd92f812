package io.callsign.server.store;

/** The database cannot be reached right now; the request may succeed later (HTTP 503). */
public final class StoreUnavailableException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  /** Wraps the connection failure. */
  public StoreUnavailableException(Throwable cause) {
    super("the database is unavailable", cause);
  }
}
