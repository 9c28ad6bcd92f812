package io.callsign.tokens.sid;

/** A push credential SID: {@code CR} followed by 32 hex digits. */
public record CredentialSid(String value) implements Sid {
  /** The two-letter prefix of every A push credential SID. */
  public static final String PREFIX = "CR";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code CR} followed by 32 hex digits
   */
  public CredentialSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static CredentialSid of(String value) {
    return new CredentialSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static CredentialSid random() {
    return new CredentialSid(Sids.randomValue(PREFIX));
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
