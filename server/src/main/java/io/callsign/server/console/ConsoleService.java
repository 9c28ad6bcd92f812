package io.callsign.server.console;

import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.server.crypto.PasswordHasher;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.RequestContext;
import io.callsign.server.throttle.LoginThrottle;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.ConsoleUserSid;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.text.Normalizer;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.function.Supplier;

/**
 * The console's users and sessions (docs/design/0015-console.md): adding users and their one-time
 * sign-up links, password sign-in through the shared {@link LoginThrottle}, TOTP enrolment and
 * verification with one-time recovery codes, and sessions with idle and absolute limits that are
 * replaced at every change of privilege.
 *
 * <p>Every refusal of a sign-in looks the same to the browser, whatever its reason; the reason goes
 * to the audit trail only.
 */
public final class ConsoleService {
  /** A session unused this long is over. */
  public static final Duration IDLE_LIMIT = Duration.ofMinutes(30);

  /** A session is over this long after sign-in, used or not. */
  public static final Duration ABSOLUTE_LIMIT = Duration.ofHours(12);

  /** Between the password and the second factor, at most this long. */
  public static final Duration SECOND_FACTOR_LIMIT = Duration.ofMinutes(5);

  /** A sign-up link works this long, once. */
  public static final Duration SIGN_UP_LINK_LIMIT = Duration.ofHours(24);

  /** Recovery codes made at enrolment (and on each regeneration). */
  public static final int RECOVERY_CODES = 10;

  /** ASVS 5.0 6.2.1: at least 8 characters (15 recommended). */
  public static final int MIN_PASSWORD = 8;

  /** ASVS 5.0 6.2.9 allows at least 64; longer ones only cost hashing time. */
  public static final int MAX_PASSWORD = 256;

  private static final int MAX_EMAIL = 254;
  // The last-seen time is written at most this often: not one write per page view.
  private static final Duration TOUCH_EVERY = Duration.ofMinutes(1);
  private static final String ISSUER = "Callsign";
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final char[] RECOVERY_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789".toCharArray();

  private final ConsoleStore store;
  private final PasswordHasher hasher;
  private final LoginThrottle throttle;
  private final Clock clock;
  private final Audit audit;
  private final AccountSid rootAccount;
  private final SecretBox box;

  /**
   * A service over {@code store}; refused sign-ins of unknown addresses are recorded in {@code
   * rootAccount}'s trail; {@code box} seals what a page shows once on its way through the browser.
   */
  public ConsoleService(
      ConsoleStore store,
      PasswordHasher hasher,
      LoginThrottle throttle,
      Clock clock,
      Audit audit,
      AccountSid rootAccount,
      SecretBox box) {
    this.store = store;
    this.box = box;
    this.hasher = hasher;
    this.throttle = throttle;
    this.clock = clock;
    this.audit = audit;
    this.rootAccount = rootAccount;
  }

  // ------------------------------------------------------------------------------------ users

  /**
   * A user added, and the one-time sign-up link's token when no password was given.
   *
   * @param user the new user
   * @param signUpToken the token of {@code /console/sign-up/{token}}, or {@code null}
   */
  public record Added(ConsoleUser user, String signUpToken) {
    @Override
    public String toString() {
      return "Added[user=" + user + ", signUpToken=" + (signUpToken == null ? "none" : "***") + "]";
    }
  }

  /**
   * Adds a user to {@code account}: with {@code password} it can sign in at once (and enrols its
   * second factor at the first sign-in); without, a sign-up link sets the password.
   *
   * @throws ApiException 400/20001 for a malformed address or a password outside the rules, or an
   *     address that already has a user
   */
  public Added addUser(AccountSid account, String email, String password) {
    if (!store.accountExists(account)) {
      throw new ApiException(ApiError.invalidParameter("AccountSid", "no such account"));
    }
    String address = checkEmail(email);
    String hash = password == null ? null : hasher.hash(checkPassword(password, address));
    Instant now = clock.instant();
    ConsoleUser user =
        new ConsoleUser(ConsoleUserSid.random(), account, address, hash != null, false, now, now);
    String token = password == null ? newSecret() : null;
    audit.atomically(
        () -> {
          if (!store.insertUser(user, emailKey(address), hash)) {
            throw new ApiException(
                ApiError.invalidParameter("Email", "a console user with this address exists"));
          }
          if (token != null) {
            store.insertSignUpLink(sha256(token), user.sid(), now.plus(SIGN_UP_LINK_LIMIT), now);
          }
          return user;
        },
        u ->
            event(
                account,
                null,
                "console-user.created",
                u,
                "Console user " + address + " added",
                Map.of("sign_up_link", token != null)));
    return new Added(user, token);
  }

