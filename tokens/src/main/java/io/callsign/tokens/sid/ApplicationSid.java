package io.callsign.tokens.sid;

/** A TwiML application SID: {@code AP} followed by 32 hex digits. */
public record ApplicationSid(String value) implements Sid {
  /** The two-letter prefix of every A TwiML application SID. */
  public static final String PREFIX = "AP";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code AP} followed by 32 hex digits
   */
  public ApplicationSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static ApplicationSid of(String value) {
    return new ApplicationSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static ApplicationSid random() {
    return new ApplicationSid(Sids.randomValue(PREFIX));
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
