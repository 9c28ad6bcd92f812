package io.callsign.server.http;

import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Locale;

/**
 * Dates as v2010 sends them: {@code Mon, 13 Jun 2016 22:50:08 +0000}. twilio-java silently returns
 * {@code null} for anything else (a one-digit day, {@code GMT}, a localized weekday), so the
 * pattern is fixed, English and UTC.
 */
public final class Rfc2822 {
  private static final DateTimeFormatter FORMAT =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss '+0000'", Locale.ENGLISH)
          .withZone(ZoneOffset.UTC);

  private Rfc2822() {}

  /** Formats {@code instant} (to the second). */
  public static String format(Instant instant) {
    return FORMAT.format(instant);
  }
}