  /**
   * The account new users belong to when none is named: the only main account.
   *
   * @throws ApiException 400/20001 when there are several (or none)
   */
  public AccountSid defaultAccount() {
    List<AccountSid> main = store.mainAccounts();
    if (main.size() != 1) {
      throw new ApiException(
          ApiError.invalidParameter("AccountSid", "there are " + main.size() + " main accounts"));
    }
    return main.get(0);
  }

  /** The account's console users, oldest first. */
  public List<ConsoleUser> users(AccountSid account) {
    return store.listUsers(account);
  }

  /** How many console users exist in the whole installation. */
  public long userCount() {
    return store.countUsers();
  }

  /** The user whose unused, unexpired sign-up link {@code token} is. */
  public Optional<ConsoleUser> signUpUser(String token) {
    if (!isToken(token)) {
      return Optional.empty();
    }
    return store
        .peekSignUpLink(sha256(token), clock.instant())
        .flatMap(store::findUser)
        .map(ConsoleStore.StoredUser::user);
  }

  /**
   * Sets the password of the sign-up link's user and uses the link up; the browser continues with
   * enrolling its second factor.
   *
   * @return the session at the second-factor stage, or empty when the link is unknown, used or
   *     expired
   * @throws ApiException 400/20001 for a password outside the rules (the link stays usable)
   */
  public Optional<Opened> signUp(String token, String password) {
    ConsoleUser user = signUpUser(token).orElse(null);
    if (user == null) {
      return Optional.empty();
    }
    String hash = hasher.hash(checkPassword(password, user.email()));
    Instant now = clock.instant();
    Optional<ConsoleUserSid> used =
        audit.atomically(
            () -> {
              Optional<ConsoleUserSid> sid = store.useSignUpLink(sha256(token), now);
              sid.ifPresent(s -> store.setPassword(s, hash, now));
              return sid;
            },
            sid ->
                sid.isEmpty()
                    ? null
                    : event(
                        user.accountSid(),
                        user,
                        "console-user.signed-up",
                        user,
                        "Console user " + user.email() + " set a password with the sign-up link",
                        Map.of()));
    return used.map(sid -> open(sid, ConsoleSession.Stage.PASSWORD, now));
  }

  // ---------------------------------------------------------------------------------- sign-in

  /**
   * A new session: the cookie's id (shown once, never stored) and the session.
   *
   * @param cookieId what the browser's cookie holds
   * @param session the stored session
   */
  public record Opened(String cookieId, ConsoleSession session) {
    @Override
    public String toString() {
      return "Opened[session of " + session.userSid() + "]";
    }
  }

  /** What a sign-in step came to. */
  public sealed interface Outcome {}

  /** The step passed: the browser gets {@code session}'s cookie, replacing any it had. */
  public record Passed(Opened session) implements Outcome {}

  /** Wrong, unknown, or not allowed: one answer for all. */
  public record Failed() implements Outcome {}

  /** Too many failures: no password or code was checked. */
  public record Throttled(Duration retryAfter) implements Outcome {}

  private static final Failed FAILED = new Failed();

