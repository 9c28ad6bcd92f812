package io.callsign.server.sso;

import com.nimbusds.jwt.JWTClaimsSet;
import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.server.flex.FlexInstance;
import io.callsign.server.flex.FlexService;
import io.callsign.server.flex.FlexTokenService;
import io.callsign.server.flex.FlexUser;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.RequestContext;
import io.callsign.server.sso.SignInFailure.SignInException;
import io.callsign.server.sso.SsoStore.IssuedAccess;
import io.callsign.server.sso.SsoStore.IssuedCode;
import io.callsign.server.sso.SsoStore.PendingLogin;
import io.callsign.server.sso.SsoStore.RefreshFamily;
import io.callsign.server.sso.SsoStore.RefreshToken;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.Sids;
import io.callsign.tokens.sid.SsoProfileSid;
import java.net.URI;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Single sign-on for Flex users, the way the Flex SDK drives it (twilio-wire.md 9.3;
 * docs/design/0011-sso.md). No HTTP types.
 *
 * <ol>
 *   <li>{@link #authorize}: the SDK's login URL. Checks the profile and the SDK's redirect URL,
 *       remembers the SDK's state, nonce and code challenge, and sends the browser to the provider
 *       with Callsign's own state, nonce and PKCE (S256), bound to the browser by a cookie.
 *   <li>{@link #callback}: the provider's answer. Takes the pending sign-in once, checks the
 *       browser, the issuer (mix-up), redeems the code and validates the ID token, finds or
 *       provisions the Flex user by the provider's {@code (issuer, sub)}, and sends the browser to
 *       the SDK's redirect URL with a code and the SDK's state (or an error).
 *   <li>{@link #exchange}: the SDK redeems the code once, within a minute, with the verifier of its
 *       challenge and its nonce, for a Flex token and a refresh token. A code presented again
 *       revokes what it was exchanged for.
 *   <li>{@link #refresh}: rotates a refresh token. One presented again after rotation revokes its
 *       whole family (every refresh token and Flex token of that sign-in).
 * </ol>
 */
public final class SsoLoginService {
  /** How long a sign-in may stay at the provider. */
  public static final Duration LOGIN_LIFETIME = Duration.ofMinutes(10);

  /** How long a code handed to the SDK may wait for its exchange. */
  public static final Duration CODE_LIFETIME = Duration.ofSeconds(60);

  /** How long an unused refresh token stays valid. */
  public static final Duration REFRESH_IDLE = Duration.ofHours(24);

  /** How long refreshing may go on after a sign-in, however often it is used. */
  public static final Duration REFRESH_ABSOLUTE = Duration.ofDays(30);

  private static final String CALLBACK_COOKIE = "callsign_sso_";
  private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);
  private static final int ATTEMPTS = 3;
  private static final int MAX_STATE = 4096;
  private static final int MAX_NONCE = 512;
  private static final int MAX_USERNAME = 240;
  private static final Pattern CHALLENGE = Pattern.compile("[A-Za-z0-9_-]{43}");
  // RFC 7636 section 4.1: 43 to 128 unreserved characters.
  private static final Pattern VERIFIER = Pattern.compile("[A-Za-z0-9._~-]{43,128}");
  private static final Pattern ERROR_CODE = Pattern.compile("[a-z_]{1,64}");
  // Errors a provider may answer with that the SDK's app can make sense of; any other becomes
  // access_denied.
  private static final Set<String> PASSED_ERRORS =
      Set.of(
          "access_denied",
          "login_required",
          "consent_required",
          "interaction_required",
          "account_selection_required",
          "temporarily_unavailable",
          "server_error",
          "invalid_request",
          "invalid_scope",
          "unauthorized_client");

  private final SsoStore store;
  private final SsoProfileService profiles;
  private final FlexService flex;
  private final FlexTokenService tokens;
  private final OidcProviders providers;
  private final Clock clock;
  private final Audit audit;
  private final AtomicLong lastPrune = new AtomicLong(Long.MIN_VALUE);

  /**
   * A service over {@code store} and {@code profiles}, provisioning users through {@code flex},
   * minting and revoking their tokens through {@code tokens}, taking the time from {@code clock}
   * and recording sign-ins in {@code audit}.
   */
  public SsoLoginService(
      SsoStore store,
      SsoProfileService profiles,
      FlexService flex,
      FlexTokenService tokens,
      Clock clock,
      Audit audit) {
    this.store = store;
    this.profiles = profiles;
    this.flex = flex;
    this.tokens = tokens;
    this.providers = new OidcProviders(clock);
    this.clock = clock;
    this.audit = audit;
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.MILLIS);
  }

  // --------------------------------------------------------------------------------- config

  /**
   * The profiles the SDK's {@code getAuthenticationConfig} asks about: those matching every
   * parameter given (blank ones are not given). With no account, instance or profile given, none:
   * the endpoint needs no credentials, so it never lists everything.
   *
   * @throws ApiException 400/20001 for a malformed SID or app type
   */
  public List<SsoProfile> configList(
      String accountSid, String instanceSid, String profileSid, String appType) {
    String account = blankToNull(accountSid);
    String instance = blankToNull(instanceSid);
    String profile = blankToNull(profileSid);
    String type = blankToNull(appType);
    check("AccountSid", AccountSid.PREFIX, account);
    check("FlexInstanceSid", FlexInstanceSid.PREFIX, instance);
    check("SSOProfileSid", SsoProfileSid.PREFIX, profile);
    if (type != null
        && !type.equals(SsoProfile.SINGLE_PAGE_APP)
        && !type.equals(SsoProfile.MOBILE_APP)) {
      throw new ApiException(
          ApiError.invalidParameter(
              "AppType", SsoProfile.SINGLE_PAGE_APP + " or " + SsoProfile.MOBILE_APP));
    }
    List<SsoProfile> found;
    if (profile != null) {
      found = profiles.profile(SsoProfileSid.of(profile)).stream().toList();
    } else if (account != null) {
      found = profiles.profilesOf(AccountSid.of(account));
    } else if (instance != null) {
      found = flex.instance(FlexInstanceSid.of(instance)).map(profiles::profiles).orElse(List.of());
    } else {
      return List.of();
    }
    return found.stream()
        .filter(p -> account == null || p.accountSid().value().equals(account))
        .filter(p -> instance == null || p.instanceSid().value().equals(instance))
        .filter(p -> type == null || p.appType().equals(type))
        .toList();
  }

  private static void check(String name, String prefix, String sid) {
    if (sid != null && !Sids.isValid(prefix, sid)) {
      throw new ApiException(ApiError.invalidParameter(name, "not a " + prefix + " SID"));
    }
  }

  // ------------------------------------------------------------------------------ authorize

  /**
   * What the SDK's login URL carries (twilio-wire.md 9.3, {@code getLoginDetails}).
   *
   * @param profileSid {@code ssoProfileSid}
   * @param redirectUrl {@code redirectUrl}: where to send the browser back
   * @param state {@code state}: opaque, passed back unchanged
   * @param nonce {@code nonce}: the exchange must repeat it
   * @param codeChallenge {@code codeChallenge}: S256 of the SDK's code verifier
   */
  public record Authorization(
      String profileSid, String redirectUrl, String state, String nonce, String codeChallenge) {}

  /**
   * Where a sign-in goes next.
   *
   * @param location the provider's authorization URL
   * @param cookieName the cookie binding the sign-in to this browser
   * @param cookieValue its value (a secret: random, 256 bits)
   */
  public record Started(URI location, String cookieName, String cookieValue) {
    /** Never prints the cookie's value. */
    @Override
    public String toString() {
      return "Started[" + location.getHost() + "]";
    }
  }

  /**
   * Starts a sign-in: checks {@code a} and sends the browser to the provider. Nothing is sent to
   * the provider (not even the browser) when a check fails.
   *
   * @param callback Callsign's callback URL, the {@code redirect_uri} the provider is given
   * @throws ApiException 404/20404 for an unknown profile; 400/70251 for an inactive one; 400/20001
   *     for a missing or malformed parameter, or a redirect URL the profile does not allow;
   *     502/20502 when the provider cannot be reached, 502/70251 when its discovery document cannot
   *     be used
   */
  public Started authorize(Authorization a, URI callback) {
    SsoProfile profile = activeProfile(a.profileSid(), "ssoProfileSid");
    String redirectUrl = required("redirectUrl", a.redirectUrl(), 2048);
    // Exactly one of the profile's: no prefix, case or trailing-slash variants (RFC 9700 4.1).
    if (!profile.redirectUrls().contains(redirectUrl)) {
      throw new ApiException(
          ApiError.invalidParameter(
              "redirectUrl", "not one of the redirect URLs of SSO profile " + profile.sid()));
    }
    String state = required("state", a.state(), MAX_STATE);
    String nonce = required("nonce", a.nonce(), MAX_NONCE);
    String challenge = required("codeChallenge", a.codeChallenge(), 43);
    if (!CHALLENGE.matcher(challenge).matches()) {
      throw new ApiException(
          ApiError.invalidParameter("codeChallenge", "a base64url S256 challenge, 43 characters"));
    }
    OidcProviders.Provider provider;
    try {
      provider = providers.provider(profile.issuer());
    } catch (SignInException e) {
      throw new ApiException(providerError(e));
    }
    String ourState = SsoSecrets.random();
    String ourNonce = SsoSecrets.random();
    String verifier = SsoSecrets.random();
    String browser = SsoSecrets.random();
    Instant now = now();
    store.insertPendingLogin(
        new PendingLogin(
            SsoSecrets.hash(ourState),
            profile.sid(),
            profile.issuer(),
            SsoSecrets.hash(browser),
            ourNonce,
            verifier,
            callback.toString(),
            redirectUrl,
            state,
            nonce,
            challenge,
            now.plus(LOGIN_LIFETIME),
            now));
    pruneNowAndThen(now);
    return new Started(
        providers.authorizationUrl(provider, profile, callback, ourState, ourNonce, verifier),
        cookieName(ourState),
        browser);
  }

  private static ApiError providerError(SignInException e) {
    String why = e.failure().message() + (e.detail() == null ? "" : ": " + e.detail());
    return e.failure() == SignInFailure.PROVIDER_UNUSABLE
        ? ApiError.badSsoSettings(502, why)
        : ApiError.badGateway(why);
  }

  /**
   * The name of the cookie that binds the sign-in with Callsign's {@code state} to its browser: one
   * per sign-in, so that sign-ins in two tabs do not disturb each other.
   */
  public static String cookieName(String state) {
    return CALLBACK_COOKIE + SsoSecrets.hash(state).substring(0, 16);
  }

  // ------------------------------------------------------------------------------- callback

  /**
   * The provider's answer, as the browser brings it back.
   *
   * @param state {@code state}: Callsign's own
   * @param code {@code code}, or {@code null} with an error
   * @param error {@code error}, or {@code null}
   * @param issuer {@code iss} (RFC 9207), or {@code null}
   * @param cookies the request's cookies by name
   */
  public record Callback(
      String state, String code, String error, String issuer, UnaryOperator<String> cookies) {
    /** Never prints the code. */
    @Override
    public String toString() {
      return "Callback[error=" + error + "]";
    }
  }

  /**
   * Ends a sign-in: where to send the browser, the SDK's redirect URL with {@code code} and the
   * SDK's {@code state}, or with {@code error}, {@code error_description} and {@code state} when
   * the sign-in failed (each failure recorded as {@code sso.sign-in.failed}).
   *
   * @throws ApiException 400/20001 when the state is missing, unknown, or used already: the browser
   *     is then not sent anywhere
   */
  public URI callback(Callback c) {
    if (c.state() == null || c.state().isEmpty() || c.state().length() > MAX_STATE) {
      throw new ApiException(ApiError.missingParameter("state"));
    }
    PendingLogin login =
        store
            .takePendingLogin(SsoSecrets.hash(c.state()))
            .orElseThrow(
                () ->
                    new ApiException(
                        ApiError.invalidParameter(
                            "state", "unknown, expired or already used; start the sign-in again")));
    Optional<SsoProfile> profile = profiles.profile(login.profileSid());
    try {
      Instant now = now();
      if (!now.isBefore(login.expiresAt())) {
        throw SignInFailure.STATE_EXPIRED.because(null);
      }
      String browser = c.cookies().apply(cookieName(c.state()));
      if (browser == null || !SsoSecrets.same(SsoSecrets.hash(browser), login.browserHash())) {
        throw SignInFailure.OTHER_BROWSER.because(null);
      }
      if (profile.isEmpty() || !profile.get().active()) {
        throw SignInFailure.PROFILE_INACTIVE.because(null);
      }
      if (!profile.get().issuer().equals(login.issuer())) {
        throw SignInFailure.ISSUER_MISMATCH.because("the profile's issuer changed");
      }
      // RFC 9207: an iss parameter names the provider that answered; it must be the one asked.
      if (c.issuer() != null && !c.issuer().equals(login.issuer())) {
        throw SignInFailure.ISSUER_MISMATCH.because("iss parameter");
      }
      if (c.error() != null) {
        throw SignInFailure.PROVIDER_DENIED.because(
            ERROR_CODE.matcher(c.error()).matches() ? c.error() : "error");
      }
      OidcProviders.Provider provider = providers.provider(login.issuer());
      if (provider.issParameter() && c.issuer() == null) {
        throw SignInFailure.ISSUER_MISMATCH.because("no iss parameter");
      }
      if (c.code() == null || c.code().isEmpty()) {
        throw SignInFailure.PROVIDER_UNUSABLE.because("no code");
      }
      JWTClaimsSet claims =
          providers.redeem(
              provider,
              profile.get(),
              c.code(),
              URI.create(login.callbackUrl()),
              login.codeVerifier(),
              login.nonce());
      String code = signIn(profile.get(), login, claims);
      return redirect(login.sdkRedirectUrl(), "code", code, "state", login.sdkState());
    } catch (SignInException e) {
      profile.ifPresent(p -> recordFailure(p, login.issuer(), e));
      String error =
          e.failure() == SignInFailure.PROVIDER_DENIED && PASSED_ERRORS.contains(e.detail())
              ? e.detail()
              : e.failure().oauthError();
      String description =
          e.failure().message() + (e.detail() == null ? "" : " (" + e.detail() + ")");
      return redirect(
          login.sdkRedirectUrl(),
          "error",
          error,
          "error_description",
          description,
          "state",
          login.sdkState());
    }
  }

  /** Signals a lost race for a first sign-in's link: the transaction is rolled back and retried. */
  private static final class LinkRace extends RuntimeException {
    private static final long serialVersionUID = 1L;

    LinkRace() {
      super(null, null, false, false);
    }
  }

  /**
   * Finds or provisions the Flex user, issues Callsign's code for it and records the sign-in, all
   * in one transaction; returns the code.
   */
  private String signIn(SsoProfile profile, PendingLogin login, JWTClaimsSet claims) {
    FlexInstance instance =
        flex.instance(profile.instanceSid())
            .orElseThrow(() -> new IllegalStateException(profile + " has no instance"));
    String subject = claims.getSubject();
    Identity identity = identity(profile, instance, claims);
    String code = SsoSecrets.random();
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      try {
        audit.atomically(
            () -> {
              Instant now = now();
              FlexUser user = findOrProvision(profile, instance, login.issuer(), subject, identity);
              store.insertCode(
                  new IssuedCode(
                      SsoSecrets.hash(code),
                      profile.sid(),
                      user.sid(),
                      login.sdkRedirectUrl(),
                      login.sdkNonce(),
                      login.sdkCodeChallenge(),
                      now.plus(CODE_LIFETIME),
                      null,
                      null,
                      now));
              return user;
            },
            user -> signedIn(profile, login.issuer(), subject, user));
        return code;
      } catch (LinkRace race) {
        // Another first sign-in of the same identity won: this time the link is there.
      }
    }
    throw new IllegalStateException("the link of a provider user kept changing");
  }

  /**
   * What the ID token says the user is, by the profile's claim mapping.
   *
   * @param username the username a new user gets (before any suffix)
   * @param email the email
   * @param fullName the full name, or {@code null}
   * @param roles the roles, at least one
   */
  private record Identity(String username, String email, String fullName, List<String> roles) {}

  private Identity identity(SsoProfile profile, FlexInstance instance, JWTClaimsSet claims) {
    String email = text(claims, profile.emailClaim());
    if (email == null) {
      throw SignInFailure.CLAIMS_UNUSABLE.because(
          "no " + ApiError.printable(profile.emailClaim()) + " claim");
    }
    // The mapped claim, else the email (which every user has).
    String username = text(claims, profile.usernameClaim());
    username = (username == null ? email : username).strip();
    if (username.length() > MAX_USERNAME) {
      username = username.substring(0, MAX_USERNAME).strip();
    }
    String fullName = text(claims, profile.fullNameClaim());
    if (fullName == null) {
      String given = text(claims, "given_name");
      String family = text(claims, "family_name");
      fullName =
          given == null && family == null
              ? null
              : ((given == null ? "" : given) + " " + (family == null ? "" : family)).strip();
    }
    return new Identity(username, email, fullName, roles(profile, instance, claims));
  }

  /**
   * The instance's roles the roles claim names (a string or a list of strings; others ignored), or
   * the profile's default role when it names none or there is no roles claim.
   */
  private List<String> roles(SsoProfile profile, FlexInstance instance, JWTClaimsSet claims) {
    if (profile.rolesClaim() == null) {
      return List.of(profile.defaultRole());
    }
    Object value = claims.getClaim(profile.rolesClaim());
    List<String> named = new ArrayList<>();
    if (value instanceof String s) {
      named.add(s);
    } else if (value instanceof List<?> list) {
      list.stream().filter(String.class::isInstance).map(String.class::cast).forEach(named::add);
    }
    Set<String> known =
        flex.roles(instance).stream().map(r -> r.name()).collect(Collectors.toSet());
    Set<String> roles = new LinkedHashSet<>();
    for (String r : named) {
      if (known.contains(r) && roles.size() < FlexService.MAX_ROLES) {
        roles.add(r);
      }
    }
    return roles.isEmpty() ? List.of(profile.defaultRole()) : List.copyOf(roles);
  }

  private static String text(JWTClaimsSet claims, String name) {
    Object v = claims.getClaim(name);
    return v instanceof String s && !s.isBlank() ? s : null;
  }

  /**
   * The Flex user the provider's {@code (issuer, subject)} is in the instance, brought up to date
   * from the claims; a new one (with a new link) on the first sign-in. Users are never found by
   * username or email: a provider's user never becomes a user that exists already.
   */
  private FlexUser findOrProvision(
      SsoProfile profile, FlexInstance instance, String issuer, String subject, Identity identity) {
    Instant now = now();
    Optional<FlexUserSid> linked = store.findLink(instance.sid(), issuer, subject);
    try {
      if (linked.isPresent()) {
        FlexUser user =
            flex.user(linked.get())
                .orElseThrow(() -> new IllegalStateException("a link names no user"));
        if (user.deactivated()) {
          throw SignInFailure.USER_DEACTIVATED.because(null);
        }
        FlexUser updated =
            flex.update(
                    instance,
                    user.sid(),
                    new FlexService.Update(
                        identity.email(),
                        identity.fullName() == null ? user.fullName() : identity.fullName(),
                        identity.roles(),
                        null,
                        null))
                .orElseThrow();
        store.touchLink(instance.sid(), issuer, subject, now);
        return updated;
      }
      for (String username : usernames(identity.username())) {
        Optional<FlexUser> created =
            flex.provisionNew(
                instance,
                new FlexService.Provision(
                    username,
                    identity.email(),
                    identity.fullName() == null ? username : identity.fullName(),
                    identity.roles(),
                    null,
                    null));
        if (created.isPresent()) {
          if (!store.insertLink(
              instance.sid(), issuer, subject, created.get().sid(), profile.sid(), now)) {
            throw new LinkRace();
          }
          return created.get();
        }
      }
    } catch (ApiException e) {
      // A claim Flex does not take (an email that is none, a username with control characters):
      // the message names the field, never its value.
      throw SignInFailure.CLAIMS_UNUSABLE.because(e.getMessage());
    }
    throw SignInFailure.CLAIMS_UNUSABLE.because("no free username");
  }

  /**
   * The usernames a new user may get, in order: the mapped one, then with {@code -2} to {@code
   * -20}, then with a random suffix. Two providers' users with the same name or email are two
   * users, so the second gets a suffix.
   */
  private static List<String> usernames(String base) {
    List<String> names = new ArrayList<>();
    names.add(base);
    for (int n = 2; n <= 20; n++) {
      names.add(base + "-" + n);
    }
    names.add(base + "-" + SsoSecrets.random().substring(0, 8));
    return names;
  }

  private static URI redirect(String base, String... parameters) {
    StringBuilder url = new StringBuilder(base);
    char separator = base.contains("?") ? '&' : '?';
    for (int i = 0; i < parameters.length; i += 2) {
      url.append(separator)
          .append(parameters[i])
          .append('=')
          .append(URLEncoder.encode(parameters[i + 1], StandardCharsets.UTF_8));
      separator = '&';
    }
    return URI.create(url.toString());
  }

  // ---------------------------------------------------------------------------------- tokens

  /**
   * What an exchange or a refresh issues.
   *
   * @param access the Flex token and what it stands for
   * @param refreshToken the refresh token (a secret: shown once, stored as a hash)
   */
  public record Issued(FlexTokenService.Minted access, String refreshToken) {
    /** Never prints the tokens. */
    @Override
    public String toString() {
      return "Issued[" + access + "]";
    }
  }

  /**
   * Exchanges Callsign's {@code code} for a Flex token and a refresh token (the SDK's {@code
   * exchangeToken}). The code is used up by the first attempt, whatever its outcome.
   *
   * @throws ApiException 404/20404 for an unknown profile; 400/70251 for an inactive one; 400/20001
   *     for a missing parameter, an unknown, expired or replayed code (a replay also revokes what
   *     the code was exchanged for), a code of another profile, a {@code code_verifier} that does
   *     not answer the code's challenge, a {@code nonce} that is not the one the sign-in began
   *     with, or a deactivated user
   */
  public Issued exchange(String profileSid, String code, String verifier, String nonce) {
    // An unknown or inactive profile is refused before the code is used up.
    SsoProfile profile = activeProfile(profileSid, "sso_profile_sid");
    SsoProfileSid sid = profile.sid();
    String given = required("code", code, 512);
    String codeVerifier = required("code_verifier", verifier, 128);
    String givenNonce = required("nonce", nonce, MAX_NONCE);
    String hash = SsoSecrets.hash(given);
    Instant now = now();
    IssuedCode issued =
        store.claimCode(hash, SsoSecrets.random(), now).orElseThrow(() -> replayed(hash, now));
    if (!issued.profileSid().equals(sid)) {
      throw invalidGrant("code", "it was not issued through SSO profile " + sid);
    }
    if (!now.isBefore(issued.expiresAt())) {
      throw invalidGrant("code", "it has expired; sign in again");
    }
    if (!VERIFIER.matcher(codeVerifier).matches()
        || !SsoSecrets.same(SsoSecrets.s256(codeVerifier), issued.sdkCodeChallenge())) {
      throw invalidGrant("code_verifier", "it does not match the code challenge of the sign-in");
    }
    if (!SsoSecrets.same(givenNonce, issued.sdkNonce())) {
      throw invalidGrant("nonce", "it is not the nonce the sign-in began with");
    }
    FlexInstance instance = flex.instance(profile.instanceSid()).orElseThrow();
    FlexUser user = activeUser(issued.userSid(), "code");
    return audit.atomically(
        () -> {
          // Holds the code's row: a replay now waits for these tokens, then revokes them.
          if (!store.markCodeExchanged(hash, now)) {
            throw invalidGrant("code", "it was presented twice; what it issued is revoked");
          }
          store.insertFamily(
              new RefreshFamily(
                  issued.familyId(),
                  profile.sid(),
                  instance.sid(),
                  user.sid(),
                  now.plus(REFRESH_ABSOLUTE),
                  null,
                  now));
          return issue(instance, user, issued.familyId(), now.plus(REFRESH_ABSOLUTE), now);
        },
        i -> null);
  }

  /**
   * A code that could not be claimed: if it was used before, it is replayed, and the tokens of its
   * exchange are revoked (RFC 9700 section 4.2.4 / ASVS 10.4.2); else it is unknown.
   */
  private ApiException replayed(String hash, Instant now) {
    Optional<IssuedCode> used = store.markCodeReplayed(hash, now);
    if (used.isEmpty()) {
      return invalidGrant("code", "it is unknown or has expired; sign in again");
    }
    IssuedCode code = used.get();
    profiles
        .profile(code.profileSid())
        .ifPresent(
            p ->
                audit.atomically(
                    () -> revokeFamily(code.familyId()),
                    revoked ->
                        event(
                            p.accountSid().value(),
                            null,
                            "sso.code.replay-detected",
                            code.userSid().value(),
                            "flex-user",
                            "A single sign-on code was presented again; what it issued is revoked",
                            revocationData(p.sid(), code.userSid(), revoked))));
    return invalidGrant("code", "it was already used; what it issued is revoked");
  }

  /**
   * Rotates {@code refreshToken} (the SDK's {@code refreshToken}): a new Flex token and a new
   * refresh token of the same family; the one presented is used up.
   *
   * @throws ApiException 404/20404 for an unknown profile; 400/70251 for an inactive one; 400/20001
   *     for a missing, unknown, expired or revoked refresh token, one of another profile, one
   *     presented again after rotation (which revokes its whole family), or a deactivated user
   */
  public Issued refresh(String profileSid, String refreshToken) {
    SsoProfile profile = activeProfile(profileSid, "sso_profile_sid");
    SsoProfileSid sid = profile.sid();
    String hash = SsoSecrets.hash(required("refresh_token", refreshToken, 512));
    Instant now = now();
    Optional<RefreshToken> claimed = store.claimRefreshToken(hash, now);
    if (claimed.isEmpty()) {
      Optional<RefreshToken> used = store.findRefreshToken(hash);
      if (used.isEmpty()) {
        throw invalidGrant("refresh_token", "it is unknown or has expired; sign in again");
      }
      // A rotated token presented again: it was copied, and which copy is the user's is unknown.
      store
          .findFamily(used.get().familyId())
          .ifPresent(
              f ->
                  audit.atomically(
                      () -> revokeFamily(f.familyId()),
                      revoked ->
                          event(
                              flex.instance(f.instanceSid()).orElseThrow().accountSid().value(),
                              null,
                              "sso.refresh-token.reuse-detected",
                              f.userSid().value(),
                              "flex-user",
                              "A rotated single sign-on refresh token was presented again; its"
                                  + " sign-in is revoked",
                              revocationData(f.profileSid(), f.userSid(), revoked))));
      throw invalidGrant(
          "refresh_token", "it was already used; its sign-in is revoked; sign in again");
    }
    RefreshToken token = claimed.get();
    RefreshFamily family =
        store
            .findFamily(token.familyId())
            .orElseThrow(() -> invalidGrant("refresh_token", "it is unknown or has expired"));
    if (family.revokedAt() != null) {
      throw invalidGrant("refresh_token", "its sign-in was revoked; sign in again");
    }
    if (!family.profileSid().equals(sid)) {
      throw invalidGrant("refresh_token", "it was not issued through SSO profile " + sid);
    }
    if (!now.isBefore(token.expiresAt()) || !now.isBefore(family.expiresAt())) {
      throw invalidGrant("refresh_token", "it has expired; sign in again");
    }
    FlexInstance instance = flex.instance(profile.instanceSid()).orElseThrow();
    FlexUser user = activeUser(family.userSid(), "refresh_token");
    return audit.atomically(
        () -> {
          // Holds the family's row: a concurrent revocation waits, then revokes this one too.
          if (!store.holdFamily(family.familyId())) {
            throw invalidGrant("refresh_token", "its sign-in was revoked; sign in again");
          }
          return issue(instance, user, family.familyId(), family.expiresAt(), now);
        },
        i -> null);
  }

  private Issued issue(
      FlexInstance instance, FlexUser user, String familyId, Instant familyEnd, Instant now) {
    FlexTokenService.Minted access = tokens.mint(instance, user, FlexTokenService.DEFAULT_TTL);
    String refreshToken = SsoSecrets.random();
    Instant idleEnd = now.plus(REFRESH_IDLE);
    store.insertRefreshToken(
        new RefreshToken(
            SsoSecrets.hash(refreshToken),
            familyId,
            access.info().tokenId(),
            access.info().expiresAt(),
            idleEnd.isBefore(familyEnd) ? idleEnd : familyEnd,
            null,
            now));
    return new Issued(access, refreshToken);
  }

  /**
   * Revokes a family: its refresh tokens stop working, and every Flex token issued in it stops
   * validating. Returns how many Flex tokens it had.
   */
  private int revokeFamily(String familyId) {
    if (familyId == null) {
      return 0;
    }
    List<IssuedAccess> issued = store.revokeFamily(familyId, now());
    store
        .findFamily(familyId)
        .ifPresent(
            f ->
                flex.instance(f.instanceSid())
                    .ifPresent(
                        i ->
                            issued.forEach(
                                a ->
                                    tokens.revokeIssued(
                                        a.tokenId(), i, f.userSid(), a.expiresAt()))));
    return issued.size();
  }

  private static Map<String, Object> revocationData(
      SsoProfileSid profile, FlexUserSid user, int revoked) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("profile_sid", profile.value());
    data.put("flex_user_sid", user.value());
    data.put("revoked_tokens", revoked);
    return data;
  }

  private FlexUser activeUser(FlexUserSid sid, String grant) {
    FlexUser user =
        flex.user(sid).orElseThrow(() -> new IllegalStateException("a grant names no user"));
    if (user.deactivated()) {
      throw invalidGrant(grant, "the Flex user is deactivated; ask an administrator");
    }
    return user;
  }

  private static ApiException invalidGrant(String name, String why) {
    return new ApiException(ApiError.invalidParameter(name, why));
  }

  // ------------------------------------------------------------------------------- helpers

  private SsoProfile activeProfile(String raw, String name) {
    SsoProfileSid sid = profileSid(raw, name);
    SsoProfile profile =
        profiles
            .profile(sid)
            .orElseThrow(
                () ->
                    new ApiException(
                        new ApiError(20404, 404, "SSO profile " + sid + " was not found")));
    if (!profile.active()) {
      throw new ApiException(ApiError.badSsoSettings(400, "SSO profile " + sid + " is not active"));
    }
    return profile;
  }

  private static SsoProfileSid profileSid(String raw, String name) {
    if (raw == null || raw.isEmpty()) {
      throw new ApiException(ApiError.missingParameter(name));
    }
    if (!Sids.isValid(SsoProfileSid.PREFIX, raw)) {
      throw new ApiException(
          new ApiError(20404, 404, "SSO profile " + ApiError.printable(raw) + " was not found"));
    }
    return SsoProfileSid.of(raw);
  }

  private static String required(String name, String value, int max) {
    if (value == null || value.isEmpty()) {
      throw new ApiException(ApiError.missingParameter(name));
    }
    if (value.length() > max || !value.chars().allMatch(ch -> ch >= 0x20 && ch < 0x7f)) {
      throw new ApiException(
          ApiError.invalidParameter(name, "at most " + max + " printable ASCII characters"));
    }
    return value;
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s;
  }

  // --------------------------------------------------------------------------------- events

  private NewEvent signedIn(SsoProfile profile, String issuer, String subject, FlexUser user) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("profile_sid", profile.sid().value());
    data.put("issuer", issuer);
    data.put("subject", subject);
    data.put("flex_user_sid", user.sid().value());
    data.put("username", user.username());
    data.put("roles", user.roles());
    return event(
        profile.accountSid().value(),
        user.sid().value(),
        "sso.sign-in.succeeded",
        user.sid().value(),
        "flex-user",
        "Flex user signed in through single sign-on",
        data);
  }

  private void recordFailure(SsoProfile profile, String issuer, SignInException e) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("profile_sid", profile.sid().value());
    data.put("issuer", issuer);
    data.put("reason", e.failure().reason());
    data.put("detail", e.detail());
    audit.submit(
        event(
            profile.accountSid().value(),
            null,
            "sso.sign-in.failed",
            profile.sid().value(),
            "sso-profile",
            "Single sign-on failed: " + e.failure().message(),
            data));
  }

  // An event of the sign-in flow: by the user once known, else anonymous; source "sso".
  private NewEvent event(
      String account,
      String actor,
      String type,
      String resource,
      String resourceType,
      String what,
      Map<String, Object> data) {
    RequestContext rc = RequestContext.current();
    return new NewEvent(
        account,
        actor,
        actor == null ? "anonymous" : "flex-user",
        type,
        resource,
        resourceType,
        "sso",
        rc == null ? null : rc.sourceIpAddress(),
        rc == null ? null : rc.userAgent(),
        clock.instant(),
        what,
        data);
  }

  // Forgets finished sign-ins at most once a minute, on the back of a new one.
  private void pruneNowAndThen(Instant now) {
    long last = lastPrune.get();
    long millis = now.toEpochMilli();
    if ((last == Long.MIN_VALUE || millis - last >= PRUNE_EVERY.toMillis())
        && lastPrune.compareAndSet(last, millis)) {
      // Used codes are kept as long as what they issued may live, to recognise a replay.
      store.prune(now, now.minus(REFRESH_ABSOLUTE));
    }
  }
}
