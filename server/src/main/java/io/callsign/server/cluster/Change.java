package io.callsign.server.cluster;

import java.util.Optional;

/**
 * One logged change to a cached row: a row of {@code cluster_changes}, or the payload of the
 * notification the same trigger sent.
 *
 * @param id the change's id in the log
 * @param kind what was changed
 * @param entry which entry: a SID, or a token's {@code jti}
 * @param changedAtMillis when, in epoch milliseconds on the database's clock
 * @param origin the node whose connection made the change, or {@code null} (an operator, a tool)
 */
public record Change(long id, ChangeKind kind, String entry, long changedAtMillis, String origin) {

  /**
   * Reads a notification payload, {@code "<id> <kind> <entry> <changed_at> [<origin>]"}; empty when
   * it is not one (anyone may notify the channel: the log, not the payload, is authoritative).
   */
  public static Optional<Change> parse(String payload) {
    if (payload == null) {
      return Optional.empty();
    }
    String[] parts = payload.split(" ", -1);
    if (parts.length < 4 || parts.length > 5 || parts[2].isEmpty()) {
      return Optional.empty();
    }
    Optional<ChangeKind> kind = ChangeKind.ofWire(parts[1]);
    if (kind.isEmpty()) {
      return Optional.empty();
    }
    try {
      long id = Long.parseLong(parts[0]);
      long at = Long.parseLong(parts[3]);
      String origin = parts.length == 5 && !parts[4].isEmpty() ? parts[4] : null;
      return Optional.of(new Change(id, kind.get(), parts[2], at, origin));
    } catch (NumberFormatException e) {
      return Optional.empty();
    }
  }
}