  /**
   * Checks an address and password. Unknown addresses cost what known ones cost, and count in the
   * throttle exactly alike.
   */
  public Outcome signIn(String email, String password, String sourceAddress) {
    if (email == null
        || password == null
        || email.length() > MAX_EMAIL
        || password.codePointCount(0, password.length()) > MAX_PASSWORD
        || !PasswordHasher.isWellFormed(password)) {
      record(null, "console.sign-in.failed", "malformed");
      return FAILED;
    }
    String key = emailKey(email);
    LoginThrottle.Admission admission =
        throttle.admit(new LoginThrottle.Attempt("console/" + key, sourceOf(sourceAddress)));
    if (admission instanceof LoginThrottle.Refused refused) {
      record(null, "console.sign-in.failed", "throttled");
      return new Throttled(refused.retryAfter());
    }
    LoginThrottle.Admitted admitted = (LoginThrottle.Admitted) admission;
    boolean settled = false;
    try {
      ConsoleStore.StoredUser found = store.findUserByEmailKey(key).orElse(null);
      boolean ok =
          found == null || found.passwordHash() == null
              ? hasher.verifyNothing(password)
              : hasher.verify(password, found.passwordHash());
      settled = true;
      if (!ok) {
        record(found == null ? null : found.user(), "console.sign-in.failed", "wrong_password");
        return FAILED;
      }
      if (!store.accountOpen(found.user().accountSid())) {
        record(found.user(), "console.sign-in.failed", "account_closed");
        return FAILED;
      }
      throttle.succeeded(admitted);
      // Sign-ins are rare enough to sweep ended sessions away here, without a timer of their own.
      pruneSessions();
      // Not signed in yet: the second factor comes next, on a session that opens nothing else.
      return new Passed(open(found.user().sid(), ConsoleSession.Stage.PASSWORD, clock.instant()));
    } finally {
      if (!settled) {
        throttle.abandoned(admitted);
      }
    }
  }

  /**
   * The seed to enrol, as base32 and as an {@code otpauth://} URI for a QR code: the pending one if
   * enrolment was started before (so that a reload does not void a scan), else a new one.
   *
   * @param secret the seed in base32, for typing in
   * @param uri the {@code otpauth://totp/...} URI
   */
  public record Enrolment(String secret, String uri) {
    @Override
    public String toString() {
      return "Enrolment[***]";
    }
  }

  /**
   * Starts (or shows again) enrolment for the user of a session at the second-factor stage.
   *
   * @throws IllegalStateException when the user is enrolled already
   */
  public Enrolment enrolment(Current current) {
    ConsoleStore.StoredUser u = store.findUser(current.user().sid()).orElseThrow();
    if (u.totpSecret() != null) {
      throw new IllegalStateException("already enrolled");
    }
    byte[] seed = u.totpPending();
    if (seed == null) {
      seed = Totp.newSecret();
      store.setPendingTotp(u.user().sid(), seed);
    }
    String secret = Totp.base32(seed);
    String label = enc(ISSUER + ":" + u.user().email());
    return new Enrolment(
        secret,
        "otpauth://totp/"
            + label
            + "?secret="
            + secret
            + "&issuer="
            + enc(ISSUER)
            + "&algorithm=SHA1&digits=6&period=30");
  }

  /**
   * The session after a passed second factor, and the recovery codes to show once (empty unless
   * this step enrolled the factor).
   */
  public record SignedIn(Opened session, List<String> recoveryCodes) {
    @Override
    public String toString() {
      return "SignedIn[" + session + ", " + recoveryCodes.size() + " recovery codes]";
    }
  }

  /** What a second-factor step came to. */
  public sealed interface SecondFactor {}

  /** Passed: the old session is gone and {@code signedIn} replaces it. */
  public record SecondFactorPassed(SignedIn signedIn) implements SecondFactor {}

  /** Wrong, used already, or expired: one answer for all. */
  public record SecondFactorFailed() implements SecondFactor {}

  /** Too many failures: nothing was checked. */
  public record SecondFactorThrottled(Duration retryAfter) implements SecondFactor {}

