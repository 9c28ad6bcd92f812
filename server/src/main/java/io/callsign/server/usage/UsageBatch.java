package io.callsign.server.usage;

import io.callsign.tokens.sid.KeySid;
import java.util.List;

/**
 * Counts to add to the stored usage: what the request threads counted since the last write. Days
 * are UTC days since 1970-01-01 and times epoch milliseconds.
 *
 * @param days requests per key and day
 * @param addresses requests per key, source address and day
 * @param permissions permission checks passed per key, permission and day
 */
public record UsageBatch(
    List<DayCount> days, List<AddressCount> addresses, List<PermissionCount> permissions) {
  /** Keeps unmodifiable copies. */
  public UsageBatch {
    days = List.copyOf(days);
    addresses = List.copyOf(addresses);
    permissions = List.copyOf(permissions);
  }

  /** Whether there is nothing to add. */
  public boolean isEmpty() {
    return days.isEmpty() && addresses.isEmpty() && permissions.isEmpty();
  }

  /** Requests by {@code key} on {@code day}. */
  public record DayCount(KeySid key, long day, long requests) {}

  /** Requests by {@code key} from {@code address} on {@code day}, first and last at those times. */
  public record AddressCount(
      KeySid key, String address, long day, long requests, long firstSeen, long lastSeen) {}

  /**
   * Checks of {@code permission} (its {@link io.callsign.server.http.Permission#wireName()}) passed
   * by {@code key} on {@code day}, the last one at {@code lastUsed}.
   */
  public record PermissionCount(
      KeySid key, String permission, long day, long requests, long lastUsed) {}
}
