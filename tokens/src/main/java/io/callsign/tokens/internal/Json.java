package io.callsign.tokens.internal;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A strict JSON (RFC 8259) reader and a small writer, for token headers and payloads.
 *
 * <p>Hand-written because it sits on the measured token hot path, and because tokens need rules a
 * general-purpose parser relaxes: duplicate member names, invalid UTF-8, lone surrogates and
 * nesting beyond {@link #MAX_DEPTH} are errors (RFC 8725 section 3.7, 2.6). Numbers that are
 * integers and fit become {@link Long}; others become {@link BigDecimal}. Objects become
 * insertion-ordered, unmodifiable maps (compact, see {@code JsonObject}); arrays unmodifiable
 * lists.
 */
public final class Json {
  /** Deepest nesting of objects and arrays accepted. */
  public static final int MAX_DEPTH = 16;

  private final byte[] in;
  private int pos;
  private final int end;
  private final Capture capture;
  private final Object[] captured;

  /** Index in {@link #KNOWN_NAMES} of the name {@link #memberName()} read last, or -1. */
  private int nameIndex;

  private Json(byte[] in, int from, int to, Capture capture, Object[] captured) {
    this.in = in;
    this.pos = from;
    this.end = to;
    this.capture = capture;
    this.captured = captured;
  }

  /**
   * Parses one JSON object from UTF-8 bytes.
   *
   * @throws IllegalArgumentException if the bytes are not exactly one valid JSON object
   */
  public static Map<String, Object> parseObject(byte[] utf8) {
    return parseObject(utf8, null, null);
  }

  /**
   * Parses one JSON object from UTF-8 bytes, and also puts the value of each top-level member named
   * in {@code names} into {@code values}, at the name's position in {@code names} (left as it is
   * when absent): the members a caller checks are then at hand without a lookup.
   *
   * @throws IllegalArgumentException if the bytes are not exactly one valid JSON object
   */
  public static Map<String, Object> parseObject(byte[] utf8, Capture names, Object[] values) {
    if (names != null && values.length < names.size()) {
      throw new IllegalArgumentException("room for " + names.size() + " values needed");
    }
    Json p = new Json(utf8, 0, utf8.length, names, values);
    p.skipWhitespace();
    if (p.peek() != '{') {
      throw p.error("expected an object");
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> result = (Map<String, Object>) p.value(0);
    p.skipWhitespace();
    if (p.pos != p.end) {
      throw p.error("trailing data");
    }
    return result;
  }

  /** Parses one JSON object from a string. */
  public static Map<String, Object> parseObject(String json) {
    return parseObject(json.getBytes(StandardCharsets.UTF_8));
  }

  private Object value(int depth) {
    if (depth > MAX_DEPTH) {
      throw error("nested too deeply");
    }
    int c = peek();
    switch (c) {
      case '{':
        return object(depth + 1);
      case '[':
        return array(depth + 1);
      case '"':
        return string();
      case 't':
        literal("true");
        return Boolean.TRUE;
      case 'f':
        literal("false");
        return Boolean.FALSE;
      case 'n':
        literal("null");
        return null;
      default:
        if (c == '-' || (c >= '0' && c <= '9')) {
          return number();
        }
        throw error("unexpected character");
    }
  }

  private Map<String, Object> object(int depth) {
    pos++; // '{'
    JsonObject map = new JsonObject();
    // Known names are unique instances (see memberName), so a bit per known name finds their
    // duplicates; other names are compared with every member by JsonObject.add.
    long knownSeen = 0;
    skipWhitespace();
    if (peek() == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipWhitespace();
      if (peek() != '"') {
        throw error("expected a member name");
      }
      String name = memberName();
      int index = nameIndex; // before value(), which may read names of its own
      if (pos < end && in[pos] == ':') {
        pos++; // compact JSON
      } else {
        skipWhitespace();
        expect(':');
      }
      skipWhitespace();
      Object value = value(depth);
      if (index >= 0) {
        long bit = 1L << index;
        if ((knownSeen & bit) != 0) {
          throw error("duplicate member name");
        }
        knownSeen |= bit;
        map.append(name, value);
      } else if (!map.add(name, value)) {
        throw error("duplicate member name");
      }
      if (depth == 1 && capture != null) {
        capture.put(index, name, value, captured);
      }
      skipWhitespace();
      int c = next();
      if (c == '}') {
        return map;
      }
      if (c != ',') {
        throw error("expected ',' or '}'");
      }
    }
  }

  /**
   * Top-level members a caller wants at hand after parsing, without looking them up in the map.
   * Build once and share: known names are matched by their index, with no string comparison.
   */
  public static final class Capture {
    private final String[] names;
    private final long knownMask;
    private final byte[] positionOfKnown = new byte[64];

    private Capture(String[] names) {
      this.names = names.clone();
      long mask = 0;
      for (int i = 0; i < names.length; i++) {
        Integer index = KNOWN_NAME_INDEX.get(names[i]);
        if (index != null) {
          mask |= 1L << index;
          positionOfKnown[index] = (byte) i;
        }
      }
      this.knownMask = mask;
    }

    /** Captures the members named {@code names}, in this order, at most 64. */
    public static Capture of(String... names) {
      if (names.length > 64 || Set.of(names).size() != names.length) {
        throw new IllegalArgumentException("at most 64 distinct names");
      }
      return new Capture(names);
    }

    /** How many names are captured: the length of the values array to pass. */
    public int size() {
      return names.length;
    }

    private void put(int knownIndex, String name, Object value, Object[] values) {
      if (knownIndex >= 0) {
        if ((knownMask & (1L << knownIndex)) != 0) {
          values[positionOfKnown[knownIndex]] = value;
        }
        return;
      }
      for (int i = 0; i < names.length; i++) {
        if (names[i].equals(name)) {
          values[i] = value;
          return;
        }
      }
    }
  }

  private List<Object> array(int depth) {
    pos++; // '['
    List<Object> list = new ArrayList<>();
    skipWhitespace();
    if (peek() == ']') {
      pos++;
      return Collections.unmodifiableList(list);
    }
    while (true) {
      skipWhitespace();
      list.add(value(depth));
      skipWhitespace();
      int c = next();
      if (c == ']') {
        return Collections.unmodifiableList(list);
      }
      if (c != ',') {
        throw error("expected ',' or ']'");
      }
    }
  }

  /**
   * A member name. Token payloads repeat the same few names, so names known in advance are returned
   * as shared constants (their hash already cached) instead of new strings, and {@link #nameIndex}
   * says which one, so that duplicates are found with one bit test. A name equal to a known one is
   * always returned as that constant, however it was spelled (escapes included).
   */
  private String memberName() {
    int start = pos + 1;
    if (start + 8 < end) {
      // Most names are known ones of up to eight bytes: found from one word, with no scan.
      long word = Swar.word(in, start);
      int length = Swar.firstQuote(word);
      if (length == 8 && in[start + 8] != '"') {
        length = -1;
      }
      if (length > 0) {
        int index = shortName(word & (-1L >>> (64 - 8 * length)), length);
        if (index >= 0) {
          pos = start + length + 1;
          nameIndex = index;
          return KNOWN_NAMES[index];
        }
      }
    }
    return otherName(start);
  }

  /** A name not found from its first word: a longer known name, an escaped one, or another. */
  private String otherName(int start) {
    int stop = Swar.stringEnd(in, start, end);
    int length = stop - start;
    if (stop < end && in[stop] == '"' && length > 8) {
      int mask = LONG_NAME_SLOTS.length - 1;
      int slot = longNameSlot(length, in[start], in[stop - 1]) & mask;
      for (int index; (index = LONG_NAME_SLOTS[slot]) >= 0; slot = (slot + 1) & mask) {
        if (sameBytes(KNOWN_NAME_BYTES[index], start, length)) {
          pos = stop + 1;
          nameIndex = index;
          return KNOWN_NAMES[index];
        }
      }
    }
    String name = string();
    Integer index = KNOWN_NAME_INDEX.get(name);
    nameIndex = index == null ? -1 : index;
    return index == null ? name : KNOWN_NAMES[index];
  }

  /** A plain loop: for names of a few bytes, the vectorized range compare costs more. */
  private boolean sameBytes(byte[] known, int from, int length) {
    if (known.length != length) {
      return false;
    }
    byte[] data = in;
    int difference = 0;
    for (int i = 0; i < length; i++) {
      difference |= known[i] ^ data[from + i];
    }
    return difference == 0;
  }

  /**
   * The index of the known name of {@code length} bytes (1 to 8) packed little-endian in {@code
   * word}, or -1. Matching bytes are the known name's, so they need no check for escapes or control
   * characters; the length check keeps a name with NUL bytes after a known prefix out.
   */
  private static int shortName(long word, int length) {
    long[] table = SHORT_NAME_TABLE;
    int mask = table.length / 2 - 1;
    for (int slot = shortNameSlot(word); ; slot = (slot + 1) & mask) {
      long entry = table[2 * slot + 1];
      if (entry < 0) {
        return -1;
      }
      if (table[2 * slot] == word && (entry >>> 8) == length) {
        return (int) (entry & 0xFF);
      }
    }
  }

  private static int shortNameSlot(long word) {
    return (int) ((word * 0x9E3779B97F4A7C15L) >>> 57);
  }

  private static int longNameSlot(int length, byte first, byte last) {
    return length * 31 + first * 7 + last;
  }

  /**
   * Names of JOSE headers, token claims and grant fields, by index (at most 64, for a bit set of
   * the names seen in one object).
   */
  private static final String[] KNOWN_NAMES = {
    "alg",
    "typ",
    "cty",
    "twr",
    "kid",
    "jti",
    "iss",
    "sub",
    "aud",
    "exp",
    "nbf",
    "iat",
    "grants",
    "identity",
    "video",
    "room",
    "voice",
    "incoming",
    "allow",
    "outgoing",
    "application_sid",
    "params",
    "push_credential_sid",
    "endpoint_id",
    "chat",
    "service_sid",
    "deployment_role_sid",
    "data_sync",
    "task_router",
    "workspace_sid",
    "worker_sid",
    "role",
    "player",
    "scope",
    "account_sid",
    "channel",
    "version",
    "policies",
    "url",
    "method",
    "query_filter",
    "post_filter",
    "friendly_name",
    "taskqueue_sid"
  };

  private static final byte[][] KNOWN_NAME_BYTES = new byte[KNOWN_NAMES.length][];
  private static final Map<String, Integer> KNOWN_NAME_INDEX = new HashMap<>();

  /**
   * Known names of up to eight bytes, keyed by their bytes as one little-endian word: 128 slots of
   * two longs, the word and then {@code length << 8 | index} (-1 for an empty slot), adjacent so
   * that a lookup touches one cache line.
   */
  private static final long[] SHORT_NAME_TABLE = new long[2 * 128];

  /** Longer known names, keyed by length and first and last byte: index or -1. */
  private static final int[] LONG_NAME_SLOTS = new int[64];

  static {
    if (KNOWN_NAMES.length > 64) {
      throw new ExceptionInInitializerError("at most 64 known names fit a bit set");
    }
    for (int slot = 0; slot < SHORT_NAME_TABLE.length / 2; slot++) {
      SHORT_NAME_TABLE[2 * slot + 1] = -1;
    }
    Arrays.fill(LONG_NAME_SLOTS, -1);
    for (int index = 0; index < KNOWN_NAMES.length; index++) {
      byte[] bytes = KNOWN_NAMES[index].getBytes(StandardCharsets.US_ASCII);
      KNOWN_NAME_BYTES[index] = bytes;
      KNOWN_NAME_INDEX.put(KNOWN_NAMES[index], index);
      if (bytes.length <= 8) {
        long word = 0;
        for (int i = bytes.length - 1; i >= 0; i--) {
          word = (word << 8) | bytes[i];
        }
        int slot = shortNameSlot(word);
        while (SHORT_NAME_TABLE[2 * slot + 1] >= 0) {
          slot = (slot + 1) & (SHORT_NAME_TABLE.length / 2 - 1);
        }
        SHORT_NAME_TABLE[2 * slot] = word;
        SHORT_NAME_TABLE[2 * slot + 1] = (long) bytes.length << 8 | index;
      } else {
        int slot = longNameSlot(bytes.length, bytes[0], bytes[bytes.length - 1]);
        slot &= LONG_NAME_SLOTS.length - 1;
        while (LONG_NAME_SLOTS[slot] >= 0) {
          slot = (slot + 1) & (LONG_NAME_SLOTS.length - 1);
        }
        LONG_NAME_SLOTS[slot] = index;
      }
    }
  }

  private String string() {
    pos++; // opening quote
    int start = pos;
    // Fast path: plain ASCII with no escapes, found eight bytes at a time.
    int stop = Swar.stringEnd(in, start, end);
    if (stop < end && in[stop] == '"') {
      pos = stop + 1;
      return ascii(in, start, stop - start);
    }
    pos = start;
    return decodedString();
  }

  /**
   * The rest of a string that has escapes or non-ASCII characters, decoded one character at a time.
   * Kept apart so that the fast path above stays small enough for the JIT to inline.
   */
  private String decodedString() {
    StringBuilder sb = new StringBuilder();
    while (true) {
      if (pos >= end) {
        throw error("unterminated string");
      }
      int b = in[pos] & 0xFF;
      if (b == '"') {
        pos++;
        return sb.toString();
      }
      if (b < 0x20) {
        throw error("control character in string");
      }
      if (b == '\\') {
        pos++;
        escape(sb);
      } else if (b < 0x80) {
        sb.append((char) b);
        pos++;
      } else {
        sb.appendCodePoint(utf8CodePoint(b));
      }
    }
  }

  /**
   * A string of ASCII bytes. The old high-byte constructor is exactly Latin-1 decoding for them
   * and, unlike the charset one (whose body is too large for the JIT to inline), costs one copy.
   */
  @SuppressWarnings("deprecation")
  private static String ascii(byte[] bytes, int offset, int length) {
    return new String(bytes, 0, offset, length);
  }

  private void escape(StringBuilder sb) {
    int c = next();
    switch (c) {
      case '"' -> sb.append('"');
      case '\\' -> sb.append('\\');
      case '/' -> sb.append('/');
      case 'b' -> sb.append('\b');
      case 'f' -> sb.append('\f');
      case 'n' -> sb.append('\n');
      case 'r' -> sb.append('\r');
      case 't' -> sb.append('\t');
      case 'u' -> {
        char high = hex4();
        if (Character.isHighSurrogate(high)) {
          if (next() != '\\' || next() != 'u') {
            throw error("lone surrogate");
          }
          char low = hex4();
          if (!Character.isLowSurrogate(low)) {
            throw error("lone surrogate");
          }
          sb.append(high).append(low);
        } else if (Character.isLowSurrogate(high)) {
          throw error("lone surrogate");
        } else {
          sb.append(high);
        }
      }
      default -> throw error("bad escape");
    }
  }

  private char hex4() {
    int v = 0;
    for (int i = 0; i < 4; i++) {
      int c = next();
      int d = Character.digit(c, 16);
      if (d < 0 || c > 'f') {
        throw error("bad \\u escape");
      }
      v = (v << 4) | d;
    }
    return (char) v;
  }

  /**
   * Decodes one UTF-8 sequence starting with lead byte {@code b}, refusing every ill-formed one.
   */
  private int utf8CodePoint(int b) {
    int count;
    int cp;
    int min;
    if (b >= 0xC2 && b <= 0xDF) {
      count = 1;
      cp = b & 0x1F;
      min = 0x80;
    } else if (b >= 0xE0 && b <= 0xEF) {
      count = 2;
      cp = b & 0x0F;
      min = 0x800;
    } else if (b >= 0xF0 && b <= 0xF4) {
      count = 3;
      cp = b & 0x07;
      min = 0x10000;
    } else {
      throw error("invalid UTF-8");
    }
    pos++;
    for (int i = 0; i < count; i++) {
      if (pos >= end || (in[pos] & 0xC0) != 0x80) {
        throw error("invalid UTF-8");
      }
      cp = (cp << 6) | (in[pos] & 0x3F);
      pos++;
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
      throw error("invalid UTF-8");
    }
    return cp;
  }

  private Object number() {
    // Fast path: a plain non-negative integer of up to 18 digits, as token times are.
    byte[] bytes = in;
    int start = pos;
    int p = start;
    long magnitude = 0;
    while (p < end && isDigit(bytes[p]) && p - start < 18) {
      magnitude = magnitude * 10 + (bytes[p] - '0');
      p++;
    }
    int digits = p - start;
    if (digits > 0
        && (bytes[start] != '0' || digits == 1)
        && (p == end || (bytes[p] != '.' && (bytes[p] | 0x20) != 'e' && !isDigit(bytes[p])))) {
      pos = p;
      return magnitude;
    }
    return anyNumber();
  }

  /** Any JSON number: signs, fractions, exponents, and integers too long for the fast path. */
  private Object anyNumber() {
    int start = pos;
    boolean integral = true;
    boolean negative = peek() == '-';
    if (negative) {
      pos++;
    }
    long magnitude = 0;
    if (peek() == '0') {
      pos++;
    } else if (peek() >= '1' && peek() <= '9') {
      // Accumulate while scanning: token times are integers, and this avoids a String per number.
      while (isDigit(peek())) {
        magnitude = magnitude * 10 + (in[pos] - '0');
        pos++;
      }
    } else {
      throw error("bad number");
    }
    int integerDigits = pos - start - (negative ? 1 : 0);
    if (peek() == '.') {
      integral = false;
      pos++;
      if (!isDigit(peek())) {
        throw error("bad number");
      }
      digits();
    }
    if (peek() == 'e' || peek() == 'E') {
      integral = false;
      pos++;
      if (peek() == '+' || peek() == '-') {
        pos++;
      }
      if (!isDigit(peek())) {
        throw error("bad number");
      }
      digits();
    }
    if (integral && integerDigits <= 18) {
      return negative ? -magnitude : magnitude;
    }
    String text = new String(in, start, pos - start, StandardCharsets.ISO_8859_1);
    if (pos - start > 64) {
      throw error("number too long");
    }
    BigDecimal decimal = new BigDecimal(text);
    if (integral) {
      try {
        return decimal.longValueExact();
      } catch (ArithmeticException tooBig) {
        return decimal;
      }
    }
    return decimal;
  }

  private void digits() {
    while (isDigit(peek())) {
      pos++;
    }
  }

  private static boolean isDigit(int c) {
    return c >= '0' && c <= '9';
  }

  private void literal(String word) {
    for (int i = 0; i < word.length(); i++) {
      if (next() != word.charAt(i)) {
        throw error("bad literal");
      }
    }
  }

  private void expect(char c) {
    if (next() != c) {
      throw error("expected '" + c + "'");
    }
  }

  private void skipWhitespace() {
    if (pos < end && (in[pos] & 0xFF) > ' ') {
      return; // compact JSON, as every library writes tokens
    }
    while (pos < end) {
      byte b = in[pos];
      if (b != ' ' && b != '\t' && b != '\n' && b != '\r') {
        return;
      }
      pos++;
    }
  }

  private int peek() {
    return pos < end ? in[pos] & 0xFF : -1;
  }

  private int next() {
    if (pos >= end) {
      throw error("unexpected end");
    }
    return in[pos++] & 0xFF;
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException("invalid JSON: " + what + " at offset " + pos);
  }

  // ---------------------------------------------------------------------------------------------
  // Writing: see JsonWriter

  /** {@code value} as JSON text; see {@link JsonWriter} for the types supported. */
  public static String toJson(Object value) {
    return new String(toUtf8(value), StandardCharsets.UTF_8);
  }

  /** {@code value} as JSON in UTF-8; see {@link JsonWriter} for the types supported. */
  public static byte[] toUtf8(Object value) {
    return new JsonWriter(256).value(value).toByteArray();
  }
}