  /** Confirms enrolment with a code from the new authenticator, and signs in. */
  public SecondFactor confirmEnrolment(Current current, String code, String sourceAddress) {
    ConsoleUser user = current.user();
    return throttled(
        user,
        sourceAddress,
        () -> {
          ConsoleStore.StoredUser u = store.findUser(user.sid()).orElseThrow();
          Instant now = clock.instant();
          OptionalLong step =
              u.totpPending() == null
                  ? OptionalLong.empty()
                  : Totp.match(u.totpPending(), code, now, u.totpLastStep());
          if (step.isEmpty()) {
            record(user, "console.mfa.failed", "wrong_code");
            return null;
          }
          List<String> codes = newRecoveryCodes();
          boolean confirmed =
              audit.atomically(
                  () -> {
                    boolean ok = store.confirmTotp(user.sid(), step.getAsLong(), now);
                    if (ok) {
                      store.replaceRecoveryCodes(user.sid(), hashes(codes));
                    }
                    return ok;
                  },
                  ok ->
                      ok
                          ? event(
                              user.accountSid(),
                              user,
                              "console-user.mfa-enrolled",
                              user,
                              "Console user " + user.email() + " enrolled a TOTP authenticator",
                              Map.of("recovery_codes", codes.size()))
                          : null);
          return confirmed ? codes : null;
        },
        current);
  }

  /** Checks a TOTP code or a recovery code at sign-in, and signs in. */
  public SecondFactor verifySecondFactor(Current current, String code, String sourceAddress) {
    ConsoleUser user = current.user();
    return throttled(
        user,
        sourceAddress,
        () -> checkCode(user, code) == null ? null : List.<String>of(),
        current);
  }

  // A second-factor check: on success the stage-one session is replaced by a signed-in one.
  private SecondFactor throttled(
      ConsoleUser user, String sourceAddress, Supplier<List<String>> check, Current current) {
    Checked<List<String>> checked = throttledCheck(user, sourceAddress, check);
    if (checked.retryAfter() != null) {
      return new SecondFactorThrottled(checked.retryAfter());
    }
    if (checked.value() == null) {
      return new SecondFactorFailed();
    }
    store.deleteSession(current.session().idHash());
    Opened opened = open(user.sid(), ConsoleSession.Stage.SIGNED_IN, clock.instant());
    record(user, "console.sign-in.succeeded", null);
    return new SecondFactorPassed(new SignedIn(opened, checked.value()));
  }

  /**
   * What a code check through the throttle came to: {@code value} (null when the code was refused),
   * or {@code retryAfter} when the throttle refused the attempt and nothing was checked.
   */
  private record Checked<T>(T value, Duration retryAfter) {}

  // Codes go through the throttle per user and source, like passwords: admitted attempts count as
  // failures until the check returns a value.
  private <T> Checked<T> throttledCheck(ConsoleUser user, String sourceAddress, Supplier<T> check) {
    LoginThrottle.Admission admission =
        throttle.admit(
            new LoginThrottle.Attempt("console-mfa/" + user.sid(), sourceOf(sourceAddress)));
    if (admission instanceof LoginThrottle.Refused refused) {
      record(user, "console.mfa.failed", "throttled");
      return new Checked<>(null, refused.retryAfter());
    }
    LoginThrottle.Admitted admitted = (LoginThrottle.Admitted) admission;
    boolean settled = false;
    try {
      T value = check.get();
      settled = true;
      if (value != null) {
        throttle.succeeded(admitted);
      }
      return new Checked<>(value, null);
    } finally {
      if (!settled) {
        throttle.abandoned(admitted);
      }
    }
  }

  // "totp" or "recovery-code" for an accepted code (now used up), else null, recording the failure.
  private String checkCode(ConsoleUser user, String code) {
    String how = acceptedCode(user, code);
    if (how == null) {
      record(user, "console.mfa.failed", "wrong_code");
    }
    return how;
  }

