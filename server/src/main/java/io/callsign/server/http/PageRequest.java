package io.callsign.server.keys;

import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

/**
 * The v2010 paging parameters of a list request.
 *
 * @param pageSize {@code PageSize}, 1..1000, default 50
 * @param page {@code Page}, from 0
 * @param token {@code PageToken} as given, or {@code null}
 * @param after the key named by a {@code PA<sid>} token, else {@code null}
 */
record PageRequest(int pageSize, long page, String token, KeySid after) {
  static final String NEXT = "PA";
  static final String PREVIOUS = "PB";
  static final int DEFAULT_SIZE = 50;
  static final int MAX_SIZE = 1000;
  // Keeps page * pageSize far from overflow and from absurd offsets.
  static final long MAX_PAGE = 1_000_000;

  /** Reads and checks the query parameters; 400/20001 naming the bad one. */
  static PageRequest parse(UnaryOperator<String> query) {
    int size = (int) number(query.apply("PageSize"), "PageSize", DEFAULT_SIZE, 1, MAX_SIZE);
    long page = number(query.apply("Page"), "Page", 0, 0, MAX_PAGE);
    String token = query.apply("PageToken");
    KeySid after = null;
    if (token != null && token.startsWith(NEXT)) {
      String sid = token.substring(NEXT.length());
      if (Sids.isValid(KeySid.PREFIX, sid)) {
        after = KeySid.of(sid);
      }
    }
    return new PageRequest(size, page, token, after);
  }

  private static long number(String value, String name, long dflt, long min, long max) {
    if (value == null) {
      return dflt;
    }
    try {
      long n = Long.parseLong(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiException(ApiError.invalidParameter(name));
  }

  /** The URI of a page: {@code base}, which may already have a query, and the paging parameters. */
  static String uri(String base, int pageSize, long page, String token) {
    String uri =
        base + (base.indexOf('?') < 0 ? '?' : '&') + "PageSize=" + pageSize + "&Page=" + page;
    // The token may be echoed from the request, so it is encoded rather than trusted.
    return token == null
        ? uri
        : uri + "&PageToken=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
  }
}
