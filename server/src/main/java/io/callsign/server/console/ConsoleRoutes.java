package io.callsign.server.console;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import gg.jte.ContentType;
import gg.jte.TemplateEngine;
import gg.jte.output.StringOutput;
import io.callsign.server.accesstokens.AccessTokenService;
import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountService;
import io.callsign.server.audit.AuditEvent;
import io.callsign.server.audit.AuditStore;
import io.callsign.server.audit.EventDates;
import io.callsign.server.flex.FlexInstance;
import io.callsign.server.flex.FlexRole;
import io.callsign.server.flex.FlexService;
import io.callsign.server.flex.FlexTokenService;
import io.callsign.server.flex.FlexUser;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.CredentialKind;
import io.callsign.server.http.Json;
import io.callsign.server.http.Principal;
import io.callsign.server.http.RequestContext;
import io.callsign.server.http.Routes;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyType;
import io.callsign.server.keys.Policy;
import io.callsign.server.sso.SsoProfile;
import io.callsign.server.sso.SsoProfileService;
import io.callsign.server.usage.KeyUsageStore;
import io.callsign.tokens.Jwt;
import io.callsign.tokens.JwtDecodeException;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import io.callsign.tokens.sid.SsoProfileSid;
import io.javalin.config.RoutesConfig;
import io.javalin.http.Context;
import io.javalin.http.HttpStatus;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The web console's pages (docs/design/0015-console.md): server-rendered jte templates with htmx
 * where it helps, working without script too. The only class of the console that sees HTTP.
 *
 * <p>Every page is sent with {@code Cache-Control: no-store}, a strict Content-Security-Policy
 * ({@code frame-ancestors 'none'}, scripts and styles from this origin only) and no referrer. Every
 * form carries a CSRF token: the session's once signed in, a double-submit cookie's before.
 */
public final class ConsoleRoutes implements Routes {
  /** The session cookie: {@code __Host-} keeps it to this origin, over HTTPS (or localhost). */
  public static final String SESSION_COOKIE = "__Host-callsign-console";

  /** A secret on its way from a POST to the page that shows it once, sealed to the session. */
  public static final String ONCE_COOKIE = "__Host-callsign-once";

  /** The sign-in form's CSRF cookie, before there is a session. */
  public static final String FORM_COOKIE = "__Host-callsign-form";

  private static final String CSP =
      "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
          + " connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";
  private static final String GENERIC_SIGN_IN_FAILURE =
      "Sign-in failed. Check the email address and password, and try again in a moment.";
  private static final String CODE_FAILURE =
      "That code was not accepted. Wait for the next code, or use a recovery code.";
  private static final DateTimeFormatter SHOWN =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm 'UTC'").withZone(ZoneOffset.UTC);
  private static final DateTimeFormatter EVENT_TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
  private static final ObjectMapper PRETTY =
      new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final int AUDIT_PAGE = 50;
  private static final Map<String, String> DONE =
      Map.of(
          "promoted", "The secondary token is now the auth token.",
          "secondary-deleted", "The secondary auth token was deleted.",
          "key-revoked", "The key was revoked.",
          "user-provisioned", "The Flex user was provisioned.",
          "user-updated", "The Flex user's roles were saved.",
          "user-deactivated", "The Flex user was deactivated.",
          "sso-updated", "The single sign-on profile was saved.",
          "password-changed", "Password changed. Every other session was signed out.",
          "signed-out", "You are signed out.");

  private final ConsoleService console;
  private final AccountService accounts;
  private final KeyService keys;
  private final KeyUsageStore keyUsage;
  private final FlexService flex;
  private final FlexTokenService flexTokens;
  private final SsoProfileService ssoProfiles;
  private final AuditStore auditStore;
  private final AccessTokenService accessTokens;
  private final TemplateEngine templates = TemplateEngine.createPrecompiled(ContentType.Html);
  private final Map<String, Asset> assets;

  /** The console over these services. */
  public ConsoleRoutes(
      ConsoleService console,
      AccountService accounts,
      KeyService keys,
      KeyUsageStore keyUsage,
      FlexService flex,
      FlexTokenService flexTokens,
      SsoProfileService ssoProfiles,
      AuditStore auditStore,
      AccessTokenService accessTokens) {
    this.console = console;
    this.accounts = accounts;
    this.keys = keys;
    this.keyUsage = keyUsage;
    this.flex = flex;
    this.flexTokens = flexTokens;
    this.ssoProfiles = ssoProfiles;
    this.auditStore = auditStore;
    this.accessTokens = accessTokens;
    this.assets =
        Map.of(
            "console.css", Asset.of("console/assets/console.css", "text/css"),
            "console.js", Asset.of("console/assets/console.js", "text/javascript"),
            "htmx.min.js",
                Asset.of(
                    "META-INF/resources/webjars/htmx.org/2.0.10/dist/htmx.min.js",
                    "text/javascript"));
  }

