package io.callsign.tokens.capability;

import io.callsign.tokens.internal.CompactJws;
import io.callsign.tokens.internal.Json;
import io.callsign.tokens.internal.KeyedMac;
import io.callsign.tokens.internal.TimeClaims;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Objects;

/**
 * What the two capability token kinds share when minting: the header, the signing key, the lifetime
 * bounds and the text rules for values that end up in claims.
 */
final class CapabilityJwt {
  static final int DEFAULT_TTL_SECONDS = 3600;
  static final int MAX_TTL_SECONDS = TimeClaims.MAX_LIFETIME_SECONDS;
  static final int MIN_AUTH_TOKEN_BYTES = 32;

  /**
   * The header every official library writes, in Node's key order; capability tokens have no cty.
   */
  static final String HEADER_JSON = "{\"alg\":\"HS256\",\"typ\":\"JWT\"}";

  private static final byte[] ENCODED_HEADER =
      CompactJws.encodeSegment(HEADER_JSON.getBytes(StandardCharsets.UTF_8));

  private CapabilityJwt() {}

  /**
   * The HMAC key for an auth token.
   *
   * @throws IllegalArgumentException if it is shorter than 32 bytes (RFC 7518 section 3.2)
   */
  static KeyedMac signingKey(byte[] authToken) {
    Objects.requireNonNull(authToken, "authToken");
    if (authToken.length < MIN_AUTH_TOKEN_BYTES) {
      throw new IllegalArgumentException(
          "the auth token must be at least "
              + MIN_AUTH_TOKEN_BYTES
              + " bytes for HS256, got "
              + authToken.length);
    }
    return KeyedMac.cached(KeyedMac.HMAC_SHA256, authToken);
  }

  /** {@code authToken} as UTF-8 bytes. */
  static byte[] utf8(String authToken) {
    return Objects.requireNonNull(authToken, "authToken").getBytes(StandardCharsets.UTF_8);
  }

  /** Signs {@code claims}, written in iteration order, under the fixed HS256 header. */
  static String sign(Map<String, Object> claims, KeyedMac key) {
    return CompactJws.sign(ENCODED_HEADER, Json.toUtf8(claims), key);
  }

  /**
   * Checks text that goes into a claim: present, and free of control characters and unpaired
   * surrogates, which no verifier here accepts back (they invite log and header injection).
   *
   * @throws IllegalArgumentException naming {@code what} otherwise
   */
  static String checkText(String what, String value, boolean allowEmpty) {
    Objects.requireNonNull(value, what);
    if (!allowEmpty && value.isEmpty()) {
      throw new IllegalArgumentException(what + " must not be empty");
    }
    String problem = textProblem(value);
    if (problem != null) {
      throw new IllegalArgumentException(what + " " + problem);
    }
    return value;
  }

  /** Why {@code value} is not acceptable claim text, or null when it is. */
  static String textProblem(String value) {
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (c < 0x20 || c == 0x7F) {
        return "contains a control character";
      }
      if (Character.isHighSurrogate(c)
          && i + 1 < value.length()
          && Character.isLowSurrogate(value.charAt(i + 1))) {
        i++;
      } else if (Character.isSurrogate(c)) {
        return "contains an unpaired surrogate";
      }
    }
    return null;
  }
}
