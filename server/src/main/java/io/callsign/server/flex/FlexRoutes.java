package io.callsign.server.flex;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.JsonBody;
import io.callsign.server.http.PageRequest;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Routes;
import io.callsign.server.http.WebRoutes;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.Sids;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Flex v4 instances, users and roles (twilio-wire.md 9.2): JSON bodies, snake_case fields, ISO-8601
 * dates, HTTP Basic authentication by the instance's account (or its parent account).
 */
public final class FlexRoutes implements Routes {
  private static final String CONFIGURATION = "/v1/Configuration";
  private static final String INSTANCES = "/v4/Instances";
  private static final String INSTANCE = INSTANCES + "/{instance}";
  private static final String USERS = INSTANCE + "/Users";
  private static final String USER = USERS + "/{user}";
  private static final String ROLES = INSTANCE + "/Roles";
  private static final String ROLE = ROLES + "/{role}";
  private static final String JSON = "application/json";
  private static final String NEXT = "N";
  private static final String PREVIOUS = "P";
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final Set<String> PROVISION =
      Set.of("username", "email", "full_name", "roles", "worker", "locale");
  private static final Set<String> UPDATE =
      Set.of("email", "full_name", "roles", "worker", "locale");
  private static final Set<String> WORKER = Set.of("attributes");
  private static final Set<String> ROLE_FIELDS = Set.of("name", "permissions", "grants");

  private final Authenticator authenticator;
  private final AccountService accounts;
  private final FlexService flex;

  /** Routes authenticating with {@code authenticator} and acting through {@code flex}. */
  public FlexRoutes(Authenticator authenticator, AccountService accounts, FlexService flex) {
    this.authenticator = authenticator;
    this.accounts = accounts;
    this.flex = flex;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.get(CONFIGURATION, this::configuration);
    routes.get(INSTANCES, this::listInstances);
    routes.get(INSTANCE, this::fetchInstance);
    routes.post(INSTANCE, this::updateInstance);
    // The fixed paths before the {user} one.
    routes.post(USERS + "/Provision", this::provision);
    routes.post(USERS + "/Deprovision", this::deprovision);
    routes.get(USERS, this::listUsers);
    routes.get(USER, this::fetchUser);
    routes.post(USER, this::updateUser);
    routes.get(ROLES, this::listRoles);
    routes.post(ROLES, this::createRole);
    routes.get(ROLE, this::fetchRole);
    routes.post(ROLE, this::updateRole);
    routes.delete(ROLE, this::deleteRole);
  }

  // ------------------------------------------------------------------------------ instances

  /**
   * Flex v1 Configuration (twilio-oai flex v1, FetchConfiguration) for the caller's own account:
   * how twilio-java and twilio-node find the account's Flex instance and workspace. Only the fields
   * Callsign has a value for are filled; the clients read every other one as null.
   */
  private void configuration(Context ctx) {
    Principal caller = caller(ctx, Permission.FLEX_USERS_READ);
    FlexInstance i = flex.instanceOf(caller.account().sid()).orElseThrow(() -> notFound(ctx));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("account_sid", i.accountSid().value());
    body.put("date_created", iso(i.dateCreated()));
    body.put("date_updated", iso(i.dateUpdated()));
    body.put("attributes", Map.of());
    body.put("status", "ok");
    body.put("taskrouter_workspace_sid", i.workspaceSid().value());
    body.put("flex_instance_sid", i.sid().value());
    body.put("flex_service_instance_sid", null);
    body.put("url", WebRoutes.origin(ctx) + CONFIGURATION);
    send(ctx, 200, body);
  }

  private void listInstances(Context ctx) {
    Principal caller = caller(ctx, Permission.FLEX_USERS_READ);
    List<Map<String, Object>> items =
        accounts.listFamily(caller.account().sid(), null, null).stream()
            .map(a -> flex.instanceOf(a.sid()))
            .flatMap(Optional::stream)
            .map(i -> render(ctx, i))
            .toList();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("instances", items);
    body.put("meta", tokenMeta("instances", items.size(), null, null));
    send(ctx, 200, body);
  }

