package io.callsign.server.flex;

import io.callsign.server.accounts.AccountService;
import io.callsign.server.flex.FlexTokenService.Validation;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Cors;
import io.callsign.server.http.JsonBody;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Routes;
import io.callsign.server.http.WebRoutes;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.Sids;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Flex tokens over HTTP (twilio-wire.md 9.2 and 9.3):
 *
 * <ul>
 *   <li>{@code POST /v4/Instances/{GO}/Users/{FU}/Tokens} mints one (JSON {@code {"ttl": n}},
 *       optional), 201 {@code {"access_token", "token_info"}};
 *   <li>{@code POST /v1/Accounts/{AC}/Tokens/validate} answers twilio-flex-token-validator: 200
 *       with {@code valid} true or false;
 *   <li>{@code POST /v1/Accounts/{AC}/Tokens/Info} answers the Flex SDK's {@code validateToken}:
 *       200 with the token's details, or 401 with 20101/20104;
 *   <li>{@code POST /v1/Accounts/{AC}/Tokens/Revoke} (a Callsign addition) logs a token out: 204.
 * </ul>
 *
 * <p>Minting and validation authenticate with the account's auth token or an API key. Info and
 * Revoke also accept the token itself, sent the Flex SDK's way: {@code Authorization: Basic
 * base64("token:" + token)}, with or without the stray {@code )} the SDK appends.
 */
public final class FlexTokenRoutes implements Routes {
  private static final String MINT = "/v4/Instances/{instance}/Users/{user}/Tokens";
  private static final String TOKENS = "/v1/Accounts/{account}/Tokens";
  private static final String FORM = WebRoutes.FORM;
  private static final String JSON = "application/json";
  private static final String TOKEN_USER = "token:";

  private final Authenticator authenticator;
  private final AccountService accounts;
  private final FlexService flex;
  private final FlexTokenService tokens;

  /** Routes authenticating with {@code authenticator} and acting through {@code tokens}. */
  public FlexTokenRoutes(
      Authenticator authenticator,
      AccountService accounts,
      FlexService flex,
      FlexTokenService tokens) {
    this.authenticator = authenticator;
    this.accounts = accounts;
    this.flex = flex;
    this.tokens = tokens;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.post(MINT, this::mint);
    routes.post(TOKENS + "/validate", this::validate);
    routes.post(TOKENS + "/Info", this::info);
    // The Flex SDK's validateToken calls Info with fetch from the customer's page.
    routes.options(
        TOKENS + "/Info", ctx -> Cors.preflight(ctx, "POST", "Content-Type, Authorization"));
    routes.post(TOKENS + "/Revoke", this::revoke);
  }

  // ------------------------------------------------------------------------------- minting

  private void mint(Context ctx) {
    Principal caller = caller(ctx, Permission.FLEX_TOKENS_CREATE);
    FlexInstance instance = FlexRoutes.instance(ctx, caller, flex, accounts);
    FlexUser user = FlexRoutes.user(ctx, instance, flex);
    long ttl = FlexTokenService.DEFAULT_TTL;
    // The body is optional: no body at all means the default lifetime.
    if (!ctx.body().isBlank()) {
      Long asked = FlexRoutes.body(ctx, Set.of("ttl")).integer("ttl");
      ttl = asked == null ? ttl : asked;
    }
    FlexTokenService.Minted minted = tokens.mint(instance, user, ttl);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("access_token", minted.token());
    body.put("token_info", tokenInfo(minted.info()));
    // A bearer credential: no cache along the way may keep it.
    ctx.header("Cache-Control", "no-store").header("Pragma", "no-cache");
    FlexRoutes.send(ctx, 201, body);
  }

  /**
   * The {@code token_info} of a minted token, as the v4 mint and the single sign-on exchange answer
   * it (twilio-wire.md 9.2, 9.3).
   */
  public static Map<String, Object> tokenInfo(FlexTokenInfo info) {
    Map<String, Object> tokenInfo = new LinkedHashMap<>();
    tokenInfo.put("account_sid", info.accountSid().value());
    tokenInfo.put("expiration", FlexRoutes.iso(info.expiresAt()));
    tokenInfo.put("flex_instance_sid", info.instanceSid().value());
    tokenInfo.put("flex_user_sid", info.userSid().value());
    tokenInfo.put("identity", info.identity());
    tokenInfo.put("permissions", info.permissions());
    tokenInfo.put("roles", info.roles());
    tokenInfo.put("username", info.username());
    return tokenInfo;
  }

