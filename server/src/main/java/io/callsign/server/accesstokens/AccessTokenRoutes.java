package io.callsign.server.accesstokens;

import io.callsign.server.accesstokens.AccessTokenService.Introspection;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Routes;
import io.callsign.server.http.WebRoutes;
import io.callsign.tokens.VerifiedAccessToken;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.format.DateTimeFormatter;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The Access Token service for clients that do not embed the library: {@code POST /v1/AccessTokens}
 * mints a token, {@code POST /v1/AccessTokens/Introspect} says whether one is active (RFC 7662
 * style). Both take a Twilio-style form or a JSON object and need HTTP Basic authentication.
 */
public final class AccessTokenRoutes implements Routes {
  /** Minting. */
  public static final String MINT = "/v1/AccessTokens";

  /** Introspection. */
  public static final String INTROSPECT = "/v1/AccessTokens/Introspect";

  private static final String FORM = WebRoutes.FORM;
  private static final String JSON = "application/json";
  private static final Set<Param> INTROSPECT_PARAMS = EnumSet.of(Param.TOKEN);

  private final Authenticator authenticator;
  private final AccessTokenService tokens;

  /** Routes authenticating with {@code authenticator} and acting through {@code tokens}. */
  public AccessTokenRoutes(Authenticator authenticator, AccessTokenService tokens) {
    this.authenticator = authenticator;
    this.tokens = tokens;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.post(MINT, this::mint);
    routes.post(INTROSPECT, this::introspect);
  }

  private void mint(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    // A restricted key never may (twilio-wire.md 2.1): 403/70051.
    caller.require(Permission.ACCESS_TOKENS_CREATE);
    MintRequest request = MintRequest.from(params(ctx, MintRequest.PARAMS));
    AccessTokenService.Minted minted = tokens.mint(caller, request);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("token", minted.token());
    body.put("identity", minted.identity());
    body.put("key_sid", minted.keySid().value());
    body.put("expires_at", DateTimeFormatter.ISO_INSTANT.format(minted.expiresAt()));
    ctx.status(201).contentType(JSON).result(Json.write(body));
  }

  private void introspect(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.ACCESS_TOKENS_INTROSPECT);
    Params params = params(ctx, INTROSPECT_PARAMS);
    String token = params.text(Param.TOKEN);
    if (token == null || token.isEmpty()) {
      throw params.invalid(Param.TOKEN, "required: the Access Token to introspect");
    }
    Map<String, Object> body =
        switch (tokens.introspect(caller, token)) {
          case Introspection.Active active -> render(active.token());
          case Introspection.Inactive inactive -> {
            Map<String, Object> b = new LinkedHashMap<>();
            b.put("active", false);
            b.put("code", inactive.code());
            b.put("message", inactive.message());
            yield b;
          }
        };
    // 200 whatever the answer (RFC 7662 section 2.2): the request itself succeeded.
    ctx.contentType(JSON).result(Json.write(body));
  }

  private static Map<String, Object> render(VerifiedAccessToken t) {
    Map<String, Object> claims = t.claims();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("active", true);
    body.put("account_sid", t.accountSid());
    body.put("key_sid", t.keySid());
    body.put("identity", t.identity().orElse(null));
    body.put("jti", claims.get("jti"));
    body.put("iss", claims.get("iss"));
    body.put("sub", claims.get("sub"));
    if (claims.containsKey("iat")) {
      // twilio-node sets it; twilio-java and Callsign do not.
      body.put("iat", claims.get("iat"));
    }
    body.put("nbf", claims.get("nbf"));
    body.put("exp", claims.get("exp"));
    body.put("grants", t.grants());
    return body;
  }

  /**
   * The request's parameters, from a form or a JSON object.
   *
   * @throws ApiException 415/20415 for any other content type
   */
  private static Params params(Context ctx, Set<Param> allowed) {
    String media = WebRoutes.mediaType(ctx);
    return switch (media) {
      case FORM -> Params.form(ctx.formParamMap(), allowed);
      case JSON -> Params.json(ctx.body(), allowed);
      default -> throw new ApiException(ApiError.unsupportedMediaType(FORM + " or " + JSON));
    };
  }
}
