package io.callsign.server.sso;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;

/**
 * The random values of a sign-in and how they are stored and compared: states, nonces, PKCE
 * verifiers, codes and refresh tokens are 256 random bits in base64url (43 characters); what is
 * stored of a code or token is its SHA-256, so that a copy of the database redeems nothing.
 */
final class SsoSecrets {
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();

  /** Bytes of randomness in every value: 256 bits (RFC 7636 section 7.1, RFC 9700 section 4.7). */
  static final int BYTES = 32;

  private SsoSecrets() {}

  /** A fresh value: {@value #BYTES} random bytes in base64url without padding. */
  static String random() {
    byte[] bytes = new byte[BYTES];
    RANDOM.nextBytes(bytes);
    return BASE64URL.encodeToString(bytes);
  }

  /** The stored form of {@code value}: its SHA-256, hex. */
  static String hash(String value) {
    return HexFormat.of().formatHex(sha256(value));
  }

  /** The S256 code challenge of {@code verifier}: base64url(SHA-256(ASCII)) (RFC 7636 4.2). */
  static String s256(String verifier) {
    return BASE64URL.encodeToString(sha256(verifier));
  }

  /** Whether {@code a} equals {@code b}, in time that does not depend on where they differ. */
  static boolean same(String a, String b) {
    return a != null
        && b != null
        && MessageDigest.isEqual(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static byte[] sha256(String value) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is always there", e);
    }
  }
}
