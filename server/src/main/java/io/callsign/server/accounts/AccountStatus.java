package io.callsign.server.accounts;

import java.util.Locale;

/** The life cycle of an account. Only active accounts authenticate; closing is final. */
public enum AccountStatus {
  ACTIVE,
  SUSPENDED,
  CLOSED;

  /** The wire and storage form: {@code active}, {@code suspended}, {@code closed}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses the wire form. */
  public static AccountStatus fromWire(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
