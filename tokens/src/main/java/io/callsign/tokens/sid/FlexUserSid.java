package io.callsign.tokens.sid;

/** A Flex user SID: {@code FU} followed by 32 hex digits. */
public record FlexUserSid(String value) implements Sid {
  /** The two-letter prefix of every A Flex user SID. */
  public static final String PREFIX = "FU";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code FU} followed by 32 hex digits
   */
  public FlexUserSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static FlexUserSid of(String value) {
    return new FlexUserSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static FlexUserSid random() {
    return new FlexUserSid(Sids.randomValue(PREFIX));
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
