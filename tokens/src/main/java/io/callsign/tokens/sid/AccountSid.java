package io.callsign.tokens.sid;

/** An account SID: {@code AC} followed by 32 hex digits. */
public record AccountSid(String value) implements Sid {
  /** The two-letter prefix of every An account SID. */
  public static final String PREFIX = "AC";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code AC} followed by 32 hex digits
   */
  public AccountSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static AccountSid of(String value) {
    return new AccountSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static AccountSid random() {
    return new AccountSid(Sids.randomValue(PREFIX));
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
