package io.callsign.server;

import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.console.ConsoleRoutes;
import io.callsign.server.console.ConsoleService;
import io.callsign.tokens.sid.AccountSid;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The web console over HTTP, as a browser drives it (docs/design/0015-console.md): sign-in with
 * password and TOTP, sessions, CSRF, throttling, single-use codes and links, and that console
 * actions are audited as the console user's. The browser itself is {@link ConsoleBrowserTest}.
 */
@ParameterizedClass
@EnumSource(TestDatabase.class)
class ConsoleTest {
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "e".repeat(16) + "f".repeat(16);
  private static final String ROOT = basic(SID, TOKEN);
  private static final String ACCOUNT = "/2010-04-01/Accounts/" + SID + ".json";
  private static final String EMAIL = "ana@example.com";
  private static final String PASSWORD = "correct horse battery staple";
  private static final ObjectMapper JSON = new ObjectMapper();

  @Parameter TestDatabase db;
  @TempDir Path dir;

  private final MutableClock clock = new MutableClock(Instant.now());
  private CallsignServer server;
  private int port;

  @BeforeEach
  void start() {
    server = new CallsignServer(db.config(dir).withRootCredentials(SID, TOKEN), clock);
    port = server.start();
    server.console().addUser(AccountSid.of(SID), EMAIL, PASSWORD);
  }

  @AfterEach
  void stop() {
    server.stop();
  }

  private ConsoleClient browser() {
    return new ConsoleClient(port);
  }

  private ConsoleClient signedIn() throws Exception {
    ConsoleClient b = browser();
    b.signInAndEnrol(EMAIL, PASSWORD, clock);
    b.get("/console/dashboard");
    assertThat(b.last.statusCode()).isEqualTo(200);
    return b;
  }

  private static String text(HttpResponse<String> r) {
    // The page without its per-request tokens, to compare two answers.
    return r.body().replaceAll("[A-Za-z0-9_-]{43}", "TOKEN");
  }

  private JsonNode events(String type) throws Exception {
    server.flushAudit();
    return JSON.readTree(TestServers.get(port, "/v1/Events?EventType=" + type, ROOT).body())
        .get("events");
  }

  // ------------------------------------------------------------------------------ sign-in

  @Test
  void signInWithPasswordAndTotpOpensTheDashboardShowingTheAccountSid() throws Exception {
    ConsoleClient b = signedIn();

    assertThat(b.last.body()).contains(SID).contains("Auth token").doesNotContain(TOKEN);
  }

  @Test
  void signInWhenPasswordWrongOrAddressUnknownThenTheSameGenericMessage() throws Exception {
    ConsoleClient b = browser();
    b.get("/console/sign-in");
    HttpResponse<String> wrong =
        b.post("/console/sign-in", Map.of("email", EMAIL, "password", "wrong password"));
    String wrongText = text(wrong).replace(EMAIL, "ADDRESS");
    b.get("/console/sign-in");
    HttpResponse<String> unknown =
        b.post(
            "/console/sign-in",
            Map.of("email", "nobody@example.com", "password", "wrong password"));

    assertThat(wrong.statusCode()).isEqualTo(401).isEqualTo(unknown.statusCode());
    assertThat(wrong.body()).contains("Sign-in failed. Check the email address and password");
    assertThat(text(unknown).replace("nobody@example.com", "ADDRESS")).isEqualTo(wrongText);
    assertThat(b.cookies).doesNotContainKey(ConsoleRoutes.SESSION_COOKIE);
  }

  @Test
  void signInWhenFailuresPileUpThenThrottledEvenWithTheRightPassword() throws Exception {
    ConsoleClient b = browser();
    for (int i = 0; i < 5; i++) {
      b.get("/console/sign-in");
      assertThat(b.post("/console/sign-in", Map.of("email", EMAIL, "password", "guess " + i)))
          .extracting(HttpResponse::statusCode)
          .isEqualTo(401);
    }
    b.get("/console/sign-in");
    b.post("/console/sign-in", Map.of("email", EMAIL, "password", "guess 6"));
    b.get("/console/sign-in");
    HttpResponse<String> right =
        b.post("/console/sign-in", Map.of("email", EMAIL, "password", PASSWORD));

    assertThat(right.statusCode()).isEqualTo(429);
    assertThat(right.headers().firstValue("Retry-After")).isPresent();
    assertThat(right.body()).contains("Sign-in failed. Check the email address and password");
    assertThat(b.cookies).doesNotContainKey(ConsoleRoutes.SESSION_COOKIE);
    assertThat(events("console.sign-in.failed").toString()).contains("throttled");
  }

