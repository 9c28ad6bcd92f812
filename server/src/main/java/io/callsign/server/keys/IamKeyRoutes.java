package io.callsign.server.keys;

import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.PageRequest;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Rfc2822;
import io.callsign.server.http.Routes;
import io.callsign.server.http.WebRoutes;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The IAM v1 Keys resource (twilio-wire.md 2.1): keys of every type, restricted ones with a policy.
 * Only credentials that may manage keys (auth token, main key) use it.
 */
public final class IamKeyRoutes implements Routes {
  private static final String LIST = "/v1/Keys";
  private static final String ONE = LIST + "/{sid}";
  private static final String JSON = "application/json";
  private static final String ACCOUNT_SID = "AccountSid";
  private static final String KEY_TYPE = "KeyType";
  private static final String POLICY = "Policy";
  // What a key may be used for, as Twilio's list items report it.
  private static final List<String> SIGNING_FLAGS = List.of("rest_api", "signing");
  private static final List<String> REST_FLAGS = List.of("rest_api");

  private final Authenticator authenticator;
  private final AccountService accounts;
  private final KeyService keys;

  /** Routes authenticating with {@code authenticator} and acting through {@code keys}. */
  public IamKeyRoutes(Authenticator authenticator, AccountService accounts, KeyService keys) {
    this.authenticator = authenticator;
    this.accounts = accounts;
    this.keys = keys;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.post(LIST, this::create);
    routes.get(LIST, this::list);
    routes.get(ONE, this::fetch);
    routes.post(ONE, this::update);
    routes.delete(ONE, this::delete);
  }

  private void create(Context ctx) {
    Principal caller = manager(ctx);
    AccountSid account = account(caller, ctx.formParam(ACCOUNT_SID));
    String name = KeyRoutes.friendlyName(ctx);
    KeyType type = keyType(ctx.formParam(KEY_TYPE));
    String policyParam = ctx.formParam(POLICY);
    Policy policy = policyParam == null ? null : Policy.parse(policyParam);
    if (type == KeyType.RESTRICTED && policy == null) {
      throw new ApiException(ApiError.invalidParameter(POLICY, "required for a restricted key"));
    }
    if (type != KeyType.RESTRICTED && policy != null) {
      throw new ApiException(ApiError.invalidParameter(POLICY, "only a restricted key has one"));
    }
    Key key = keys.create(account, name, type, policy);
    Map<String, Object> body = render(key);
    // The only response that ever carries the secret.
    body.put("secret", key.secret());
    ctx.status(201).contentType(JSON).result(Json.write(body));
  }

  private void list(Context ctx) {
    Principal caller = manager(ctx);
    AccountSid account = account(caller, ctx.queryParam(ACCOUNT_SID));
    PageRequest req = PageRequest.parse(ctx::queryParam);
    KeyPage page = keys.page(account, KeyRoutes.after(req), req.page(), req.pageSize());
    List<Key> items = page.keys();
    String base = WebRoutes.origin(ctx) + LIST + "?" + ACCOUNT_SID + "=" + account.value();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("page", req.page());
    meta.put("page_size", req.pageSize());
    meta.put("first_page_url", PageRequest.uri(base, req.pageSize(), 0, null));
    meta.put(
        "previous_page_url",
        req.page() > 0 && !items.isEmpty()
            ? PageRequest.uri(
                base,
                req.pageSize(),
                req.page() - 1,
                PageRequest.PREVIOUS + items.getFirst().sid().value())
            : null);
    meta.put("url", PageRequest.uri(base, req.pageSize(), req.page(), req.token()));
    meta.put(
        "next_page_url",
        page.hasNext()
            ? PageRequest.uri(
                base,
                req.pageSize(),
                req.page() + 1,
                PageRequest.NEXT + items.getLast().sid().value())
            : null);
    meta.put("key", "keys");
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("keys", items.stream().map(IamKeyRoutes::renderListItem).toList());
    body.put("meta", meta);
    ctx.contentType(JSON).result(Json.write(body));
  }

