package io.callsign.tokens.internal;

import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.Base64;

/**
 * Strict base64url (RFC 4648 section 5) without padding, as JWS compact serialization requires.
 *
 * <p>The JDK decoder accepts padding and ignores non-zero unused bits in the last character, so two
 * different strings could decode to the same bytes. Both are refused here before the JDK decoder
 * runs: a token has exactly one encoding, and a flipped character always changes what is verified.
 */
public final class Base64Url {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private Base64Url() {}

  /** Encodes without padding. */
  public static String encode(byte[] bytes) {
    return ENCODER.encodeToString(bytes);
  }

  /** Encodes without padding, as ASCII bytes. */
  public static byte[] encodeToBytes(byte[] bytes) {
    return ENCODER.encode(bytes);
  }

  /**
   * Encodes {@code bytes[0, length)} without padding, as ASCII bytes, with no copy of the input.
   */
  public static byte[] encodeToBytes(byte[] bytes, int length) {
    return ENCODER.encode(ByteBuffer.wrap(bytes, 0, length)).array();
  }

  /**
   * Decodes {@code src[from, to)}, which must be canonical unpadded base64url.
   *
   * @throws IllegalArgumentException if the input is empty, padded, uses characters outside the
   *     base64url alphabet, or has non-zero unused bits
   */
  public static byte[] decode(byte[] src, int from, int to) {
    int length = to - from;
    int rest = length & 3;
    if (length <= 0 || rest == 1 || src[to - 1] == '=') {
      throw new IllegalArgumentException("bad base64url length or padding");
    }
    // The unused low bits of the last character must be zero (canonical encoding).
    int last = VALUES[src[to - 1] & 0xFF];
    if (last < 0 || (rest == 2 && (last & 0x0F) != 0) || (rest == 3 && (last & 0x03) != 0)) {
      throw new IllegalArgumentException("bad or non-canonical base64url");
    }
    // The JDK decoder (an intrinsic) refuses every other character outside the URL-safe alphabet,
    // and a '=' anywhere but at the very end, which was checked above.
    // Through a ByteBuffer over the array, the decoder reads the range in place: no copy.
    ByteBuffer decoded = DECODER.decode(ByteBuffer.wrap(src, from, length));
    byte[] bytes = decoded.array();
    return decoded.remaining() == bytes.length ? bytes : Arrays.copyOf(bytes, decoded.remaining());
  }

  /** Decodes a whole string; see {@link #decode(byte[], int, int)}. */
  public static byte[] decode(String s) {
    byte[] bytes = Ascii.bytesOrNull(s);
    if (bytes == null) {
      throw new IllegalArgumentException("bad base64url character");
    }
    return decode(bytes, 0, bytes.length);
  }

  /** Sextet value per byte; -1 (all bits set) for bytes outside the alphabet. */
  private static final int[] VALUES = new int[256];

  static {
    Arrays.fill(VALUES, -1);
    String alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < alphabet.length(); i++) {
      VALUES[alphabet.charAt(i)] = i;
    }
  }
}