  @Test
  void passwordStageSessionOpensOnlyTheSecondFactorPages() throws Exception {
    ConsoleClient b = browser();
    b.get("/console/sign-in");
    b.post("/console/sign-in", Map.of("email", EMAIL, "password", PASSWORD));

    assertThat(b.last.headers().firstValue("Location")).hasValue("/console/mfa/enrol");
    assertThat(b.get("/console/dashboard").statusCode()).isEqualTo(303);
    assertThat(b.last.headers().firstValue("Location")).hasValue("/console/sign-in");
    assertThat(b.get("/console/keys").statusCode()).isEqualTo(303);
  }

  @Test
  void secondFactorWhenPassedThenTheSessionIdIsReplacedAndTheOldOneIsDead() throws Exception {
    ConsoleClient b = browser();
    b.get("/console/sign-in");
    b.post("/console/sign-in", Map.of("email", EMAIL, "password", PASSWORD));
    String passwordStage = b.cookies.get(ConsoleRoutes.SESSION_COOKIE);
    b.follow();
    byte[] secret = b.enrolmentSecret();
    b.post("/console/mfa/enrol", Map.of("code", ConsoleClient.code(secret, clock.instant())));
    String signedIn = b.cookies.get(ConsoleRoutes.SESSION_COOKIE);

    assertThat(signedIn).isNotNull().isNotEqualTo(passwordStage);
    ConsoleClient stolen = browser();
    stolen.cookies.put(ConsoleRoutes.SESSION_COOKIE, passwordStage);
    assertThat(stolen.get("/console/mfa").statusCode()).isEqualTo(303);
    assertThat(stolen.last.headers().firstValue("Location")).hasValue("/console/sign-in");
    assertThat(b.get("/console/dashboard").statusCode()).isEqualTo(200);
  }

  @Test
  void enrolmentWhenCodeWrongThenRefusedAndTheSameSecretIsShownAgain() throws Exception {
    ConsoleClient b = browser();
    b.signInPassword(EMAIL, PASSWORD);
    byte[] secret = b.enrolmentSecret();

    b.post(
        "/console/mfa/enrol", Map.of("code", "000000".equals(code(secret)) ? "111111" : "000000"));

    assertThat(b.last.statusCode()).isEqualTo(401);
    assertThat(b.last.body()).contains("That code was not accepted");
    assertThat(b.enrolmentSecret()).isEqualTo(secret);
    assertThat(b.get("/console/dashboard").statusCode()).isEqualTo(303);
  }

  private String code(byte[] secret) {
    return ConsoleClient.code(secret, clock.instant());
  }

  @Test
  void totpCodeWhenUsedOnceThenRefusedTheSecondTime() throws Exception {
    ConsoleClient first = browser();
    byte[] secret = first.signInAndEnrol(EMAIL, PASSWORD, clock);
    first.signIn(EMAIL, PASSWORD, secret, clock);
    assertThat(first.last.statusCode()).isEqualTo(200);
    String used = code(secret);

    ConsoleClient second = browser();
    second.signInPassword(EMAIL, PASSWORD);
    HttpResponse<String> replay = second.post("/console/mfa", Map.of("code", used));

    assertThat(replay.statusCode()).isEqualTo(401);
    assertThat(second.get("/console/dashboard").statusCode()).isEqualTo(303);
    clock.advance(Duration.ofSeconds(30));
    second.get("/console/mfa");
    assertThat(second.post("/console/mfa", Map.of("code", code(secret))).statusCode())
        .isEqualTo(303);
  }

