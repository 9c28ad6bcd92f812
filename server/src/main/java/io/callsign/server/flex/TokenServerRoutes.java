package io.callsign.server.flex;

import io.callsign.server.accounts.AccountService;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.JsonBody;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Routes;
import io.callsign.server.throttle.LoginThrottle;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The end-user token server: {@code POST /token} with {@code {"username", "password"}} gives {@code
 * {"token": "<Access Token>"}}; and the API that sets users' passwords, {@code POST} and {@code
 * DELETE /v4/Instances/{GO}/Users/{FU}/Password} (docs/design/0009-token-server.md).
 */
public final class TokenServerRoutes implements Routes {
  /** Sign-in. */
  public static final String TOKEN = "/token";

  private static final String PASSWORD = "/v4/Instances/{instance}/Users/{user}/Password";
  private static final Set<String> SIGN_IN = Set.of("username", "password", "flex_instance_sid");
  private static final Set<String> PASSWORD_FIELDS = Set.of("password");

  // One body for every refusal, whatever its cause, so that nothing tells them apart. It carries no
  // WWW-Authenticate challenge: the credentials travel in the body, and a Basic challenge would
  // make
  // browsers that called this with fetch() prompt for a password of their own.
  private static final ApiError BAD_CREDENTIALS =
      new ApiError(20003, 401, "Invalid username or password");
  private static final ApiError TOO_MANY =
      ApiError.ofStatus(429, "Too many failed sign-ins; retry after the time in Retry-After");

  private final Authenticator authenticator;
  private final AccountService accounts;
  private final FlexService flex;
  private final TokenServerService tokens;

  /** Routes over {@code tokens}, with the password API authenticated by {@code authenticator}. */
  public TokenServerRoutes(
      Authenticator authenticator,
      AccountService accounts,
      FlexService flex,
      TokenServerService tokens) {
    this.authenticator = authenticator;
    this.accounts = accounts;
    this.flex = flex;
    this.tokens = tokens;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.post(TOKEN, this::signIn);
    routes.post(PASSWORD, this::setPassword);
    routes.delete(PASSWORD, this::removePassword);
  }

  private void signIn(Context ctx) {
    JsonBody body = FlexRoutes.body(ctx, SIGN_IN);
    String member = body.text("flex_instance_sid");
    String query = ctx.queryParam("FlexInstanceSid");
    if (member != null && query != null && !member.equals(query)) {
      throw new ApiException(
          ApiError.invalidParameter("flex_instance_sid", "differs from FlexInstanceSid"));
    }
    // The TCP peer, never X-Forwarded-For or the like: a client sets those to whatever it likes,
    // and would escape the per-source limit by changing them on every attempt.
    String source = LoginThrottle.sourceOf(ctx.req().getRemoteAddr());
    TokenServerService.SignIn outcome =
        tokens.signIn(
            member != null ? member : query, body.text("username"), body.text("password"), source);
    switch (outcome) {
      case TokenServerService.SignIn.Issued issued -> {
        Map<String, Object> out = new LinkedHashMap<>();
        out.put("token", issued.token());
        out.put("identity", issued.identity());
        out.put("expires_at", FlexRoutes.iso(issued.expiresAt()));
        // A bearer credential: no cache may keep it (RFC 6749 5.1).
        ctx.header("Cache-Control", "no-store");
        FlexRoutes.send(ctx, 200, out);
      }
      case TokenServerService.SignIn.BadCredentials bad ->
          FlexRoutes.send(ctx, 401, Json.errorBody(BAD_CREDENTIALS));
      case TokenServerService.SignIn.Throttled throttled -> {
        ctx.header("Retry-After", Long.toString(throttled.retryAfter().toSeconds()));
        FlexRoutes.send(ctx, 429, Json.errorBody(TOO_MANY));
      }
    }
  }

  private void setPassword(Context ctx) {
    Principal caller = caller(ctx);
    FlexInstance instance = FlexRoutes.instance(ctx, caller, flex, accounts);
    FlexUser user = FlexRoutes.user(ctx, instance, flex);
    JsonBody body = FlexRoutes.body(ctx, PASSWORD_FIELDS);
    if (!tokens.setPassword(instance, user.sid(), body.text("password"))) {
      throw FlexRoutes.notFound(ctx);
    }
    ctx.status(204);
  }

  private void removePassword(Context ctx) {
    Principal caller = caller(ctx);
    FlexInstance instance = FlexRoutes.instance(ctx, caller, flex, accounts);
    FlexUser user = FlexRoutes.user(ctx, instance, flex);
    if (!tokens.removePassword(instance, user.sid())) {
      throw FlexRoutes.notFound(ctx);
    }
    ctx.status(204);
  }

  private Principal caller(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.FLEX_USERS_MANAGE);
    return caller;
  }
}
