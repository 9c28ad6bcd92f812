package io.callsign.tokens.internal;

import java.nio.charset.StandardCharsets;

/** ASCII helpers for compact-serialized tokens, which are ASCII by construction. */
public final class Ascii {
  private Ascii() {}

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