  private String acceptedCode(ConsoleUser user, String code) {
    ConsoleStore.StoredUser u = store.findUser(user.sid()).orElseThrow();
    if (u.totpSecret() == null || code == null) {
      return null;
    }
    String given = code.strip();
    OptionalLong step = Totp.match(u.totpSecret(), given, clock.instant(), u.totpLastStep());
    if (step.isPresent()) {
      return store.acceptTotpStep(user.sid(), step.getAsLong()) ? "totp" : null;
    }
    String normalised = given.replace("-", "").replace(" ", "").toLowerCase(Locale.ROOT);
    if (normalised.length() == 20 && store.useRecoveryCode(user.sid(), sha256(normalised))) {
      int left = store.countRecoveryCodes(user.sid());
      audit.submit(
          event(
              user.accountSid(),
              user,
              "console-user.recovery-code-used",
              user,
              "Console user " + user.email() + " used a recovery code",
              Map.of("recovery_codes_left", left)));
      return "recovery-code";
    }
    return null;
  }

  // ---------------------------------------------------------------------------------- sessions

  /**
   * A live session and its user.
   *
   * @param session the session
   * @param user its user
   */
  public record Current(ConsoleSession session, ConsoleUser user) {
    /** Whether the second factor passed (else only the second-factor pages are open). */
    public boolean signedIn() {
      return session.stage() == ConsoleSession.Stage.SIGNED_IN;
    }

    /** The token each form of this session must send back. */
    public String csrfToken() {
      return session.csrfToken();
    }
  }

  /**
   * The live session whose cookie holds {@code cookieId}; empty when there is none, or when it is
   * past its idle or absolute limit (it is then deleted).
   */
  public Optional<Current> session(String cookieId) {
    if (!isToken(cookieId)) {
      return Optional.empty();
    }
    String idHash = sha256(cookieId);
    ConsoleSession s = store.findSession(idHash).orElse(null);
    if (s == null) {
      return Optional.empty();
    }
    Instant now = clock.instant();
    if (!now.isBefore(s.expiresAt()) || !now.isBefore(s.lastSeenAt().plus(IDLE_LIMIT))) {
      store.deleteSession(idHash);
      return Optional.empty();
    }
    ConsoleUser user = store.findUser(s.userSid()).map(ConsoleStore.StoredUser::user).orElse(null);
    // Closing an account ends its console sessions at once (ASVS 5.0 7.4.2).
    if (user == null || !store.accountOpen(user.accountSid())) {
      return Optional.empty();
    }
    if (!now.isBefore(s.lastSeenAt().plus(TOUCH_EVERY))) {
      store.touchSession(idHash, now);
    }
    return Optional.of(new Current(s, user));
  }

  /** Ends the session (a no-op when it is over already). */
  public void signOut(Current current) {
    if (store.deleteSession(current.session().idHash()) && current.signedIn()) {
      record(current.user(), "console.sign-out", null);
    }
  }

  /** Removes sessions past their limits; returns how many. */
  public int pruneSessions() {
    Instant now = clock.instant();
    return store.deleteExpiredSessions(now, now.minus(IDLE_LIMIT));
  }

  /**
   * Checks a fresh TOTP code (or recovery code) of the signed-in user, for actions that ask for it
   * again, such as revealing the auth token. Throttled like sign-in; the code is used up.
   */
  public boolean reconfirm(Current current, String code, String sourceAddress) {
    ConsoleUser user = current.user();
    return throttledCheck(user, sourceAddress, () -> checkCode(user, code)).value() != null;
  }

  /**
   * Changes the signed-in user's password after checking the current one and a fresh code, and
   * signs out every session of the user (ASVS 5.0 7.4.3); this browser continues on a new one.
   *
   * @return the new session, or empty when the current password or the code is wrong
   * @throws ApiException 400/20001 for a new password outside the rules
   */
  public Optional<Opened> changePassword(
      Current current, String currentPassword, String newPassword, String code, String source) {
    ConsoleUser user = current.user();
    String hash = hasher.hash(checkPassword(newPassword, user.email()));
    ConsoleStore.StoredUser u = store.findUser(user.sid()).orElseThrow();
    boolean passwordOk =
        currentPassword != null
            && PasswordHasher.isWellFormed(currentPassword)
            && u.passwordHash() != null
            && hasher.verify(currentPassword, u.passwordHash());
    if (!passwordOk || !reconfirm(current, code, source)) {
      if (!passwordOk) {
        record(user, "console-user.password-change-failed", "wrong_password");
      }
      return Optional.empty();
    }
    Instant now = clock.instant();
    int ended =
        audit.atomically(
            () -> {
              store.setPassword(user.sid(), hash, now);
              return store.deleteSessionsOf(user.sid(), null);
            },
            n ->
                event(
                    user.accountSid(),
                    user,
                    "console-user.password-changed",
                    user,
                    "Console user " + user.email() + " changed the password; every session ended",
                    Map.of("sessions_ended", n)));
    return Optional.of(open(user.sid(), ConsoleSession.Stage.SIGNED_IN, now));
  }

