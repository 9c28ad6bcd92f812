package io.callsign.server.audit;

import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeParseException;

/** The dates that select events, as the Events API and {@code callsign audit export} read them. */
public final class EventDates {
  private EventDates() {}

  /**
   * An ISO-8601 date-time with an offset or zone ({@code 2026-11-22T10:00:00Z}), one without (UTC:
   * twilio-java sends {@code yyyy-MM-dd'T'HH:mm:ss}), or a date (midnight UTC).
   *
   * @throws DateTimeParseException when it is none of these
   */
  public static Instant parse(String text) {
    try {
      return ZonedDateTime.parse(text).toInstant();
    } catch (DateTimeParseException e) {
      // without an offset, or a date alone
    }
    try {
      return LocalDateTime.parse(text).toInstant(ZoneOffset.UTC);
    } catch (DateTimeParseException e) {
      return LocalDate.parse(text).atStartOfDay(ZoneOffset.UTC).toInstant();
    }
  }
}
