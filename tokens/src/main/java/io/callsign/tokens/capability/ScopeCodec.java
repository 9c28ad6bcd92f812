package io.callsign.tokens.capability;

import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.TokenError;
import io.callsign.tokens.internal.CompactJws;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Writes scope URIs in Callsign's one encoding and reads them in every encoding the official
 * libraries use (twilio-wire.md section 6).
 *
 * <p>Writing: RFC 3986 percent-encoding of UTF-8, leaving only the unreserved characters {@code A-Z
 * a-z 0-9 - . _ ~} as they are, so a space is always {@code %20}, never {@code +} or a raw space.
 * This is twilio-node's form, made stricter ({@code !'()*} are escaped too).
 *
 * <p>Reading: form decoding ({@code +} is a space, {@code %XX} is a UTF-8 byte) with strict escapes
 * and strict UTF-8, which covers Java's URLEncoder, Python's urlencode and Node's querystring.
 */
final class ScopeCodec {
  static final String INCOMING = "scope:client:incoming";
  static final String OUTGOING = "scope:client:outgoing";
  static final String STREAM = "scope:stream:subscribe";
  static final String EVENTS_PATH = "/2010-04-01/Events";

  private static final String SCOPE_PREFIX = "scope:";
  private static final String CLIENT_NAME = "clientName";
  private static final String APP_SID = "appSid";
  private static final String APP_PARAMS = "appParams";
  private static final String PYTHON_STREAM_PARAMS = "params";
  private static final String PATH = "path";
  private static final char[] HEX = "0123456789ABCDEF".toCharArray();

  private ScopeCodec() {}

  // ---------------------------------------------------------------------------------------------
  // Writing

  /** {@code value} percent-encoded; every character but the RFC 3986 unreserved ones is escaped. */
  static String encode(String value) {
    ByteBuffer utf8;
    try {
      utf8 =
          StandardCharsets.UTF_8
              .newEncoder()
              .onMalformedInput(CodingErrorAction.REPORT)
              .onUnmappableCharacter(CodingErrorAction.REPORT)
              .encode(CharBuffer.wrap(value));
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("text is not valid Unicode", e);
    }
    StringBuilder out = new StringBuilder(utf8.remaining() + 8);
    while (utf8.hasRemaining()) {
      int c = utf8.get() & 0xFF;
      if (isUnreserved(c)) {
        out.append((char) c);
      } else {
        out.append('%').append(HEX[c >> 4]).append(HEX[c & 0xF]);
      }
    }
    return out.toString();
  }

  private static boolean isUnreserved(int c) {
    return (c >= 'A' && c <= 'Z')
        || (c >= 'a' && c <= 'z')
        || (c >= '0' && c <= '9')
        || c == '-'
        || c == '.'
        || c == '_'
        || c == '~';
  }

  /** {@code k=v&k2=v2}, each name and value encoded. */
  static String query(Map<String, String> params) {
    StringBuilder out = new StringBuilder();
    for (Map.Entry<String, String> e : params.entrySet()) {
      if (!out.isEmpty()) {
        out.append('&');
      }
      out.append(encode(e.getKey())).append('=').append(encode(e.getValue()));
    }
    return out.toString();
  }

  /**
   * A copy of {@code params} in the given order, checked as claim text.
   *
   * @throws IllegalArgumentException if a name is empty or any text is malformed
   */
  static Map<String, String> checkParams(String what, Map<String, String> params) {
    if (params == null) {
      return Map.of();
    }
    Map<String, String> copy = new LinkedHashMap<>();
    for (Map.Entry<String, String> e : params.entrySet()) {
      copy.put(
          CapabilityJwt.checkText(what + " name", e.getKey(), false),
          CapabilityJwt.checkText(what + " value", e.getValue(), true));
    }
    return Collections.unmodifiableMap(copy);
  }

  // ---------------------------------------------------------------------------------------------
  // Reading

  /**
   * Parses a {@code scope} claim: scope URIs separated by single spaces.
   *
   * <p>twilio-java writes the incoming {@code clientName} unencoded, so a raw space may sit inside
   * a URI. A piece that does not start with {@code scope:} therefore continues the URI before it.
   */
  static List<Scope> parseClaim(String claim) throws InvalidTokenException {
    if (claim.isEmpty()) {
      return List.of();
    }
    List<String> uris = new ArrayList<>();
    for (String piece : claim.split(" ", -1)) {
      if (piece.startsWith(SCOPE_PREFIX)) {
        uris.add(piece);
      } else if (uris.isEmpty()) {
        throw invalid("the scope claim must start with a scope URI");
      } else {
        int last = uris.size() - 1;
        uris.set(last, uris.get(last) + " " + piece);
      }
    }
    List<Scope> scopes = new ArrayList<>(uris.size());
    for (String uri : uris) {
      scopes.add(parseUri(uri));
    }
    return List.copyOf(scopes);
  }

