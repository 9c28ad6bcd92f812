package io.callsign.server.http;

/**
 * One Twilio error: its code, HTTP status and message. The static factories are the catalogue, so
 * that a code is always sent with the same status.
 *
 * @param code the Twilio error code, e.g. 20404
 * @param httpStatus the HTTP status, e.g. 404
 * @param message the human-readable message
 */
public record ApiError(int code, int httpStatus, String message) {
  private static final String MORE_INFO = "https://www.twilio.com/docs/errors/";

  /** 401/20003: missing, malformed or wrong credentials (one message for every cause). */
  public static ApiError authenticate() {
    return new ApiError(20003, 401, "Authenticate");
  }

  /** 401/20005: right credentials, but the account is suspended or closed. */
  public static ApiError accountNotActive() {
    return new ApiError(20005, 401, "Account is not active");
  }

  /** 403/70051: a restricted key whose policy does not allow the call (twilio-wire.md 2.1). */
  public static ApiError authorizationFailed() {
    return new ApiError(70051, 403, "Authorization Failed");
  }

  /** 403/70051 with the reason, for a credential that may call but not with these parameters. */
  public static ApiError authorizationFailed(String why) {
    return new ApiError(70051, 403, "Authorization Failed: " + why);
  }

  /** 400/20001 for a body that cannot be read at all (malformed JSON, not an object). */
  public static ApiError invalidBody(String why) {
    return new ApiError(20001, 400, "Invalid request body: " + why);
  }

  /**
   * 415/20415 for a body in a content type the endpoint does not read; {@code accepted} lists those
   * it does.
   */
  public static ApiError unsupportedMediaType(String accepted) {
    return ofStatus(415, "Unsupported Content-Type: send " + accepted);
  }

  /**
   * 400/20002 for a FriendlyName that is too long. Twilio's error dictionary lists 20002 as
   * "Invalid FriendlyName"; twilio-wire.md does not cover it.
   */
  public static ApiError invalidFriendlyName() {
    return new ApiError(20002, 400, "Invalid FriendlyName");
  }

  /** 400/20001 for a malformed or out-of-range parameter, named in the message. */
  public static ApiError invalidParameter(String name) {
    return new ApiError(20001, 400, "Invalid parameter: " + name);
  }

  /** 400/20001 for a required parameter that is missing. */
  public static ApiError missingParameter(String name) {
    return new ApiError(20001, 400, "Missing required parameter " + name);
  }

  /** 400/20001 for a parameter that is present but wrong, with {@code why}. */
  public static ApiError invalidParameter(String name, String why) {
    return new ApiError(20001, 400, "Invalid parameter: " + name + " (" + why + ")");
  }

  /**
   * 400/20001 for promoting when there is no secondary auth token. twilio-wire.md does not record
   * Twilio's answer; revisit when a captured response says otherwise.
   */
  public static ApiError noSecondaryAuthToken() {
    return new ApiError(20001, 400, "No secondary Auth Token to promote");
  }

  /** 400/20001 for changing the status of a closed account: closing is final. */
  public static ApiError accountClosed() {
    return new ApiError(20001, 400, "Invalid parameter: Status (a closed account cannot change)");
  }

  /**
   * 502/20502 for an upstream service (a single sign-on identity provider) that could not be
   * reached or answered with something unusable; {@code why} says which, without secrets.
   */
  public static ApiError badGateway(String why) {
    return ofStatus(502, why);
  }

  /**
   * 70251 ("BadSsoSettings", a code the Flex SDK knows, twilio-wire.md 3.2) with {@code status}: an
   * SSO profile that is not active, or whose provider cannot be used as configured.
   */
  public static ApiError badSsoSettings(int status, String why) {
    return new ApiError(70251, status, why);
  }

  /** 404/20404 for {@code path}. */
  public static ApiError notFound(String path) {
    return new ApiError(20404, 404, "The requested resource " + path + " was not found");
  }

  /** 405/20004. */
  public static ApiError methodNotAllowed() {
    return new ApiError(20004, 405, "Method not allowed");
  }

  /** 500/20500. */
  public static ApiError internal() {
    return new ApiError(20500, 500, "Internal Server Error");
  }

  /** 503/20503. */
  public static ApiError serviceUnavailable() {
    return new ApiError(20503, 503, "Service Unavailable");
  }

  /**
   * For an HTTP status with no entry above: Twilio's generic codes are 20000 plus the status
   * (20403, 20429, ...).
   */
  public static ApiError ofStatus(int status, String message) {
    return new ApiError(20_000 + status, status, message);
  }

  /**
   * {@code text} as it may be echoed in a message: at most 40 characters, printable ASCII (a name
   * the caller sent may be anything).
   */
  public static String printable(String text) {
    String shown = text.length() > 40 ? text.substring(0, 40) + "..." : text;
    return shown.replaceAll("[^\\x20-\\x7e]", "?");
  }

  /** The documentation link sent as {@code more_info}. */
  public String moreInfo() {
    return MORE_INFO + code;
  }
}
