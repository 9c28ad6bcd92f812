package io.callsign.server.keys;

import java.util.Locale;

/**
 * What a key may do (DESIGN.md section 4): a main key everything its account may, a standard key
 * everything but managing keys, accounts and auth tokens, a restricted key what its policy allows.
 */
public enum KeyType {
  STANDARD,
  MAIN,
  RESTRICTED;

  /** The wire and storage form: {@code standard}, {@code main}, {@code restricted}. */
  public String wire() {
    return name().toLowerCase(Locale.ROOT);
  }

  /** Parses the wire form. */
  public static KeyType fromWire(String value) {
    return valueOf(value.toUpperCase(Locale.ROOT));
  }
}
