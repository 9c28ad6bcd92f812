package io.callsign.tokens.sid;

/** An API key SID: {@code SK} followed by 32 hex digits. */
public record KeySid(String value) implements Sid {
  /** The two-letter prefix of every An API key SID. */
  public static final String PREFIX = "SK";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code SK} followed by 32 hex digits
   */
  public KeySid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static KeySid of(String value) {
    return new KeySid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static KeySid random() {
    return new KeySid(Sids.randomValue(PREFIX));
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
