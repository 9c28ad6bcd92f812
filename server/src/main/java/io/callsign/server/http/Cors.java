package io.callsign.server.http;

import io.javalin.http.Context;

/**
 * Cross-origin answers for the endpoints the Flex SDK calls with {@code fetch} from the customer's
 * page (another origin). Only for endpoints that read no cookie: what they need is in the request
 * itself (a code, a refresh token, the Flex token), so allowing any origin gives none of them
 * anything another lacks.
 */
public final class Cors {
  private Cors() {}

  /** Lets scripts of any origin read this answer. */
  public static void allowAnyOrigin(Context ctx) {
    ctx.header("Access-Control-Allow-Origin", "*");
  }

  /**
   * The preflight of a request with {@code methods} and request {@code headers} (e.g. {@code
   * "Content-Type, Authorization"}): 204, cached by the browser for ten minutes.
   */
  public static void preflight(Context ctx, String methods, String headers) {
    allowAnyOrigin(ctx);
    ctx.header("Access-Control-Allow-Methods", methods);
    ctx.header("Access-Control-Allow-Headers", headers);
    ctx.header("Access-Control-Max-Age", "600");
    ctx.status(204);
  }
}
