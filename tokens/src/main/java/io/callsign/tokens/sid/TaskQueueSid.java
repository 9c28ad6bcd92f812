package io.callsign.tokens.sid;

/** A TaskRouter task queue SID: {@code WQ} followed by 32 hex digits. */
public record TaskQueueSid(String value) implements Sid {
  /** The two-letter prefix of every A TaskRouter task queue SID. */
  public static final String PREFIX = "WQ";

  /**
   * Wraps {@code value}.
   *
   * @throws IllegalArgumentException if it is not {@code WQ} followed by 32 hex digits
   */
  public TaskQueueSid {
    Sids.check(PREFIX, value);
  }

  /** Parses {@code value}; see the canonical constructor. */
  public static TaskQueueSid of(String value) {
    return new TaskQueueSid(value);
  }

  /** A new random SID, from a cryptographically strong source. */
  public static TaskQueueSid random() {
    return new TaskQueueSid(Sids.randomValue(PREFIX));
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
