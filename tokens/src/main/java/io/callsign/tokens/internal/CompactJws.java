package io.callsign.tokens.internal;

import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.TokenError;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Map;

/**
 * A JWS in compact serialization (RFC 7515 section 7.1), split and decoded strictly: ASCII only,
 * exactly three non-empty segments, canonical unpadded base64url, one JSON object per segment.
 *
 * <p>Splitting checks structure only. The caller checks the header against its own allow-list,
 * looks up the key, then calls {@link #signatureMatches(KeyedMac)} before trusting any claim.
 */
public final class CompactJws {
  private static final String[] REFUSED_HEADER_PARAMETERS = {"crit", "enc", "zip", "b64"};

  private final byte[] ascii;
  private final int firstDot;
  private final int secondDot;
  private final CachedHeader header;
  private final Map<String, Object> payload;

  private CompactJws(
      byte[] ascii, int firstDot, int secondDot, CachedHeader header, Map<String, Object> payload) {
    this.ascii = ascii;
    this.firstDot = firstDot;
    this.secondDot = secondDot;
    this.header = header;
    this.payload = payload;
  }

  /**
   * Checks a verifier's cap on token length.
   *
   * @return {@code maxLength}
   * @throws IllegalArgumentException if below 64 characters, shorter than any real token
   */
  public static int checkMaxLength(int maxLength) {
    if (maxLength < 64) {
      throw new IllegalArgumentException("maxTokenLength must be at least 64");
    }
    return maxLength;
  }

  /**
   * Splits and decodes {@code token}.
   *
   * @throws InvalidTokenException with {@link TokenError#INVALID_HEADER} for a bad header, and
   *     {@link TokenError#INVALID} for any other structural fault
   */
  public static CompactJws parse(String token, int maxLength) throws InvalidTokenException {
    return parse(token, maxLength, null, null);
  }

  /**
   * As {@link #parse(String, int)}, also putting the payload's top-level members named in {@code
   * claimNames} into {@code claimValues} (see {@link Json#parseObject(byte[], Json.Capture,
   * Object[])}).
   */
  public static CompactJws parse(
      String token, int maxLength, Json.Capture claimNames, Object[] claimValues)
      throws InvalidTokenException {
    if (token == null || token.isEmpty()) {
      throw new InvalidTokenException(TokenError.INVALID, "token is empty");
    }
    if (token.length() > maxLength) {
      throw new InvalidTokenException(
          TokenError.INVALID, "token is longer than " + maxLength + " characters");
    }
    // The first and last dots bound the payload. A dot between them is not scanned for here: the
    // strict base64url decoding refuses it, and every failure below is reported as a wrong number
    // of segments first, so the answer is the same as scanning.
    int first = token.indexOf('.');
    int second = token.lastIndexOf('.');
    if (second <= first) {
      throw threeSegments();
    }
    // Characters outside Latin-1 become '?', which the strict base64url decoding refuses like any
    // other character outside its alphabet; ASCII is only checked when naming the error. A
    // surrogate pair becomes one byte, so a length change means the char offsets above are wrong.
    byte[] ascii = token.getBytes(StandardCharsets.ISO_8859_1);
    if (ascii.length != token.length()) {
      throw invalid(
          token, first, second, TokenError.INVALID, "token contains non-ASCII characters");
    }
    CachedHeader header;
    try {
      header = header(ascii, first);
    } catch (IllegalArgumentException e) {
      throw invalid(
          token,
          first,
          second,
          TokenError.INVALID_HEADER,
          "header is not base64url-encoded JSON: " + e.getMessage());
    }
    Map<String, Object> payload;
    try {
      payload =
          Json.parseObject(Base64Url.decode(ascii, first + 1, second), claimNames, claimValues);
    } catch (IllegalArgumentException e) {
      throw invalid(
          token,
          first,
          second,
          TokenError.INVALID,
          "payload is not base64url-encoded JSON: " + e.getMessage());
    }
    return new CompactJws(ascii, first, second, header, payload);
  }

