package io.callsign.tokens.internal;

import java.nio.charset.StandardCharsets;

/** ASCII helpers for compact-serialized tokens, which are ASCII by construction. */
public final class Ascii {
  private Ascii() {}

  /**
   * Whether {@code bytes[from, from + count)} are all hex digits, either case; {@code count} is a
   * multiple of eight.
   */
  public static boolean hexDigits(byte[] bytes, int from, int count) {
    if ((count & 7) != 0 || from < 0 || from + count > bytes.length) {
      throw new IllegalArgumentException("count must be a multiple of 8 within the array");
    }
    return Swar.allHexDigits(bytes, from, count);
  }

  /** The bytes of {@code s} if every character is 7-bit ASCII, otherwise {@code null}. */
  public static byte[] bytesOrNull(String s) {
    // Latin-1 strings copy without transcoding; characters above U+00FF become '?'.
    byte[] bytes = s.getBytes(StandardCharsets.ISO_8859_1);
    for (int i = 0; i < bytes.length; i++) {
      byte b = bytes[i];
      if (b < 0 || (b == '?' && s.charAt(i) != '?')) {
        return null;
      }
    }
    return bytes;
  }
}
