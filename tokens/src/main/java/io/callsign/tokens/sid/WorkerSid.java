package io.callsign.tokens.sid;

/** A TaskRouter worker SID: {@code WK} followed by 32 hex digits. */
public record WorkerSid(String value) implements Sid {
  /** The two-letter prefix of every A TaskRouter worker SID. */
  public static final String PREFIX = "WK";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code WK} followed by 32 hex digits
   */
  public WorkerSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static WorkerSid of(String value) {
    return new WorkerSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static WorkerSid random() {
    return new WorkerSid(Sids.randomValue(PREFIX));
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
