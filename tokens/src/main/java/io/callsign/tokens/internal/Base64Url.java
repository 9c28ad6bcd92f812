package io.callsign.tokens.internal;

import java.util.Base64;

/**
 * Strict base64url (RFC 4648 section 5) without padding, as JWS compact serialization requires.
 *
 * <p>The JDK decoder accepts padding and ignores non-zero unused bits in the last character, so two
 * different strings could decode to the same bytes. Both are refused here: a token has exactly one
 * encoding, and a flipped character always changes what is verified.
 */
public final class Base64Url {
  private static final Base64.Encoder ENCODER = Base64.getUrlEncoder().withoutPadding();
  private static final Base64.Decoder DECODER = Base64.getUrlDecoder();

  private Base64Url() {}

  /** Encodes without padding. */
  public static String encode(byte[] bytes) {
    return ENCODER.encodeToString(bytes);
  }

  /** Encodes {@code src} without padding into {@code dst} at {@code offset}; returns the length. */
  public static int encodeInto(byte[] src, byte[] dst, int offset) {
    byte[] encoded = ENCODER.encode(src);
    System.arraycopy(encoded, 0, dst, offset, encoded.length);
    return encoded.length;
  }

  /** The length of the unpadded encoding of {@code n} bytes. */
  public static int encodedLength(int n) {
    return (n / 3) * 4 + (n % 3 == 0 ? 0 : n % 3 + 1);
  }

  /**
   * Decodes {@code src[from, to)}, which must be canonical unpadded base64url.
   *
   * @throws IllegalArgumentException if the input is empty, padded, uses characters outside the
   *     base64url alphabet, or has non-zero unused bits
   */
  public static byte[] decode(byte[] src, int from, int to) {
    int length = to - from;
    if (length <= 0 || length % 4 == 1) {
      throw new IllegalArgumentException("bad base64url length");
    }
    int last = value(src[to - 1]);
    int rest = length % 4;
    if ((rest == 2 && (last & 0x0F) != 0) || (rest == 3 && (last & 0x03) != 0)) {
      throw new IllegalArgumentException("non-canonical base64url");
    }
    byte[] segment = new byte[length];
    for (int i = 0; i < length; i++) {
      byte b = src[from + i];
      if (value(b) < 0) {
        throw new IllegalArgumentException("bad base64url character");
      }
      segment[i] = b;
    }
    return DECODER.decode(segment);
  }

  /** Decodes a whole string; see {@link #decode(byte[], int, int)}. */
  public static byte[] decode(String s) {
    byte[] bytes = Ascii.bytesOrNull(s);
    if (bytes == null) {
      throw new IllegalArgumentException("bad base64url character");
    }
    return decode(bytes, 0, bytes.length);
  }

  private static int value(byte b) {
    if (b >= 'A' && b <= 'Z') {
      return b - 'A';
    }
    if (b >= 'a' && b <= 'z') {
      return b - 'a' + 26;
    }
    if (b >= '0' && b <= '9') {
      return b - '0' + 52;
    }
    if (b == '-') {
      return 62;
    }
    if (b == '_') {
      return 63;
    }
    return -1;
  }
}
