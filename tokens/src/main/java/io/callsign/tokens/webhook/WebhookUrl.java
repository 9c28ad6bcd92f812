package io.callsign.tokens.webhook;

import java.util.List;

/**
 * Textual URL rewrites for webhook signatures.
 *
 * <p>The signature covers the exact characters of the URL, so these helpers edit the string in
 * place rather than parse and re-serialize it: {@code java.net.URI} and WHATWG {@code URL} both
 * re-encode parts of the URL, which changes what was signed.
 */
final class WebhookUrl {
  private WebhookUrl() {}

  /**
   * The URLs a signature may cover (twilio-wire.md 8.3): the URL as given, then the URL with its
   * port removed if it has one, or with the scheme's default port added if it has none. Only the
   * URL as given when it has no recognizable {@code scheme://authority}.
   */
  static List<String> portVariants(String url) {
    int schemeEnd = schemeEnd(url);
    if (schemeEnd < 0 || !url.startsWith("//", schemeEnd + 1)) {
      return List.of(url);
    }
    int authorityStart = schemeEnd + 3;
    int authorityEnd = indexOfAny(url, "/?#", authorityStart);
    int hostStart = Math.max(url.lastIndexOf('@', authorityEnd - 1) + 1, authorityStart);
    int hostEnd;
    if (url.startsWith("[", hostStart)) {
      // IPv6 literal: its colons are not a port separator.
      int close = url.indexOf(']', hostStart);
      if (close < 0 || close >= authorityEnd) {
        return List.of(url);
      }
      hostEnd = close + 1;
    } else {
      int colon = url.indexOf(':', hostStart);
      hostEnd = colon >= 0 && colon < authorityEnd ? colon : authorityEnd;
    }
    if (hostEnd == hostStart || !isPort(url, hostEnd, authorityEnd)) {
      return List.of(url);
    }
    if (hostEnd < authorityEnd) {
      return List.of(url, url.substring(0, hostEnd) + url.substring(authorityEnd));
    }
    String port = schemeEnd == 5 && url.regionMatches(true, 0, "https", 0, 5) ? ":443" : ":80";
    return List.of(url, url.substring(0, authorityEnd) + port + url.substring(authorityEnd));
  }

  /**
   * The raw value of the first {@code name} parameter in the URL's query, or {@code null}. Values
   * are not percent-decoded: the only caller looks for a hex digest, which needs no encoding.
   */
  static String firstQueryValue(String url, String name) {
    String beforeFragment = stripFragment(url);
    int query = beforeFragment.indexOf('?');
    if (query < 0) {
      return null;
    }
    for (String pair : beforeFragment.substring(query + 1).split("&", -1)) {
      int eq = pair.indexOf('=');
      if ((eq < 0 ? pair : pair.substring(0, eq)).equals(name)) {
        return eq < 0 ? "" : pair.substring(eq + 1);
      }
    }
    return null;
  }

  /** Appends {@code name=value} to the query, before any fragment. */
  static String withQueryParam(String url, String name, String value) {
    String base = stripFragment(url);
    String fragment = url.substring(base.length());
    int query = base.indexOf('?');
    // A '?' after the first belongs to the query's data, so "?a=?" still needs an '&'.
    String separator =
        query < 0 ? "?" : query == base.length() - 1 || base.endsWith("&") ? "" : "&";
    return base + separator + name + "=" + value + fragment;
  }

  private static String stripFragment(String url) {
    int hash = url.indexOf('#');
    return hash < 0 ? url : url.substring(0, hash);
  }

  /** The index of the ':' ending an RFC 3986 scheme, or -1. */
  private static int schemeEnd(String url) {
    int colon = url.indexOf(':');
    if (colon < 1 || !isAsciiLetter(url.charAt(0))) {
      return -1;
    }
    for (int i = 1; i < colon; i++) {
      char c = url.charAt(i);
      if (!isAsciiLetter(c) && !(c >= '0' && c <= '9') && c != '+' && c != '-' && c != '.') {
        return -1;
      }
    }
    return colon;
  }

  /** Whether {@code url[from, to)} is empty or ':' followed by ASCII digits. */
  private static boolean isPort(String url, int from, int to) {
    if (from == to) {
      return true;
    }
    if (url.charAt(from) != ':') {
      return false;
    }
    for (int i = from + 1; i < to; i++) {
      if (url.charAt(i) < '0' || url.charAt(i) > '9') {
        return false;
      }
    }
    return true;
  }

  private static boolean isAsciiLetter(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
  }

  private static int indexOfAny(String s, String chars, int from) {
    for (int i = from; i < s.length(); i++) {
      if (chars.indexOf(s.charAt(i)) >= 0) {
        return i;
      }
    }
    return s.length();
  }
}
