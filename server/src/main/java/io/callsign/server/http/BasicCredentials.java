package io.callsign.server.http;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.Optional;

/**
 * The user name and password of an {@code Authorization: Basic} header.
 *
 * @param username the part before the first colon (an {@code AC} or {@code SK} SID)
 * @param password the rest (the auth token or key secret)
 */
public record BasicCredentials(String username, String password) {

  /** Parses {@code header}; empty when it is absent or not well-formed Basic credentials. */
  public static Optional<BasicCredentials> parse(String header) {
    if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return Optional.empty();
    }
    String decoded;
    try {
      decoded =
          new String(
              Base64.getDecoder().decode(header.substring(6).trim()), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return Optional.empty();
    }
    int colon = decoded.indexOf(':');
    if (colon <= 0) {
      return Optional.empty();
    }
    return Optional.of(
        new BasicCredentials(decoded.substring(0, colon), decoded.substring(colon + 1)));
  }

  @Override
  public String toString() {
    return "BasicCredentials[username=" + username + ", password=***]";
  }
}
