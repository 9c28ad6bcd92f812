package io.callsign.server.console;

import io.callsign.tokens.sid.ConsoleUserSid;
import java.time.Instant;

/**
 * A browser's console session, as stored: the cookie holds a random id, the database only its
 * SHA-256 hash.
 *
 * @param idHash the hash of the cookie's id
 * @param userSid whose session it is
 * @param stage how far the sign-in got
 * @param csrfToken the token every form of this session must send back
 * @param createdAt when the session started
 * @param lastSeenAt when it was last used (to the minute): the idle limit counts from here
 * @param expiresAt the absolute limit
 */
record ConsoleSession(
    String idHash,
    ConsoleUserSid userSid,
    Stage stage,
    String csrfToken,
    Instant createdAt,
    Instant lastSeenAt,
    Instant expiresAt) {
  /** How far a sign-in got. */
  enum Stage {
    /** The password was right; only the second-factor pages are open. */
    PASSWORD("password"),
    /** Password and second factor: the console is open. */
    SIGNED_IN("signed-in");

    final String column;

    Stage(String column) {
      this.column = column;
    }

    static Stage of(String column) {
      return column.equals(SIGNED_IN.column) ? SIGNED_IN : PASSWORD;
    }
  }
}