  /**
   * The error for a token whose parsing failed, in order of precedence: a wrong number of segments,
   * then non-ASCII characters, then {@code error} with {@code message}.
   */
  private static InvalidTokenException invalid(
      String token, int first, int last, TokenError error, String message) {
    if (token.indexOf('.', first + 1) != last) {
      return threeSegments();
    }
    if (Ascii.bytesOrNull(token) == null) {
      return new InvalidTokenException(TokenError.INVALID, "token contains non-ASCII characters");
    }
    return new InvalidTokenException(error, message);
  }

  private static InvalidTokenException threeSegments() {
    return new InvalidTokenException(TokenError.INVALID, "token must have exactly three segments");
  }

  /**
   * The parsed header segment {@code ascii[0, length)}. Decoding a header is a pure function of its
   * bytes, and real traffic carries a handful of distinct headers (one per library and region), so
   * the last few are kept and compared byte for byte instead of decoded again.
   */
  private static CachedHeader header(byte[] ascii, int length) {
    CachedHeader[] cache = HEADER_CACHE;
    for (CachedHeader cached : cache) {
      if (cached != null
          && cached.encoded.length == length
          && Swar.constantTimeEquals(cached.encoded, 0, ascii, 0, length)) {
        return cached;
      }
    }
    CachedHeader parsed =
        new CachedHeader(
            Arrays.copyOf(ascii, length), Json.parseObject(Base64Url.decode(ascii, 0, length)));
    if (length <= MAX_CACHED_HEADER_LENGTH) {
      // Racy on purpose: a lost update only costs a later decode.
      cache[nextHeaderSlot++ & (cache.length - 1)] = parsed;
    }
    return parsed;
  }

  /** A decoded header and, once checked, the content type it was accepted for. */
  private static final class CachedHeader {
    final byte[] encoded;
    final Map<String, Object> map;

    /**
     * The required {@code cty} this header passed {@link #requireHs256Header} with. Written after a
     * successful check of this immutable header, so a racy read can only cause a re-check.
     */
    String acceptedFor;

    CachedHeader(byte[] encoded, Map<String, Object> map) {
      this.encoded = encoded;
      this.map = map;
    }
  }

  private static final int MAX_CACHED_HEADER_LENGTH = 256;
  private static final CachedHeader[] HEADER_CACHE = new CachedHeader[8];
  private static int nextHeaderSlot;

  /**
   * Checks the header of an HS256 token: {@code alg} exactly {@code HS256} (never taken from the
   * token to choose an algorithm), {@code typ} absent or {@code JWT}, no {@code crit}, no JWE or
   * compression members, {@code twr} (Twilio's region) a string when present, and {@code cty} equal
   * to {@code requiredCty}, with or without the {@code application/} prefix (absent when null).
   */
  public void requireHs256Header(String requiredCty) throws InvalidTokenException {
    String accepted = header.acceptedFor;
    if (accepted != null && accepted.equals(requiredCty == null ? "" : requiredCty)) {
      return;
    }
    checkHs256Header(header.map, requiredCty);
    header.acceptedFor = requiredCty == null ? "" : requiredCty;
  }

  private static void checkHs256Header(Map<String, Object> header, String requiredCty)
      throws InvalidTokenException {
    Object alg = header.get("alg");
    if (!"HS256".equals(alg)) {
      throw new InvalidTokenException(
          TokenError.INVALID_HEADER, "alg must be HS256, not " + describe(alg));
    }
    Object typ = header.get("typ");
    if (typ != null && !(typ instanceof String t && t.equalsIgnoreCase("JWT"))) {
      throw new InvalidTokenException(TokenError.INVALID_HEADER, "typ must be JWT");
    }
    for (String refused : REFUSED_HEADER_PARAMETERS) {
      if (header.containsKey(refused)) {
        throw new InvalidTokenException(
            TokenError.INVALID_HEADER, "header parameter " + refused + " is not supported");
      }
    }
    Object twr = header.get("twr");
    if (twr != null && !(twr instanceof String)) {
      // Twilio's region header, which official libraries add when a region is set.
      throw new InvalidTokenException(TokenError.INVALID_HEADER, "twr must be a string");
    }
    Object cty = header.get("cty");
    if (requiredCty == null) {
      if (cty != null) {
        throw new InvalidTokenException(
            TokenError.INVALID_HEADER, "unexpected cty " + describe(cty) + " for this token kind");
      }
    } else if (!requiredCty.equals(cty) && !("application/" + requiredCty).equals(cty)) {
      // RFC 7515 section 4.1.10: "application/" may be left out, and means the same.
      throw new InvalidTokenException(
          TokenError.INVALID_HEADER, "cty must be " + requiredCty + ", not " + describe(cty));
    }
  }

