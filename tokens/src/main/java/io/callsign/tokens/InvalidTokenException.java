package io.callsign.tokens;

import java.util.Objects;

/**
 * A token was refused. {@link #error()} says why, as a Twilio error code; the message adds the
 * detail (which claim, which bound) and never contains key material.
 *
 * <p>Refusals are an expected outcome, and attackers can cause many of them cheaply, so this
 * exception records no stack trace.
 */
public final class InvalidTokenException extends Exception {
  private static final long serialVersionUID = 1L;

  private final TokenError error;

  /** A refusal for {@code error} with a detail message. */
  public InvalidTokenException(TokenError error, String message) {
    super(message, null, false, false);
    this.error = Objects.requireNonNull(error, "error");
  }

  /** Why the token was refused. */
  public TokenError error() {
    return error;
  }

  /** The Twilio error code, for example 20104. */
  public int code() {
    return error.code();
  }
}
