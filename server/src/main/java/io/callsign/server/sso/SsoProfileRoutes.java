package io.callsign.server.sso;

import io.callsign.server.accounts.AccountService;
import io.callsign.server.flex.FlexInstance;
import io.callsign.server.flex.FlexService;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.JsonBody;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Routes;
import io.callsign.server.http.WebRoutes;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.Sids;
import io.callsign.tokens.sid.SsoProfileSid;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * SSO profiles over the REST API (a Callsign addition shaped like the Flex v4 resources): JSON
 * bodies, snake_case fields, ISO-8601 dates, HTTP Basic authentication by the instance's account
 * (or its parent), {@link Permission#SSO_PROFILES_READ} to read and {@link
 * Permission#SSO_PROFILES_MANAGE} to change. The client secret is write-only: answers say only
 * {@code client_secret_set}.
 *
 * <ul>
 *   <li>{@code GET|POST /v4/Instances/{GO}/SsoProfiles}: list (200), create (201);
 *   <li>{@code GET|POST|DELETE /v4/Instances/{GO}/SsoProfiles/{JQ}}: fetch, update (partial),
 *       delete (204).
 * </ul>
 */
public final class SsoProfileRoutes implements Routes {
  private static final String INSTANCES = "/v4/Instances";
  private static final String PROFILES = INSTANCES + "/{instance}/SsoProfiles";
  private static final String PROFILE = PROFILES + "/{profile}";
  private static final String JSON = "application/json";
  private static final Set<String> FIELDS =
      Set.of(
          "friendly_name",
          "issuer",
          "client_id",
          "client_secret",
          "scopes",
          "username_claim",
          "email_claim",
          "full_name_claim",
          "roles_claim",
          "default_role",
          "redirect_urls",
          "active",
          "app_type");

  private final Authenticator authenticator;
  private final AccountService accounts;
  private final FlexService flex;
  private final SsoProfileService profiles;

  /** Routes authenticating with {@code authenticator} and acting through {@code profiles}. */
  public SsoProfileRoutes(
      Authenticator authenticator,
      AccountService accounts,
      FlexService flex,
      SsoProfileService profiles) {
    this.authenticator = authenticator;
    this.accounts = accounts;
    this.flex = flex;
    this.profiles = profiles;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.get(PROFILES, this::list);
    routes.post(PROFILES, this::create);
    routes.get(PROFILE, this::fetch);
    routes.post(PROFILE, this::update);
    routes.delete(PROFILE, this::delete);
  }

  private void list(Context ctx) {
    FlexInstance instance = instance(ctx, Permission.SSO_PROFILES_READ);
    List<Map<String, Object>> items =
        profiles.profiles(instance).stream().map(p -> render(ctx, p)).toList();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("direct_token", true);
    meta.put("list_key", "sso_profiles");
    meta.put("next_token", null);
    meta.put("page_size", items.size());
    meta.put("previous_token", null);
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sso_profiles", items);
    body.put("meta", meta);
    send(ctx, 200, body);
  }

  private void create(Context ctx) {
    FlexInstance instance = instance(ctx, Permission.SSO_PROFILES_MANAGE);
    send(ctx, 201, render(ctx, profiles.create(instance, fields(body(ctx)))));
  }

  private void fetch(Context ctx) {
    FlexInstance instance = instance(ctx, Permission.SSO_PROFILES_READ);
    send(ctx, 200, render(ctx, profile(ctx, instance)));
  }

  private void update(Context ctx) {
    FlexInstance instance = instance(ctx, Permission.SSO_PROFILES_MANAGE);
    SsoProfile current = profile(ctx, instance);
    SsoProfile updated =
        profiles
            .update(instance, current.sid(), fields(body(ctx)))
            .orElseThrow(() -> notFound(ctx));
    send(ctx, 200, render(ctx, updated));
  }

  private void delete(Context ctx) {
    FlexInstance instance = instance(ctx, Permission.SSO_PROFILES_MANAGE);
    if (!profiles.delete(instance, profile(ctx, instance).sid())) {
      throw notFound(ctx);
    }
    ctx.status(204);
  }

  private static SsoProfileService.Fields fields(JsonBody body) {
    return new SsoProfileService.Fields(
        body.text("friendly_name"),
        body.text("issuer"),
        body.text("client_id"),
        body.text("client_secret"),
        body.texts("scopes"),
        body.text("username_claim"),
        body.text("email_claim"),
        body.text("full_name_claim"),
        body.text("roles_claim"),
        body.text("default_role"),
        body.texts("redirect_urls"),
        body.bool("active"),
        body.text("app_type"));
  }

  private static Map<String, Object> render(Context ctx, SsoProfile p) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sid", p.sid().value());
    body.put("account_sid", p.accountSid().value());
    body.put("instance_sid", p.instanceSid().value());
    body.put("friendly_name", p.friendlyName());
    body.put("issuer", p.issuer());
    body.put("client_id", p.clientId());
    body.put("client_secret_set", p.clientSecret() != null);
    body.put("scopes", p.scopes());
    body.put("username_claim", p.usernameClaim());
    body.put("email_claim", p.emailClaim());
    body.put("full_name_claim", p.fullNameClaim());
    body.put("roles_claim", p.rolesClaim());
    body.put("default_role", p.defaultRole());
    body.put("redirect_urls", p.redirectUrls());
    body.put("active", p.active());
    body.put("app_type", p.appType());
    // What to register at the provider as the redirect URI.
    body.put("callback_url", SsoLoginRoutes.callbackUrl(ctx).toString());
    body.put("version", p.version());
    body.put("created_date", iso(p.dateCreated()));
    body.put("updated_date", iso(p.dateUpdated()));
    body.put(
        "url",
        WebRoutes.origin(ctx)
            + INSTANCES
            + "/"
            + p.instanceSid().value()
            + "/SsoProfiles/"
            + p.sid().value());
    return body;
  }

  /**
   * The path's instance if it belongs to the caller's account or one of its subaccounts, and the
   * caller holds {@code permission}; else 404 (so that other accounts' instances cannot be probed).
   */
  private FlexInstance instance(Context ctx, Permission permission) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(permission);
    String raw = ctx.pathParam("instance");
    if (!Sids.isValid(FlexInstanceSid.PREFIX, raw)) {
      throw notFound(ctx);
    }
    return flex.instance(FlexInstanceSid.of(raw))
        .filter(i -> accounts.visibleTo(caller.account(), i.accountSid()).isPresent())
        .orElseThrow(() -> notFound(ctx));
  }

  private SsoProfile profile(Context ctx, FlexInstance instance) {
    String raw = ctx.pathParam("profile");
    if (!Sids.isValid(SsoProfileSid.PREFIX, raw)) {
      throw notFound(ctx);
    }
    return profiles.profile(instance, SsoProfileSid.of(raw)).orElseThrow(() -> notFound(ctx));
  }

  private static JsonBody body(Context ctx) {
    if (!WebRoutes.mediaType(ctx).equals(JSON)) {
      throw new ApiException(ApiError.unsupportedMediaType(JSON));
    }
    return JsonBody.parse(ctx.body(), FIELDS);
  }

  private static ApiException notFound(Context ctx) {
    return new ApiException(ApiError.notFound(ctx.path()));
  }

  private static void send(Context ctx, int status, Object body) {
    ctx.status(status).contentType(JSON).result(Json.write(body));
  }

  private static String iso(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t);
  }
}