  /**
   * Whether the signature is the HMAC of the signing input under {@code key}, compared in constant
   * time. Our MAC is encoded and compared with the segment as sent, which needs no decoding and
   * refuses every non-canonical spelling of the right bytes.
   */
  public boolean signatureMatches(KeyedMac key) {
    // The usual header segment is exactly one block: after its kept state, the rest of the
    // signing input (the dot and the payload) is hashed straight from the token's bytes.
    byte[] mac =
        key.startWith(ascii, firstDot).update(ascii, firstDot, secondDot - firstDot).finish();
    byte[] expected = Base64Url.encodeToBytes(mac);
    int offset = secondDot + 1;
    return ascii.length - offset == expected.length
        && Swar.constantTimeEquals(expected, 0, ascii, offset, expected.length);
  }

  /** The decoded header, unmodifiable. */
  public Map<String, Object> header() {
    return header.map;
  }

  /** The decoded payload, unmodifiable. Unverified until {@link #signatureMatches} is true. */
  public Map<String, Object> payload() {
    return payload;
  }

  /** Signs {@code headerJson} and {@code payloadJson} with HMAC under {@code key}. */
  public static String sign(String headerJson, String payloadJson, KeyedMac key) {
    return sign(
        encodeSegment(headerJson.getBytes(StandardCharsets.UTF_8)),
        payloadJson.getBytes(StandardCharsets.UTF_8),
        key);
  }

  /**
   * Signs an already encoded header and the raw payload JSON: the minting hot path. The MAC is fed
   * segment by segment, so the signing input is never assembled separately.
   */
  public static String sign(byte[] encodedHeader, byte[] payloadJson, KeyedMac key) {
    return sign(encodedHeader, payloadJson, payloadJson.length, key);
  }

  /**
   * As {@link #sign(byte[], byte[], KeyedMac)}, with the payload JSON in {@code payloadJson[0,
   * length)}.
   */
  public static String sign(byte[] encodedHeader, byte[] payloadJson, int length, KeyedMac key) {
    byte[] encodedPayload = Base64Url.encodeToBytes(payloadJson, length);
    byte[] signature =
        key.startWith(encodedHeader, encodedHeader.length)
            .update((byte) '.')
            .update(encodedPayload)
            .finish();
    byte[] encodedSignature = Base64Url.encodeToBytes(signature);
    int h = encodedHeader.length;
    int p = encodedPayload.length;
    byte[] out = new byte[h + 1 + p + 1 + encodedSignature.length];
    System.arraycopy(encodedHeader, 0, out, 0, h);
    out[h] = '.';
    System.arraycopy(encodedPayload, 0, out, h + 1, p);
    out[h + 1 + p] = '.';
    System.arraycopy(encodedSignature, 0, out, h + p + 2, encodedSignature.length);
    return new String(out, StandardCharsets.ISO_8859_1);
  }

  /** The base64url encoding of {@code json}, as ASCII bytes ready for {@link #sign}. */
  public static byte[] encodeSegment(byte[] json) {
    return Base64Url.encodeToBytes(json);
  }

  /** A short, safe rendering of an untrusted header value for error messages. */
  public static String describe(Object value) {
    if (value == null) {
      return "none given";
    }
    String s = String.valueOf(value);
    s = s.length() > 32 ? s.substring(0, 32) + "..." : s;
    StringBuilder safe = new StringBuilder(s.length() + 2).append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      safe.append(c >= 0x20 && c < 0x7F ? c : '?');
    }
    return safe.append('"').toString();
  }
}