  /**
   * Replaces the signed-in user's recovery codes after a fresh code, returning the new ones to show
   * once; empty when the code is wrong.
   */
  public Optional<List<String>> regenerateRecoveryCodes(
      Current current, String code, String source) {
    ConsoleUser user = current.user();
    if (!reconfirm(current, code, source)) {
      return Optional.empty();
    }
    List<String> codes = newRecoveryCodes();
    audit.atomically(
        () -> {
          store.replaceRecoveryCodes(user.sid(), hashes(codes));
          return codes;
        },
        c ->
            event(
                user.accountSid(),
                user,
                "console-user.recovery-codes-regenerated",
                user,
                "Console user " + user.email() + " made new recovery codes",
                Map.of("recovery_codes", c.size())));
    return Optional.of(codes);
  }

  /** How many unused recovery codes the user has left. */
  public int recoveryCodesLeft(ConsoleUser user) {
    return store.countRecoveryCodes(user.sid());
  }

  /**
   * Records, for the audit trail, a console action that services do not record themselves (e.g.
   * revealing the auth token).
   */
  public void recordAction(Current current, String eventType, String description) {
    ConsoleUser user = current.user();
    audit.submit(event(user.accountSid(), user, eventType, null, description, Map.of()));
  }

  /**
   * Seals {@code text} (a secret to show once) for the browser of {@code current} to carry across a
   * redirect: the page after a POST is then a GET that a reload cannot repeat, and the secret is
   * never stored. Bound to the session, so it opens for no other.
   */
  public String sealForDisplay(Current current, String text) {
    return Base64.getUrlEncoder()
        .withoutPadding()
        .encodeToString(box.encrypt(text, "display:" + current.session().idHash()));
  }

  /** Opens what {@link #sealForDisplay} sealed for this session; empty when it does not open. */
  public Optional<String> openForDisplay(Current current, String sealed) {
    if (sealed == null || sealed.length() > 8192) {
      return Optional.empty();
    }
    try {
      return Optional.of(
          box.decrypt(
              Base64.getUrlDecoder().decode(sealed), "display:" + current.session().idHash()));
    } catch (RuntimeException e) {
      return Optional.empty();
    }
  }

  // ----------------------------------------------------------------------------------- helpers

  private Opened open(ConsoleUserSid user, ConsoleSession.Stage stage, Instant now) {
    String id = newSecret();
    Instant limit =
        now.plus(stage == ConsoleSession.Stage.SIGNED_IN ? ABSOLUTE_LIMIT : SECOND_FACTOR_LIMIT);
    ConsoleSession s = new ConsoleSession(sha256(id), user, stage, newSecret(), now, now, limit);
    store.insertSession(s);
    return new Opened(id, s);
  }

  private void record(ConsoleUser user, String type, String reason) {
    Map<String, Object> data = new LinkedHashMap<>();
    if (reason != null) {
      data.put("reason", reason);
    }
    String description =
        switch (type) {
          case "console.sign-in.succeeded" -> "Console user " + user.email() + " signed in";
          case "console.sign-out" -> "Console user " + user.email() + " signed out";
          default -> "Console " + type.substring(type.indexOf('.') + 1) + ": " + reason;
        };
    // A refusal names the user only when one exists: an address that matches nobody may be a
    // password typed in the wrong field.
    audit.submit(
        event(
            user == null ? rootAccount : user.accountSid(),
            reason == null ? user : null,
            type,
            user,
            description,
            data));
  }

