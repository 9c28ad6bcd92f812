package io.callsign.server.sso;

import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.server.flex.FlexInstance;
import io.callsign.server.flex.FlexService;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.SsoProfileSid;
import java.net.URI;
import java.net.URISyntaxException;
import java.time.Clock;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * SSO profiles: creating, reading, changing and deleting them. No HTTP types. Input that breaks a
 * rule is refused with 400/20001 naming the field, before anything is written; every change is
 * recorded in the audit trail (never the client secret).
 */
public final class SsoProfileService {
  /** The most profiles one Flex instance may have. */
  public static final int MAX_PROFILES = 20;

  /** The most redirect URLs one profile may allow. */
  public static final int MAX_REDIRECT_URLS = 20;

  /** The scopes asked for when none are given. */
  public static final List<String> DEFAULT_SCOPES = List.of("openid", "email", "profile");

  /** The claim a new user's username comes from when none is given (then email, then sub). */
  public static final String DEFAULT_USERNAME_CLAIM = "preferred_username";

  /** The claim the email comes from when none is given. */
  public static final String DEFAULT_EMAIL_CLAIM = "email";

  /** The claim the full name comes from when none is given. */
  public static final String DEFAULT_FULL_NAME_CLAIM = "name";

  /** The role users get when none is given. */
  public static final String DEFAULT_ROLE = "agent";

  private static final int MAX_SCOPES = 20;
  private static final int MAX_URL = 2048;
  private static final int ATTEMPTS = 5;
  // RFC 6749 section 3.3: scope-token = 1*( %x21 / %x23-5B / %x5D-7E )
  private static final Pattern SCOPE = Pattern.compile("[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}");
  // RFC 8252 section 7.1: a private-use scheme is a reverse domain name, so it holds a dot.
  private static final Pattern PRIVATE_SCHEME = Pattern.compile("[a-z][a-z0-9+.-]*\\.[a-z0-9+.-]+");
  private static final Set<String> LOOPBACK = Set.of("localhost", "127.0.0.1", "[::1]");
  private static final String RESOURCE = "sso-profile";

  private final SsoStore store;
  private final FlexService flex;
  private final Clock clock;
  private final Audit audit;

  /**
   * A service over {@code store}, checking roles through {@code flex}, stamping times from {@code
   * clock} and recording changes in {@code audit}.
   */
  public SsoProfileService(SsoStore store, FlexService flex, Clock clock, Audit audit) {
    this.store = store;
    this.flex = flex;
    this.clock = clock;
    this.audit = audit;
  }

  /**
   * What a profile is made of. On creation {@code null} means the default (and {@code issuer},
   * {@code clientId} and {@code redirectUrls} are required); on update it means "unchanged", and an
   * empty {@code clientSecret} or {@code rolesClaim} removes it.
   *
   * @param friendlyName a name for people, up to 64 characters
   * @param issuer the provider's issuer: https, or http on a loopback host; no query or fragment
   * @param clientId Callsign's client ID at the provider
   * @param clientSecret Callsign's client secret at the provider
   * @param scopes the scopes to ask for, {@code openid} among them
   * @param usernameClaim where a new user's username comes from
   * @param emailClaim where the email comes from
   * @param fullNameClaim where the full name comes from
   * @param rolesClaim where the roles come from
   * @param defaultRole the role given when the roles claim names none of the instance's
   * @param redirectUrls the SDK redirect URLs allowed, compared exactly
   * @param active whether users may sign in
   * @param appType {@code SinglePageApp} or {@code MobileApp}
   */
  public record Fields(
      String friendlyName,
      String issuer,
      String clientId,
      String clientSecret,
      List<String> scopes,
      String usernameClaim,
      String emailClaim,
      String fullNameClaim,
      String rolesClaim,
      String defaultRole,
      List<String> redirectUrls,
      Boolean active,
      String appType) {
    /** Never prints the client secret. */
    @Override
    public String toString() {
      return "Fields[issuer=" + issuer + ", clientId=" + clientId + "]";
    }
  }

  private Instant now() {
    return clock.instant().truncatedTo(ChronoUnit.SECONDS);
  }

