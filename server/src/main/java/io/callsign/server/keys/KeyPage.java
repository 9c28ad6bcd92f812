package io.callsign.server.keys;

import java.util.List;

/**
 * One page of an account's keys, in creation order.
 *
 * @param keys the keys on this page
 * @param hasNext whether more keys follow
 */
public record KeyPage(List<Key> keys, boolean hasNext) {
  /** Copies the list. */
  public KeyPage {
    keys = List.copyOf(keys);
  }
}
