package io.callsign.tokens.sid;

/** A single sign-on profile SID: {@code JQ} followed by 32 hex digits. */
public record SsoProfileSid(String value) implements Sid {
  /** The two-letter prefix of every A single sign-on profile SID. */
  public static final String PREFIX = "JQ";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code JQ} followed by 32 hex digits
   */
  public SsoProfileSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static SsoProfileSid of(String value) {
    return new SsoProfileSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static SsoProfileSid random() {
    return new SsoProfileSid(Sids.randomValue(PREFIX));
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
