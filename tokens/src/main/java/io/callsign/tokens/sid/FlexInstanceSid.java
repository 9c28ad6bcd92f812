package io.callsign.tokens.sid;

/** A Flex instance SID: {@code GO} followed by 32 hex digits. */
public record FlexInstanceSid(String value) implements Sid {
  /** The two-letter prefix of every A Flex instance SID. */
  public static final String PREFIX = "GO";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code GO} followed by 32 hex digits
   */
  public FlexInstanceSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static FlexInstanceSid of(String value) {
    return new FlexInstanceSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static FlexInstanceSid random() {
    return new FlexInstanceSid(Sids.randomValue(PREFIX));
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
