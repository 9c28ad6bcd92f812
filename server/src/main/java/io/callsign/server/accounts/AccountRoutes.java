package io.callsign.server.accounts;

import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Rfc2822;
import io.callsign.server.http.Routes;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.Sids;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.Map;

/** The v2010 Accounts resource. */
public final class AccountRoutes implements Routes {
  private static final String BASE = "/2010-04-01/Accounts/";
  private static final String SUFFIX = ".json";

  private final Authenticator authenticator;

  /** Routes authenticating with {@code authenticator}. */
  public AccountRoutes(Authenticator authenticator) {
    this.authenticator = authenticator;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    // One path segment "AC....json": the suffix is stripped here rather than in the route pattern.
    routes.get(BASE + "{sidJson}", this::fetch);
  }

  private void fetch(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    AccountSid sid = pathSid(ctx);
    // An account may read only itself (subaccounts later); anything else does not exist for it,
    // so another account's SID cannot be probed.
    if (!caller.account().sid().equals(sid)) {
      throw new ApiException(ApiError.notFound(ctx.path()));
    }
    // A standard or restricted key may read the account but not manage its credentials, so it
    // does not get the auth token, which would let it do everything.
    boolean showToken = caller.kind().mayManageCredentials();
    ctx.contentType("application/json").result(Json.write(render(caller.account(), showToken)));
  }

  private static AccountSid pathSid(Context ctx) {
    String segment = ctx.pathParam("sidJson");
    String sid =
        segment.endsWith(SUFFIX) ? segment.substring(0, segment.length() - SUFFIX.length()) : "";
    if (!Sids.isValid(AccountSid.PREFIX, sid)) {
      throw new ApiException(ApiError.notFound(ctx.path()));
    }
    return AccountSid.of(sid);
  }

  /** The v2010 Account representation (twilio-wire.md 1.3). */
  static Map<String, Object> render(Account a, boolean showToken) {
    String uri = BASE + a.sid() + SUFFIX;
    String sub = BASE + a.sid() + "/";
    Map<String, Object> subresources = new LinkedHashMap<>();
    subresources.put("keys", sub + "Keys.json");
    subresources.put("signing_keys", sub + "SigningKeys.json");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("auth_token", showToken ? a.authToken() : null);
    body.put("date_created", Rfc2822.format(a.dateCreated()));
    body.put("date_updated", Rfc2822.format(a.dateUpdated()));
    body.put("friendly_name", a.friendlyName());
    body.put("owner_account_sid", a.ownerAccountSid().value());
    body.put("sid", a.sid().value());
    body.put("status", a.status().wire());
    body.put("subresource_uris", subresources);
    body.put("type", a.type());
    body.put("uri", uri);
    return body;
  }
}