  private void fetch(Context ctx) {
    Key key = visibleKey(ctx, manager(ctx));
    ctx.contentType(JSON).result(Json.write(render(key)));
  }

  private void update(Context ctx) {
    Key key = visibleKey(ctx, manager(ctx));
    String name = KeyRoutes.friendlyName(ctx);
    String policyParam = ctx.formParam(POLICY);
    Policy policy = policyParam == null ? null : Policy.parse(policyParam);
    if (policy != null && key.type() != KeyType.RESTRICTED) {
      throw new ApiException(ApiError.invalidParameter(POLICY, "only a restricted key has one"));
    }
    Key updated =
        keys.update(key.accountSid(), key.sid(), name, policy).orElseThrow(() -> notFound(ctx));
    ctx.contentType(JSON).result(Json.write(render(updated)));
  }

  private void delete(Context ctx) {
    Key key = visibleKey(ctx, manager(ctx));
    if (!keys.delete(key.accountSid(), key.sid())) {
      throw notFound(ctx);
    }
    ctx.status(204);
  }

  private Principal manager(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.CREDENTIALS_MANAGE);
    return caller;
  }

  /**
   * The {@code AccountSid} parameter: required, and the caller's own account or a subaccount.
   * Another account is refused like a malformed SID, so that accounts cannot be probed.
   */
  private AccountSid account(Principal caller, String raw) {
    if (raw == null || raw.isEmpty()) {
      throw new ApiException(ApiError.missingParameter(ACCOUNT_SID));
    }
    if (!Sids.isValid(AccountSid.PREFIX, raw)) {
      throw new ApiException(ApiError.invalidParameter(ACCOUNT_SID));
    }
    return accounts
        .visibleTo(caller.account(), AccountSid.of(raw))
        .map(Account::sid)
        .orElseThrow(() -> new ApiException(ApiError.invalidParameter(ACCOUNT_SID)));
  }

  /** The path's key if it belongs to the caller's account or a subaccount, else 404. */
  private Key visibleKey(Context ctx, Principal caller) {
    String raw = ctx.pathParam("sid");
    if (!Sids.isValid(KeySid.PREFIX, raw)) {
      throw notFound(ctx);
    }
    return keys.find(KeySid.of(raw))
        .filter(k -> accounts.visibleTo(caller.account(), k.accountSid()).isPresent())
        .orElseThrow(() -> notFound(ctx));
  }

  private static KeyType keyType(String raw) {
    if (raw == null) {
      return KeyType.STANDARD;
    }
    for (KeyType t : KeyType.values()) {
      if (t.wire().equals(raw)) {
        return t;
      }
    }
    throw new ApiException(
        ApiError.invalidParameter(KEY_TYPE, "one of standard, main, restricted"));
  }

  private static ApiException notFound(Context ctx) {
    return new ApiException(ApiError.notFound(ctx.path()));
  }

  /** The v1 {@code ApiKey} representation: dates in RFC 2822, the policy or {@code null}. */
  private static Map<String, Object> render(Key k) {
    Map<String, Object> body = base(k);
    body.put("policy", k.policy() == null ? null : Map.of("allow", k.policy().allow()));
    return body;
  }

  /** A list item: flags instead of the policy. */
  private static Map<String, Object> renderListItem(Key k) {
    Map<String, Object> body = base(k);
    body.put("flags", k.type() == KeyType.RESTRICTED ? REST_FLAGS : SIGNING_FLAGS);
    return body;
  }

  private static Map<String, Object> base(Key k) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sid", k.sid().value());
    body.put("friendly_name", k.friendlyName());
    body.put("date_created", Rfc2822.format(k.dateCreated()));
    body.put("date_updated", Rfc2822.format(k.dateUpdated()));
    return body;
  }
}