  private NewEvent event(
      AccountSid account,
      ConsoleUser actor,
      String type,
      ConsoleUser resource,
      String description,
      Map<String, Object> data) {
    RequestContext rc = RequestContext.current();
    String actorSid = actor != null ? actor.sid().value() : null;
    return new NewEvent(
        account.value(),
        actorSid,
        actorSid != null ? "console-user" : rc == null ? "system" : "anonymous",
        type,
        resource == null ? null : resource.sid().value(),
        resource == null ? null : "console-user",
        rc == null ? "system" : "console",
        rc == null ? null : rc.sourceIpAddress(),
        rc == null ? null : rc.userAgent(),
        clock.instant(),
        description,
        data);
  }

  private static String sourceOf(String address) {
    return LoginThrottle.sourceOf(address);
  }

  /**
   * The normalised form addresses are compared in: NFKC, trimmed, lower-cased (so that {@code
   * Ana@Example.com} and {@code ana@example.com} are one user).
   */
  static String emailKey(String email) {
    return Normalizer.normalize(email.strip(), Normalizer.Form.NFKC).toLowerCase(Locale.ROOT);
  }

  private static String checkEmail(String email) {
    String e = email == null ? "" : Normalizer.normalize(email.strip(), Normalizer.Form.NFKC);
    int at = e.lastIndexOf('@');
    if (e.length() > MAX_EMAIL
        || at < 1
        || at == e.length() - 1
        || e.chars().anyMatch(c -> c <= ' ' || c == 0x7f)
        || e.indexOf('@') != at) {
      throw new ApiException(ApiError.invalidParameter("Email", "not an email address"));
    }
    return e;
  }

  // ASVS 5.0 6.2: length only, no composition rules, not the address itself.
  private static String checkPassword(String password, String email) {
    if (password == null || !PasswordHasher.isWellFormed(password)) {
      throw new ApiException(ApiError.invalidParameter("Password", "not well-formed text"));
    }
    int length = password.codePointCount(0, password.length());
    if (length < MIN_PASSWORD || length > MAX_PASSWORD) {
      throw new ApiException(
          ApiError.invalidParameter(
              "Password", MIN_PASSWORD + " to " + MAX_PASSWORD + " characters"));
    }
    if (emailKey(password).equals(emailKey(email))) {
      throw new ApiException(
          ApiError.invalidParameter("Password", "must not be the email address"));
    }
    return password;
  }

  // Ten codes of 20 characters from a 31-letter alphabet: 99 bits each, so a fast hash is enough
  // (ASVS 5.0 6.5.2). Shown as xxxxx-xxxxx-xxxxx-xxxxx.
  private static List<String> newRecoveryCodes() {
    List<String> codes = new ArrayList<>(RECOVERY_CODES);
    for (int i = 0; i < RECOVERY_CODES; i++) {
      StringBuilder code = new StringBuilder();
      for (int c = 0; c < 20; c++) {
        if (c > 0 && c % 5 == 0) {
          code.append('-');
        }
        code.append(RECOVERY_ALPHABET[RANDOM.nextInt(RECOVERY_ALPHABET.length)]);
      }
      codes.add(code.toString());
    }
    return List.copyOf(codes);
  }

  private static List<String> hashes(List<String> codes) {
    return codes.stream().map(c -> sha256(c.replace("-", ""))).toList();
  }

  // 256 random bits, base64url: session ids, CSRF tokens and sign-up links.
  private static String newSecret() {
    byte[] b = new byte[32];
    RANDOM.nextBytes(b);
    return Base64.getUrlEncoder().withoutPadding().encodeToString(b);
  }

  private static boolean isToken(String value) {
    return value != null && value.length() == 43 && value.matches("[A-Za-z0-9_-]{43}");
  }

  static String sha256(String value) {
    try {
      return HexFormat.of()
          .formatHex(
              MessageDigest.getInstance("SHA-256").digest(value.getBytes(StandardCharsets.UTF_8)));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static String enc(String s) {
    return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
  }
}
