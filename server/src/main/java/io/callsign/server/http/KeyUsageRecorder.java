package io.callsign.server.http;

import io.callsign.server.keys.Key;

/**
 * Counts what API keys do, for usage monitoring and least-privilege advice. Called on the hottest
 * path (every request authenticated by a key), so an implementation only increments counters in
 * memory and writes them out elsewhere, in batches; it never blocks and never touches the database.
 */
public interface KeyUsageRecorder {
  /** Counts nothing: for tools and tests that authenticate without monitoring usage. */
  KeyUsageRecorder NONE = (key, address, epochMillis) -> PermissionCounter.NONE;

  /**
   * Counts one successful authentication by {@code key}.
   *
   * @param address the caller's address, or {@code null} when unknown (outside a request)
   * @param epochMillis when it happened
   * @return where the request's permission checks are counted
   */
  PermissionCounter authenticated(Key key, String address, long epochMillis);

  /** Counts the permissions a key's request was allowed to use. */
  @FunctionalInterface
  interface PermissionCounter {
    /** Counts nothing (auth tokens, and keys when usage is not monitored). */
    PermissionCounter NONE = permission -> {};

    /** Counts one use of {@code permission}. */
    void used(Permission permission);
  }
}