  @Override
  public void addTo(RoutesConfig r) {
    r.get("/console", ctx -> ctx.redirect("/console/dashboard", HttpStatus.SEE_OTHER));
    r.get("/console/assets/{name}", this::asset);
    r.get("/console/sign-in", this::signInPage);
    r.post("/console/sign-in", this::signIn);
    r.get("/console/sign-up/{token}", this::signUpPage);
    r.post("/console/sign-up/{token}", this::signUp);
    r.get("/console/mfa", ctx -> secondFactor(ctx, false, this::mfaPage));
    r.post("/console/mfa", ctx -> secondFactor(ctx, true, this::mfa));
    r.get("/console/mfa/enrol", ctx -> secondFactor(ctx, false, this::enrolPage));
    r.post("/console/mfa/enrol", ctx -> secondFactor(ctx, true, this::enrol));
    r.post("/console/sign-out", this::signOut);
    sessionRoutes(r, "/console/dashboard", this::dashboard, null);
    sessionRoutes(r, "/console/auth-token/reveal", null, this::reveal);
    sessionRoutes(r, "/console/auth-token/secondary", null, this::createSecondary);
    sessionRoutes(r, "/console/auth-token/promote", null, this::promote);
    sessionRoutes(r, "/console/auth-token/secondary/delete", null, this::deleteSecondary);
    sessionRoutes(r, "/console/keys", this::keysPage, this::createKey);
    sessionRoutes(r, "/console/keys/{sid}/revoke", this::revokePage, this::revoke);
    sessionRoutes(r, "/console/flex-users", this::flexUsersPage, this::provision);
    sessionRoutes(r, "/console/flex-users/{sid}/roles", null, this::setRoles);
    sessionRoutes(r, "/console/flex-users/{sid}/deactivate", null, this::deactivate);
    sessionRoutes(r, "/console/flex-users/{sid}/token", null, this::testToken);
    sessionRoutes(r, "/console/sso", this::ssoPage, null);
    sessionRoutes(r, "/console/sso/{sid}/active", null, this::setSsoActive);
    sessionRoutes(r, "/console/audit", this::auditPage, null);
    sessionRoutes(r, "/console/inspector", this::inspectorPage, this::inspect);
    sessionRoutes(r, "/console/security", this::securityPage, null);
    sessionRoutes(r, "/console/security/password", null, this::changePassword);
    sessionRoutes(r, "/console/security/recovery-codes", null, this::regenerateCodes);
  }

  // ------------------------------------------------------------------------- plumbing

  /** A handler of the console's pages, given the browser's live session. */
  private interface SessionHandler {
    void handle(Context ctx, ConsoleService.Current current) throws Exception;
  }

  // GET and POST of a signed-in page: the session must be signed in, and a POST must carry the
  // session's CSRF token and come from this origin.
  private void sessionRoutes(RoutesConfig r, String path, SessionHandler get, SessionHandler post) {
    if (get != null) {
      r.get(path, ctx -> signedIn(ctx, false, get));
    }
    if (post != null) {
      r.post(path, ctx -> signedIn(ctx, true, post));
    }
  }

  private void signedIn(Context ctx, boolean post, SessionHandler page) throws Exception {
    secure(ctx);
    ConsoleService.Current current = currentSession(ctx).orElse(null);
    if (current == null || !current.signedIn()) {
      toSignIn(ctx);
      return;
    }
    if (post && !sameSession(ctx, current)) {
      forbidden(ctx);
      return;
    }
    RequestContext.actingConsoleUser(current.user().sid().value());
    page.handle(ctx, current);
  }

  // The second-factor pages: open to a session whose password passed and second factor not yet.
  private void secondFactor(Context ctx, boolean post, SessionHandler page) throws Exception {
    secure(ctx);
    ConsoleService.Current current = currentSession(ctx).orElse(null);
    if (current == null) {
      toSignIn(ctx);
      return;
    }
    if (current.signedIn()) {
      ctx.redirect("/console/dashboard", HttpStatus.SEE_OTHER);
      return;
    }
    if (post && !sameSession(ctx, current)) {
      forbidden(ctx);
      return;
    }
    page.handle(ctx, current);
  }

  private Optional<ConsoleService.Current> currentSession(Context ctx) {
    return console.session(ctx.cookie(SESSION_COOKIE));
  }

  private static boolean sameSession(Context ctx, ConsoleService.Current current) {
    String sent = ctx.header("X-CSRF-Token");
    if (sent == null) {
      sent = ctx.formParam("csrf");
    }
    return sameOrigin(ctx) && equal(sent, current.csrfToken());
  }