  @Test
  void recoveryCodeWhenUsedThenSignsInOnceOnly() throws Exception {
    ConsoleClient b = browser();
    b.signInPassword(EMAIL, PASSWORD);
    byte[] secret = b.enrolmentSecret();
    b.post("/console/mfa/enrol", Map.of("code", code(secret)));
    List<String> codes = ConsoleClient.recoveryCodes(b.last.body());
    assertThat(codes).hasSize(ConsoleService.RECOVERY_CODES).doesNotHaveDuplicates();

    for (int attempt = 0; attempt < 2; attempt++) {
      ConsoleClient other = browser();
      other.signInPassword(EMAIL, PASSWORD);
      other.post("/console/mfa", Map.of("code", codes.get(0).toUpperCase()));
      assertThat(other.last.statusCode()).isEqualTo(attempt == 0 ? 303 : 401);
    }
    assertThat(events("console-user.recovery-code-used").size()).isEqualTo(1);
  }

  // ------------------------------------------------------------------------------ sessions

  @Test
  void sessionWhenIdleForThirtyMinutesThenEnded() throws Exception {
    ConsoleClient b = signedIn();
    clock.advance(Duration.ofMinutes(29));
    assertThat(b.get("/console/keys").statusCode()).isEqualTo(200);

    clock.advance(Duration.ofMinutes(30).plusSeconds(1));

    assertThat(b.get("/console/keys").statusCode()).isEqualTo(303);
  }

  @Test
  void sessionWhenTwelveHoursOldThenEndedThoughInUse() throws Exception {
    ConsoleClient b = signedIn();
    for (int i = 0; i < 24; i++) {
      clock.advance(Duration.ofMinutes(29));
      assertThat(b.get("/console/dashboard").statusCode()).as("after %d steps", i).isEqualTo(200);
    }
    clock.advance(Duration.ofMinutes(29));

    assertThat(b.get("/console/dashboard").statusCode()).isEqualTo(303);
  }

  @Test
  void closingTheAccountEndsItsConsoleSessionsAndRefusesSignIn() throws Exception {
    JsonNode sub =
        JSON.readTree(
            TestServers.sendForm(port, "/2010-04-01/Accounts.json", ROOT, "FriendlyName=team")
                .body());
    String subSid = sub.get("sid").asText();
    server.console().addUser(AccountSid.of(subSid), "sub@example.com", PASSWORD);
    ConsoleClient b = browser();
    b.signInAndEnrol("sub@example.com", PASSWORD, clock);
    assertThat(b.get("/console/dashboard").statusCode()).isEqualTo(200);

    TestServers.sendForm(port, "/2010-04-01/Accounts/" + subSid + ".json", ROOT, "Status=closed");

    assertThat(b.get("/console/dashboard").statusCode()).isEqualTo(303);
    ConsoleClient again = browser();
    again.get("/console/sign-in");
    assertThat(
            again
                .post("/console/sign-in", Map.of("email", "sub@example.com", "password", PASSWORD))
                .statusCode())
        .isEqualTo(401);
  }

  @Test
  void signOutEndsTheSession() throws Exception {
    ConsoleClient b = signedIn();
    String cookie = b.cookies.get(ConsoleRoutes.SESSION_COOKIE);

    b.post("/console/sign-out", Map.of());

    assertThat(b.last.headers().firstValue("Location"))
        .hasValue("/console/sign-in?done=signed-out");
    ConsoleClient replay = browser();
    replay.cookies.put(ConsoleRoutes.SESSION_COOKIE, cookie);
    assertThat(replay.get("/console/dashboard").statusCode()).isEqualTo(303);
  }

