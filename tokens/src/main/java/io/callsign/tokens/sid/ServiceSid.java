package io.callsign.tokens.sid;

/** A Chat, Conversations or Sync service SID: {@code IS} followed by 32 hex digits. */
public record ServiceSid(String value) implements Sid {
  /** The two-letter prefix of every A Chat, Conversations or Sync service SID. */
  public static final String PREFIX = "IS";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code IS} followed by 32 hex digits
   */
  public ServiceSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static ServiceSid of(String value) {
    return new ServiceSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static ServiceSid random() {
    return new ServiceSid(Sids.randomValue(PREFIX));
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