  // Defence in depth beside the tokens and SameSite=Strict: a browser says where a request comes
  // from. Fetch metadata first (every current browser sends it, and it survives proxies); without
  // it, the Origin's host must be the Host this request was sent to (the scheme is not compared:
  // behind a TLS-terminating proxy the browser's origin is https and this hop is http).
  private static boolean sameOrigin(Context ctx) {
    String site = ctx.header("Sec-Fetch-Site");
    if (site != null) {
      return site.equals("same-origin") || site.equals("none");
    }
    String origin = ctx.header("Origin");
    if (origin == null) {
      return true;
    }
    try {
      URI o = URI.create(origin);
      return o.getRawAuthority() != null && o.getRawAuthority().equalsIgnoreCase(ctx.host());
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private static boolean equal(String a, String b) {
    return a != null
        && b != null
        && MessageDigest.isEqual(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));
  }

  private static void secure(Context ctx) {
    ctx.header("Cache-Control", "no-store");
    ctx.header("Content-Security-Policy", CSP);
    ctx.header("X-Frame-Options", "DENY");
    // Not no-referrer: with it, browsers send "Origin: null" on form posts, and the origin check
    // below needs the real one. same-origin still keeps URLs (a sign-up link) from other sites.
    ctx.header("Referrer-Policy", "same-origin");
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.header("Cross-Origin-Opener-Policy", "same-origin");
  }

  private static void toSignIn(Context ctx) {
    if (ctx.header("HX-Request") != null) {
      ctx.header("HX-Redirect", "/console/sign-in");
      ctx.status(401);
      return;
    }
    ctx.redirect("/console/sign-in", HttpStatus.SEE_OTHER);
  }

  private void forbidden(Context ctx) {
    render(
        ctx,
        403,
        "console/message.jte",
        Map.of(
            "page",
            bare("Form expired", null)
                .withError("This form has expired or came from another site. Reload the page.")));
  }

  private void setSession(Context ctx, ConsoleService.Opened opened) {
    ctx.res()
        .addHeader(
            "Set-Cookie",
            SESSION_COOKIE
                + "="
                + opened.cookieId()
                + "; Path=/; Secure; HttpOnly; SameSite=Strict");
  }

  // Post/redirect/get for secrets shown once: a reload of the page repeats a GET, not the creation.
  private void showOnceAfterRedirect(
      Context ctx, ConsoleService.Current c, Map<String, String> shown, String location) {
    ctx.res()
        .addHeader(
            "Set-Cookie",
            ONCE_COOKIE
                + "="
                + console.sealForDisplay(c, Json.write(shown))
                + "; Path=/; Max-Age=120; Secure; HttpOnly; SameSite=Strict");
    ctx.redirect(location, HttpStatus.SEE_OTHER);
  }

  // What the POST before sealed for this page, once: the cookie is cleared as it is read.
  private Map<String, String> shownOnce(Context ctx, ConsoleService.Current c, String kind) {
    String sealed = ctx.cookie(ONCE_COOKIE);
    if (sealed == null) {
      return null;
    }
    ctx.res()
        .addHeader(
            "Set-Cookie", ONCE_COOKIE + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
    Map<String, String> shown =
        console.openForDisplay(c, sealed).map(ConsoleRoutes::readStrings).orElse(null);
    return shown != null && kind.equals(shown.get("kind")) ? shown : null;
  }

  private static Map<String, String> readStrings(String json) {
    try {
      Map<String, String> out = new HashMap<>();
      PRETTY.readTree(json).properties().forEach(e -> out.put(e.getKey(), e.getValue().asText()));
      return out;
    } catch (IOException e) {
      return null;
    }
  }

  private static void clearSession(Context ctx) {
    ctx.res()
        .addHeader(
            "Set-Cookie",
            SESSION_COOKIE + "=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
  }

  // The sign-in and sign-up forms' CSRF token: a random cookie that the form echoes. Another site
  // can neither read the cookie nor (SameSite) make the browser send it.
  private static String formToken(Context ctx) {
    String token = ctx.cookie(FORM_COOKIE);
    if (token == null || !token.matches("[A-Za-z0-9_-]{43}")) {
      byte[] b = new byte[32];
      RANDOM.nextBytes(b);
      token = Base64.getUrlEncoder().withoutPadding().encodeToString(b);
      ctx.res()
          .addHeader(
              "Set-Cookie",
              FORM_COOKIE + "=" + token + "; Path=/; Secure; HttpOnly; SameSite=Strict");
    }
    return token;
  }

  private static boolean formTokenMatches(Context ctx) {
    return sameOrigin(ctx) && equal(ctx.formParam("csrf"), ctx.cookie(FORM_COOKIE));
  }

  private void render(Context ctx, int status, String template, Map<String, Object> params) {
    StringOutput out = new StringOutput();
    templates.render(template, params, out);
    ctx.status(status).contentType("text/html; charset=utf-8").result(out.toString());
  }

  private static Views.Page bare(String title, String csrf) {
    return new Views.Page(title, null, null, null, csrf, null, null);
  }

  private static Views.Page page(Context ctx, ConsoleService.Current c, String title, String nav) {
    String done = ctx.queryParam("done");
    return new Views.Page(
        title,
        nav,
        c.user().email(),
        c.user().accountSid().value(),
        c.csrfToken(),
        done == null ? null : DONE.get(done),
        null);
  }

  private static Map<String, Object> params(Object... pairs) {
    Map<String, Object> m = new HashMap<>();
    for (int i = 0; i < pairs.length; i += 2) {
      m.put((String) pairs[i], pairs[i + 1]);
    }
    return m;
  }

  private static String iso(Instant at) {
    return at == null ? "" : DateTimeFormatter.ISO_INSTANT.format(at);
  }

  private static String shown(Instant at) {
    return at == null ? null : SHOWN.format(at);
  }

  private static String form(Context ctx, String name) {
    String v = ctx.formParam(name);
    return v == null ? "" : v.strip();
  }

  private record Asset(byte[] bytes, String type) {
    static Asset of(String resource, String type) {
      try (InputStream in = ConsoleRoutes.class.getClassLoader().getResourceAsStream(resource)) {
        if (in == null) {
          throw new IllegalStateException("missing console asset " + resource);
        }
        return new Asset(in.readAllBytes(), type);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private void asset(Context ctx) {
    Asset a = assets.get(ctx.pathParam("name"));
    if (a == null) {
      ctx.status(404).result("");
      return;
    }
    ctx.header("Cache-Control", "public, max-age=3600");
    ctx.header("X-Content-Type-Options", "nosniff");
    ctx.contentType(a.type() + "; charset=utf-8").result(a.bytes());
  }

  // --------------------------------------------------------------------------- sign-in

  private void signInPage(Context ctx) {
    secure(ctx);
    if (currentSession(ctx).filter(ConsoleService.Current::signedIn).isPresent()) {
      ctx.redirect("/console/dashboard", HttpStatus.SEE_OTHER);
      return;
    }
    Views.Page p = bare("Sign in", formToken(ctx));
    String done = ctx.queryParam("done");
    if (done != null && DONE.containsKey(done)) {
      p = p.withNotice(DONE.get(done));
    }
    renderSignIn(ctx, 200, p, "");
  }

  private void renderSignIn(Context ctx, int status, Views.Page p, String email) {
    render(
        ctx,
        status,
        "console/sign-in.jte",
        params("page", p, "email", email, "insecure", insecure(ctx)));
  }

  // Plain HTTP to a host other than this machine: browsers drop Secure cookies there. Only a hint
  // on the page, so a proxy's X-Forwarded-Proto may silence it.
  private static boolean insecure(Context ctx) {
    if (!ctx.scheme().equals("http") || "https".equals(ctx.header("X-Forwarded-Proto"))) {
      return false;
    }
    String host = ctx.host() == null ? "" : ctx.host();
    return !(host.startsWith("localhost") || host.startsWith("127.") || host.startsWith("[::1]"));
  }

  private void signIn(Context ctx) {
    secure(ctx);
    String email = form(ctx, "email");
    if (!formTokenMatches(ctx)) {
      renderSignIn(
          ctx,
          403,
          bare("Sign in", formToken(ctx)).withError("This form has expired. Please try again."),
          email);
      return;
    }
    ConsoleService.Outcome outcome = console.signIn(email, ctx.formParam("password"), ctx.ip());
    switch (outcome) {
      case ConsoleService.Passed(ConsoleService.Opened opened) -> {
        setSession(ctx, opened);
        ConsoleUser user = console.session(opened.cookieId()).orElseThrow().user();
        ctx.redirect(
            user.mfaEnrolled() ? "/console/mfa" : "/console/mfa/enrol", HttpStatus.SEE_OTHER);
      }
      case ConsoleService.Throttled(var retryAfter) -> {
        ctx.header("Retry-After", Long.toString(retryAfter.toSeconds()));
        renderSignIn(
            ctx, 429, bare("Sign in", formToken(ctx)).withError(GENERIC_SIGN_IN_FAILURE), email);
      }
      case ConsoleService.Failed f ->
          renderSignIn(
              ctx, 401, bare("Sign in", formToken(ctx)).withError(GENERIC_SIGN_IN_FAILURE), email);
    }
  }

  private void signUpPage(Context ctx) {
    secure(ctx);
    String token = ctx.pathParam("token");
    Optional<ConsoleUser> user = console.signUpUser(token);
    if (user.isEmpty()) {
      linkNotValid(ctx);
      return;
    }
    render(
        ctx,
        200,
        "console/sign-up.jte",
        params(
            "page", bare("Set up your console account", formToken(ctx)),
            "email", user.get().email(),
            "token", token));
  }

  private void linkNotValid(Context ctx) {
    render(
        ctx,
        404,
        "console/message.jte",
        Map.of(
            "page",
            bare("Sign-up link not valid", null)
                .withError(
                    "This sign-up link was used already or has expired. Ask an administrator for"
                        + " a new one (callsign console-user add).")));
  }

  private void signUp(Context ctx) {
    secure(ctx);
    String token = ctx.pathParam("token");
    Optional<ConsoleUser> user = console.signUpUser(token);
    if (user.isEmpty()) {
      linkNotValid(ctx);
      return;
    }
    Views.Page p = bare("Set up your console account", formToken(ctx));
    if (!formTokenMatches(ctx)) {
      render(
          ctx,
          403,
          "console/sign-up.jte",
          params(
              "page", p.withError("This form has expired. Please try again."),
              "email", user.get().email(),
              "token", token));
      return;
    }
    try {
      Optional<ConsoleService.Opened> opened = console.signUp(token, ctx.formParam("password"));
      if (opened.isEmpty()) {
        linkNotValid(ctx);
        return;
      }
      setSession(ctx, opened.get());
      ctx.redirect("/console/mfa/enrol", HttpStatus.SEE_OTHER);
    } catch (ApiException e) {
      render(
          ctx,
          400,
          "console/sign-up.jte",
          params(
              "page", p.withError(e.error().message()),
              "email", user.get().email(),
              "token", token));
    }
  }

  private void mfaPage(Context ctx, ConsoleService.Current c) {
    if (!c.user().mfaEnrolled()) {
      ctx.redirect("/console/mfa/enrol", HttpStatus.SEE_OTHER);
      return;
    }
    render(ctx, 200, "console/mfa.jte", Map.of("page", bare("Two-factor sign-in", c.csrfToken())));
  }

  private void mfa(Context ctx, ConsoleService.Current c) {
    ConsoleService.SecondFactor result =
        console.verifySecondFactor(c, ctx.formParam("code"), ctx.ip());
    secondFactorResult(ctx, c, result, "console/mfa.jte", "Two-factor sign-in");
  }

  private void enrolPage(Context ctx, ConsoleService.Current c) {
    if (c.user().mfaEnrolled()) {
      ctx.redirect("/console/mfa", HttpStatus.SEE_OTHER);
      return;
    }
    renderEnrol(ctx, 200, bare("Set up two-factor sign-in", c.csrfToken()), c);
  }

  private void renderEnrol(Context ctx, int status, Views.Page p, ConsoleService.Current c) {
    ConsoleService.Enrolment e = console.enrolment(c);
    String grouped = e.secret().replaceAll("(.{4})(?!$)", "$1 ");
    render(
        ctx,
        status,
        "console/enrol.jte",
        params("page", p, "enrol", new Views.Enrol(QrCodes.svg(e.uri()), grouped)));
  }

  private void enrol(Context ctx, ConsoleService.Current c) {
    if (c.user().mfaEnrolled()) {
      ctx.redirect("/console/mfa", HttpStatus.SEE_OTHER);
      return;
    }
    ConsoleService.SecondFactor result =
        console.confirmEnrolment(c, ctx.formParam("code"), ctx.ip());
    secondFactorResult(ctx, c, result, "console/enrol.jte", "Set up two-factor sign-in");
  }

  private void secondFactorResult(
      Context ctx,
      ConsoleService.Current c,
      ConsoleService.SecondFactor result,
      String template,
      String title) {
    switch (result) {
      case ConsoleService.SecondFactorPassed(ConsoleService.SignedIn signedIn) -> {
        setSession(ctx, signedIn.session());
        if (signedIn.recoveryCodes().isEmpty()) {
          ctx.redirect("/console/dashboard", HttpStatus.SEE_OTHER);
        } else {
          render(
              ctx,
              200,
              "console/recovery-codes.jte",
              params(
                  "page",
                  bare("Save your recovery codes", signedIn.session().session().csrfToken()),
                  "codes",
                  signedIn.recoveryCodes(),
                  "next",
                  "/console/dashboard"));
        }
      }
      case ConsoleService.SecondFactorThrottled(var retryAfter) -> {
        ctx.header("Retry-After", Long.toString(retryAfter.toSeconds()));
        failedSecondFactor(ctx, 429, c, template, title);
      }
      case ConsoleService.SecondFactorFailed f -> failedSecondFactor(ctx, 401, c, template, title);
    }
  }

  private void failedSecondFactor(
      Context ctx, int status, ConsoleService.Current c, String template, String title) {
    Views.Page p = bare(title, c.csrfToken()).withError(CODE_FAILURE);
    if (template.equals("console/enrol.jte")) {
      renderEnrol(ctx, status, p, c);
    } else {
      render(ctx, status, template, Map.of("page", p));
    }
  }

  private void signOut(Context ctx) {
    secure(ctx);
    ConsoleService.Current current = currentSession(ctx).orElse(null);
    if (current != null) {
      if (!sameSession(ctx, current)) {
        forbidden(ctx);
        return;
      }
      console.signOut(current);
    }
    clearSession(ctx);
    ctx.redirect("/console/sign-in?done=signed-out", HttpStatus.SEE_OTHER);
  }

  // --------------------------------------------------------------------------- dashboard

  private void dashboard(Context ctx, ConsoleService.Current c) {
    Map<String, String> created = shownOnce(ctx, c, "secondary-token");
    Views.Page p = page(ctx, c, "Dashboard", "dashboard");
    renderDashboard(
        ctx,
        200,
        created == null ? p : p.withNotice("Secondary auth token created."),
        c,
        created == null ? null : created.get("token"),
        null);
  }

  private void renderDashboard(
      Context ctx,
      int status,
      Views.Page p,
      ConsoleService.Current c,
      String newSecondary,
      String revealed) {
    Account a = accounts.find(c.user().accountSid()).orElseThrow();
    render(
        ctx,
        status,
        "console/dashboard.jte",
        params(
            "page",
            p,
            "d",
            new Views.Dashboard(
                a.sid().value(),
                a.friendlyName(),
                a.status().name().toLowerCase(java.util.Locale.ROOT),
                shown(a.dateCreated()),
                shown(a.secondaryDateCreated()),
                newSecondary,
                revealed)));
  }

  private void reveal(Context ctx, ConsoleService.Current c) {
    boolean htmx = ctx.header("HX-Request") != null;
    Views.Page p = page(ctx, c, "Dashboard", "dashboard");
    if (!console.reconfirm(c, ctx.formParam("code"), ctx.ip())) {
      if (htmx) {
        render(
            ctx,
            200,
            "console/auth-token.jte",
            params("page", p, "revealed", null, "error", CODE_FAILURE));
      } else {
        renderDashboard(ctx, 401, p.withError(CODE_FAILURE), c, null, null);
      }
      return;
    }
    Account a = accounts.find(c.user().accountSid()).orElseThrow();
    console.recordAction(c, "console.auth-token.revealed", "The auth token was revealed");
    if (htmx) {
      render(
          ctx,
          200,
          "console/auth-token.jte",
          params("page", p, "revealed", a.authToken(), "error", null));
    } else {
      renderDashboard(ctx, 200, p, c, null, a.authToken());
    }
  }

  private void createSecondary(Context ctx, ConsoleService.Current c) {
    Account a = accounts.createSecondaryAuthToken(c.user().accountSid()).orElseThrow();
    showOnceAfterRedirect(
        ctx,
        c,
        Map.of("kind", "secondary-token", "token", a.secondaryAuthToken()),
        "/console/dashboard");
  }

  private void promote(Context ctx, ConsoleService.Current c) {
    if (accounts.promoteSecondaryAuthToken(c.user().accountSid()).isEmpty()) {
      renderDashboard(
          ctx,
          400,
          page(ctx, c, "Dashboard", "dashboard").withError("There is no secondary token."),
          c,
          null,
          null);
      return;
    }
    ctx.redirect("/console/dashboard?done=promoted", HttpStatus.SEE_OTHER);
  }

  private void deleteSecondary(Context ctx, ConsoleService.Current c) {
    accounts.deleteSecondaryAuthToken(c.user().accountSid());
    ctx.redirect("/console/dashboard?done=secondary-deleted", HttpStatus.SEE_OTHER);
  }

  // --------------------------------------------------------------------------- API keys

  private void keysPage(Context ctx, ConsoleService.Current c) {
    Map<String, String> k = shownOnce(ctx, c, "key");
    renderKeys(
        ctx,
        200,
        page(ctx, c, "API keys", "keys"),
        c,
        k == null
            ? null
            : new Views.NewKey(k.get("sid"), k.get("name"), k.get("type"), k.get("secret")));
  }

  private void renderKeys(
      Context ctx, int status, Views.Page p, ConsoleService.Current c, Views.NewKey created) {
    List<Views.KeyRow> rows =
        keys.page(c.user().accountSid(), null, 0, 500).keys().stream().map(this::keyRow).toList();
    render(ctx, status, "console/keys.jte", params("page", p, "keys", rows, "created", created));
  }

  private Views.KeyRow keyRow(Key k) {
    String lastUsed =
        keyUsage
            .lastUse(k.sid())
            .map(u -> shown(u.at()) + (u.address() == null ? "" : " from " + u.address()))
            .orElse("never");
    return new Views.KeyRow(
        k.sid().value(), k.friendlyName(), k.type().wire(), shown(k.dateCreated()), lastUsed);
  }

  private void createKey(Context ctx, ConsoleService.Current c) {
    Views.Page p = page(ctx, c, "API keys", "keys");
    try {
      KeyType type = KeyType.fromWire(form(ctx, "type").isEmpty() ? "standard" : form(ctx, "type"));
      String policyText = form(ctx, "policy");
      Policy policy =
          type == KeyType.RESTRICTED
              ? Policy.parse(policyText.isEmpty() ? "{}" : policyText)
              : null;
      String name = form(ctx, "friendly_name");
      if (name.isEmpty() || name.length() > 64) {
        renderKeys(ctx, 400, p.withError("Give the key a name of 1 to 64 characters."), c, null);
        return;
      }
      Key key = keys.create(c.user().accountSid(), name, type, policy);
      showOnceAfterRedirect(
          ctx,
          c,
          Map.of(
              "kind", "key",
              "sid", key.sid().value(),
              "name", key.friendlyName(),
              "type", type.wire(),
              "secret", key.secret()),
          "/console/keys");
    } catch (IllegalArgumentException e) {
      renderKeys(ctx, 400, p.withError("Choose standard, main or restricted."), c, null);
    } catch (ApiException e) {
      renderKeys(ctx, 400, p.withError(e.error().message()), c, null);
    }
  }

  private Optional<Key> ownKey(Context ctx, ConsoleService.Current c) {
    String raw = ctx.pathParam("sid");
    if (!Sids.isValid(KeySid.PREFIX, raw)) {
      return Optional.empty();
    }
    return keys.find(c.user().accountSid(), KeySid.of(raw));
  }

  private void revokePage(Context ctx, ConsoleService.Current c) {
    Optional<Key> key = ownKey(ctx, c);
    if (key.isEmpty()) {
      ctx.redirect("/console/keys", HttpStatus.SEE_OTHER);
      return;
    }
    render(
        ctx,
        200,
        "console/key-revoke.jte",
        params("page", page(ctx, c, "Revoke API key", "keys"), "key", keyRow(key.get())));
  }

  private void revoke(Context ctx, ConsoleService.Current c) {
    ownKey(ctx, c).ifPresent(k -> keys.delete(c.user().accountSid(), k.sid()));
    ctx.redirect("/console/keys?done=key-revoked", HttpStatus.SEE_OTHER);
  }

  // --------------------------------------------------------------------------- Flex users

  private FlexInstance instance(ConsoleService.Current c) {
    return flex.instanceOf(c.user().accountSid()).orElseThrow();
  }

  private void flexUsersPage(Context ctx, ConsoleService.Current c) {
    renderFlexUsers(ctx, 200, page(ctx, c, "Flex users", "flex-users"), c, null);
  }

  private void renderFlexUsers(
      Context ctx, int status, Views.Page p, ConsoleService.Current c, Views.TestToken token) {
    FlexInstance instance = instance(c);
    List<Views.FlexUserRow> rows =
        flex.users(instance, null, null, 500).users().stream()
            .map(
                u ->
                    new Views.FlexUserRow(
                        u.sid().value(),
                        u.username(),
                        u.email() == null ? "" : u.email(),
                        u.fullName() == null ? "" : u.fullName(),
                        String.join(", ", u.roles()),
                        !u.deactivated()))
            .toList();
    List<String> roles = flex.roles(instance).stream().map(FlexRole::name).toList();
    render(
        ctx,
        status,
        "console/flex-users.jte",
        params("page", p, "users", rows, "roles", roles, "token", token));
  }

  private static List<String> roles(Context ctx) {
    return Arrays.stream(form(ctx, "roles").split(","))
        .map(String::strip)
        .filter(r -> !r.isEmpty())
        .toList();
  }

  private static String orNull(String s) {
    return s.isEmpty() ? null : s;
  }

  private void provision(Context ctx, ConsoleService.Current c) {
    try {
      flex.provision(
          instance(c),
          new FlexService.Provision(
              form(ctx, "username"),
              orNull(form(ctx, "email")),
              orNull(form(ctx, "full_name")),
              roles(ctx),
              null,
              null));
      ctx.redirect("/console/flex-users?done=user-provisioned", HttpStatus.SEE_OTHER);
    } catch (ApiException e) {
      renderFlexUsers(
          ctx,
          400,
          page(ctx, c, "Flex users", "flex-users").withError(e.error().message()),
          c,
          null);
    }
  }

  private Optional<FlexUser> ownFlexUser(Context ctx, ConsoleService.Current c) {
    String raw = ctx.pathParam("sid");
    if (!Sids.isValid(FlexUserSid.PREFIX, raw)) {
      return Optional.empty();
    }
    return flex.user(instance(c), FlexUserSid.of(raw));
  }

  private void setRoles(Context ctx, ConsoleService.Current c) {
    FlexUser user = ownFlexUser(ctx, c).orElse(null);
    if (user == null) {
      ctx.redirect("/console/flex-users", HttpStatus.SEE_OTHER);
      return;
    }
    try {
      flex.update(
          instance(c), user.sid(), new FlexService.Update(null, null, roles(ctx), null, null));
      ctx.redirect("/console/flex-users?done=user-updated", HttpStatus.SEE_OTHER);
    } catch (ApiException e) {
      renderFlexUsers(
          ctx,
          400,
          page(ctx, c, "Flex users", "flex-users").withError(e.error().message()),
          c,
          null);
    }
  }

  private void deactivate(Context ctx, ConsoleService.Current c) {
    ownFlexUser(ctx, c).ifPresent(u -> flex.deprovision(instance(c), u.sid()));
    ctx.redirect("/console/flex-users?done=user-deactivated", HttpStatus.SEE_OTHER);
  }

  private void testToken(Context ctx, ConsoleService.Current c) {
    FlexUser user = ownFlexUser(ctx, c).filter(u -> !u.deactivated()).orElse(null);
    if (user == null) {
      ctx.redirect("/console/flex-users", HttpStatus.SEE_OTHER);
      return;
    }
    FlexTokenService.Minted minted =
        flexTokens.mint(instance(c), user, FlexTokenService.DEFAULT_TTL);
    renderFlexUsers(
        ctx,
        200,
        page(ctx, c, "Flex users", "flex-users"),
        c,
        new Views.TestToken(user.username(), minted.token(), shown(minted.info().expiresAt())));
  }

  // --------------------------------------------------------------------------- SSO

  private void ssoPage(Context ctx, ConsoleService.Current c) {
    renderSso(ctx, 200, page(ctx, c, "Single sign-on", "sso"), c);
  }

  private void renderSso(Context ctx, int status, Views.Page p, ConsoleService.Current c) {
    FlexInstance instance = instance(c);
    List<Views.SsoRow> rows =
        ssoProfiles.profiles(instance).stream()
            .map(
                (SsoProfile s) ->
                    new Views.SsoRow(
                        s.sid().value(),
                        s.friendlyName(),
                        s.issuer(),
                        s.clientId(),
                        s.active(),
                        String.join(" ", s.redirectUrls()),
                        shown(s.dateUpdated())))
            .toList();
    render(
        ctx,
        status,
        "console/sso.jte",
        params("page", p, "profiles", rows, "instanceSid", instance.sid().value()));
  }

  private void setSsoActive(Context ctx, ConsoleService.Current c) {
    String raw = ctx.pathParam("sid");
    if (Sids.isValid(SsoProfileSid.PREFIX, raw)) {
      ssoProfiles.update(
          instance(c),
          SsoProfileSid.of(raw),
          new SsoProfileService.Fields(
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              null,
              "true".equals(ctx.formParam("active")),
              null));
    }
    ctx.redirect("/console/sso?done=sso-updated", HttpStatus.SEE_OTHER);
  }

  // --------------------------------------------------------------------------- audit

  private void auditPage(Context ctx, ConsoleService.Current c) {
    Views.AuditFilters f =
        new Views.AuditFilters(
            query(ctx, "event_type"),
            query(ctx, "actor"),
            query(ctx, "resource"),
            query(ctx, "since"),
            query(ctx, "until"));
    Views.Page p = page(ctx, c, "Audit log", "audit");
    Instant start = null;
    Instant end = null;
    try {
      start = f.since().isEmpty() ? null : EventDates.parse(f.since());
      end = f.until().isEmpty() ? null : EventDates.parse(f.until());
    } catch (DateTimeParseException e) {
      p = p.withError("Dates are 2026-11-22 or 2026-11-22T10:00:00Z.");
    }
    Long before = null;
    String beforeRaw = query(ctx, "before");
    if (beforeRaw.matches("[0-9]{1,18}")) {
      before = Long.parseLong(beforeRaw);
    }
    List<AuditEvent> events =
        auditStore.page(
            new AuditStore.Filter(
                c.user().accountSid().value(),
                orNull(f.actor()),
                orNull(f.eventType()),
                orNull(f.resource()),
                null,
                start,
                end),
            before,
            null,
            AUDIT_PAGE + 1);
    String older = null;
    if (events.size() > AUDIT_PAGE) {
      events = events.subList(0, AUDIT_PAGE);
      older =
          "/console/audit?"
              + "event_type="
              + enc(f.eventType())
              + "&actor="
              + enc(f.actor())
              + "&resource="
              + enc(f.resource())
              + "&since="
              + enc(f.since())
              + "&until="
              + enc(f.until())
              + "&before="
              + events.get(events.size() - 1).seq();
    }
    List<Views.EventRow> rows =
        events.stream()
            .map(
                e ->
                    new Views.EventRow(
                        EVENT_TIME.format(e.eventDate()),
                        e.eventType(),
                        e.actorType() + (e.actorSid() == null ? "" : " " + e.actorSid()),
                        e.resourceSid() == null ? "" : e.resourceSid(),
                        e.source(),
                        e.sourceIpAddress() == null ? "" : e.sourceIpAddress(),
                        e.description()))
            .toList();
    render(
        ctx,
        200,
        "console/audit.jte",
        params("page", p, "filters", f, "events", rows, "older", older));
  }

  private static String query(Context ctx, String name) {
    String v = ctx.queryParam(name);
    return v == null ? "" : v.strip();
  }

  private static String enc(String s) {
    return java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);
  }

  // --------------------------------------------------------------------------- inspector

  private void inspectorPage(Context ctx, ConsoleService.Current c) {
    render(
        ctx,
        200,
        "console/inspector.jte",
        params("page", page(ctx, c, "Token inspector", "inspector"), "result", null));
  }

  private void inspect(Context ctx, ConsoleService.Current c) {
    String token = form(ctx, "token");
    render(
        ctx,
        200,
        "console/inspector.jte",
        params(
            "page", page(ctx, c, "Token inspector", "inspector"), "result", inspection(token, c)));
  }

  private Views.Inspection inspection(String token, ConsoleService.Current c) {
    long dots = token.chars().filter(ch -> ch == '.').count();
    Account account = accounts.find(c.user().accountSid()).orElseThrow();
    if (dots == 4) {
      String header = decodedHeader(token);
      FlexTokenService.Validation v = flexTokens.validate(token, account.sid());
      return switch (v) {
        case FlexTokenService.Validation.Valid(var info) ->
            new Views.Inspection(
                "Flex token",
                true,
                0,
                "user "
                    + info.username()
                    + " ("
                    + info.userSid()
                    + "), roles "
                    + String.join(", ", info.roles())
                    + ", expires "
                    + shown(info.expiresAt()),
                header,
                pretty(
                    Map.of(
                        "user_sid", info.userSid().value(),
                        "username", info.username(),
                        "roles", info.roles(),
                        "permissions", info.permissions(),
                        "issued_at", iso(info.issuedAt()),
                        "expires_at", iso(info.expiresAt()))));
        case FlexTokenService.Validation.Invalid(var reason) ->
            new Views.Inspection("Flex token", false, reason.code(), reason.message(), header, "");
      };
    }
    Jwt.Decoded decoded;
    try {
      decoded = Jwt.decodeUnverified(token);
    } catch (JwtDecodeException e) {
      return new Views.Inspection(
          "Unrecognised token",
          false,
          20101,
          "Not an Access Token (three dot-separated parts) or a Flex token (five): "
              + e.getMessage(),
          "",
          "");
    }
    Principal asAccount = new Principal(account, CredentialKind.AUTH_TOKEN, null, null);
    String header = pretty(decoded.header());
    String claims = pretty(decoded.claims());
    return switch (accessTokens.introspect(asAccount, token)) {
      case AccessTokenService.Introspection.Active(var t) ->
          new Views.Inspection(
              "Access Token",
              true,
              0,
              "signed by "
                  + t.keySid()
                  + " for "
                  + t.identity().orElse("(no identity)")
                  + ", expires "
                  + shown(t.expiresAt()),
              header,
              claims);
      case AccessTokenService.Introspection.Inactive(int code, String message) ->
          new Views.Inspection("Access Token", false, code, message, header, claims);
    };
  }

  // A JWE's protected header is readable without the key; its payload is not.
  private static String decodedHeader(String token) {
    try {
      byte[] json = Base64.getUrlDecoder().decode(token.substring(0, token.indexOf('.')));
      return PRETTY.writeValueAsString(PRETTY.readTree(json));
    } catch (IllegalArgumentException | IOException e) {
      return "";
    }
  }

  private static String pretty(Object value) {
    try {
      return PRETTY.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      return "";
    }
  }

  // --------------------------------------------------------------------------- security

  private void securityPage(Context ctx, ConsoleService.Current c) {
    renderSecurity(ctx, 200, page(ctx, c, "Security", "security"), c, null);
  }

  private void renderSecurity(
      Context ctx, int status, Views.Page p, ConsoleService.Current c, List<String> newCodes) {
    render(
        ctx,
        status,
        "console/security.jte",
        params(
            "page",
            p,
            "recoveryCodesLeft",
            console.recoveryCodesLeft(c.user()),
            "newCodes",
            newCodes));
  }

  private void changePassword(Context ctx, ConsoleService.Current c) {
    Views.Page p = page(ctx, c, "Security", "security");
    try {
      Optional<ConsoleService.Opened> opened =
          console.changePassword(
              c,
              ctx.formParam("current_password"),
              ctx.formParam("new_password"),
              ctx.formParam("code"),
              ctx.ip());
      if (opened.isEmpty()) {
        renderSecurity(
            ctx,
            401,
            p.withError("The current password or the authenticator code is not right."),
            c,
            null);
        return;
      }
      setSession(ctx, opened.get());
      ctx.redirect("/console/security?done=password-changed", HttpStatus.SEE_OTHER);
    } catch (ApiException e) {
      renderSecurity(ctx, 400, p.withError(e.error().message()), c, null);
    }
  }

  private void regenerateCodes(Context ctx, ConsoleService.Current c) {
    Views.Page p = page(ctx, c, "Security", "security");
    Optional<List<String>> codes =
        console.regenerateRecoveryCodes(c, ctx.formParam("code"), ctx.ip());
    if (codes.isEmpty()) {
      renderSecurity(ctx, 401, p.withError(CODE_FAILURE), c, null);
      return;
    }
    renderSecurity(ctx, 200, p, c, codes.get());
  }
}