  @Test
  void passwordChangeSignsOutEveryOtherSessionAndKeepsThisOne() throws Exception {
    ConsoleClient a = browser();
    byte[] secret = a.signInAndEnrol(EMAIL, PASSWORD, clock);
    ConsoleClient b = browser();
    b.signIn(EMAIL, PASSWORD, secret, clock);
    assertThat(b.last.statusCode()).isEqualTo(200);
    a.get("/console/security");
    clock.advance(Duration.ofSeconds(30));

    a.post(
        "/console/security/password",
        Map.of(
            "current_password",
            PASSWORD,
            "new_password",
            "a brand new passphrase",
            "code",
            code(secret)));

    assertThat(a.last.headers().firstValue("Location"))
        .hasValue("/console/security?done=password-changed");
    assertThat(a.get("/console/dashboard").statusCode()).isEqualTo(200);
    assertThat(b.get("/console/dashboard").statusCode()).isEqualTo(303);
    ConsoleClient c = browser();
    c.get("/console/sign-in");
    assertThat(
            c.post("/console/sign-in", Map.of("email", EMAIL, "password", PASSWORD)).statusCode())
        .isEqualTo(401);
    c.get("/console/sign-in");
    assertThat(
            c.post("/console/sign-in", Map.of("email", EMAIL, "password", "a brand new passphrase"))
                .statusCode())
        .isEqualTo(303);
  }

  @Test
  void passwordChangeWhenCurrentPasswordWrongThenNothingChanges() throws Exception {
    ConsoleClient a = browser();
    byte[] secret = a.signInAndEnrol(EMAIL, PASSWORD, clock);
    a.get("/console/security");

    a.post(
        "/console/security/password",
        Map.of(
            "current_password",
            "not it",
            "new_password",
            "another passphrase",
            "code",
            code(secret)));

    assertThat(a.last.statusCode()).isEqualTo(401);
    ConsoleClient c = browser();
    c.get("/console/sign-in");
    assertThat(
            c.post("/console/sign-in", Map.of("email", EMAIL, "password", PASSWORD)).statusCode())
        .isEqualTo(303);
  }

  // ------------------------------------------------------------------------------ CSRF, headers

  @Test
  void postWithoutTheSessionsCsrfTokenIsRefusedAndChangesNothing() throws Exception {
    ConsoleClient b = signedIn();
    b.get("/console/keys");
    String token = b.csrf();

    HttpResponse<String> noToken =
        b.postRaw("/console/keys", Map.of("friendly_name", "forged", "type", "main"), Map.of());
    HttpResponse<String> wrongToken =
        b.postRaw(
            "/console/keys",
            Map.of("friendly_name", "forged", "type", "main", "csrf", "x".repeat(43)),
            Map.of());
    HttpResponse<String> crossSite =
        b.postRaw(
            "/console/keys",
            Map.of("friendly_name", "forged", "type", "main", "csrf", token),
            Map.of("Origin", "https://attacker.example", "Sec-Fetch-Site", "cross-site"));

    HttpResponse<String> otherOrigin =
        b.postRaw(
            "/console/keys",
            Map.of("friendly_name", "forged", "type", "main", "csrf", token),
            Map.of("Origin", "https://attacker.example"));

    assertThat(List.of(noToken, wrongToken, crossSite, otherOrigin))
        .extracting(HttpResponse::statusCode)
        .containsOnly(403);
    assertThat(TestServers.get(port, "/v1/Keys?AccountSid=" + SID, ROOT).body())
        .doesNotContain("forged");
  }

  @Test
  void postBehindATlsProxyWithTheBrowsersHttpsOriginIsAccepted() throws Exception {
    ConsoleClient b = signedIn();
    b.get("/console/keys");

    b.postRaw(
        "/console/keys",
        Map.of("friendly_name", "proxied", "type", "standard", "csrf", b.csrf()),
        Map.of("Origin", "https://127.0.0.1:" + port, "X-Forwarded-Proto", "https"));

    assertThat(b.last.statusCode()).isEqualTo(303);
  }

  @Test
  void signInFormWithoutItsCookieTokenIsRefused() throws Exception {
    ConsoleClient b = browser();
    b.get("/console/sign-in");
    b.cookies.remove(ConsoleRoutes.FORM_COOKIE);

    HttpResponse<String> r =
        b.post("/console/sign-in", Map.of("email", EMAIL, "password", PASSWORD));

    assertThat(r.statusCode()).isEqualTo(403);
    assertThat(b.cookies).doesNotContainKey(ConsoleRoutes.SESSION_COOKIE);
  }

