package io.callsign.tokens.internal;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * Writes JSON straight to UTF-8 bytes: the token minting hot path, where a {@code StringBuilder}'s
 * per-character checks and the final encoding cost more than the HMAC.
 *
 * <p>Maps (string keys, iteration order) and {@link JsonObject}s, iterables, object arrays,
 * strings, numbers, booleans and null are supported. Map entries whose value is null are left out,
 * as the official libraries leave out unset grant fields. Unpaired surrogates, NaN and infinities
 * are refused: no strict reader would accept them.
 */
public final class JsonWriter {
  private static final byte[] HEX =
      "0123456789abcdef".getBytes(java.nio.charset.StandardCharsets.US_ASCII);

  private static final byte[] DIGIT_PAIRS = new byte[200];

  static {
    for (int i = 0; i < 100; i++) {
      DIGIT_PAIRS[2 * i] = (byte) ('0' + i / 10);
      DIGIT_PAIRS[2 * i + 1] = (byte) ('0' + i % 10);
    }
  }

  /** 1 for ASCII characters written as they are inside a JSON string. */
  private static final byte[] PLAIN = new byte[128];

  static {
    for (int c = 0x20; c < 0x80; c++) {
      PLAIN[c] = (byte) (c == '"' || c == '\\' ? 0 : 1);
    }
  }

  private byte[] buf;
  private int size;

  /** A writer with room for {@code capacity} bytes before it grows. */
  public JsonWriter(int capacity) {
    this.buf = new byte[capacity];
  }

  /** The bytes written so far. */
  public byte[] toByteArray() {
    return Arrays.copyOf(buf, size);
  }

  /** The internal buffer; only the first {@link #size()} bytes are meaningful. */
  public byte[] buffer() {
    return buf;
  }

  /** How many bytes were written. */
  public int size() {
    return size;
  }

  /**
   * Appends {@code ascii} as it is: for JSON punctuation and values already known to need no
   * escaping (member names, SIDs). Characters above U+007F are a programming error.
   */
  public JsonWriter raw(String ascii) {
    int n = ascii.length();
    ensure(n);
    byte[] b = buf;
    int p = size;
    for (int i = 0; i < n; i++) {
      b[p + i] = (byte) ascii.charAt(i);
    }
    size = p + n;
    return this;
  }

  /** Appends a whole number, two digits per step, with no intermediate string. */
  public JsonWriter number(long value) {
    if (value < 0 || value > Integer.MAX_VALUE) {
      // Times until 2038 fit an int, whose division by a constant is cheaper.
      return raw(Long.toString(value));
    }
    int v = (int) value;
    int digits = digitCount(v);
    ensure(digits);
    byte[] b = buf;
    int at = size + digits;
    while (v >= 100) {
      int pair = v % 100;
      v /= 100;
      b[--at] = DIGIT_PAIRS[2 * pair + 1];
      b[--at] = DIGIT_PAIRS[2 * pair];
    }
    if (v >= 10) {
      b[--at] = DIGIT_PAIRS[2 * v + 1];
      b[--at] = DIGIT_PAIRS[2 * v];
    } else {
      b[--at] = (byte) ('0' + v);
    }
    size += digits;
    return this;
  }

  private static int digitCount(int v) {
    // log10 from the bit length (1233 / 4096 ~ log10(2)), corrected by one comparison.
    // Setting the low bit makes 0 count as one digit and moves no other value across a power.
    int odd = v | 1;
    int guess = ((32 - Integer.numberOfLeadingZeros(odd)) * 1233) >>> 12;
    return guess + (odd >= POWERS_OF_TEN[guess] ? 1 : 0);
  }

  private static final int[] POWERS_OF_TEN = {
    1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000
  };

  /** Appends one ASCII character of JSON punctuation. */
  public JsonWriter ascii(char c) {
    ensure(1);
    buf[size++] = (byte) c;
    return this;
  }

  /** Appends bytes known to be valid JSON text, such as constant fragments. */
  public JsonWriter raw(byte[] json) {
    ensure(json.length);
    System.arraycopy(json, 0, buf, size, json.length);
    size += json.length;
    return this;
  }

  /** Appends {@code value} as JSON; see the class comment for the types supported. */
  public JsonWriter value(Object value) {
    if (value == null) {
      raw("null");
    } else if (value instanceof String s) {
      string(s);
    } else if (value instanceof Boolean b) {
      raw(b ? "true" : "false");
    } else if (value instanceof Integer || value instanceof Long || value instanceof Short) {
      number(((Number) value).longValue());
    } else if (value instanceof JsonObject object) {
      object.writeMembers(this);
    } else if (value instanceof Map<?, ?> map) {
      ensure(1);
      buf[size++] = '{';
      boolean first = true;
      for (Map.Entry<?, ?> e : map.entrySet()) {
        if (e.getValue() != null) {
          member(first, String.valueOf(e.getKey()), e.getValue());
          first = false;
        }
      }
      ensure(1);
      buf[size++] = '}';
    } else if (value instanceof Iterable<?> items) {
      ensure(1);
      buf[size++] = '[';
      boolean first = true;
      for (Object item : items) {
        if (!first) {
          ascii(',');
        }
        first = false;
        value(item);
      }
      ensure(1);
      buf[size++] = ']';
    } else if (value instanceof Object[] items) {
      value(Arrays.asList(items));
    } else if (value instanceof Number n) {
      decimal(n);
    } else if (value instanceof Character c) {
      string(c.toString());
    } else {
      throw new IllegalArgumentException("cannot write " + value.getClass().getName() + " as JSON");
    }
    return this;
  }

