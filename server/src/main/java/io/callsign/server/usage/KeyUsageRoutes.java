package io.callsign.server.usage;

import io.callsign.server.accounts.AccountService;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.Authenticator;
import io.callsign.server.http.Json;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.http.Routes;
import io.callsign.server.http.WebRoutes;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.Policy;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * API-key usage beside IAM v1 Keys: {@code GET /v1/Keys/{SK}/Usage} and {@code GET
 * /v1/Keys/{SK}/SuggestedPolicy}, each with {@code Days} (1 to 90, default 30). Callers need {@link
 * Permission#KEY_USAGE_READ}; a key of an account that is neither theirs nor a subaccount is not
 * found. Dates are ISO-8601 UTC, days {@code yyyy-MM-dd} (UTC).
 */
public final class KeyUsageRoutes implements Routes {
  private static final String ONE = "/v1/Keys/{sid}";
  private static final String USAGE = ONE + "/Usage";
  private static final String SUGGESTED_POLICY = ONE + "/SuggestedPolicy";
  private static final String JSON = "application/json";
  private static final String DAYS = "Days";

  private final Authenticator authenticator;
  private final AccountService accounts;
  private final KeyService keys;
  private final KeyUsageService usage;

  /**
   * Routes authenticating with {@code authenticator} and reading keys' usage from {@code usage}.
   */
  public KeyUsageRoutes(
      Authenticator authenticator,
      AccountService accounts,
      KeyService keys,
      KeyUsageService usage) {
    this.authenticator = authenticator;
    this.accounts = accounts;
    this.keys = keys;
    this.usage = usage;
  }

  @Override
  public void addTo(RoutesConfig routes) {
    routes.get(USAGE, this::usage);
    routes.get(SUGGESTED_POLICY, this::suggestedPolicy);
  }

  private void usage(Context ctx) {
    Key key = visibleKey(ctx);
    KeyUsageReport r = usage.usage(key, days(ctx));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("account_sid", r.accountSid().value());
    body.put("key_sid", r.keySid().value());
    body.put("window_days", r.windowDays());
    body.put("start_date", r.startDate().toString());
    body.put("end_date", r.endDate().toString());
    body.put("last_used_date", iso(r.lastUsed()));
    body.put("last_used_ip_address", r.lastUsedAddress());
    body.put("requests", r.requests());
    body.put("distinct_ip_addresses", r.distinctAddresses());
    body.put(
        "ip_addresses",
        r.addresses().stream()
            .map(
                a -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("ip_address", a.ipAddress());
                  m.put("first_seen_date", iso(a.firstSeen()));
                  m.put("last_seen_date", iso(a.lastSeen()));
                  m.put("requests", a.requests());
                  return m;
                })
            .toList());
    body.put(
        "days",
        r.days().stream()
            .map(
                d -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("date", d.date().toString());
                  m.put("requests", d.requests());
                  m.put("distinct_ip_addresses", d.distinctAddresses());
                  return m;
                })
            .toList());
    body.put("url", WebRoutes.origin(ctx) + ctx.path());
    ctx.contentType(JSON).result(Json.write(body));
  }

  private void suggestedPolicy(Context ctx) {
    Key key = visibleKey(ctx);
    PolicySuggestion s = usage.suggestPolicy(key, days(ctx));
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("account_sid", s.accountSid().value());
    body.put("key_sid", s.keySid().value());
    body.put("key_type", s.keyType().wire());
    body.put("window_days", s.windowDays());
    body.put(
        "permissions_used",
        s.permissionsUsed().stream()
            .map(
                u -> {
                  Map<String, Object> m = new LinkedHashMap<>();
                  m.put("permission", u.permission());
                  m.put("grantable_by_policy", u.grantable());
                  m.put("requests", u.requests());
                  m.put("last_used_date", iso(u.lastUsed()));
                  return m;
                })
            .toList());
    body.put("least_key_type", s.leastKeyType() == null ? null : s.leastKeyType().wire());
    body.put("suggested_policy", policy(s.suggestedPolicy()));
    body.put("current_policy", policy(s.currentPolicy()));
    body.put("unused_permissions", s.unusedPermissions());
    body.put("unobserved_permissions", s.unobservedPermissions());
    body.put("explanation", s.explanation());
    body.put("url", WebRoutes.origin(ctx) + ctx.path());
    ctx.contentType(JSON).result(Json.write(body));
  }

  /**
   * The path's key when the caller may read usage and the key belongs to its account or a
   * subaccount. The permission is checked first, so that a caller without it learns nothing of
   * which keys exist.
   */
  private Key visibleKey(Context ctx) {
    Principal caller = authenticator.authenticate(ctx.header("Authorization"));
    caller.require(Permission.KEY_USAGE_READ);
    String raw = ctx.pathParam("sid");
    if (!Sids.isValid(KeySid.PREFIX, raw)) {
      throw notFound(ctx);
    }
    return keys.find(KeySid.of(raw))
        .filter(k -> accounts.visibleTo(caller.account(), k.accountSid()).isPresent())
        .orElseThrow(() -> notFound(ctx));
  }

  private static int days(Context ctx) {
    String raw = ctx.queryParam(DAYS);
    if (raw == null) {
      return KeyUsageService.DEFAULT_DAYS;
    }
    try {
      int n = Integer.parseInt(raw);
      if (n >= 1 && n <= KeyUsageService.MAX_DAYS) {
        return n;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ApiException(
        ApiError.invalidParameter(DAYS, "a whole number from 1 to " + KeyUsageService.MAX_DAYS));
  }

  private static Map<String, Object> policy(Policy p) {
    return p == null ? null : Map.of("allow", p.allow());
  }

  // ISO-8601 UTC to the second, as the v1 APIs send dates.
  private static String iso(Instant t) {
    return t == null
        ? null
        : DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
  }

  private static ApiException notFound(Context ctx) {
    return new ApiException(ApiError.notFound(ctx.path()));
  }
}