  // ---------------------------------------------------------------------------- validation

  private void validate(Context ctx) {
    Principal caller = caller(ctx, Permission.FLEX_TOKENS_VALIDATE);
    AccountSid account = visibleAccount(ctx, caller);
    String token = FlexRoutes.body(ctx, Set.of("token")).requiredText("token");
    Map<String, Object> body = new LinkedHashMap<>();
    switch (tokens.validate(token, account)) {
      case Validation.Valid(FlexTokenInfo info) -> {
        body.put("valid", true);
        body.put("code", 0);
        body.put("message", null);
        details(body, info);
      }
      case Validation.Invalid(FlexTokenService.Rejection reason) -> {
        body.put("valid", false);
        body.put("code", reason.code());
        body.put("message", reason.message());
        details(body, null);
      }
    }
    // 200 whatever the answer: the request itself succeeded, and the validator reads `valid`.
    FlexRoutes.send(ctx, 200, body);
  }

  /** The validator's fields: every key is always there, {@code null} for an invalid token. */
  private static void details(Map<String, Object> body, FlexTokenInfo info) {
    body.put("expiration", info == null ? null : FlexRoutes.iso(info.expiresAt()));
    body.put("realm_user_id", info == null ? null : info.username());
    body.put("identity", info == null ? null : info.identity());
    body.put("roles", info == null ? null : info.roles());
    body.put("worker_sid", info == null ? null : sid(info.workerSid()));
    body.put("account_sid", info == null ? null : info.accountSid().value());
    body.put("flex_instance_sid", info == null ? null : info.instanceSid().value());
    body.put("flex_user_sid", info == null ? null : info.userSid().value());
    body.put("permissions", info == null ? null : info.permissions());
    body.put("username", info == null ? null : info.username());
  }

  private void info(Context ctx) {
    Cors.allowAnyOrigin(ctx);
    Presented presented = presented(ctx, false);
    FlexTokenInfo info = requireValid(tokens.validate(presented.token(), presented.account()));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("account_sid", info.accountSid().value());
    body.put("flex_instance_sid", info.instanceSid().value());
    body.put("flex_user_sid", info.userSid().value());
    body.put("identity", info.identity());
    body.put("roles", info.roles());
    body.put("expiration", FlexRoutes.iso(info.expiresAt()));
    body.put("permissions", info.permissions());
    body.put("worker_sid", sid(info.workerSid()));
    body.put("realm_user_id", info.username());
    body.put("name_id", info.username());
    FlexRoutes.send(ctx, 200, body);
  }

  private void revoke(Context ctx) {
    Presented presented = presented(ctx, true);
    Validation outcome = tokens.revoke(presented.token(), presented.account());
    if (!FlexTokenService.alreadyRevoked(outcome)) {
      requireValid(outcome);
    }
    ctx.status(204);
  }

  /** A 401 with the token's Twilio code (20101 or 20104) unless it is valid. */
  private static FlexTokenInfo requireValid(Validation validation) {
    return switch (validation) {
      case Validation.Valid(FlexTokenInfo info) -> info;
      case Validation.Invalid(FlexTokenService.Rejection reason) ->
          throw new ApiException(new ApiError(reason.code(), 401, reason.message()));
    };
  }

  /**
   * The token a request is about and the account it must be of.
   *
   * @param token the token
   * @param account the account in the path
   */
  private record Presented(String token, AccountSid account) {}