  @Test
  void pagesForbidFramingAndCachingAndCookiesAreHostOnlySecureHttpOnlyStrict() throws Exception {
    ConsoleClient b = browser();
    b.get("/console/sign-in");
    HttpResponse<String> r =
        b.post("/console/sign-in", Map.of("email", EMAIL, "password", PASSWORD));

    assertThat(b.last.headers().firstValue("Content-Security-Policy").orElseThrow())
        .contains("frame-ancestors 'none'")
        .contains("script-src 'self'");
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-store");
    assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
    assertThat(r.headers().allValues("Set-Cookie"))
        .anySatisfy(
            c ->
                assertThat(c)
                    .startsWith(ConsoleRoutes.SESSION_COOKIE + "=")
                    .contains("Path=/")
                    .contains("Secure")
                    .contains("HttpOnly")
                    .contains("SameSite=Strict")
                    .doesNotContain("Domain"));
  }

  // ------------------------------------------------------------------------------ sign-up

  @Test
  void signUpLinkSetsThePasswordOnceAndExpiresAfterADay() throws Exception {
    ConsoleService.Added added =
        server.console().addUser(AccountSid.of(SID), "new@example.com", null);
    ConsoleService.Added late =
        server.console().addUser(AccountSid.of(SID), "late@example.com", null);
    String link = "/console/sign-up/" + added.signUpToken();
    ConsoleClient b = browser();
    assertThat(b.get(link).statusCode()).isEqualTo(200);
    assertThat(b.last.body()).contains("new@example.com");

    b.post(link, Map.of("password", "short"));
    assertThat(b.last.statusCode()).isEqualTo(400);
    b.post(link, Map.of("password", "my own long passphrase"));

    assertThat(b.last.headers().firstValue("Location")).hasValue("/console/mfa/enrol");
    assertThat(browser().get(link).statusCode()).isEqualTo(404);
    clock.advance(Duration.ofHours(24).plusSeconds(1));
    assertThat(browser().get("/console/sign-up/" + late.signUpToken()).statusCode()).isEqualTo(404);
    assertThat(browser().get("/console/sign-up/" + "A".repeat(43)).statusCode()).isEqualTo(404);
  }

  // ------------------------------------------------------------------------------ pages

  @Test
  void authTokenIsRevealedOnlyWithAFreshCodeAndTheRevealIsAudited() throws Exception {
    ConsoleClient b = browser();
    byte[] secret = b.signInAndEnrol(EMAIL, PASSWORD, clock);
    b.get("/console/dashboard");

    b.post(
        "/console/auth-token/reveal",
        Map.of("code", "123456".equals(code(secret)) ? "654321" : "123456"));
    assertThat(b.last.statusCode()).isEqualTo(401);
    assertThat(b.last.body()).doesNotContain(TOKEN);
    b.get("/console/dashboard");
    b.post("/console/auth-token/reveal", Map.of("code", code(secret)));

    assertThat(b.last.statusCode()).isEqualTo(200);
    assertThat(b.last.body()).contains(TOKEN);
    JsonNode revealed = events("console.auth-token.revealed").get(0);
    assertThat(revealed.get("actor_type").asText()).isEqualTo("console-user");
    assertThat(revealed.get("source").asText()).isEqualTo("console");
    assertThat(revealed.toString()).doesNotContain(TOKEN);
  }

