package io.callsign.server.usage;

import java.time.LocalDate;

/** Usage is counted per UTC day, stored as the number of days since 1970-01-01. */
final class UtcDays {
  static final long MILLIS_PER_DAY = 86_400_000L;

  private UtcDays() {}

  /** The day of {@code epochMillis}. */
  static long of(long epochMillis) {
    return Math.floorDiv(epochMillis, MILLIS_PER_DAY);
  }

  /** The calendar date of {@code day}. */
  static LocalDate date(long day) {
    return LocalDate.ofEpochDay(day);
  }
}
