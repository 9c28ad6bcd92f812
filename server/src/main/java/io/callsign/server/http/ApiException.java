package io.callsign.server.http;

/** The one exception that ends a request with a Twilio error body. */
public final class ApiException extends RuntimeException {
  private static final long serialVersionUID = 1L;

  private final transient ApiError error;

  /** Ends the request with {@code error}. */
  public ApiException(ApiError error) {
    // No stack trace: these are expected outcomes (bad password, unknown SID), often many per
    // second.
    super(error.message(), null, false, false);
    this.error = error;
  }

  /** The error to render. */
  public ApiError error() {
    return error;
  }
}
