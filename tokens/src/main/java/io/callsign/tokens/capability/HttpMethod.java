package io.callsign.tokens.capability;

/**
 * The HTTP method a TaskRouter {@link Policy} applies to; the constants are those of twilio-java's
 * {@code com.twilio.http.HttpMethod}, written as their names.
 */
public enum HttpMethod {
  /** GET. */
  GET,
  /** POST. */
  POST,
  /** PUT. */
  PUT,
  /** PATCH. */
  PATCH,
  /** DELETE. */
  DELETE,
  /** HEAD. */
  HEAD,
  /** OPTIONS. */
  OPTIONS
}
