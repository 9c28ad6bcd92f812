package io.callsign.server.accounts;

import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Rfc2822;
import io.callsign.server.http.Routes;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.Sids;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The v2010 Accounts resource: the caller's account and its subaccounts (twilio-wire.md 1.3). */
public final class AccountRoutes implements Routes {
  private static final String BASE = "/2010-04-01/Accounts/";
  private static final String SUFFIX = ".json";
  private static final String LIST = "/2010-04-01/Accounts.json";
  private static final String JSON = "application/json";
  private static final String FRIENDLY_NAME = "FriendlyName";
  private static final String STATUS = "Status";
  private static final int MAX_FRIENDLY_NAME = 64;
  private static final DateTimeFormatter DEFAULT_NAME_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd hh:mm a", Locale.ENGLISH).withZone(ZoneOffset.UTC);

  private final Authenticator authenticator;
  private final AccountService accounts;
  private final Clock clock;

  /** Routes authenticating with {@code authenticator} and acting through {@code accounts}. */
  public AccountRoutes(Authenticator authenticator, AccountService accounts, Clock clock) {
    this.authenticator = authenticator;
    this.accounts = accounts;
    this.clock = clock;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.post(LIST, this::create);
    routes.get(LIST, this::list);
    // One path segment "AC....json": the suffix is stripped here rather than in the route pattern.
    routes.get(BASE + "{sidJson}", this::fetch);
    routes.post(BASE + "{sidJson}", this::update);
  }

  private void fetch(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.ACCOUNTS_READ);
    Account target = visible(ctx, caller);
    // A standard or restricted key may read the account but not manage its credentials, so it
    // does not get the auth token, which would let it do everything.
    boolean showToken = caller.holds(Permission.CREDENTIALS_MANAGE);
    ctx.contentType(JSON).result(Json.write(render(target, showToken)));
  }

  private void create(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.CREDENTIALS_MANAGE);
    Account own = caller.account();
    if (!own.isMain()) {
      // Twilio has one level of subaccounts.
      throw new ApiException(ApiError.ofStatus(403, "A subaccount cannot create subaccounts"));
    }
    String name = friendlyName(ctx);
    if (name == null || name.isBlank()) {
      name = defaultName(clock.instant());
    }
    Account sub = accounts.createSubaccount(own.sid(), name);
    ctx.status(201).contentType(JSON).result(Json.write(render(sub, true)));
  }

  private void list(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.ACCOUNTS_READ);
    String name = ctx.queryParam(FRIENDLY_NAME);
    String statusParam = ctx.queryParam(STATUS);
    AccountStatus status = statusParam == null ? null : status(statusParam);
    int pageSize = (int) number(ctx.queryParam("PageSize"), "PageSize", 50, 1, 1000);
    long page = number(ctx.queryParam("Page"), "Page", 0, 0, 1_000_000);
    List<Account> all = accounts.listFamily(caller.account().sid(), name, status);
    long start = page * pageSize;
    List<Account> items =
        all.subList(
            (int) Math.min(start, all.size()), (int) Math.min(start + pageSize, all.size()));
    boolean hasNext = start + pageSize < all.size();
    boolean showToken = caller.holds(Permission.CREDENTIALS_MANAGE);
    StringBuilder filters = new StringBuilder();
    if (name != null) {
      filters.append("FriendlyName=").append(encode(name)).append('&');
    }
    if (statusParam != null) {
      filters.append("Status=").append(encode(statusParam)).append('&');
    }
    String base = LIST + "?" + filters + "PageSize=" + pageSize + "&Page=";
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("accounts", items.stream().map(a -> render(a, showToken)).toList());
    body.put("end", items.isEmpty() ? start : start + items.size() - 1);
    body.put("first_page_uri", base + 0);
    body.put("next_page_uri", hasNext ? base + (page + 1) : null);
    body.put("page", page);
    body.put("page_size", pageSize);
    body.put("previous_page_uri", page > 0 ? base + (page - 1) : null);
    body.put("start", start);
    body.put("uri", base + page);
    ctx.contentType(JSON).result(Json.write(body));
  }

  private void update(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.CREDENTIALS_MANAGE);
    Account target = visible(ctx, caller);
    String name = friendlyName(ctx);
    String statusParam = ctx.formParam(STATUS);
    AccountStatus status = statusParam == null ? target.status() : status(statusParam);
    if (target.status() == AccountStatus.CLOSED) {
      throw new ApiException(ApiError.accountClosed());
    }
    boolean parent = target.ownerAccountSid().equals(caller.account().sid()) && !target.isMain();
    if (status != target.status() && !parent) {
      // Only the parent changes a subaccount's status; an account suspending or closing itself
      // would lock itself out, with nobody left to reopen it.
      throw new ApiException(ApiError.invalidParameter(STATUS));
    }
    Account updated =
        accounts
            .update(target, name == null ? target.friendlyName() : name, status)
            .orElseThrow(() -> new ApiException(ApiError.accountClosed()));
    ctx.contentType(JSON).result(Json.write(render(updated, true)));
  }

  /**
   * The path's account if the caller may see it: its own, or one of its subaccounts. Anything else,
   * a parent or a sibling included, does not exist for it (404), so accounts cannot be probed.
   */
  private Account visible(Context ctx, Principal caller) {
    return accounts
        .visibleTo(caller.account(), pathSid(ctx))
        .orElseThrow(() -> new ApiException(ApiError.notFound(ctx.path())));
  }

  private static String friendlyName(Context ctx) {
    String name = ctx.formParam(FRIENDLY_NAME);
    if (name != null && name.length() > MAX_FRIENDLY_NAME) {
      throw new ApiException(ApiError.invalidFriendlyName());
    }
    return name;
  }

  private static AccountStatus status(String value) {
    try {
      return AccountStatus.fromWire(value);
    } catch (IllegalArgumentException e) {
      throw new ApiException(ApiError.invalidParameter(STATUS));
    }
  }

  private static long number(String value, String name, long dflt, long min, long max) {
    if (value == null) {
      return dflt;
    }
    try {
      long n = Long.parseLong(value);
      if (n >= min && n <= max) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiException(ApiError.invalidParameter(name));
  }

  private static String encode(String value) {
    return URLEncoder.encode(value, StandardCharsets.UTF_8);
  }

  /** Twilio's default: {@code SubAccount Created at 2024-05-01 03:07 pm} (UTC). */
  static String defaultName(Instant now) {
    return "SubAccount Created at " + DEFAULT_NAME_TIME.format(now).toLowerCase(Locale.ROOT);
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