  /**
   * Who asks about which token. Either the token authenticates itself (the SDK's {@code token:}
   * header; the path's account must then be the token's, which validation checks), or the caller
   * authenticates as the account or a key of it with {@link Permission#FLEX_TOKENS_VALIDATE}, and
   * the path's account must be its own or a subaccount (else 404). When both the header and the
   * body carry a token, they must be the same one (else 401/20003).
   */
  private Presented presented(Context ctx, boolean jsonToo) {
    String bearer = tokenCredential(ctx.header("Authorization"));
    AccountSid account;
    if (bearer == null) {
      account = visibleAccount(ctx, caller(ctx, Permission.FLEX_TOKENS_VALIDATE));
    } else {
      account = pathAccount(ctx);
    }
    String token = bodyToken(ctx, jsonToo);
    if (bearer != null) {
      if (bearer.isEmpty()
          || (token != null
              && !MessageDigest.isEqual(
                  token.getBytes(StandardCharsets.UTF_8),
                  bearer.getBytes(StandardCharsets.UTF_8)))) {
        throw new ApiException(ApiError.authenticate());
      }
      token = bearer;
    }
    if (token == null || token.isEmpty()) {
      throw new ApiException(ApiError.missingParameter("Token"));
    }
    return new Presented(token, account);
  }

  /**
   * The token of a {@code Basic base64("token:" + token)} header, with one trailing {@code )}
   * allowed (twilio-wire.md 0.6: the Flex SDK appends it); {@code null} for any other header.
   */
  static String tokenCredential(String header) {
    if (header == null || header.length() < 6 || !header.regionMatches(true, 0, "Basic ", 0, 6)) {
      return null;
    }
    String encoded = header.substring(6).strip();
    if (encoded.endsWith(")")) {
      encoded = encoded.substring(0, encoded.length() - 1);
    }
    String decoded;
    try {
      decoded = new String(Base64.getDecoder().decode(encoded), StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      return null;
    }
    return decoded.startsWith(TOKEN_USER) ? decoded.substring(TOKEN_USER.length()) : null;
  }

  /**
   * The {@code Token} field of a form (or, with {@code jsonToo}, the {@code token} member of a JSON
   * object), or {@code null} when there is no body.
   *
   * @throws ApiException 415/20415 for another content type, 400/20001 for an unknown or repeated
   *     field
   */
  private static String bodyToken(Context ctx, boolean jsonToo) {
    if (ctx.body().isEmpty()) {
      return null;
    }
    String media = WebRoutes.mediaType(ctx);
    if (jsonToo && media.equals(JSON)) {
      return JsonBody.parse(ctx.body(), Set.of("token")).text("token");
    }
    if (!media.equals(FORM)) {
      throw new ApiException(ApiError.unsupportedMediaType(jsonToo ? FORM + " or " + JSON : FORM));
    }
    // Fingerprint is sent by the Flex SDK and not used.
    Set<String> allowed = jsonToo ? Set.of("Token") : Set.of("Token", "Fingerprint");
    String token = null;
    for (Map.Entry<String, List<String>> field : ctx.formParamMap().entrySet()) {
      if (!allowed.contains(field.getKey())) {
        throw new ApiException(
            ApiError.invalidParameter(
                ApiError.printable(field.getKey()),
                "unknown parameter; expected one of " + allowed));
      }
      if (field.getValue().size() != 1) {
        throw new ApiException(ApiError.invalidParameter(field.getKey(), "given more than once"));
      }
      if (field.getKey().equals("Token")) {
        token = field.getValue().getFirst();
      }
    }
    return token;
  }

  // ------------------------------------------------------------------------------- helpers

  private Principal caller(Context ctx, Permission permission) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(permission);
    return caller;
  }

  /** The path's account if it is the caller's own or one of its subaccounts, else 404. */
  private AccountSid visibleAccount(Context ctx, Principal caller) {
    AccountSid account = pathAccount(ctx);
    return accounts
        .visibleTo(caller.account(), account)
        .map(a -> a.sid())
        .orElseThrow(() -> FlexRoutes.notFound(ctx));
  }

  /** The path's account SID, if well-formed, else 404. */
  private static AccountSid pathAccount(Context ctx) {
    String raw = ctx.pathParam("account");
    if (!Sids.isValid(AccountSid.PREFIX, raw)) {
      throw FlexRoutes.notFound(ctx);
    }
    return AccountSid.of(raw);
  }

  private static String sid(io.callsign.tokens.sid.Sid sid) {
    return sid == null ? null : sid.value();
  }
}