  /**
   * Creates a profile for {@code instance}.
   *
   * @throws ApiException 400/20001 naming the field that breaks a rule; 409/20409 when the instance
   *     has {@value #MAX_PROFILES} profiles already
   */
  public SsoProfile create(FlexInstance instance, Fields f) {
    if (f.issuer() == null) {
      throw new ApiException(ApiError.missingParameter("issuer"));
    }
    if (f.clientId() == null) {
      throw new ApiException(ApiError.missingParameter("client_id"));
    }
    if (f.redirectUrls() == null) {
      throw new ApiException(ApiError.missingParameter("redirect_urls"));
    }
    String issuer = checkIssuer(f.issuer());
    String appType = f.appType() == null ? SsoProfile.SINGLE_PAGE_APP : checkAppType(f.appType());
    Instant now = now();
    SsoProfile profile =
        new SsoProfile(
            SsoProfileSid.random(),
            instance.accountSid(),
            instance.sid(),
            f.friendlyName() == null
                ? URI.create(issuer).getHost()
                : checkText("friendly_name", f.friendlyName(), 64),
            issuer,
            checkText("client_id", f.clientId(), 256),
            f.clientSecret() == null || f.clientSecret().isEmpty()
                ? null
                : checkText("client_secret", f.clientSecret(), 1024),
            f.scopes() == null ? DEFAULT_SCOPES : checkScopes(f.scopes()),
            claim("username_claim", f.usernameClaim(), DEFAULT_USERNAME_CLAIM),
            claim("email_claim", f.emailClaim(), DEFAULT_EMAIL_CLAIM),
            claim("full_name_claim", f.fullNameClaim(), DEFAULT_FULL_NAME_CLAIM),
            f.rolesClaim() == null || f.rolesClaim().isEmpty()
                ? null
                : checkText("roles_claim", f.rolesClaim(), 256),
            checkRole(instance, f.defaultRole() == null ? DEFAULT_ROLE : f.defaultRole()),
            checkRedirectUrls(f.redirectUrls(), appType),
            f.active() == null || f.active(),
            appType,
            0,
            now,
            now);
    if (store.listProfiles(instance.sid()).size() >= MAX_PROFILES) {
      throw new ApiException(
          ApiError.ofStatus(
              409, "The Flex instance has " + MAX_PROFILES + " SSO profiles, the most allowed"));
    }
    audit.atomically(
        () -> {
          store.insertProfile(profile);
          return profile;
        },
        p -> event(p, "sso-profile.created", "SSO profile created", null));
    return profile;
  }

  /** The profile {@code sid} if it belongs to {@code instance}. */
  public Optional<SsoProfile> profile(FlexInstance instance, SsoProfileSid sid) {
    return store.findProfile(sid).filter(p -> p.instanceSid().equals(instance.sid()));
  }

  /** The profile {@code sid}, whatever its instance (for signing in). */
  public Optional<SsoProfile> profile(SsoProfileSid sid) {
    return store.findProfile(sid);
  }

  /** The profiles of {@code instance}, oldest first. */
  public List<SsoProfile> profiles(FlexInstance instance) {
    return store.listProfiles(instance.sid());
  }

  /** The profiles of {@code account}, oldest first. */
  public List<SsoProfile> profilesOf(AccountSid account) {
    return store.listProfilesOfAccount(account);
  }

  /**
   * Applies the non-null fields of {@code f}; empty when {@code instance} has no such profile.
   *
   * @throws ApiException 400/20001 naming the field that breaks a rule
   */
  public Optional<SsoProfile> update(FlexInstance instance, SsoProfileSid sid, Fields f) {
    for (int attempt = 0; attempt < ATTEMPTS; attempt++) {
      Optional<SsoProfile> found = profile(instance, sid);
      if (found.isEmpty()) {
        return Optional.empty();
      }
      SsoProfile c = found.get();
      String appType = f.appType() == null ? c.appType() : checkAppType(f.appType());
      List<String> redirectUrls =
          checkRedirectUrls(
              f.redirectUrls() == null ? c.redirectUrls() : f.redirectUrls(), appType);
      String secret =
          f.clientSecret() == null
              ? c.clientSecret()
              : f.clientSecret().isEmpty()
                  ? null
                  : checkText("client_secret", f.clientSecret(), 1024);
      SsoProfile next =
          new SsoProfile(
              c.sid(),
              c.accountSid(),
              c.instanceSid(),
              f.friendlyName() == null
                  ? c.friendlyName()
                  : checkText("friendly_name", f.friendlyName(), 64),
              f.issuer() == null ? c.issuer() : checkIssuer(f.issuer()),
              f.clientId() == null ? c.clientId() : checkText("client_id", f.clientId(), 256),
              secret,
              f.scopes() == null ? c.scopes() : checkScopes(f.scopes()),
              claim("username_claim", f.usernameClaim(), c.usernameClaim()),
              claim("email_claim", f.emailClaim(), c.emailClaim()),
              claim("full_name_claim", f.fullNameClaim(), c.fullNameClaim()),
              f.rolesClaim() == null
                  ? c.rolesClaim()
                  : f.rolesClaim().isEmpty() ? null : checkText("roles_claim", f.rolesClaim(), 256),
              f.defaultRole() == null ? c.defaultRole() : checkRole(instance, f.defaultRole()),
              redirectUrls,
              f.active() == null ? c.active() : f.active(),
              appType,
              c.version() + 1,
              c.dateCreated(),
              now());
      List<String> changed = changedFields(c, next);
      if (changed.isEmpty()) {
        return Optional.of(c);
      }
      if (audit.atomically(
          () -> store.updateProfile(next, c.version()),
          done ->
              done ? event(next, "sso-profile.updated", "SSO profile updated", changed) : null)) {
        return Optional.of(next);
      }
    }
    throw new ApiException(ApiError.ofStatus(409, "The profile changed concurrently; try again"));
  }

