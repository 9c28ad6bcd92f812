package io.callsign.tokens.sid;

/** An audit event SID: {@code AE} followed by 32 hex digits. */
public record EventSid(String value) implements Sid {
  /** The two-letter prefix of every An audit event SID. */
  public static final String PREFIX = "AE";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code AE} followed by 32 hex digits
   */
  public EventSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static EventSid of(String value) {
    return new EventSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static EventSid random() {
    return new EventSid(Sids.randomValue(PREFIX));
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
