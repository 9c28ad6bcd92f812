package io.callsign.server.console;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.OptionalLong;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Time-based one-time passwords (RFC 6238) as authenticator apps compute them: HMAC-SHA1, six
 * digits, 30-second steps from the Unix epoch. A code is accepted for the step before, the step of
 * and the step after the server's time (ASVS 5.0 6.5.5, security-checklist F-05), and only for a
 * step later than the last one accepted, so that each code works once (RFC 6238 section 5.2).
 */
public final class Totp {
  /** Seconds per step. */
  static final long STEP_SECONDS = 30;

  /** Digits per code. */
  static final int DIGITS = 6;

  /** Seed length: 160 bits, the HMAC-SHA1 block RFC 4226 recommends. */
  static final int SECRET_BYTES = 20;

  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".toCharArray();

  private Totp() {}

  /** A new random seed. */
  static byte[] newSecret() {
    byte[] secret = new byte[SECRET_BYTES];
    RANDOM.nextBytes(secret);
    return secret;
  }

  /** The step that {@code at} falls in. */
  public static long step(Instant at) {
    return Math.floorDiv(at.getEpochSecond(), STEP_SECONDS);
  }

  /** The code for {@code step}, zero-padded to six digits. */
  public static String code(byte[] secret, long step) {
    byte[] hash;
    try {
      Mac mac = Mac.getInstance("HmacSHA1");
      mac.init(new SecretKeySpec(secret, "HmacSHA1"));
      hash = mac.doFinal(ByteBuffer.allocate(Long.BYTES).putLong(step).array());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HmacSHA1 is missing from this JDK", e);
    }
    // RFC 4226 section 5.3: dynamic truncation.
    int offset = hash[hash.length - 1] & 0x0f;
    int binary =
        ((hash[offset] & 0x7f) << 24)
            | ((hash[offset + 1] & 0xff) << 16)
            | ((hash[offset + 2] & 0xff) << 8)
            | (hash[offset + 3] & 0xff);
    String digits = Integer.toString(binary % 1_000_000);
    return "0".repeat(DIGITS - digits.length()) + digits;
  }

  /**
   * The step whose code {@code code} is, among the step of {@code now} and the ones either side, if
   * it is later than {@code lastStep}; empty otherwise. Every candidate is compared, in constant
   * time, whatever matches.
   */
  static OptionalLong match(byte[] secret, String code, Instant now, long lastStep) {
    String given = code == null ? "" : code.replace(" ", "").strip();
    if (given.length() != DIGITS || !given.chars().allMatch(c -> c >= '0' && c <= '9')) {
      return OptionalLong.empty();
    }
    long current = step(now);
    long found = -1;
    for (long s = current - 1; s <= current + 1; s++) {
      boolean equal =
          MessageDigest.isEqual(code(secret, s).getBytes(), given.getBytes())
              & s > lastStep; // non-short-circuit: the same work whatever the order
      if (equal && found < 0) {
        found = s;
      }
    }
    return found < 0 ? OptionalLong.empty() : OptionalLong.of(found);
  }

  /** RFC 4648 base32 without padding, as {@code otpauth://} URIs carry seeds. */
  static String base32(byte[] data) {
    StringBuilder out = new StringBuilder((data.length * 8 + 4) / 5);
    int buffer = 0;
    int bits = 0;
    for (byte b : data) {
      buffer = (buffer << 8) | (b & 0xff);
      bits += 8;
      while (bits >= 5) {
        out.append(BASE32[(buffer >>> (bits - 5)) & 31]);
        bits -= 5;
      }
    }
    if (bits > 0) {
      out.append(BASE32[(buffer << (5 - bits)) & 31]);
    }
    return out.toString();
  }
}
