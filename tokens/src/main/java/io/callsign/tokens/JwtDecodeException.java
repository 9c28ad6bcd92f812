package io.callsign.tokens;

/**
 * A JWT could not be decoded: malformed, signed with another key or algorithm, expired, or not yet
 * valid. The message says which, and never contains key material.
 */
public final class JwtDecodeException extends Exception {
  private static final long serialVersionUID = 1L;

  /** A decode failure with a message that says what was wrong. */
  public JwtDecodeException(String message) {
    super(message, null, false, false);
  }
}
