package io.callsign.tokens.sid;

/** A console user SID: {@code US} followed by 32 hex digits. */
public record ConsoleUserSid(String value) implements Sid {
  /** The two-letter prefix of every console user SID. */
  public static final String PREFIX = "US";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code US} followed by 32 hex digits
   */
  public ConsoleUserSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static ConsoleUserSid of(String value) {
    return new ConsoleUserSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static ConsoleUserSid random() {
    return new ConsoleUserSid(Sids.randomValue(PREFIX));
  }

  @Override
  public String prefix() {
    return PREFIX;
  }

  @Override
  public String toString() {
    return value;
  }
}
