package io.callsign.server.accounts;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.Sids;
import java.security.SecureRandom;
import java.util.HexFormat;

/**
 * The root account's SID and auth token, as given by the operator or generated.
 *
 * @param sid the account SID
 * @param authToken the auth token: at least 32 visible ASCII characters
 */
public record RootCredentials(AccountSid sid, String authToken) {
  /** The shortest accepted auth token: twilio-java's JWT library refuses shorter HMAC keys. */
  public static final int MIN_TOKEN_LENGTH = 32;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** Checks the token (the SID checks itself). */
  public RootCredentials {
    if (authToken == null || authToken.length() < MIN_TOKEN_LENGTH) {
      throw new IllegalArgumentException(
          "the auth token must be at least " + MIN_TOKEN_LENGTH + " characters long");
    }
    // Visible ASCII only: a stray newline or space from an env file would make a token that no
    // client can type, and non-ASCII bytes differ between Basic-auth encoders.
    for (int i = 0; i < authToken.length(); i++) {
      char c = authToken.charAt(i);
      if (c < 0x21 || c > 0x7E) {
        throw new IllegalArgumentException(
            "the auth token must contain only visible ASCII characters (no spaces or newlines)");
      }
    }
  }

  /**
   * Parses operator-given values, with messages that name the variables.
   *
   * @throws IllegalArgumentException if either is malformed
   */
  public static RootCredentials parse(
      String sid, String authToken, String sidName, String tokenName) {
    if (!Sids.isValid(AccountSid.PREFIX, sid)) {
      throw new IllegalArgumentException(
          sidName + " must be AC followed by 32 hex digits (34 characters in all)");
    }
    try {
      return new RootCredentials(AccountSid.of(sid), authToken);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(tokenName + ": " + e.getMessage(), e);
    }
  }

  /** A fresh random pair; the token is 32 lowercase hex digits, like Twilio's. */
  public static RootCredentials generate() {
    return new RootCredentials(AccountSid.random(), newAuthToken());
  }

  /** A fresh auth token: 32 lowercase hex digits (128 bits), the format Twilio issues. */
  public static String newAuthToken() {
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return HexFormat.of().formatHex(bytes);
  }

  @Override
  public String toString() {
    return "RootCredentials[sid=" + sid + ", authToken=***]";
  }
}
