package io.callsign.server.config;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * How API-key usage is recorded and when it raises alerts (docs/design/0012-key-usage.md).
 *
 * @param flushInterval how often the in-memory counters are written to the database (at most this
 *     much usage is lost if the process dies without a clean stop)
 * @param quietDays a key's new address raises an alert when the key gained no new address (nor was
 *     first used) during this many days before it
 * @param spikeFactor a day's requests raise an alert above this many times the key's usual daily
 *     average
 * @param spikeFloor ... and above this many requests, whatever the average (so that small keys do
 *     not alert on small numbers)
 * @param baselineDays the usual level is the average of this many days before the day in question
 *     (fewer for a younger key; none on the day a key is created)
 * @param retentionDays usage older than this many days is deleted
 */
public record KeyUsageConfig(
    Duration flushInterval,
    int quietDays,
    double spikeFactor,
    long spikeFloor,
    int baselineDays,
    int retentionDays) {

  /** The defaults: flush every 5 s; alert after 7 quiet days, or above 10x the 7-day average. */
  public static final KeyUsageConfig DEFAULTS =
      new KeyUsageConfig(Duration.ofSeconds(5), 7, 10.0, 1_000, 7, 400);

  /** Checks every field. */
  public KeyUsageConfig {
    Objects.requireNonNull(flushInterval, "flushInterval");
    if (flushInterval.toMillis() < 10 || flushInterval.compareTo(Duration.ofMinutes(10)) > 0) {
      throw new IllegalArgumentException(
          "key usage flush interval must be between 10 ms and 10 minutes, was " + flushInterval);
    }
    if (quietDays < 1 || quietDays > 365) {
      throw new IllegalArgumentException(
          "key usage quiet days must be between 1 and 365, was " + quietDays);
    }
    if (!(spikeFactor >= 1.0) || spikeFactor > 1_000_000) {
      throw new IllegalArgumentException(
          "key usage spike factor must be between 1 and 1000000, was " + spikeFactor);
    }
    if (spikeFloor < 0) {
      throw new IllegalArgumentException(
          "key usage spike floor must not be negative, was " + spikeFloor);
    }
    if (baselineDays < 1 || baselineDays > 90) {
      throw new IllegalArgumentException(
          "key usage baseline days must be between 1 and 90, was " + baselineDays);
    }
    // Usage is reported for up to 90 days and addresses stay known for the retention: keep more.
    if (retentionDays < 90 || retentionDays > 3_650) {
      throw new IllegalArgumentException(
          "key usage retention days must be between 90 and 3650, was " + retentionDays);
    }
  }

  /**
   * The defaults, with each threshold overridden by its environment variable when set: {@code
   * CALLSIGN_KEY_USAGE_FLUSH_SECONDS}, {@code CALLSIGN_KEY_USAGE_QUIET_DAYS}, {@code
   * CALLSIGN_KEY_USAGE_SPIKE_FACTOR}, {@code CALLSIGN_KEY_USAGE_SPIKE_FLOOR}, {@code
   * CALLSIGN_KEY_USAGE_BASELINE_DAYS}, {@code CALLSIGN_KEY_USAGE_RETENTION_DAYS}.
   *
   * @throws IllegalArgumentException naming a variable that is not a number in range
   */
  public static KeyUsageConfig fromEnv(Map<String, String> env) {
    KeyUsageConfig d = DEFAULTS;
    return new KeyUsageConfig(
        Duration.ofMillis(
            Math.round(
                number(env, "CALLSIGN_KEY_USAGE_FLUSH_SECONDS", d.flushInterval.toMillis() / 1e3)
                    * 1e3)),
        (int) whole(env, "CALLSIGN_KEY_USAGE_QUIET_DAYS", d.quietDays),
        number(env, "CALLSIGN_KEY_USAGE_SPIKE_FACTOR", d.spikeFactor),
        whole(env, "CALLSIGN_KEY_USAGE_SPIKE_FLOOR", d.spikeFloor),
        (int) whole(env, "CALLSIGN_KEY_USAGE_BASELINE_DAYS", d.baselineDays),
        (int) whole(env, "CALLSIGN_KEY_USAGE_RETENTION_DAYS", d.retentionDays));
  }

  private static long whole(Map<String, String> env, String name, long dflt) {
    String raw = env.get(name);
    if (raw == null || raw.isBlank()) {
      return dflt;
    }
    try {
      // Within int range, so that the casts above keep the value and the checks see it.
      return Math.toIntExact(Long.parseLong(raw.strip()));
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException(name + " must be a whole number", e);
    }
  }

  private static double number(Map<String, String> env, String name, double dflt) {
    String raw = env.get(name);
    if (raw == null || raw.isBlank()) {
      return dflt;
    }
    try {
      double n = Double.parseDouble(raw.strip());
      if (Double.isFinite(n)) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new IllegalArgumentException(name + " must be a number");
  }
}
