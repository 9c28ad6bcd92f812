package io.callsign.server.config;

import java.net.URI;
import java.util.Locale;

/**
 * Where the streaming audit sink POSTs batches of events, and the secret it signs them with.
 *
 * @param url the receiver, {@code http} or {@code https}
 * @param secret the HMAC key of {@code X-Twilio-Signature} ({@code CALLSIGN_AUDIT_SINK_SECRET}), at
 *     least 32 characters; the receiver validates with any Twilio helper library's RequestValidator
 *     given this value as the auth token
 */
public record AuditSinkConfig(String url, String secret) {
  /** The fewest characters of a signing secret: as long as a Twilio auth token. */
  public static final int MIN_SECRET = 32;

  /** Checks both values; messages never echo the secret. */
  public AuditSinkConfig {
    URI uri;
    try {
      uri = URI.create(url);
    } catch (IllegalArgumentException | NullPointerException e) {
      throw new IllegalArgumentException("audit sink URL is not a URL: " + url, e);
    }
    String scheme = uri.getScheme() == null ? "" : uri.getScheme().toLowerCase(Locale.ROOT);
    if (!(scheme.equals("http") || scheme.equals("https")) || uri.getHost() == null) {
      throw new IllegalArgumentException("audit sink URL must be an http or https URL: " + url);
    }
    if (secret == null || secret.length() < MIN_SECRET) {
      throw new IllegalArgumentException(
          "an audit sink needs CALLSIGN_AUDIT_SINK_SECRET, at least "
              + MIN_SECRET
              + " characters, to sign its requests");
    }
  }

  // The secret stays out of logs even when the whole config is printed.
  @Override
  public String toString() {
    return "AuditSinkConfig[url=" + url + ", secret=***]";
  }
}