  /**
   * Deletes the profile: its pending sign-ins, unexchanged codes and refresh tokens go with it. The
   * Flex users who signed in through it stay, and so do their links (keyed by issuer).
   *
   * @return false when {@code instance} has no such profile
   */
  public boolean delete(FlexInstance instance, SsoProfileSid sid) {
    Optional<SsoProfile> found = profile(instance, sid);
    return found.isPresent()
        && audit.atomically(
            () -> store.deleteProfile(sid),
            done ->
                done
                    ? event(found.get(), "sso-profile.deleted", "SSO profile deleted", null)
                    : null);
  }

  private static List<String> changedFields(SsoProfile a, SsoProfile b) {
    List<String> changed = new ArrayList<>();
    note(changed, "friendly_name", a.friendlyName(), b.friendlyName());
    note(changed, "issuer", a.issuer(), b.issuer());
    note(changed, "client_id", a.clientId(), b.clientId());
    note(changed, "client_secret", a.clientSecret(), b.clientSecret());
    note(changed, "scopes", a.scopes(), b.scopes());
    note(changed, "username_claim", a.usernameClaim(), b.usernameClaim());
    note(changed, "email_claim", a.emailClaim(), b.emailClaim());
    note(changed, "full_name_claim", a.fullNameClaim(), b.fullNameClaim());
    note(changed, "roles_claim", a.rolesClaim(), b.rolesClaim());
    note(changed, "default_role", a.defaultRole(), b.defaultRole());
    note(changed, "redirect_urls", a.redirectUrls(), b.redirectUrls());
    note(changed, "active", a.active(), b.active());
    note(changed, "app_type", a.appType(), b.appType());
    return changed;
  }

  private static void note(List<String> changed, String name, Object a, Object b) {
    if (!Objects.equals(a, b)) {
      changed.add(name);
    }
  }