  @Test
  void keyCreatedInTheConsoleShowsItsSecretOnceAndIsAuditedAsTheConsoleUsersAction()
      throws Exception {
    ConsoleClient b = signedIn();
    b.get("/console/keys");

    b.post("/console/keys", Map.of("friendly_name", "ci", "type", "standard"));
    assertThat(b.last.statusCode()).isEqualTo(303);
    b.follow();
    Matcher secret = Pattern.compile("id=\"new-key-secret\">([^<]+)<").matcher(b.last.body());
    assertThat(secret.find()).isTrue();
    Matcher sid = Pattern.compile("id=\"new-key-sid\">(SK[0-9a-f]{32})<").matcher(b.last.body());
    assertThat(sid.find()).isTrue();

    assertThat(b.get("/console/keys").body())
        .contains(sid.group(1))
        .doesNotContain(secret.group(1));
    assertThat(TestServers.get(port, ACCOUNT, basic(sid.group(1), secret.group(1))).statusCode())
        .isEqualTo(200);
    JsonNode created = events("api-key.created").get(0);
    assertThat(created.get("actor_type").asText()).isEqualTo("console-user");
    assertThat(created.get("actor_sid").asText()).startsWith("US");
    assertThat(created.get("source").asText()).isEqualTo("console");
    assertThat(created.toString()).doesNotContain(secret.group(1));
  }

  @Test
  void secondaryTokenCreatedIsShownOnceThenPromotedReplacesTheAuthToken() throws Exception {
    ConsoleClient b = signedIn();

    b.post("/console/auth-token/secondary", Map.of());
    assertThat(b.last.statusCode()).isEqualTo(303);
    b.follow();
    Matcher token = Pattern.compile("id=\"secondary-token\">([^<]+)<").matcher(b.last.body());
    assertThat(token.find()).as(b.last.body()).isTrue();
    assertThat(b.get("/console/dashboard").body()).doesNotContain(token.group(1));
    ConsoleClient other = browser();
    other.cookies.putAll(b.cookies);
    other.cookies.put(ConsoleRoutes.ONCE_COOKIE, "x" + "A".repeat(60));
    assertThat(other.get("/console/dashboard").body()).doesNotContain("secondary-token\">");

    b.post("/console/auth-token/promote", Map.of());

    assertThat(b.last.headers().firstValue("Location"))
        .hasValue("/console/dashboard?done=promoted");
    assertThat(TestServers.get(port, ACCOUNT, ROOT).statusCode()).isEqualTo(401);
    assertThat(TestServers.get(port, ACCOUNT, basic(SID, token.group(1))).statusCode())
        .isEqualTo(200);
  }

  @Test
  void keyCreateWhenRestrictedWithoutAPolicyThenAClearErrorAndNoKey() throws Exception {
    ConsoleClient b = signedIn();
    b.get("/console/keys");

    b.post(
        "/console/keys", Map.of("friendly_name", "bad", "type", "restricted", "policy", "{nope"));

    assertThat(b.last.statusCode()).isEqualTo(400);
    assertThat(b.last.body()).contains("Policy");
    assertThat(b.last.body()).doesNotContain("new-key-secret");
  }

  @Test
  void keyRevokedInTheConsoleStopsAuthenticating() throws Exception {
    HttpResponse<String> made =
        TestServers.sendForm(
            port, "/2010-04-01/Accounts/" + SID + "/Keys.json", ROOT, "FriendlyName=old");
    JsonNode key = JSON.readTree(made.body());
    String keyAuth = basic(key.get("sid").asText(), key.get("secret").asText());
    assertThat(TestServers.get(port, ACCOUNT, keyAuth).statusCode()).isEqualTo(200);
    ConsoleClient b = signedIn();

    b.get("/console/keys/" + key.get("sid").asText() + "/revoke");
    assertThat(b.last.body()).contains("Revoke key");
    b.post("/console/keys/" + key.get("sid").asText() + "/revoke", Map.of());

    assertThat(b.last.headers().firstValue("Location")).hasValue("/console/keys?done=key-revoked");
    assertThat(TestServers.get(port, ACCOUNT, keyAuth).statusCode()).isEqualTo(401);
  }