  private void fetchInstance(Context ctx) {
    send(ctx, 200, render(ctx, instance(ctx, caller(ctx, Permission.FLEX_USERS_READ))));
  }

  private void updateInstance(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_MANAGE));
    JsonBody body = body(ctx, Set.of("token_server_ttl"));
    Long ttl = body.integer("token_server_ttl");
    if (ttl != null) {
      instance = flex.setTokenTtl(instance, ttl);
    }
    send(ctx, 200, render(ctx, instance));
  }

  private static Map<String, Object> render(Context ctx, FlexInstance i) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sid", i.sid().value());
    body.put("account_sid", i.accountSid().value());
    body.put("workspace_sid", i.workspaceSid().value());
    body.put("token_server_ttl", i.tokenTtl());
    body.put("created_date", iso(i.dateCreated()));
    body.put("updated_date", iso(i.dateUpdated()));
    body.put("url", WebRoutes.origin(ctx) + INSTANCES + "/" + i.sid().value());
    return body;
  }

  // ---------------------------------------------------------------------------------- users

  private void provision(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_MANAGE));
    JsonBody body = body(ctx, PROVISION);
    JsonBody worker = body.object("worker", WORKER);
    if (worker == null) {
      throw new ApiException(ApiError.missingParameter("worker"));
    }
    FlexService.Provisioned p =
        flex.provision(
            instance,
            new FlexService.Provision(
                body.requiredText("username"),
                body.requiredText("email"),
                body.requiredText("full_name"),
                body.texts("roles"),
                attributes(worker),
                body.text("locale")));
    // 201 when created; 200 when an existing user was brought up to date (idempotent).
    send(ctx, p.created() ? 201 : 200, render(ctx, instance, p.user()));
  }

  private void deprovision(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_MANAGE));
    JsonBody body = body(ctx, Set.of("flex_user_sid"));
    String raw = body.requiredText("flex_user_sid");
    if (!Sids.isValid(FlexUserSid.PREFIX, raw)
        || !flex.deprovision(instance, FlexUserSid.of(raw))) {
      throw new ApiException(
          ApiError.notFound(INSTANCES + "/" + instance.sid().value() + "/Users/" + raw));
    }
    ctx.status(204);
  }

  private void listUsers(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_READ));
    int pageSize = PageRequest.parse(ctx::queryParam).pageSize();
    String username = ctx.queryParam("Username");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("account_sid", instance.accountSid().value());
    body.put("instance_sid", instance.sid().value());
    if (username != null) {
      List<Map<String, Object>> users =
          flex.userByUsername(instance, username).stream()
              .map(u -> render(ctx, instance, u))
              .toList();
      body.put("users", users);
      body.put("meta", tokenMeta("users", pageSize, null, null));
      send(ctx, 200, body);
      return;
    }
    String token = ctx.queryParam("PageToken");
    String after = cursor(token, NEXT);
    String before = cursor(token, PREVIOUS);
    FlexService.UserPage page = flex.users(instance, after, before, pageSize);
    List<FlexUser> users = page.users();
    body.put("users", users.stream().map(u -> render(ctx, instance, u)).toList());
    body.put(
        "meta",
        tokenMeta(
            "users",
            pageSize,
            page.hasNext() && !users.isEmpty() ? token(NEXT, users.getLast()) : null,
            page.hasPrevious() && !users.isEmpty() ? token(PREVIOUS, users.getFirst()) : null));
    send(ctx, 200, body);
  }

  private void fetchUser(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_READ));
    send(ctx, 200, render(ctx, instance, user(ctx, instance)));
  }

  private void updateUser(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_MANAGE));
    FlexUser current = user(ctx, instance);
    JsonBody body = body(ctx, UPDATE);
    JsonBody worker = body.object("worker", WORKER);
    FlexUser updated =
        flex.update(
                instance,
                current.sid(),
                new FlexService.Update(
                    body.text("email"),
                    body.text("full_name"),
                    body.texts("roles"),
                    worker == null ? null : attributes(worker),
                    body.text("locale")))
            .orElseThrow(() -> notFound(ctx));
    send(ctx, 200, render(ctx, instance, updated));
  }

  /** The user in the path, if it belongs to the instance, else 404. */
  static FlexUser user(Context ctx, FlexInstance instance, FlexService flex) {
    String raw = ctx.pathParam("user");
    if (!Sids.isValid(FlexUserSid.PREFIX, raw)) {
      throw notFound(ctx);
    }
    return flex.user(instance, FlexUserSid.of(raw)).orElseThrow(() -> notFound(ctx));
  }

  private FlexUser user(Context ctx, FlexInstance instance) {
    return user(ctx, instance, flex);
  }

  private static String attributes(JsonBody worker) {
    JsonNode attributes = worker.anyObject("attributes");
    return attributes == null ? null : Json.write(attributes);
  }

  private static Map<String, Object> render(Context ctx, FlexInstance instance, FlexUser u) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("account_sid", u.accountSid().value());
    body.put("instance_sid", u.instanceSid().value());
    body.put("flex_user_sid", u.sid().value());
    body.put("user_sid", null);
    body.put("flex_team_sid", null);
    body.put("username", u.username());
    body.put("email", u.email());
    body.put("full_name", u.fullName());
    body.put("locale", u.locale());
    body.put("roles", u.roles());
    Map<String, Object> worker = new LinkedHashMap<>();
    worker.put("worker_sid", u.workerSid() == null ? null : u.workerSid().value());
    worker.put("workspace_sid", instance.workspaceSid().value());
    worker.put("attributes", readTree(u.workerAttributes()));
    body.put("worker", worker);
    Map<String, Object> teams = new LinkedHashMap<>();
    teams.put("team_member", null);
    teams.put("team_owner", null);
    body.put("teams", teams);
    body.put("has_password", u.passwordHash() != null);
    body.put("deactivated", u.deactivated());
    body.put("created_date", iso(u.dateCreated()));
    body.put("updated_date", iso(u.dateUpdated()));
    body.put("deactivated_date", u.deactivatedDate() == null ? null : iso(u.deactivatedDate()));
    body.put("version", u.version());
    body.put(
        "url",
        WebRoutes.origin(ctx)
            + INSTANCES
            + "/"
            + u.instanceSid().value()
            + "/Users/"
            + u.sid().value());
    return body;
  }

  private static JsonNode readTree(String json) {
    try {
      return MAPPER.readTree(json);
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException("stored worker attributes are not JSON", e);
    }
  }

  // ---------------------------------------------------------------------------------- roles

  private void listRoles(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_READ));
    List<Map<String, Object>> roles =
        flex.roles(instance).stream().map(r -> render(ctx, instance, r)).toList();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("roles", roles);
    body.put("meta", tokenMeta("roles", roles.size(), null, null));
    send(ctx, 200, body);
  }

  private void createRole(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_MANAGE));
    JsonBody body = body(ctx, ROLE_FIELDS);
    FlexRole role =
        flex.createRole(
            instance,
            body.text("name"),
            body.texts("permissions"),
            RoleGrants.parse(body, "grants"));
    send(ctx, 201, render(ctx, instance, role));
  }

  private void fetchRole(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_READ));
    FlexRole role = flex.role(instance, ctx.pathParam("role")).orElseThrow(() -> notFound(ctx));
    send(ctx, 200, render(ctx, instance, role));
  }

  private void updateRole(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_MANAGE));
    JsonBody body = body(ctx, Set.of("permissions", "grants"));
    FlexRole role =
        flex.updateRole(
                instance,
                ctx.pathParam("role"),
                body.texts("permissions"),
                RoleGrants.parse(body, "grants"))
            .orElseThrow(() -> notFound(ctx));
    send(ctx, 200, render(ctx, instance, role));
  }

  private void deleteRole(Context ctx) {
    FlexInstance instance = instance(ctx, caller(ctx, Permission.FLEX_USERS_MANAGE));
    if (!flex.deleteRole(instance, ctx.pathParam("role"))) {
      throw notFound(ctx);
    }
    ctx.status(204);
  }

  private static Map<String, Object> render(Context ctx, FlexInstance instance, FlexRole r) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("name", r.name());
    body.put("instance_sid", instance.sid().value());
    body.put("built_in", r.builtIn());
    body.put("permissions", r.permissionCodes());
    body.put("grants", r.grants().toJson());
    body.put("created_date", r.dateCreated() == null ? null : iso(r.dateCreated()));
    body.put("updated_date", r.dateUpdated() == null ? null : iso(r.dateUpdated()));
    body.put(
        "url",
        WebRoutes.origin(ctx) + INSTANCES + "/" + instance.sid().value() + "/Roles/" + r.name());
    return body;
  }

  // -------------------------------------------------------------------------------- helpers

  private Principal caller(Context ctx, Permission permission) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(permission);
    return caller;
  }

  /**
   * The path's instance if it belongs to the caller's account or one of its subaccounts, else 404
   * (so that instances of other accounts cannot be probed).
   */
  static FlexInstance instance(
      Context ctx, Principal caller, FlexService flex, AccountService accounts) {
    String raw = ctx.pathParam("instance");
    if (!Sids.isValid(FlexInstanceSid.PREFIX, raw)) {
      throw notFound(ctx);
    }
    return flex.instance(FlexInstanceSid.of(raw))
        .filter(i -> accounts.visibleTo(caller.account(), i.accountSid()).isPresent())
        .orElseThrow(() -> notFound(ctx));
  }

  private FlexInstance instance(Context ctx, Principal caller) {
    return instance(ctx, caller, flex, accounts);
  }

  /**
   * The request's JSON object body.
   *
   * @throws ApiException 415/20415 unless it is {@code application/json}
   */
  static JsonBody body(Context ctx, Set<String> allowed) {
    String media = WebRoutes.mediaType(ctx);
    if (!media.equals(JSON)) {
      throw new ApiException(ApiError.unsupportedMediaType(JSON));
    }
    return JsonBody.parse(ctx.body(), allowed);
  }

  static void send(Context ctx, int status, Object body) {
    ctx.status(status).contentType(JSON).result(Json.write(body));
  }

  static String iso(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t);
  }

  static ApiException notFound(Context ctx) {
    return new ApiException(ApiError.notFound(ctx.path()));
  }

  /** The v4 token-style paging envelope (twilio-wire.md 9.2). */
  private static Map<String, Object> tokenMeta(
      String key, int pageSize, String next, String previous) {
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("direct_token", true);
    meta.put("list_key", key);
    meta.put("next_token", next);
    meta.put("page_size", pageSize);
    meta.put("previous_token", previous);
    return meta;
  }

  // Page tokens are opaque to clients: a direction letter and the base64url of a username key.
  private static String token(String direction, FlexUser edge) {
    return direction
        + Base64.getUrlEncoder()
            .withoutPadding()
            .encodeToString(
                FlexService.usernameKey(edge.username()).getBytes(StandardCharsets.UTF_8));
  }

  private static String cursor(String token, String direction) {
    if (token == null || !token.startsWith(direction)) {
      if (token != null && !token.startsWith(NEXT) && !token.startsWith(PREVIOUS)) {
        throw new ApiException(ApiError.invalidParameter("PageToken"));
      }
      return null;
    }
    try {
      return new String(
          Base64.getUrlDecoder().decode(token.substring(direction.length())),
          StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new ApiException(ApiError.invalidParameter("PageToken"));
    }
  }
}