  /** Parses one scope URI in any of the official encodings. */
  static Scope parseUri(String uri) throws InvalidTokenException {
    int q = uri.indexOf('?');
    String base = q < 0 ? uri : uri.substring(0, q);
    String query = q < 0 ? null : uri.substring(q + 1);
    try {
      return switch (base) {
        case INCOMING -> incoming(query);
        case OUTGOING -> outgoing(query);
        case STREAM -> stream(query);
        default -> throw invalid("unknown scope " + CompactJws.describe(base));
      };
    } catch (IllegalArgumentException e) {
      // The record constructors apply the same rules as the builders.
      throw invalid("malformed " + base + " scope: " + e.getMessage());
    }
  }

  private static IncomingClientScope incoming(String query) throws InvalidTokenException {
    String prefix = CLIENT_NAME + "=";
    if (query == null || !query.startsWith(prefix)) {
      throw invalid("the incoming scope needs exactly one parameter, clientName");
    }
    // Every library writes clientName as the only parameter, so the rest of the URI is its value.
    // twilio-java does not encode it at all: "a&b" or "100%" arrive as they are. A value that is
    // not a valid encoding can only come from there, and is taken literally.
    String raw = query.substring(prefix.length());
    String name;
    try {
      name = decode(raw);
    } catch (IllegalArgumentException notEncoded) {
      name = raw;
    }
    return new IncomingClientScope(name);
  }

  private static OutgoingClientScope outgoing(String query) throws InvalidTokenException {
    Map<String, String> params = parseQuery(query, Set.of(APP_SID, CLIENT_NAME, APP_PARAMS));
    String appSid = params.get(APP_SID);
    if (appSid == null) {
      throw invalid("the outgoing scope needs appSid");
    }
    String appParams = params.get(APP_PARAMS);
    return new OutgoingClientScope(
        appSid, params.get(CLIENT_NAME), appParams == null ? Map.of() : parseInner(appParams));
  }

  private static EventStreamScope stream(String query) throws InvalidTokenException {
    Map<String, String> params = parseQuery(query, Set.of(PATH, APP_PARAMS, PYTHON_STREAM_PARAMS));
    if (!EVENTS_PATH.equals(params.get(PATH))) {
      throw invalid("the stream scope needs path=" + EVENTS_PATH);
    }
    String filters = params.get(APP_PARAMS);
    String pythonFilters = params.get(PYTHON_STREAM_PARAMS);
    if (filters != null && pythonFilters != null) {
      throw invalid("the stream scope has both appParams and params");
    }
    filters = filters != null ? filters : pythonFilters;
    return new EventStreamScope(filters == null ? Map.of() : parseInner(filters));
  }

  /** The decoded {@code appParams} value, itself a query string (it was escaped twice). */
  private static Map<String, String> parseInner(String once) throws InvalidTokenException {
    // twilio-node writes "appParams=" for an empty params object.
    return once.isEmpty() ? Map.of() : parseQuery(once, null);
  }

  /**
   * Splits {@code name=value&...} and decodes both sides. Names outside {@code allowed} (when
   * given) and repeated names are refused: a repeated name could be read two ways.
   */
  static Map<String, String> parseQuery(String query, Set<String> allowed)
      throws InvalidTokenException {
    if (query == null) {
      throw invalid("scope parameters are missing");
    }
    Map<String, String> params = new LinkedHashMap<>();
    for (String pair : query.split("&", -1)) {
      int eq = pair.indexOf('=');
      if (eq <= 0) {
        throw invalid("scope parameter without a name or '='");
      }
      String name = decode(pair.substring(0, eq));
      if (allowed != null && !allowed.contains(name)) {
        throw invalid("unknown scope parameter " + CompactJws.describe(name));
      }
      if (params.put(name, decode(pair.substring(eq + 1))) != null) {
        throw invalid("repeated scope parameter " + CompactJws.describe(name));
      }
    }
    return params;
  }

  /**
   * Form-decodes {@code s}: {@code +} is a space and {@code %XX} a byte; the bytes must be UTF-8.
   *
   * @throws IllegalArgumentException for a malformed escape or invalid UTF-8
   */
  static String decode(String s) {
    if (s.indexOf('%') < 0 && s.indexOf('+') < 0) {
      return s;
    }
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(s.length());
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '+') {
        bytes.write(' ');
        i++;
      } else if (c == '%') {
        int hi = i + 2 < s.length() ? hexValue(s.charAt(i + 1)) : -1;
        int lo = hi < 0 ? -1 : hexValue(s.charAt(i + 2));
        if (lo < 0) {
          throw new IllegalArgumentException("malformed percent-escape");
        }
        bytes.write((hi << 4) | lo);
        i += 3;
      } else {
        int end = i + 1;
        while (end < s.length() && s.charAt(end) != '%' && s.charAt(end) != '+') {
          end++;
        }
        bytes.writeBytes(s.substring(i, end).getBytes(StandardCharsets.UTF_8));
        i = end;
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new IllegalArgumentException("percent-escapes are not UTF-8", e);
    }
  }

  private static int hexValue(char c) {
    if (c >= '0' && c <= '9') {
      return c - '0';
    }
    if (c >= 'A' && c <= 'F') {
      return c - 'A' + 10;
    }
    if (c >= 'a' && c <= 'f') {
      return c - 'a' + 10;
    }
    return -1;
  }

  private static InvalidTokenException invalid(String message) {
    return new InvalidTokenException(TokenError.INVALID, message);
  }
}