  @Test
  void consoleUserOfASubaccountCannotRevokeTheParentAccountsKeys() throws Exception {
    JsonNode sub =
        JSON.readTree(
            TestServers.sendForm(port, "/2010-04-01/Accounts.json", ROOT, "FriendlyName=team")
                .body());
    server.console().addUser(AccountSid.of(sub.get("sid").asText()), "sub@example.com", PASSWORD);
    JsonNode key =
        JSON.readTree(
            TestServers.sendForm(
                    port, "/2010-04-01/Accounts/" + SID + "/Keys.json", ROOT, "FriendlyName=root")
                .body());
    ConsoleClient b = browser();
    b.signInAndEnrol("sub@example.com", PASSWORD, clock);
    b.get("/console/keys");

    b.post("/console/keys/" + key.get("sid").asText() + "/revoke", Map.of());

    assertThat(
            TestServers.get(
                    port, ACCOUNT, basic(key.get("sid").asText(), key.get("secret").asText()))
                .statusCode())
        .isEqualTo(200);
    assertThat(b.get("/console/dashboard").body())
        .contains(sub.get("sid").asText())
        .doesNotContain(SID);
  }

  @Test
  void auditPageListsConsoleActionsAndFiltersByEventType() throws Exception {
    ConsoleClient b = signedIn();
    b.get("/console/keys");
    b.post("/console/keys", Map.of("friendly_name", "audited", "type", "standard"));
    server.flushAudit();

    String all = b.get("/console/audit").body();
    String filtered = b.get("/console/audit?event_type=api-key.created").body();

    assertThat(all).contains("api-key.created").contains("console.sign-in.succeeded");
    assertThat(filtered).contains("api-key.created").doesNotContain("console.sign-in.succeeded");
    assertThat(b.get("/console/audit?since=yesterday").body()).contains("Dates are");
  }

  @Test
  void inspectorExplainsValidAndExpiredAccessTokensWithTheirCodes() throws Exception {
    JsonNode key =
        JSON.readTree(
            TestServers.sendForm(
                    port, "/2010-04-01/Accounts/" + SID + "/Keys.json", ROOT, "FriendlyName=mint")
                .body());
    String jwt =
        new io.callsign.tokens.AccessToken.Builder(
                SID, key.get("sid").asText(), key.get("secret").asText())
            .identity("alice")
            .ttl(600)
            .nbf(clock.instant().minusSeconds(5))
            .build()
            .toJwt();
    ConsoleClient b = signedIn();
    b.get("/console/inspector");

    String valid = b.post("/console/inspector", Map.of("token", jwt)).body();
    assertThat(valid).contains("Valid: signed by " + key.get("sid").asText()).contains("alice");
    clock.advance(Duration.ofMinutes(20));
    b.get("/console/inspector");
    String expired = b.post("/console/inspector", Map.of("token", jwt)).body();
    b.get("/console/inspector");
    String garbage = b.post("/console/inspector", Map.of("token", "not-a-token")).body();

    assertThat(expired).contains("Twilio error 20104").contains("\"identity\"");
    assertThat(garbage).contains("Twilio error 20101");
  }

  @Test
  void flexUserProvisionedInTheConsoleGetsATestTokenThatValidatesUntilDeactivated()
      throws Exception {
    ConsoleClient b = signedIn();
    b.get("/console/flex-users");
    b.post(
        "/console/flex-users",
        Map.of(
            "username", "agent.smith",
            "email", "smith@example.com",
            "full_name", "Agent Smith",
            "roles", "agent"));
    b.follow();
    Matcher user =
        Pattern.compile("/console/flex-users/(FU[0-9a-f]{32})/token").matcher(b.last.body());
    assertThat(user.find()).as(b.last.statusCode() + b.last.body()).isTrue();

    b.post("/console/flex-users/" + user.group(1) + "/token", Map.of());
    Matcher token = Pattern.compile("id=\"flex-test-token\">([^<]+)<").matcher(b.last.body());
    assertThat(token.find()).as(b.last.statusCode() + b.last.body()).isTrue();
    b.get("/console/inspector");
    assertThat(b.post("/console/inspector", Map.of("token", token.group(1))).body())
        .contains("Valid: user agent.smith");
    b.get("/console/flex-users");
    b.post("/console/flex-users/" + user.group(1) + "/deactivate", Map.of());
    b.get("/console/inspector");

    assertThat(b.post("/console/inspector", Map.of("token", token.group(1))).body())
        .contains("Twilio error 20101")
        .contains("deprovisioned");
  }
}
