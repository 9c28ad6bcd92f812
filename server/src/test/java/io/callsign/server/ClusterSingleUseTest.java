package io.callsign.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.config.DatabaseConfig;
import io.callsign.tokens.sid.AccountSid;
import java.net.CookieManager;
import java.net.URI;
import java.net.URLDecoder;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Single-use across nodes: two nodes on one PostgreSQL database, and whatever may be used once is
 * used once in the whole cluster, whether the second use comes later on the other node or at the
 * same moment on both: an SSO authorization code (mock-oauth2-server as the provider, as in {@link
 * SsoTest}), an SSO refresh token, a console TOTP code and a console recovery code. Each of these
 * is spent by a conditional write in the database, so no node's memory is involved; these tests
 * prove it end to end.
 */
class ClusterSingleUseTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  private static final String REDIRECT = "https://flex.example.com/sso/done";
  private static final String IDP = "idp-cluster";
  private static final String PASSWORD = "correct horse battery staple";
  private static final int RACERS = 10;
  // Generous: a revocation reaches the other node within milliseconds; this only catches "never".
  private static final Duration BOUND = Duration.ofSeconds(5);

  @TempDir static Path dir;
  private static TestPostgres pg;
  private static TestCluster cluster;
  private static OidcTestProvider provider;
  private static MutableClock clock;
  private static String profile;
  private static int users;

  @BeforeAll
  static void startTwoNodes() throws Exception {
    pg = TestPostgres.orSkip(TestPostgres.get());
    provider = new OidcTestProvider();
    clock = new MutableClock(Instant.now());
    cluster =
        new TestCluster(
            dir, new DatabaseConfig(pg.createDatabase(), TestPostgres.USER, null), clock, 2);
    JsonNode config =
        JSON.readTree(TestServers.get(a(), "/v1/Configuration", TestCluster.ROOT).body());
    String instance = config.get("flex_instance_sid").asText();
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("friendly_name", "Cluster provider");
    body.put("issuer", provider.issuer(IDP));
    body.put("client_id", "callsign-flex");
    body.put("client_secret", "provider-client-secret-" + "c1u5t3r");
    body.put("redirect_urls", List.of(REDIRECT));
    HttpResponse<String> created =
        TestServers.sendJson(
            a(),
            "POST",
            "/v4/Instances/" + instance + "/SsoProfiles",
            TestCluster.ROOT,
            JSON.writeValueAsString(body));
    assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
    profile = JSON.readTree(created.body()).get("sid").asText();
  }

  @AfterAll
  static void stop() {
    if (cluster != null) {
      cluster.close();
    }
    if (provider != null) {
      provider.close();
    }
  }

  @BeforeEach
  void freshStart() throws Exception {
    // The provider's tokens carry real time: keep the nodes' clock no earlier (the console tests
    // move it on by TOTP steps).
    Duration behind = Duration.between(clock.instant(), Instant.now());
    if (behind.isPositive()) {
      clock.advance(behind);
    }
    // The second-factor refusals below are counted by the shared throttle, per source.
    try (Connection c = pg.connect(cluster.databaseName());
        Statement s = c.createStatement()) {
      s.execute("TRUNCATE login_throttle_counters, login_throttle_trust");
    }
  }

  private static int a() {
    return cluster.port(0);
  }

  private static int b() {
    return cluster.port(1);
  }

  // ------------------------------------------------------------------------ SSO helpers

  /** What the Flex SDK keeps between its login URL and the exchange (twilio-wire.md 9.3). */
  private record Sdk(String verifier, String nonce, String loginPath) {}

  private static Sdk sdk() throws Exception {
    String verifier = BASE64URL.encodeToString(bytes(48));
    String challenge =
        BASE64URL.encodeToString(
            MessageDigest.getInstance("SHA-256")
                .digest(verifier.getBytes(StandardCharsets.US_ASCII)));
    String nonce = BASE64URL.encodeToString(bytes(24));
    String state =
        BASE64URL.encodeToString(
            JSON.writeValueAsString(Map.of("connection_name", profile, "redirect_url", REDIRECT))
                .getBytes(StandardCharsets.UTF_8));
    String login =
        "/v1/Flex/Authorize?redirectUrl="
            + URLEncoder.encode(REDIRECT, StandardCharsets.UTF_8)
            + "&nonce="
            + nonce
            + "&codeChallenge="
            + challenge
            + "&state="
            + state
            + "&ssoProfileSid="
            + profile;
    return new Sdk(verifier, nonce, login);
  }

  private static byte[] bytes(int n) {
    byte[] b = new byte[n];
    RANDOM.nextBytes(b);
    return b;
  }

  /** A browser: its own cookies (which, like a browser's, ignore the port), one hop at a time. */
  private static final class Browser {
    private final HttpClient http =
        HttpClient.newBuilder()
            .cookieHandler(new CookieManager())
            .followRedirects(HttpClient.Redirect.NEVER)
            .build();

    URI hop(URI uri) throws Exception {
      HttpResponse<String> r =
          http.send(
              HttpRequest.newBuilder(uri).GET().build(), HttpResponse.BodyHandlers.ofString());
      assertThat(r.statusCode()).as(uri + " -> " + r.body()).isEqualTo(302);
      return URI.create(r.headers().firstValue("Location").orElseThrow());
    }
  }

  /**
   * The browser journey: the SDK's login URL on node {@code start}, the provider, and Callsign's
   * callback on node {@code finish}; returns Callsign's authorization code.
   */
  private static String signIn(Sdk sdk, int start, int finish, String subject) throws Exception {
    provider.nextSignIn(
        IDP,
        subject,
        Map.of(
            "preferred_username", subject,
            "email", subject + "@example.com",
            "name", "Name of " + subject));
    Browser browser = new Browser();
    URI atProvider = browser.hop(URI.create("http://127.0.0.1:" + start + sdk.loginPath()));
    URI callback = browser.hop(atProvider);
    assertThat(callback.getPort()).isEqualTo(start);
    // Behind a load balancer the provider's redirect may reach any node.
    URI onFinish =
        new URI(
            callback.getScheme(),
            null,
            callback.getHost(),
            finish,
            callback.getPath(),
            callback.getQuery(),
            null);
    URI landing = browser.hop(onFinish);
    assertThat(landing.toString()).startsWith(REDIRECT + "?");
    for (String pair : landing.getRawQuery().split("&")) {
      if (pair.startsWith("code=")) {
        return URLDecoder.decode(pair.substring(5), StandardCharsets.UTF_8);
      }
    }
    throw new AssertionError("no code in " + landing);
  }

  private static HttpResponse<String> exchange(int port, Sdk sdk, String code) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("sso_profile_sid", profile);
    body.put("code", code);
    body.put("code_verifier", sdk.verifier());
    body.put("nonce", sdk.nonce());
    body.put("grant_type", "AuthorizationCode");
    return TestServers.sendJson(
        port, "POST", "/v1/Flex/OAuth/Tokens", null, JSON.writeValueAsString(body));
  }

  private static HttpResponse<String> refresh(int port, String refreshToken) throws Exception {
    Map<String, Object> body = new LinkedHashMap<>();
    body.put("refresh_token", refreshToken);
    body.put("sso_profile_sid", profile);
    body.put("grant_type", "RefreshToken");
    return TestServers.sendJson(
        port, "POST", "/v1/Flex/OAuth/Tokens", null, JSON.writeValueAsString(body));
  }

  private static JsonNode ok(HttpResponse<String> r) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    return JSON.readTree(r.body());
  }

  /** A 400/20001 that says the code or token was used already and what it had issued is revoked. */
  private static void assertSpent(HttpResponse<String> r) throws Exception {
    assertRefused(r, "already used");
    assertThat(r.body()).contains("revoked");
  }

  /** A 400/20001 whose message says {@code why}. */
  private static void assertRefused(HttpResponse<String> r, String why) throws Exception {
    assertThat(r.statusCode()).as(r.body()).isEqualTo(400);
    assertThat(JSON.readTree(r.body()).get("code").asInt()).isEqualTo(20001);
    assertThat(r.body()).contains(why);
  }

  private static boolean valid(int port, String token) throws Exception {
    HttpResponse<String> r =
        TestServers.sendJson(
            port,
            "POST",
            "/v1/Accounts/" + TestCluster.SID + "/Tokens/validate",
            TestCluster.ROOT,
            JSON.writeValueAsString(Map.of("token", token)));
    return ok(r).get("valid").asBoolean();
  }

  /** Waits until {@code token} no longer validates on either node; fails after {@link #BOUND}. */
  private static void awaitInvalidEverywhere(String token) throws Exception {
    long deadline = System.nanoTime() + BOUND.toNanos();
    for (int port : List.of(a(), b())) {
      while (valid(port, token)) {
        assertThat(System.nanoTime()).as("revoked on port " + port).isLessThan(deadline);
        Thread.sleep(10);
      }
    }
  }

  /** Runs {@code calls} at once (platform threads, released together); their answers. */
  private static List<HttpResponse<String>> race(List<Callable<HttpResponse<String>>> calls)
      throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<HttpResponse<String>>> futures = new ArrayList<>();
    try (ExecutorService pool = Executors.newFixedThreadPool(calls.size())) {
      for (Callable<HttpResponse<String>> call : calls) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return call.call();
                }));
      }
      start.countDown();
      List<HttpResponse<String>> answers = new ArrayList<>();
      for (Future<HttpResponse<String>> f : futures) {
        answers.add(f.get());
      }
      return answers;
    }
  }

  /**
   * Exactly one of {@code answers} claimed the code or token: every other says it was used already.
   * The claim answers 200 or, when a replay revoked the sign-in before it finished, 400; either way
   * nothing it issued stays valid on any node.
   */
  private static void assertClaimedOnceThenRevoked(List<HttpResponse<String>> answers)
      throws Exception {
    List<HttpResponse<String>> spent =
        answers.stream().filter(r -> r.body().contains("already used")).toList();
    assertThat(spent).hasSize(answers.size() - 1);
    for (HttpResponse<String> r : spent) {
      assertSpent(r);
    }
    HttpResponse<String> claim =
        answers.stream().filter(r -> !spent.contains(r)).findFirst().orElseThrow();
    if (claim.statusCode() == 200) {
      awaitInvalidEverywhere(ok(claim).get("access_token").asText());
    } else {
      assertRefused(claim, "revoked");
    }
  }

  /** How many of {@code answers} had each status. */
  private static Map<Integer, Integer> statuses(List<HttpResponse<String>> answers) {
    Map<Integer, Integer> counted = new LinkedHashMap<>();
    answers.forEach(r -> counted.merge(r.statusCode(), 1, Integer::sum));
    return counted;
  }

  // ---------------------------------------------------------------------- SSO codes

  @Test
  void ssoCodeRedeemedOnOneNodeFailsOnTheOtherAndRevokesWhatTheFirstIssued() throws Exception {
    Sdk sdk = sdk();
    String code = signIn(sdk, a(), a(), "ada");
    JsonNode tokens = ok(exchange(a(), sdk, code));
    String access = tokens.get("access_token").asText();
    assertThat(valid(b(), access)).isTrue();

    assertSpent(exchange(b(), sdk, code));
    // The replay on B revokes the sign-in A issued: on both nodes, and its refresh token too.
    awaitInvalidEverywhere(access);
    assertRefused(refresh(a(), tokens.get("refresh_token").asText()), "revoked");
  }

  @Test
  void ssoCodeRedeemedOnBothNodesAtOnceIsClaimedOnceAndWhatItIssuedIsRevoked() throws Exception {
    Sdk sdk = sdk();
    String code = signIn(sdk, a(), a(), "bo");
    List<Callable<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < RACERS; i++) {
      int port = i % 2 == 0 ? a() : b();
      calls.add(() -> exchange(port, sdk, code));
    }

    // One claims the code; every other sees it used already, which is a replay: what the code
    // issued is revoked, so the one that claimed it answers 200 only if it finished first.
    assertClaimedOnceThenRevoked(race(calls));
  }

  @Test
  void ssoSignInStartedOnOneNodeFinishesOnTheOtherAndItsCodeStillWorksOnce() throws Exception {
    Sdk sdk = sdk();
    String code = signIn(sdk, a(), b(), "cy");

    JsonNode tokens = ok(exchange(b(), sdk, code));
    assertThat(valid(a(), tokens.get("access_token").asText())).isTrue();
    assertSpent(exchange(a(), sdk, code));
  }

  // ----------------------------------------------------------------- refresh tokens

  @Test
  void refreshTokenRotatedOnOneNodeIsRefusedOnTheOtherAndTheFamilyStops() throws Exception {
    Sdk sdk = sdk();
    JsonNode first = ok(exchange(a(), sdk, signIn(sdk, a(), a(), "dee")));
    JsonNode second = ok(refresh(a(), first.get("refresh_token").asText()));

    // The rotated token presented again, on B: reuse, and the whole sign-in stops everywhere.
    assertSpent(refresh(b(), first.get("refresh_token").asText()));
    awaitInvalidEverywhere(second.get("access_token").asText());
    assertRefused(refresh(a(), second.get("refresh_token").asText()), "revoked");
  }

  @Test
  void refreshTokenPresentedOnBothNodesAtOnceIsClaimedOnceAndTheSignInStops() throws Exception {
    Sdk sdk = sdk();
    JsonNode tokens = ok(exchange(a(), sdk, signIn(sdk, a(), a(), "eve")));
    String refreshToken = tokens.get("refresh_token").asText();
    List<Callable<HttpResponse<String>>> calls = new ArrayList<>();
    for (int i = 0; i < RACERS; i++) {
      int port = i % 2 == 0 ? a() : b();
      calls.add(() -> refresh(port, refreshToken));
    }

    // One claims the token; every other sees it used already, which is reuse: the sign-in is
    // revoked, so the one that claimed it answers 200 only if it finished first.
    assertClaimedOnceThenRevoked(race(calls));
    awaitInvalidEverywhere(tokens.get("access_token").asText());
    assertRefused(refresh(b(), refreshToken), "already used");
  }

  // ------------------------------------------------------------------ console codes

  /** A new console user, added through node A. */
  private static String consoleUser() {
    String email = "user" + (++users) + "@example.com";
    cluster.node(0).console().addUser(AccountSid.of(TestCluster.SID), email, PASSWORD);
    return email;
  }

  /**
   * A browser on {@code port} past the password, at the second-factor page (or the enrolment page,
   * for a user who has not enrolled yet).
   */
  private static ConsoleClient atSecondFactor(int port, String email) throws Exception {
    ConsoleClient browser = new ConsoleClient(port);
    browser.get("/console/sign-in");
    HttpResponse<String> passed =
        browser.post("/console/sign-in", Map.of("email", email, "password", PASSWORD));
    assertThat(passed.statusCode()).as(passed.body()).isEqualTo(303);
    assertThat(browser.follow().statusCode()).isEqualTo(200);
    return browser;
  }

  @Test
  void totpCodeAcceptedOnOneNodeIsRefusedOnTheOther() throws Exception {
    String email = consoleUser();
    byte[] secret = new ConsoleClient(a()).signInAndEnrol(email, PASSWORD, clock);
    ConsoleClient onA = atSecondFactor(a(), email);
    ConsoleClient onB = atSecondFactor(b(), email);
    String code = ConsoleClient.code(secret, clock.instant());

    assertThat(onA.post("/console/mfa", Map.of("code", code)).statusCode()).isEqualTo(303);
    assertThat(onB.post("/console/mfa", Map.of("code", code)).statusCode()).isEqualTo(401);
    assertThat(onB.get("/console/dashboard").statusCode()).isEqualTo(303);
    // The next step's code signs in on B: it was the code that was spent, not the user.
    clock.advance(Duration.ofSeconds(30));
    onB.get("/console/mfa");
    String next = ConsoleClient.code(secret, clock.instant());
    assertThat(onB.post("/console/mfa", Map.of("code", next)).statusCode()).isEqualTo(303);
    assertThat(onB.get("/console/dashboard").statusCode()).isEqualTo(200);
  }

  @Test
  void totpCodeSubmittedOnBothNodesAtOnceSignsInOnce() throws Exception {
    String email = consoleUser();
    byte[] secret = new ConsoleClient(a()).signInAndEnrol(email, PASSWORD, clock);
    List<ConsoleClient> browsers = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      browsers.add(atSecondFactor(i % 2 == 0 ? a() : b(), email));
    }
    String code = ConsoleClient.code(secret, clock.instant());
    List<Callable<HttpResponse<String>>> calls = new ArrayList<>();
    for (ConsoleClient browser : browsers) {
      calls.add(() -> browser.post("/console/mfa", Map.of("code", code)));
    }

    assertThat(statuses(race(calls))).containsExactlyInAnyOrderEntriesOf(Map.of(303, 1, 401, 5));
  }

  @Test
  void recoveryCodeUsedOnOneNodeIsRefusedOnTheOther() throws Exception {
    String email = consoleUser();
    ConsoleClient enrolling = atSecondFactor(a(), email);
    assertThat(enrolling.last.body()).contains("totp-secret");
    byte[] secret = enrolling.enrolmentSecret();
    enrolling.post(
        "/console/mfa/enrol", Map.of("code", ConsoleClient.code(secret, clock.instant())));
    List<String> codes = ConsoleClient.recoveryCodes(enrolling.last.body());
    assertThat(codes).isNotEmpty();

    ConsoleClient onA = atSecondFactor(a(), email);
    assertThat(onA.post("/console/mfa", Map.of("code", codes.get(0))).statusCode()).isEqualTo(303);
    ConsoleClient onB = atSecondFactor(b(), email);
    assertThat(onB.post("/console/mfa", Map.of("code", codes.get(0))).statusCode()).isEqualTo(401);
    assertThat(onB.post("/console/mfa", Map.of("code", codes.get(1))).statusCode()).isEqualTo(303);
  }
}
