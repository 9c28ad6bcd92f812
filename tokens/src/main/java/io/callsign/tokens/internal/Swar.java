package io.callsign.tokens.internal;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;

/**
 * Finds the bytes that end a plain JSON string run, eight bytes per step ("SIMD within a
 * register"). Scanning strings byte by byte costs about as much as the HMAC of the whole token.
 *
 * <p>The zero-byte test {@code (v - 0x01..) & ~v & 0x80..} may also flag bytes above a true match
 * (borrows propagate upwards), never below one; the lowest flagged byte is therefore exact.
 */
final class Swar {
  private static final VarHandle LONGS =
      MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);
  private static final long ONES = 0x0101010101010101L;
  private static final long HIGHS = 0x8080808080808080L;
  private static final long QUOTES = 0x2222222222222222L;
  private static final long BACKSLASHES = 0x5C5C5C5C5C5C5C5CL;
  private static final long SPACES = 0x2020202020202020L;

  private Swar() {}

  /** The eight bytes from {@code from}, the first in the lowest bits. */
  static long word(byte[] bytes, int from) {
    return (long) LONGS.get(bytes, from);
  }

  /**
   * Whether {@code a[aFrom, aFrom + length)} equals {@code b[bFrom, bFrom + length)}, in time that
   * depends on the length only: every byte is compared, eight per step, and the differences are
   * combined without branching on them.
   */
  static boolean constantTimeEquals(byte[] a, int aFrom, byte[] b, int bFrom, int length) {
    long difference = 0;
    int i = 0;
    for (; i + 8 <= length; i += 8) {
      difference |= (long) LONGS.get(a, aFrom + i) ^ (long) LONGS.get(b, bFrom + i);
    }
    for (; i < length; i++) {
      difference |= a[aFrom + i] ^ b[bFrom + i];
    }
    return difference == 0;
  }

  /** The index of the first quote among the eight bytes of {@code w}; 8 if none. */
  static int firstQuote(long w) {
    long quote = w ^ QUOTES;
    return Long.numberOfTrailingZeros((quote - ONES) & ~quote & HIGHS) >>> 3;
  }

  /**
   * Whether the {@code count} bytes from {@code from} (a multiple of eight) are all hex digits,
   * either case. Each byte's range tests use the high bit as a borrow-free flag: for a byte {@code
   * x} below 0x80, {@code x + (0x80 - k)} has its high bit set exactly when {@code x >= k}, with no
   * carry into the next byte. Bytes of 0x80 and above are refused before their flags are trusted.
   */
  static boolean allHexDigits(byte[] bytes, int from, int count) {
    long all = 0;
    long bad = 0;
    for (int i = from; i < from + count; i += 8) {
      long w = (long) LONGS.get(bytes, i);
      long letters = w | SPACES; // ASCII lower case; digits already have the 0x20 bit
      long digit = atLeast(w, '0') & ~atLeast(w, '9' + 1);
      long letter = atLeast(letters, 'a') & ~atLeast(letters, 'f' + 1);
      all |= w;
      bad |= ~(digit | letter) & HIGHS;
    }
    return ((all & HIGHS) | bad) == 0;
  }

  /** The high bit of each byte of {@code w} (each below 0x80) set where the byte is at least k. */
  private static long atLeast(long w, int k) {
    return (w + (0x80 - k) * ONES) & HIGHS;
  }

  /**
   * The index of the first byte in {@code [from, to)} that ends a plain JSON string run: a quote, a
   * backslash, a control character or a byte of 0x80 or above; {@code to} if none. This is {@link
   * #firstSpecial} without its extra byte, one test fewer per word on the parsing hot path.
   */
  static int stringEnd(byte[] bytes, int from, int to) {
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long w = (long) LONGS.get(bytes, i);
      long quote = w ^ QUOTES;
      long backslash = w ^ BACKSLASHES;
      long found =
          ((quote - ONES) & ~quote & HIGHS)
              | ((backslash - ONES) & ~backslash & HIGHS)
              | ((w - SPACES) & ~w & HIGHS)
              | (w & HIGHS);
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < to; i++) {
      int b = bytes[i] & 0xFF;
      if (b == '"' || b == '\\' || b < 0x20 || b >= 0x80) {
        return i;
      }
    }
    return to;
  }

  /**
   * The index of the first byte in {@code [from, to)} that is a quote, a backslash, a control
   * character, {@code also}, or, when {@code stopAtNonAscii}, a byte of 0x80 or above; {@code to}
   * if none.
   */
  static int firstSpecial(byte[] bytes, int from, int to, byte also, boolean stopAtNonAscii) {
    long nonAscii = stopAtNonAscii ? HIGHS : 0;
    long alsoWord = (also & 0xFFL) * ONES;
    int i = from;
    for (; i + 8 <= to; i += 8) {
      long w = (long) LONGS.get(bytes, i);
      long quote = w ^ QUOTES;
      long backslash = w ^ BACKSLASHES;
      long extra = w ^ alsoWord;
      long found =
          ((quote - ONES) & ~quote & HIGHS)
              | ((backslash - ONES) & ~backslash & HIGHS)
              | ((extra - ONES) & ~extra & HIGHS)
              | ((w - SPACES) & ~w & HIGHS)
              | (w & nonAscii);
      if (found != 0) {
        return i + (Long.numberOfTrailingZeros(found) >>> 3);
      }
    }
    for (; i < to; i++) {
      int b = bytes[i] & 0xFF;
      if (b == '"'
          || b == '\\'
          || b < 0x20
          || b == (also & 0xFF)
          || (stopAtNonAscii && b >= 0x80)) {
        return i;
      }
    }
    return to;
  }
}
