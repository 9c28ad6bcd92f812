package io.callsign.server.accounts;

import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Routes;
import io.callsign.tokens.sid.AccountSid;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Accounts v1 AuthTokens (twilio-wire.md 2.3): create and delete the secondary auth token, and
 * promote it. The account comes from the credentials; only the auth token or a main key may call.
 */
public final class AuthTokenRoutes implements Routes {
  private static final String SECONDARY = "/v1/AuthTokens/Secondary";
  private static final String PROMOTE = "/v1/AuthTokens/Promote";
  private static final String URL_BASE = "https://accounts.twilio.com";
  private static final String JSON = "application/json";

  private final Authenticator authenticator;
  private final AccountService accounts;

  /** Routes authenticating with {@code authenticator} and acting through {@code accounts}. */
  public AuthTokenRoutes(Authenticator authenticator, AccountService accounts) {
    this.authenticator = authenticator;
    this.accounts = accounts;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.post(SECONDARY, this::createSecondary);
    routes.delete(SECONDARY, this::deleteSecondary);
    routes.post(PROMOTE, this::promote);
  }

  private void createSecondary(Context ctx) {
    AccountSid sid = authorize(ctx);
    Account a = accounts.createSecondaryAuthToken(sid).orElseThrow(() -> notFound(ctx));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("account_sid", a.sid().value());
    body.put("date_created", iso(a.secondaryDateCreated()));
    body.put("date_updated", iso(a.secondaryDateCreated()));
    body.put("secondary_auth_token", a.secondaryAuthToken());
    body.put("url", URL_BASE + SECONDARY);
    ctx.status(201).contentType(JSON).result(Json.write(body));
  }

  private void deleteSecondary(Context ctx) {
    AccountSid sid = authorize(ctx);
    if (!accounts.deleteSecondaryAuthToken(sid)) {
      throw notFound(ctx);
    }
    ctx.status(204);
  }

  private void promote(Context ctx) {
    AccountSid sid = authorize(ctx);
    AccountService.Promotion p =
        accounts
            .promoteSecondaryAuthToken(sid)
            .orElseThrow(() -> new ApiException(ApiError.noSecondaryAuthToken()));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("account_sid", p.account().sid().value());
    body.put("auth_token", p.account().authToken());
    body.put("date_created", iso(p.tokenCreated()));
    body.put("date_updated", iso(p.account().dateUpdated()));
    body.put("url", URL_BASE + PROMOTE);
    ctx.contentType(JSON).result(Json.write(body));
  }

  private AccountSid authorize(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.CREDENTIALS_MANAGE);
    return caller.account().sid();
  }

  private static ApiException notFound(Context ctx) {
    return new ApiException(ApiError.notFound(ctx.path()));
  }

  // ISO-8601 UTC to the second, without fractions: "2015-07-31T04:00:00Z" (twilio-wire.md 0.2).
  static String iso(Instant instant) {
    return DateTimeFormatter.ISO_INSTANT.format(instant.truncatedTo(ChronoUnit.SECONDS));
  }
}
