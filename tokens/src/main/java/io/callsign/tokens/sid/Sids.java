package io.callsign.tokens.sid;

import io.callsign.tokens.internal.Ascii;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HexFormat;

/** Format checks and generation shared by the SID types. */
public final class Sids {
  /** Length of every SID: two letters and 32 hex digits. */
  public static final int LENGTH = 34;

  private static final SecureRandom RANDOM = new SecureRandom();

  private static final HexFormat HEX = HexFormat.of();

  private Sids() {}

  /** Whether {@code value} is {@code prefix} followed by exactly 32 hex digits. */
  public static boolean isValid(String prefix, String value) {
    if (value == null || value.length() != LENGTH || !value.startsWith(prefix)) {
      return false;
    }
    // Characters above U+00FF become '?', which is not a hex digit; a surrogate pair becomes one
    // '?' and changes the length. Eight digits per step: requests and tokens are checked often.
    byte[] latin1 = value.getBytes(StandardCharsets.ISO_8859_1);
    return latin1.length == LENGTH && Ascii.hexDigits(latin1, 2, LENGTH - 2);
  }

  /**
   * Checks {@code value} against {@code prefix}.
   *
   * @throws IllegalArgumentException naming the expected format if it does not match
   */
  public static void check(String prefix, String value) {
    if (!isValid(prefix, value)) {
      throw new IllegalArgumentException(
          "not a valid "
              + prefix
              + " SID: expected "
              + prefix
              + " followed by 32 hex digits, got "
              + (value == null ? "nothing" : printable(value)));
    }
  }

  /** A new random SID value with {@code prefix}: 128 bits from {@link SecureRandom}. */
  public static String randomValue(String prefix) {
    if (prefix.length() != 2
        || !Character.isUpperCase(prefix.charAt(0))
        || !Character.isUpperCase(prefix.charAt(1))) {
      throw new IllegalArgumentException("a SID prefix is two uppercase letters");
    }
    byte[] bytes = new byte[16];
    RANDOM.nextBytes(bytes);
    return prefix + HEX.formatHex(bytes);
  }

  /** {@code value} shortened and stripped of control characters, safe for messages. */
  static String printable(String value) {
    String s = value.length() > 40 ? value.substring(0, 40) + "..." : value;
    StringBuilder out = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      out.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return out.append('"').toString();
  }
}
