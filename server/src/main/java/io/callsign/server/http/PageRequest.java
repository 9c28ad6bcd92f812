package io.callsign.server.http;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.util.function.UnaryOperator;

/**
 * The paging parameters of a list request (v2010 and v1 alike). A page token is {@link #NEXT} or
 * {@link #PREVIOUS} followed by the position of the row it continues from (a SID, a sequence
 * number); each list reads that position its own way.
 *
 * @param pageSize {@code PageSize}, 1..1000, default 50
 * @param page {@code Page}, from 0
 * @param token {@code PageToken} as given, or {@code null}
 */
public record PageRequest(int pageSize, long page, String token) {
  /** The prefix of a token for the page after a row. */
  public static final String NEXT = "PA";

  /** The prefix of a token for the page before a row. */
  public static final String PREVIOUS = "PB";

  static final int DEFAULT_SIZE = 50;
  static final int MAX_SIZE = 1000;
  // Keeps page * pageSize far from overflow and from absurd offsets.
  static final long MAX_PAGE = 1_000_000;

  /** Reads and checks the query parameters; 400/20001 naming the bad one. */
  public static PageRequest parse(UnaryOperator<String> query) {
    int size = (int) number(query.apply("PageSize"), "PageSize", DEFAULT_SIZE, 1, MAX_SIZE);
    long page = number(query.apply("Page"), "Page", 0, 0, MAX_PAGE);
    return new PageRequest(size, page, query.apply("PageToken"));
  }

  /** The position after which the requested page starts ({@code PA<position>}), or null. */
  public String after() {
    return token != null && token.startsWith(NEXT) ? token.substring(NEXT.length()) : null;
  }

  /** The position before which the requested page ends ({@code PB<position>}), or null. */
  public String before() {
    return token != null && token.startsWith(PREVIOUS) ? token.substring(PREVIOUS.length()) : null;
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
  public static String uri(String base, int pageSize, long page, String token) {
    String uri =
        base + (base.indexOf('?') < 0 ? '?' : '&') + "PageSize=" + pageSize + "&Page=" + page;
    // The token may be echoed from the request, so it is encoded rather than trusted.
    return token == null
        ? uri
        : uri + "&PageToken=" + URLEncoder.encode(token, StandardCharsets.UTF_8);
  }
}
