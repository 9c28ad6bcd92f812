package io.callsign.tokens;

import io.callsign.tokens.internal.KeyedMac;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.util.Objects;

/**
 * An API key as a verifier needs it: its SID, the account that owns it, and its secret, ready for
 * HMAC. Build one per key and cache it: verifying then costs no key setup.
 *
 * <p>{@link #toString()} never shows the secret.
 */
public final class SigningKey {
  private final String keySid;
  private final String accountSid;
  private final KeyedMac mac;

  private SigningKey(String keySid, String accountSid, byte[] secret) {
    this.keySid = KeySid.of(keySid).value();
    this.accountSid = AccountSid.of(accountSid).value();
    Objects.requireNonNull(secret, "secret");
    if (secret.length < AccessToken.MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "the key secret must be at least " + AccessToken.MIN_SECRET_BYTES + " bytes");
    }
    this.mac = KeyedMac.of(KeyedMac.HMAC_SHA256, secret);
  }

  /**
   * A key that signs tokens for {@code accountSid}.
   *
   * @throws IllegalArgumentException if a SID is malformed or the secret shorter than 32 bytes
   */
  public static SigningKey of(String keySid, String accountSid, byte[] secret) {
    return new SigningKey(keySid, accountSid, secret);
  }

  /** The key SID (SK...). */
  public String keySid() {
    return keySid;
  }

  /** The account (AC...) that owns the key. */
  public String accountSid() {
    return accountSid;
  }

  KeyedMac mac() {
    return mac;
  }

  @Override
  public String toString() {
    return "SigningKey[" + keySid + " of " + accountSid + ", secret redacted]";
  }
}
