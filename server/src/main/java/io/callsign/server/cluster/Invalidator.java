package io.callsign.server.cluster;

/**
 * What cluster invalidation drives: this node's caches. Both methods are cheap and idempotent,
 * called from the listener and reconcile threads.
 */
public interface Invalidator {
  /**
   * Forgets the cached entry that {@code entry} of {@code kind} names.
   *
   * @throws IllegalArgumentException when {@code entry} is not a well-formed name of that kind
   */
  void invalidate(ChangeKind kind, String entry);

  /** Forgets everything cached, when changes may have been missed. */
  void invalidateAll();
}