  /** Appends {@code ,"name":value} (without the comma when {@code first}). */
  JsonWriter member(boolean first, String name, Object value) {
    if (!first) {
      ascii(',');
    }
    string(name);
    ascii(':');
    return value(value);
  }

  private void decimal(Number n) {
    if (n instanceof Double d && (d.isNaN() || d.isInfinite())
        || n instanceof Float f && (f.isNaN() || f.isInfinite())) {
      throw new IllegalArgumentException("JSON has no NaN or infinity");
    }
    raw(n instanceof BigDecimal b ? b.toString() : n.toString());
  }

  /** Appends {@code s} as a quoted JSON string in UTF-8, escaping what RFC 8259 requires. */
  public JsonWriter string(String s) {
    // Short strings go straight to the character loop below. For longer ones, the JDK's encoder
    // copies ASCII strings with a vectorized check; eight bytes per step then
    // prove no escaping is needed. Non-ASCII changes the length; an unpaired surrogate keeps it but
    // becomes '?', so a '?' also sends the string the careful, character-by-character way.
    byte[] utf8 = s.length() < 16 ? null : s.getBytes(StandardCharsets.UTF_8);
    if (utf8 != null
        && utf8.length == s.length()
        && Swar.firstSpecial(utf8, 0, utf8.length, (byte) '?', false) == utf8.length) {
      ensure(utf8.length + 2);
      buf[size++] = '"';
      System.arraycopy(utf8, 0, buf, size, utf8.length);
      size += utf8.length;
      buf[size++] = '"';
      return this;
    }
    int n = s.length();
    ensure(n + 2);
    buf[size++] = '"';
    int i = 0;
    while (i < n) {
      byte[] b = buf;
      int p = size;
      for (; i < n; i++) {
        char c = s.charAt(i);
        if (c >= 0x80 || PLAIN[c] == 0) {
          break;
        }
        b[p++] = (byte) c;
      }
      size = p;
      if (i < n) {
        i = special(s, i, s.charAt(i)) + 1;
      }
    }
    ensure(1);
    buf[size++] = '"';
    return this;
  }

  /** Writes one character that needs escaping or multi-byte UTF-8; returns the last index used. */
  private int special(String s, int i, char c) {
    // Reserve generously: at most 6 bytes per remaining char, plus the closing quote.
    ensure(6 * (s.length() - i) + 1);
    switch (c) {
      case '"' -> escape('"');
      case '\\' -> escape('\\');
      case '\n' -> escape('n');
      case '\r' -> escape('r');
      case '\t' -> escape('t');
      case '\b' -> escape('b');
      case '\f' -> escape('f');
      default -> {
        if (c < 0x20) {
          buf[size++] = '\\';
          buf[size++] = 'u';
          buf[size++] = '0';
          buf[size++] = '0';
          buf[size++] = HEX[c >> 4];
          buf[size++] = HEX[c & 0xF];
        } else if (c < 0x800) {
          buf[size++] = (byte) (0xC0 | c >> 6);
          buf[size++] = (byte) (0x80 | c & 0x3F);
        } else if (!Character.isSurrogate(c)) {
          buf[size++] = (byte) (0xE0 | c >> 12);
          buf[size++] = (byte) (0x80 | c >> 6 & 0x3F);
          buf[size++] = (byte) (0x80 | c & 0x3F);
        } else if (Character.isHighSurrogate(c)
            && i + 1 < s.length()
            && Character.isLowSurrogate(s.charAt(i + 1))) {
          int cp = Character.toCodePoint(c, s.charAt(i + 1));
          buf[size++] = (byte) (0xF0 | cp >> 18);
          buf[size++] = (byte) (0x80 | cp >> 12 & 0x3F);
          buf[size++] = (byte) (0x80 | cp >> 6 & 0x3F);
          buf[size++] = (byte) (0x80 | cp & 0x3F);
          return i + 1;
        } else {
          // Not encodable as UTF-8, and every strict reader (ours included) refuses it.
          throw new IllegalArgumentException("string contains an unpaired surrogate");
        }
      }
    }
    return i;
  }

  private void escape(char c) {
    buf[size++] = '\\';
    buf[size++] = (byte) c;
  }

  private void ensure(int more) {
    if (size + more > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, size + more));
    }
  }
}
