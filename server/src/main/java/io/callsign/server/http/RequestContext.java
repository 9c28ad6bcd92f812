package io.callsign.server.http;

/**
 * Who is calling and from where, for the request the current thread serves (each request has its
 * own virtual thread). Set by {@link WebRoutes} before a handler runs and by {@link Authenticator}
 * once the caller is known; read by the audit trail.
 *
 * @param sourceIpAddress the TCP peer's address (forwarded-for headers are not trusted)
 * @param userAgent the User-Agent header, or {@code null}
 * @param principal the authenticated caller, or {@code null} before or without authentication
 * @param consoleUserSid the signed-in console user acting through the web console, or {@code null}
 */
public record RequestContext(
    String sourceIpAddress, String userAgent, Principal principal, String consoleUserSid) {
  private static final ThreadLocal<RequestContext> CURRENT = new ThreadLocal<>();

  /** The current request's context, or {@code null} outside a request (start-up, background). */
  public static RequestContext current() {
    return CURRENT.get();
  }

  static void begin(String sourceIpAddress, String userAgent) {
    CURRENT.set(new RequestContext(sourceIpAddress, userAgent, null, null));
  }

  static void authenticated(Principal principal) {
    RequestContext c = CURRENT.get();
    if (c != null) {
      CURRENT.set(
          new RequestContext(c.sourceIpAddress(), c.userAgent(), principal, c.consoleUserSid()));
    }
  }

  /**
   * Records that the web console's signed-in user {@code consoleUserSid} acts in this request, so
   * that the changes it makes are attributed to that user.
   */
  public static void actingConsoleUser(String consoleUserSid) {
    RequestContext c = CURRENT.get();
    if (c != null) {
      CURRENT.set(
          new RequestContext(c.sourceIpAddress(), c.userAgent(), c.principal(), consoleUserSid));
    }
  }

  static void end() {
    CURRENT.remove();
  }
}
