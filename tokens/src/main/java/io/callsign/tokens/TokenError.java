package io.callsign.tokens;

/**
 * Why a token was refused, with the Twilio error code that a Twilio service gives for it.
 *
 * @see <a href="https://www.twilio.com/docs/api/errors">Twilio error codes</a>
 */
public enum TokenError {
  /** 20101: not a well-formed token (size, segments, encoding, payload JSON). */
  INVALID(20101, "Invalid Access Token"),
  /** 20102: the header is malformed, or names an algorithm or content type that is not allowed. */
  INVALID_HEADER(20102, "Invalid Access Token header"),
  /** 20103: the issuer is not a known key of the account named by the subject. */
  INVALID_ISSUER_OR_SUBJECT(20103, "Invalid Access Token issuer/subject"),
  /** 20104: the token has expired, or its expiration is missing or malformed. */
  EXPIRED(20104, "Access Token expired or expiration date invalid"),
  /** 20105: the token is not valid yet ({@code nbf} lies in the future). */
  NOT_YET_VALID(20105, "Access Token not yet valid"),
  /** 20106: the grants are missing or malformed. */
  INVALID_GRANTS(20106, "Invalid Access Token grants"),
  /** 20107: the signature does not match. */
  INVALID_SIGNATURE(20107, "Invalid Access Token signature"),
  /** 20157: the token lives longer than the 24 hours allowed. */
  TTL_TOO_LONG(20157, "Expiration Time in the Access Token exceeds the maximum of 24 hours");

  private final int code;
  private final String title;

  TokenError(int code, String title) {
    this.code = code;
    this.title = title;
  }

  /** The Twilio error code, for example 20104. */
  public int code() {
    return code;
  }

  /** Twilio's short description of the error. */
  public String title() {
    return title;
  }

  /** The Twilio documentation page for this code. */
  public String moreInfo() {
    return "https://www.twilio.com/docs/errors/" + code;
  }
}
