package io.callsign.server;

import static com.microsoft.playwright.assertions.PlaywrightAssertions.assertThat;
import static io.callsign.server.TestServers.basic;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.microsoft.playwright.Browser;
import com.microsoft.playwright.BrowserContext;
import com.microsoft.playwright.BrowserType;
import com.microsoft.playwright.Locator;
import com.microsoft.playwright.Page;
import com.microsoft.playwright.Playwright;
import com.microsoft.playwright.options.AriaRole;
import io.callsign.server.console.Totp;
import io.callsign.tokens.sid.AccountSid;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console end to end in headless Chromium (Debian's, driven by Playwright): what a person
 * does, with the keyboard and mouse, and what they see. Saves a screenshot of each page to {@code
 * target/screenshots} (or {@code CALLSIGN_SCREENSHOTS}, e.g. {@code docs/screenshots}).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ConsoleBrowserTest {
  /** Set to 1 (as {@code .ci/run} does) to fail instead of skip when Chromium is missing. */
  static final String REQUIRE_ENV = "CALLSIGN_REQUIRE_CHROMIUM";

  private static final Path CHROMIUM = Paths.get("/usr/bin/chromium");
  private static final String SID = "AC" + "0123456789abcdef".repeat(2);
  private static final String TOKEN = "e".repeat(16) + "f".repeat(16);
  private static final String EMAIL = "ana@example.com";
  private static final String PASSWORD = "correct horse battery staple";
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir Path dir;
  private final MutableClock clock = new MutableClock(Instant.now());
  private Playwright playwright;
  private Browser browser;
  private BrowserContext context;
  private Page page;
  private CallsignServer server;
  private String base;
  private Path screenshots;

  @BeforeAll
  void launch() throws Exception {
    if (!Files.isExecutable(CHROMIUM)) {
      String why =
          "no Chromium at " + CHROMIUM + ": apt-get install -y --no-install-recommends chromium";
      if ("1".equals(System.getenv(REQUIRE_ENV))) {
        throw new IllegalStateException(why);
      }
      Assumptions.abort(why);
    }
    Map<String, String> env = Map.of("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
    playwright = Playwright.create(new Playwright.CreateOptions().setEnv(env));
    browser =
        playwright
            .chromium()
            .launch(
                new BrowserType.LaunchOptions()
                    .setExecutablePath(CHROMIUM)
                    .setHeadless(true)
                    .setArgs(
                        List.of(
                            "--no-sandbox",
                            "--disable-gpu",
                            "--disable-background-networking",
                            "--disable-component-update",
                            "--disable-sync",
                            "--no-first-run",
                            "--disable-dev-shm-usage")));
    String configured = System.getenv("CALLSIGN_SCREENSHOTS");
    screenshots = Paths.get(configured == null ? "target/screenshots" : configured);
    Files.createDirectories(screenshots);
  }

  @AfterAll
  void close() {
    if (browser != null) {
      browser.close();
    }
    if (playwright != null) {
      playwright.close();
    }
  }

  @BeforeEach
  void start() {
    server = new CallsignServer(TestServers.config(dir).withRootCredentials(SID, TOKEN), clock);
    base = "http://127.0.0.1:" + server.start();
    server.console().addUser(AccountSid.of(SID), EMAIL, PASSWORD);
    context = browser.newContext(new Browser.NewContextOptions().setViewportSize(1280, 860));
    page = context.newPage();
  }

  @AfterEach
  void stop() {
    context.close();
    server.stop();
  }

  private void shot(String name) {
    page.screenshot(
        new Page.ScreenshotOptions().setPath(screenshots.resolve(name + ".png")).setFullPage(true));
  }

  private Locator button(String name) {
    return page.getByRole(
        AriaRole.BUTTON, new Page.GetByRoleOptions().setName(name).setExact(true));
  }

  private String nextCode(byte[] secret) {
    clock.advance(Duration.ofSeconds(30));
    return Totp.code(secret, Totp.step(clock.instant()));
  }

  /** Signs in for the first time: password, then authenticator enrolment; returns the seed. */
  private byte[] signInAndEnrol() {
    page.navigate(base + "/console");
    assertThat(page).hasTitle("Sign in · Callsign console");
    shot("01-sign-in");
    page.getByLabel("Email address").fill(EMAIL);
    page.getByLabel("Password").fill(PASSWORD);
    page.getByLabel("Password").press("Enter");
    assertThat(page.locator("h1")).hasText("Set up two-factor sign-in");
    assertThat(page.locator(".qr svg")).isVisible();
    shot("02-enrol-authenticator");
    byte[] secret = ConsoleClient.base32(page.locator("#totp-secret").textContent());
    page.getByLabel("Code from your authenticator app").fill(nextCode(secret));
    button("Turn on two-factor sign-in").click();
    assertThat(page.locator("h1")).hasText("Save your recovery codes");
    assertThat(page.locator("#recovery-codes li")).hasCount(10);
    shot("03-recovery-codes");
    page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Continue")).click();
    assertThat(page.locator("h1")).hasText("Dashboard");
    return secret;
  }

  @Test
  void signInWithPasswordAndTotpThenKeyLifecycleRevealAndAuditAsAPersonSeesThem() throws Exception {
    byte[] secret = signInAndEnrol();
    assertThat(page.locator("#account-sid")).hasText(SID);
    assertThat(page.locator("#auth-token-masked")).isVisible();
    assertThat(page.locator("body")).not().containsText(TOKEN);
    shot("04-dashboard");

    // Reveal the auth token (htmx swaps the panel in place, after a fresh code).
    page.getByLabel("Code from your authenticator app").fill(nextCode(secret));
    button("Reveal auth token").click();
    assertThat(page.locator("#auth-token-value")).hasText(TOKEN);
    assertThat(page).hasURL(base + "/console/dashboard");
    page.reload();
    assertThat(page.locator("body")).not().containsText(TOKEN);

    // Create a key: its secret is shown once, with a warning; after a reload it is gone.
    page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("API keys")).click();
    page.getByLabel("Name").fill("Build server");
    page.getByLabel("Standard", new Page.GetByLabelOptions().setExact(false)).first().check();
    button("Create key").click();
    assertThat(page.locator("#new-key-secret")).isVisible();
    assertThat(page.getByText("shown only this once")).isVisible();
    String keySid = page.locator("#new-key-sid").textContent();
    String keySecret = page.locator("#new-key-secret").textContent();
    assertThat(keySid).matches("SK[0-9a-f]{32}");
    shot("05-api-key-created");
    assertThat(
            TestServers.get(
                    server.port(),
                    "/2010-04-01/Accounts/" + SID + ".json",
                    basic(keySid, keySecret))
                .statusCode())
        .isEqualTo(200);
    page.reload();
    assertThat(page.locator("body")).not().containsText(keySecret);
    assertThat(page.locator("table")).containsText(keySid);
    shot("06-api-keys");

    // Revoke it, through the confirmation page.
    page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Revoke Build server"))
        .click();
    assertThat(page.locator("h1")).hasText("Revoke API key");
    shot("07-revoke-key");
    button("Revoke key").click();
    assertThat(page.locator(".notice")).hasText("The key was revoked.");
    assertThat(page.locator("body")).not().containsText(keySid);
    assertThat(
            TestServers.get(
                    server.port(),
                    "/2010-04-01/Accounts/" + SID + ".json",
                    basic(keySid, keySecret))
                .statusCode())
        .isEqualTo(401);

    // Find those actions on the audit page.
    server.flushAudit();
    page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Audit log")).click();
    Locator events = page.locator("#events");
    assertThat(events).containsText("api-key.created");
    assertThat(events).containsText("api-key.deleted");
    assertThat(events).containsText("console.auth-token.revealed");
    assertThat(events).containsText("console.sign-in.succeeded");
    assertThat(events).containsText("console-user");
    shot("08-audit-log");
    page.getByLabel("Event type").fill("api-key.deleted");
    button("Filter").click();
    assertThat(page.locator("#events tbody tr")).hasCount(1);
    assertThat(page).hasURL(java.util.regex.Pattern.compile(".*event_type=api-key.deleted.*"));
  }

  @Test
  void failedSignInShowsTheGenericMessageForWrongPasswordAndUnknownAddressAlike() {
    page.navigate(base + "/console/sign-in");
    page.getByLabel("Email address").fill(EMAIL);
    page.getByLabel("Password").fill("not the password");
    button("Sign in").click();
    String wrong = page.locator("#page-error").textContent();
    shot("09-sign-in-failed");

    page.getByLabel("Email address").fill("nobody@example.com");
    page.getByLabel("Password").fill("not the password");
    button("Sign in").click();

    assertThat(wrong)
        .isEqualTo(page.locator("#page-error").textContent())
        .startsWith("Sign-in failed.");
    assertThat(page).hasURL(base + "/console/sign-in");
    assertThat(context.cookies()).noneMatch(c -> c.name.equals("__Host-callsign-console"));
  }

  @Test
  void theOtherPagesRenderAndWorkFromTheKeyboard() throws Exception {
    byte[] secret = signInAndEnrol();
    // Flex users: provision with the keyboard only, then mint a test token.
    page.navigate(base + "/console/flex-users");
    page.getByLabel("Username").focus();
    page.keyboard().type("agent.smith");
    page.keyboard().press("Tab");
    page.keyboard().type("smith@example.com");
    page.keyboard().press("Tab");
    page.keyboard().type("Agent Smith");
    page.keyboard().press("Enter");
    assertThat(page.locator(".notice")).hasText("The Flex user was provisioned.");
    page.getByRole(
            AriaRole.BUTTON,
            new Page.GetByRoleOptions().setName("Mint a test token for agent.smith"))
        .click();
    assertThat(page.locator("#flex-test-token")).isVisible();
    shot("10-flex-users");
    String flexToken = page.locator("#flex-test-token").textContent();

    page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Single sign-on")).click();
    assertThat(page.locator("h1")).hasText("Single sign-on");
    String instance = page.locator("#sso-h code").textContent();
    assertThat(
            TestServers.sendJson(
                    server.port(),
                    "POST",
                    "/v4/Instances/" + instance + "/SsoProfiles",
                    basic(SID, TOKEN),
                    JSON.writeValueAsString(
                        Map.of(
                            "friendly_name", "Okta",
                            "issuer", "https://example.okta.com",
                            "client_id", "0oa1callsign",
                            "redirect_urls", List.of("https://flex.example.com/sso/done"))))
                .statusCode())
        .isEqualTo(201);
    page.reload();
    assertThat(page.locator("table")).containsText("https://example.okta.com");
    button("Turn off").click();
    assertThat(page.locator(".notice")).hasText("The single sign-on profile was saved.");
    assertThat(page.locator("table")).containsText("inactive");
    shot("11-single-sign-on");

    page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Token inspector")).click();
    page.getByLabel("Access Token or Flex token").fill(flexToken);
    button("Inspect").click();
    assertThat(page.locator("#verdict")).containsText("Valid: user agent.smith");
    shot("12-token-inspector");

    page.getByRole(AriaRole.LINK, new Page.GetByRoleOptions().setName("Security")).click();
    assertThat(page.locator("main")).containsText("10 unused recovery codes left");
    shot("13-security");

    // Skip link first, then the navigation, for keyboard users.
    page.keyboard().press("Tab");
    assertThat(page.locator(":focus")).hasText("Skip to content");
    assertThat(nextCode(secret)).hasSize(6);
  }
}
