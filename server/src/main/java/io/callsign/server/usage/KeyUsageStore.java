package io.callsign.server.usage;

import io.callsign.tokens.sid.KeySid;
import java.time.Instant;
import java.util.Collection;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;

/**
 * Stored API-key usage per UTC day (days since 1970-01-01): requests, source addresses, permissions
 * used, and which alerts each day has raised. A key's usage goes with the key.
 */
public interface KeyUsageStore {
  /** The alerts raised at most once per key and day. */
  enum Alert {
    /** A new source address after a quiet period. */
    NEW_ADDRESS,
    /** Far more requests than usual. */
    VOLUME
  }

  /** Runs {@code work} in one transaction (calls inside it join it). */
  <T> T inTransaction(Supplier<T> work);

  /**
   * Adds the counts of {@code batch} to those stored, for keys that still exist (a key deleted
   * since its requests were counted leaves nothing behind).
   */
  void add(UsageBatch batch);

  /** Those of {@code addresses} that {@code key} has been used from before. */
  Set<String> knownAddresses(KeySid key, Collection<String> addresses);

  /**
   * When {@code key} last gained an address: the latest of the first requests from each of its
   * addresses; empty when it has never been used.
   */
  Optional<Instant> newestAddressFirstSeen(KeySid key);

  /** Requests per day of each of {@code keys}, from {@code fromDay} to {@code toDay} inclusive. */
  List<DayTotal> dayTotals(Collection<KeySid> keys, long fromDay, long toDay);

  /**
   * Records that {@code key} raised {@code alert} on {@code day}; false when it already had (or has
   * no usage that day). Atomic, so that concurrent writers raise it once.
   */
  boolean claimAlert(KeySid key, long day, Alert alert);

  /** Deletes the usage of days before {@code day}; returns how many rows went. */
  int pruneBefore(long day);

  /** Requests and distinct addresses per day of {@code key} from {@code fromDay}, oldest first. */
  List<DaySummary> days(KeySid key, long fromDay);

  /**
   * The addresses {@code key} was used from since {@code fromDay}, most recently seen first, at
   * most {@code limit}.
   */
  List<AddressSummary> addresses(KeySid key, long fromDay, int limit);

  /** How many distinct addresses {@code key} was used from since {@code fromDay}. */
  long distinctAddresses(KeySid key, long fromDay);

  /** The last request by {@code key}: when and from where; empty when never used. */
  Optional<LastUse> lastUse(KeySid key);

  /** The permissions {@code key} used since {@code fromDay}, by name. */
  List<PermissionSummary> permissions(KeySid key, long fromDay);

  /** A key's requests on a day, and whether its volume alert was raised that day. */
  record DayTotal(KeySid key, long day, long requests, boolean volumeAlerted) {}

  /** A key's requests on a day and from how many distinct addresses. */
  record DaySummary(long day, long requests, long distinctAddresses) {}

  /** A key's requests from one address in a window, with the first and last. */
  record AddressSummary(String address, Instant firstSeen, Instant lastSeen, long requests) {}

  /** When and from where a key was last used. */
  record LastUse(Instant at, String address) {}

  /** How often a key used a permission in a window, and when last. */
  record PermissionSummary(String permission, long requests, Instant lastUsed) {}
}
