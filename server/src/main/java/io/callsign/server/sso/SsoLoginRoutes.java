package io.callsign.server.sso;

import io.callsign.server.flex.FlexTokenRoutes;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Cors;
import io.callsign.server.http.Json;
import io.callsign.server.http.JsonBody;
import io.callsign.server.http.Routes;
import io.callsign.server.http.WebRoutes;
import io.callsign.tokens.sid.Sids;
import io.callsign.tokens.sid.SsoProfileSid;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.net.URI;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The Flex SDK's single sign-on calls (twilio-wire.md 9.3), none of which carries credentials:
 *
 * <ul>
 *   <li>{@code GET /v1/Flex/Authentication/Config} ({@code getAuthenticationConfig}): 200 {@code
 *       {"config_list": [...]}}, nothing secret;
 *   <li>{@code GET /v1/Flex/Authorize} (the SDK's {@code loginUrl}): 302 to the provider, or a
 *       Twilio error body when the request cannot start a sign-in;
 *   <li>{@code GET /v1/Flex/Authentication/Callback} (the provider's answer): 302 to the SDK's
 *       redirect URL with {@code code} and {@code state}, or {@code error}, {@code
 *       error_description} and {@code state}; a Twilio error body when the state is unknown;
 *   <li>{@code POST /v1/Flex/OAuth/Tokens} ({@code exchangeToken}, {@code refreshToken}): 200
 *       {@code {"access_token", "refresh_token", "token_info"}}, JSON (or form) snake_case bodies.
 * </ul>
 */
public final class SsoLoginRoutes implements Routes {
  /** The path of the callback: the {@code redirect_uri} to register at the provider. */
  public static final String CALLBACK = "/v1/Flex/Authentication/Callback";

  private static final String CONFIG = "/v1/Flex/Authentication/Config";
  private static final String AUTHORIZE = "/v1/Flex/Authorize";
  private static final String TOKENS = "/v1/Flex/OAuth/Tokens";
  private static final String JSON = "application/json";
  private static final String FORM = WebRoutes.FORM;
  private static final Set<String> TOKEN_FIELDS =
      Set.of(
          "grant_type",
          "sso_profile_sid",
          "code",
          "code_verifier",
          "nonce",
          "refresh_token",
          "app_type",
          // Sent in console mode; checked against the profile when given.
          "account_sid",
          "instance_sid",
          "is_console_login");

  private final SsoLoginService login;
  private final SsoProfileService profiles;

  /** Routes signing users in through {@code login}. */
  public SsoLoginRoutes(SsoLoginService login, SsoProfileService profiles) {
    this.login = login;
    this.profiles = profiles;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.get(CONFIG, this::config);
    routes.options(CONFIG, SsoLoginRoutes::preflight);
    routes.get(AUTHORIZE, this::authorize);
    routes.get(CALLBACK, this::callback);
    routes.post(TOKENS, this::tokens);
    routes.options(TOKENS, SsoLoginRoutes::preflight);
  }

  // The Flex SDK calls Config and Tokens with fetch from the customer's page (http/Cors).
  private static void crossOrigin(Context ctx) {
    Cors.allowAnyOrigin(ctx);
  }

  private static void preflight(Context ctx) {
    Cors.preflight(ctx, "GET, POST", "Content-Type");
  }

  /** Callsign's callback URL as the client reached it. */
  public static URI callbackUrl(Context ctx) {
    return URI.create(WebRoutes.origin(ctx) + CALLBACK);
  }

  private void config(Context ctx) {
    crossOrigin(ctx);
    List<Map<String, Object>> items =
        login
            .configList(
                query(ctx, "AccountSid"),
                query(ctx, "FlexInstanceSid"),
                query(ctx, "SSOProfileSid"),
                query(ctx, "AppType"))
            .stream()
            .map(SsoLoginRoutes::configItem)
            .toList();
    // RuntimeDomain is sent too; Callsign hosts no runtime domains, so it selects nothing.
    query(ctx, "RuntimeDomain");
    send(ctx, 200, Map.of("config_list", items));
  }

  /**
   * One profile as the SDK reads it: {@code connection_name} is the profile SID (the SDK copies it
   * to {@code ssoProfileSid}). {@code client_id} is the profile SID too: it is what the SDK is a
   * client of, and the provider's client ID stays out of unauthenticated answers.
   */
  private static Map<String, Object> configItem(SsoProfile p) {
    Map<String, Object> item = new LinkedHashMap<>();
    item.put("account_sid", p.accountSid().value());
    item.put("instance_sid", p.instanceSid().value());
    item.put("connection_name", p.sid().value());
    item.put("client_id", p.sid().value());
    item.put("active", p.active());
    item.put("app_type", p.appType());
    return item;
  }

  private void authorize(Context ctx) {
    browserPage(ctx);
    SsoLoginService.Started started =
        login.authorize(
            new SsoLoginService.Authorization(
                query(ctx, "ssoProfileSid"),
                query(ctx, "redirectUrl"),
                query(ctx, "state"),
                query(ctx, "nonce"),
                query(ctx, "codeChallenge")),
            callbackUrl(ctx));
    // Lax: sent on the provider's top-level redirect back, not on cross-site subrequests.
    ctx.header(
        "Set-Cookie",
        started.cookieName()
            + "="
            + started.cookieValue()
            + "; Path="
            + CALLBACK
            + "; Max-Age="
            + SsoLoginService.LOGIN_LIFETIME.toSeconds()
            + "; HttpOnly; SameSite=Lax"
            + (ctx.scheme().equals("https") ? "; Secure" : ""));
    ctx.redirect(started.location().toString(), HttpStatus.FOUND);
  }

  private void callback(Context ctx) {
    browserPage(ctx);
    String state = query(ctx, "state");
    URI next =
        login.callback(
            new SsoLoginService.Callback(
                state, query(ctx, "code"), query(ctx, "error"), query(ctx, "iss"), ctx::cookie));
    if (state != null) {
      // The sign-in is over, whatever its outcome: its cookie goes.
      ctx.header(
          "Set-Cookie",
          SsoLoginService.cookieName(state) + "=; Path=" + CALLBACK + "; Max-Age=0; HttpOnly");
    }
    ctx.redirect(next.toString(), HttpStatus.FOUND);
  }

  // What a page the browser passes through must never do: be cached, leak its URL (which carries a
  // code) as a referrer, or be framed.
  private static void browserPage(Context ctx) {
    ctx.header("Cache-Control", "no-store");
    ctx.header("Referrer-Policy", "no-referrer");
    ctx.header("Content-Security-Policy", "frame-ancestors 'none'");
  }

  private void tokens(Context ctx) {
    crossOrigin(ctx);
    Map<String, String> body = tokenBody(ctx);
    String grant = body.get("grant_type");
    String profileSid = body.get("sso_profile_sid");
    checkConsole(body, profileSid);
    SsoLoginService.Issued issued;
    if ("AuthorizationCode".equals(grant) || "authorization_code".equals(grant)) {
      issued =
          login.exchange(
              profileSid, body.get("code"), body.get("code_verifier"), body.get("nonce"));
    } else if ("RefreshToken".equals(grant) || "refresh_token".equals(grant)) {
      issued = login.refresh(profileSid, body.get("refresh_token"));
    } else if (grant == null) {
      throw new ApiException(ApiError.missingParameter("grant_type"));
    } else {
      throw new ApiException(
          ApiError.invalidParameter("grant_type", "AuthorizationCode or RefreshToken"));
    }
    Map<String, Object> answer = new LinkedHashMap<>();
    answer.put("access_token", issued.access().token());
    answer.put("refresh_token", issued.refreshToken());
    answer.put("token_info", FlexTokenRoutes.tokenInfo(issued.access().info()));
    // Bearer credentials: no cache along the way may keep them.
    ctx.header("Cache-Control", "no-store").header("Pragma", "no-cache");
    send(ctx, 200, answer);
  }

  /** In console mode the SDK names the account and instance: they must be the profile's. */
  private void checkConsole(Map<String, String> body, String profileSid) {
    String account = body.get("account_sid");
    String instance = body.get("instance_sid");
    if ((account == null && instance == null) || !Sids.isValid(SsoProfileSid.PREFIX, profileSid)) {
      return; // nothing to check, or an unknown profile the exchange refuses
    }
    profiles
        .profile(SsoProfileSid.of(profileSid))
        .ifPresent(
            p -> {
              if (account != null && !account.equals(p.accountSid().value())) {
                throw new ApiException(
                    ApiError.invalidParameter("account_sid", "not the SSO profile's account"));
              }
              if (instance != null && !instance.equals(p.instanceSid().value())) {
                throw new ApiException(
                    ApiError.invalidParameter("instance_sid", "not the SSO profile's instance"));
              }
            });
  }

  /**
   * The token request's fields: a JSON object (what the SDK sends) with string members, or the same
   * names form-encoded.
   */
  private static Map<String, String> tokenBody(Context ctx) {
    String media = WebRoutes.mediaType(ctx);
    Map<String, String> fields = new LinkedHashMap<>();
    if (media.equals(JSON)) {
      JsonBody body = JsonBody.parse(ctx.body(), TOKEN_FIELDS);
      for (String name : TOKEN_FIELDS) {
        // is_console_login may come as a boolean or a string: it changes nothing here.
        if (!name.equals("is_console_login") && body.has(name)) {
          fields.put(name, body.text(name));
        }
      }
      return fields;
    }
    if (!media.equals(FORM)) {
      throw new ApiException(ApiError.unsupportedMediaType(JSON + " or " + FORM));
    }
    for (Map.Entry<String, List<String>> field : ctx.formParamMap().entrySet()) {
      if (!TOKEN_FIELDS.contains(field.getKey())) {
        throw new ApiException(
            ApiError.invalidParameter(
                ApiError.printable(field.getKey()),
                "unknown parameter; expected one of " + TOKEN_FIELDS));
      }
      if (field.getValue().size() != 1) {
        throw new ApiException(ApiError.invalidParameter(field.getKey(), "given more than once"));
      }
      fields.put(field.getKey(), field.getValue().getFirst());
    }
    return fields;
  }

  /** The query parameter {@code name}, or {@code null}; given twice it is refused. */
  private static String query(Context ctx, String name) {
    List<String> values = ctx.queryParams(name);
    if (values.size() > 1) {
      throw new ApiException(ApiError.invalidParameter(name, "given more than once"));
    }
    return values.isEmpty() ? null : values.getFirst();
  }

  private static void send(Context ctx, int status, Object body) {
    ctx.status(status).contentType(JSON).result(Json.write(body));
  }
}