  // What an event says about a profile: its settings, and whether it has a secret, never which.
  private NewEvent event(SsoProfile p, String type, String what, List<String> changed) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("instance_sid", p.instanceSid().value());
    data.put("friendly_name", p.friendlyName());
    data.put("issuer", p.issuer());
    data.put("client_id", p.clientId());
    data.put("client_secret_set", p.clientSecret() != null);
    data.put("scopes", p.scopes());
    data.put("redirect_urls", p.redirectUrls());
    data.put("roles_claim", p.rolesClaim());
    data.put("default_role", p.defaultRole());
    data.put("active", p.active());
    data.put("app_type", p.appType());
    if (changed != null) {
      data.put("changed", changed);
    }
    return NewEvent.byCaller(
        p.accountSid().value(), type, p.sid().value(), RESOURCE, what, data, clock.instant());
  }

  // ------------------------------------------------------------------------------ validation

  /**
   * {@code issuer} if it can be an issuer identifier Callsign talks to: an absolute https URL
   * without query, fragment or user info, or http on a loopback host (a provider on the same
   * machine, for development and tests).
   */
  static String checkIssuer(String issuer) {
    URI uri = absoluteUrl("issuer", issuer, 1024);
    if (uri.getRawQuery() != null || uri.getRawFragment() != null) {
      throw new ApiException(
          ApiError.invalidParameter("issuer", "an issuer has no query or fragment"));
    }
    if (!webScheme(uri)) {
      throw new ApiException(
          ApiError.invalidParameter("issuer", "https, or http on localhost only"));
    }
    return issuer;
  }

  private static List<String> checkRedirectUrls(List<String> urls, String appType) {
    if (urls.isEmpty()) {
      throw new ApiException(ApiError.missingParameter("redirect_urls"));
    }
    Set<String> unique = new LinkedHashSet<>();
    for (String url : urls) {
      URI uri = absoluteUrl("redirect_urls", url, MAX_URL);
      if (uri.getRawFragment() != null) {
        throw new ApiException(
            ApiError.invalidParameter("redirect_urls", "a redirect URL has no fragment"));
      }
      boolean nativeApp =
          appType.equals(SsoProfile.MOBILE_APP)
              && PRIVATE_SCHEME.matcher(uri.getScheme().toLowerCase(Locale.ROOT)).matches();
      if (!webScheme(uri) && !nativeApp) {
        throw new ApiException(
            ApiError.invalidParameter(
                "redirect_urls",
                "https, http on localhost, or (for MobileApp) a private-use scheme such as"
                    + " com.example.app"));
      }
      unique.add(url);
    }
    if (unique.size() > MAX_REDIRECT_URLS) {
      throw new ApiException(
          ApiError.invalidParameter("redirect_urls", "at most " + MAX_REDIRECT_URLS));
    }
    return List.copyOf(unique);
  }

  private static URI absoluteUrl(String name, String value, int max) {
    if (value.isBlank()) {
      throw new ApiException(ApiError.missingParameter(name));
    }
    if (value.length() > max || !value.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new ApiException(
          ApiError.invalidParameter(name, "an absolute URL of printable ASCII, at most " + max));
    }
    URI uri;
    try {
      uri = new URI(value);
    } catch (URISyntaxException e) {
      throw new ApiException(ApiError.invalidParameter(name, "not a URL"));
    }
    if (!uri.isAbsolute() || uri.isOpaque() || uri.getRawUserInfo() != null) {
      throw new ApiException(ApiError.invalidParameter(name, "an absolute URL without user info"));
    }
    return uri;
  }

  private static boolean webScheme(URI uri) {
    String scheme = uri.getScheme().toLowerCase(Locale.ROOT);
    String host = uri.getHost() == null ? "" : uri.getHost().toLowerCase(Locale.ROOT);
    return !host.isEmpty()
        && (scheme.equals("https") || (scheme.equals("http") && LOOPBACK.contains(host)));
  }

  private static String checkAppType(String appType) {
    if (!appType.equals(SsoProfile.SINGLE_PAGE_APP) && !appType.equals(SsoProfile.MOBILE_APP)) {
      throw new ApiException(
          ApiError.invalidParameter(
              "app_type", SsoProfile.SINGLE_PAGE_APP + " or " + SsoProfile.MOBILE_APP));
    }
    return appType;
  }

  private static List<String> checkScopes(List<String> scopes) {
    Set<String> unique = new LinkedHashSet<>(scopes);
    if (unique.size() > MAX_SCOPES) {
      throw new ApiException(ApiError.invalidParameter("scopes", "at most " + MAX_SCOPES));
    }
    for (String s : unique) {
      if (!SCOPE.matcher(s).matches()) {
        throw new ApiException(
            ApiError.invalidParameter("scopes", "'" + ApiError.printable(s) + "' is no scope"));
      }
    }
    if (!unique.contains("openid")) {
      throw new ApiException(ApiError.invalidParameter("scopes", "must include openid"));
    }
    return List.copyOf(unique);
  }

  private String checkRole(FlexInstance instance, String role) {
    if (flex.role(instance, role).isEmpty()) {
      throw new ApiException(
          ApiError.invalidParameter(
              "default_role",
              "unknown role '" + ApiError.printable(role) + "'; create it under Roles first"));
    }
    return role;
  }

  private static String claim(String name, String value, String otherwise) {
    return value == null ? otherwise : checkText(name, value, 256);
  }

  private static String checkText(String name, String value, int max) {
    if (value.isBlank()) {
      throw new ApiException(ApiError.missingParameter(name));
    }
    if (value.length() > max) {
      throw new ApiException(ApiError.invalidParameter(name, "at most " + max + " characters"));
    }
    if (value.chars().anyMatch(Character::isISOControl)) {
      throw new ApiException(ApiError.invalidParameter(name, "no control characters"));
    }
    return value;
  }
}
