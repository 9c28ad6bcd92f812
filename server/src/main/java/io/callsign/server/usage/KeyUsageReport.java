package io.callsign.server.usage;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.time.Instant;
import java.time.LocalDate;
import java.util.List;

/**
 * What an API key did in a window of UTC days ending today.
 *
 * @param accountSid the key's account
 * @param keySid the key
 * @param windowDays how many days the window covers, today included
 * @param startDate the window's first day
 * @param endDate the window's last day (today)
 * @param lastUsed the key's last request ever recorded, or {@code null} when none
 * @param lastUsedAddress where that request came from, or {@code null}
 * @param requests the requests in the window
 * @param distinctAddresses how many addresses the key was used from in the window
 * @param addresses those addresses, most recently seen first (at most {@link
 *     KeyUsageService#MAX_ADDRESSES_LISTED})
 * @param days every day of the window, oldest first, with its requests (0 when none)
 */
public record KeyUsageReport(
    AccountSid accountSid,
    KeySid keySid,
    int windowDays,
    LocalDate startDate,
    LocalDate endDate,
    Instant lastUsed,
    String lastUsedAddress,
    long requests,
    long distinctAddresses,
    List<Address> addresses,
    List<Day> days) {

  /** Keeps unmodifiable copies. */
  public KeyUsageReport {
    addresses = List.copyOf(addresses);
    days = List.copyOf(days);
  }

  /** Requests from one address in the window, with the first and last. */
  public record Address(String ipAddress, Instant firstSeen, Instant lastSeen, long requests) {}

  /** One day's requests and how many distinct addresses they came from. */
  public record Day(LocalDate date, long requests, long distinctAddresses) {}
}
