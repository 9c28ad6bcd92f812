package io.callsign.server.keys;

import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.CredentialCache;
import io.callsign.server.http.Json;
import io.callsign.server.http.PageRequest;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Rfc2822;
import io.callsign.server.http.Routes;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The v2010 Keys resource (twilio-wire.md 1.1). Keys created here are standard keys. */
public final class KeyRoutes implements Routes {
  private static final String BASE = "/2010-04-01/Accounts/";
  private static final String LIST = BASE + "{accountSid}/Keys.json";
  private static final String ONE = BASE + "{accountSid}/Keys/{sidJson}";
  private static final String SUFFIX = ".json";
  private static final String JSON = "application/json";
  private static final String FRIENDLY_NAME = "FriendlyName";

  private final Authenticator authenticator;
  private final AccountService accounts;
  private final KeyService keys;
  private final CredentialCache credentials;

  /**
   * Routes authenticating with {@code authenticator}, acting through {@code keys}, and reading
   * single keys through {@code credentials}.
   */
  public KeyRoutes(
      Authenticator authenticator,
      AccountService accounts,
      KeyService keys,
      CredentialCache credentials) {
    this.authenticator = authenticator;
    this.accounts = accounts;
    this.keys = keys;
    this.credentials = credentials;
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
    AccountSid account = authorize(ctx);
    String name = friendlyName(ctx);
    Key key = keys.create(account, name, KeyType.STANDARD, null);
    Map<String, Object> body = render(key);
    // The only response that ever carries the secret.
    body.put("secret", key.secret());
    ctx.status(201).contentType(JSON).result(Json.write(body));
  }

  private void list(Context ctx) {
    AccountSid account = authorize(ctx);
    PageRequest req = PageRequest.parse(ctx::queryParam);
    KeyPage page = keys.page(account, after(req), req.page(), req.pageSize());
    String base = BASE + account.value() + "/Keys.json";
    List<Key> items = page.keys();
    long start = req.page() * req.pageSize();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("keys", items.stream().map(KeyRoutes::render).toList());
    body.put("first_page_uri", PageRequest.uri(base, req.pageSize(), 0, null));
    body.put(
        "next_page_uri",
        page.hasNext()
            ? PageRequest.uri(
                base,
                req.pageSize(),
                req.page() + 1,
                PageRequest.NEXT + items.getLast().sid().value())
            : null);
    // The previous page is addressed by number: the clients treat the token as opaque, and a
    // PageToken that is not "PA<sid>" falls back to Page.
    body.put(
        "previous_page_uri",
        req.page() > 0 && !items.isEmpty()
            ? PageRequest.uri(
                base,
                req.pageSize(),
                req.page() - 1,
                PageRequest.PREVIOUS + items.getFirst().sid().value())
            : null);
    body.put("uri", PageRequest.uri(base, req.pageSize(), req.page(), req.token()));
    body.put("page", req.page());
    body.put("page_size", req.pageSize());
    body.put("start", start);
    body.put("end", items.isEmpty() ? start : start + items.size() - 1);
    ctx.contentType(JSON).result(Json.write(body));
  }

  private void fetch(Context ctx) {
    AccountSid account = authorize(ctx);
    // From the authentication cache: fetching a key is as hot as using it (changes made on this
    // node show at once, those of other nodes within the cache's second).
    Key key =
        credentials
            .key(keySid(ctx))
            .filter(k -> k.accountSid().equals(account))
            .orElseThrow(() -> notFound(ctx));
    ctx.contentType(JSON).result(Json.write(render(key)));
  }

  private void update(Context ctx) {
    AccountSid account = authorize(ctx);
    KeySid sid = keySid(ctx);
    String name = friendlyName(ctx);
    Key key = keys.update(account, sid, name, null).orElseThrow(() -> notFound(ctx));
    ctx.contentType(JSON).result(Json.write(render(key)));
  }

  private void delete(Context ctx) {
    AccountSid account = authorize(ctx);
    if (!keys.delete(account, keySid(ctx))) {
      throw notFound(ctx);
    }
    ctx.status(204);
  }

  /**
   * Authenticates the caller, requires a credential that may manage keys, and returns the path's
   * account, which must be the caller's own or one of its subaccounts. Any other account, and a
   * malformed SID, does not exist for the caller (404), so accounts cannot be probed.
   */
  private AccountSid authorize(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.CREDENTIALS_MANAGE);
    String raw = ctx.pathParam("accountSid");
    if (!Sids.isValid(AccountSid.PREFIX, raw)) {
      throw notFound(ctx);
    }
    return accounts
        .visibleTo(caller.account(), AccountSid.of(raw))
        .map(Account::sid)
        .orElseThrow(() -> notFound(ctx));
  }

  private static KeySid keySid(Context ctx) {
    String segment = ctx.pathParam("sidJson");
    String sid =
        segment.endsWith(SUFFIX) ? segment.substring(0, segment.length() - SUFFIX.length()) : "";
    if (!Sids.isValid(KeySid.PREFIX, sid)) {
      throw notFound(ctx);
    }
    return KeySid.of(sid);
  }

  /** The {@code FriendlyName} form field, at most 64 characters (else 400/20002), or null. */
  static String friendlyName(Context ctx) {
    String name = ctx.formParam(FRIENDLY_NAME);
    if (name != null && name.length() > KeyService.MAX_FRIENDLY_NAME) {
      throw new ApiException(ApiError.invalidFriendlyName());
    }
    return name;
  }

  private static ApiException notFound(Context ctx) {
    return new ApiException(ApiError.notFound(ctx.path()));
  }

  /** The v2010 {@code Key} representation, without the secret. */
  static Map<String, Object> render(Key k) {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sid", k.sid().value());
    body.put("friendly_name", k.friendlyName());
    body.put("date_created", Rfc2822.format(k.dateCreated()));
    body.put("date_updated", Rfc2822.format(k.dateUpdated()));
    return body;
  }

  /** The key a {@code PA<sid>} page token continues after, else {@code null} (page by number). */
  static KeySid after(PageRequest req) {
    String sid = req.after();
    return sid != null && Sids.isValid(KeySid.PREFIX, sid) ? KeySid.of(sid) : null;
  }
}
