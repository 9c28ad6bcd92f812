package io.callsign.tokens.sid;

/** A TaskRouter workspace SID: {@code WS} followed by 32 hex digits. */
public record WorkspaceSid(String value) implements Sid {
  /** The two-letter prefix of every A TaskRouter workspace SID. */
  public static final String PREFIX = "WS";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code WS} followed by 32 hex digits
   */
  public WorkspaceSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static WorkspaceSid of(String value) {
    return new WorkspaceSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static WorkspaceSid random() {
    return new WorkspaceSid(Sids.randomValue(PREFIX));
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
