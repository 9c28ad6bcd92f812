package io.callsign.server.flex;

import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.server.crypto.PasswordHasher;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.CredentialCache;
import io.callsign.server.http.RequestContext;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyService;
import io.callsign.server.keys.KeyType;
import io.callsign.server.throttle.LoginThrottle;
import io.callsign.tokens.AccessToken;
import io.callsign.tokens.ChatGrant;
import io.callsign.tokens.Grant;
import io.callsign.tokens.SyncGrant;
import io.callsign.tokens.TaskRouterGrant;
import io.callsign.tokens.VideoGrant;
import io.callsign.tokens.VoiceGrant;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The end-user token server: Flex users sign in with a username and password and get an Access
 * Token whose grants come from their roles (docs/design/0009-token-server.md). Passwords are
 * Argon2id hashes; sign-ins are throttled by a {@link LoginThrottle}. No HTTP types.
 *
 * <p>Every refusal but throttling is one outcome, {@link SignIn.BadCredentials}, whatever its cause
 * (unknown instance or user, no password, wrong password, deactivated user, inactive account), and
 * each of them, unknown users included, costs one Argon2 verification.
 */
public final class TokenServerService {
  /** The friendly name of the API key that the token server creates to sign with. */
  public static final String KEY_NAME = "Flex token server";

  /** The fewest characters (code points) of a password. */
  public static final int MIN_PASSWORD = 8;

  /** The most characters (code points) of a password: bounds the work of reading one. */
  public static final int MAX_PASSWORD = 1024;

  private static final int MAX_USERNAME = 256;
  private static final int KEY_ATTEMPTS = 5;
  private static final String UNKNOWN_INSTANCE = "-";
  private static final Logger LOG = LoggerFactory.getLogger(TokenServerService.class);

  private final FlexService flex;
  private final KeyService keys;
  private final CredentialCache credentials;
  private final PasswordHasher hasher;
  private final LoginThrottle throttle;
  private final FlexInstanceSid defaultInstance;
  private final Clock clock;
  private final Audit audit;
  private final Counter signIns;
  private final Counter badCredentials;
  private final Counter throttled;

  /**
   * A token server.
   *
   * @param flex the instances, users and roles
   * @param keys where its signing keys are created (and deleted)
   * @param credentials the server's cache of keys and accounts
   * @param hasher hashes and verifies passwords
   * @param throttle admits or refuses sign-in attempts
   * @param metrics where its counters are registered
   * @param defaultInstance the instance used when a sign-in names none (the root account's)
   * @param clock the time of its tokens
   * @param audit where sign-ins and refusals are recorded (batched: they are high-volume)
   */
  public TokenServerService(
      FlexService flex,
      KeyService keys,
      CredentialCache credentials,
      PasswordHasher hasher,
      LoginThrottle throttle,
      MeterRegistry metrics,
      FlexInstanceSid defaultInstance,
      Clock clock,
      Audit audit) {
    this.flex = flex;
    this.keys = keys;
    this.credentials = credentials;
    this.hasher = hasher;
    this.throttle = throttle;
    this.defaultInstance = defaultInstance;
    this.clock = clock;
    this.audit = audit;
    this.signIns =
        Counter.builder("callsign.token_server.sign_ins")
            .description("Access Tokens issued by the token server")
            .register(metrics);
    this.badCredentials = refusals(metrics, "bad_credentials");
    this.throttled = refusals(metrics, "throttled");
  }

  private static Counter refusals(MeterRegistry metrics, String reason) {
    return Counter.builder("callsign.token_server.refusals")
        .description("Sign-ins refused by the token server, by reason")
        .tag("reason", reason)
        .register(metrics);
  }

  /** What a sign-in came to. */
  public sealed interface SignIn {
    /**
     * An Access Token.
     *
     * @param token the signed JWT
     * @param identity its identity (the username)
     * @param expiresAt its {@code exp}
     */
    record Issued(String token, String identity, Instant expiresAt) implements SignIn {
      // The token is a bearer credential: keep it out of any log line that shows this.
      @Override
      public String toString() {
        return "Issued[identity=%s, expiresAt=%s]".formatted(identity, expiresAt);
      }
    }

    /** Refused, for whichever reason (the caller must not learn which). */
    record BadCredentials() implements SignIn {}

    /**
     * Refused without checking the password: too many failures.
     *
     * @param retryAfter how long to wait
     */
    record Throttled(Duration retryAfter) implements SignIn {}
  }

  private static final SignIn.BadCredentials BAD = new SignIn.BadCredentials();

  /**
   * Signs {@code username} in with {@code password}.
   *
   * @param instanceSid the instance to sign in to, or {@code null} for the default one
   * @param username the username (case aside), or {@code null}
   * @param password the password, or {@code null}
   * @param source where the attempt comes from ({@link LoginThrottle#sourceOf})
   */
  public SignIn signIn(String instanceSid, String username, String password, String source) {
    if (username == null
        || username.isBlank()
        || password == null
        || password.isBlank()
        // No user has such a name and no password is so long: refused without counting, and
        // without letting an attacker fill the throttle's memory with huge keys.
        || username.length() > MAX_USERNAME
        || password.codePointCount(0, password.length()) > MAX_PASSWORD
        || !PasswordHasher.isWellFormed(password)) {
      return refused(resolve(instanceSid).orElse(null), null, "malformed");
    }
    Optional<FlexInstance> instance = resolve(instanceSid);
    String user =
        instance.map(i -> i.sid().value()).orElse(UNKNOWN_INSTANCE)
            + "/"
            + FlexService.usernameKey(username);
    LoginThrottle.Admission admission = throttle.admit(new LoginThrottle.Attempt(user, source));
    if (admission instanceof LoginThrottle.Refused refused) {
      throttled.increment();
      record(instance.orElse(null), null, "throttled");
      return new SignIn.Throttled(refused.retryAfter());
    }
    LoginThrottle.Admitted admitted = (LoginThrottle.Admitted) admission;
    boolean settled = false;
    try {
      FlexUser found = instance.flatMap(i -> flex.userByUsername(i, username)).orElse(null);
      // The password is checked first, whatever else is wrong, so that every refusal costs the
      // same.
      boolean passwordOk = passwordMatches(found, password);
      String refusal =
          !passwordOk
              ? (found == null ? "unknown_user" : "wrong_password")
              : found.deactivated()
                  ? "user_deactivated"
                  : !isActive(instance.orElseThrow()) ? "account_not_active" : null;
      if (refusal != null) {
        settled = true;
        return refused(instance.orElse(null), found, refusal);
      }
      throttle.succeeded(admitted);
      settled = true;
      SignIn.Issued issued = issue(instance.orElseThrow(), found);
      signIns.increment();
      record(instance.orElseThrow(), found, null);
      return issued;
    } finally {
      if (!settled) {
        throttle.abandoned(admitted);
      }
    }
  }

  private SignIn refused(FlexInstance instance, FlexUser user, String reason) {
    record(instance, user, reason);
    return bad();
  }

  /**
   * Records a sign-in ({@code reason} null) or a refusal for the audit trail. A refusal names the
   * user only when one exists: an attempted username that matches nobody may be a password typed in
   * the wrong field, so it is not kept.
   */
  private void record(FlexInstance instance, FlexUser user, String reason) {
    FlexInstance where = instance != null ? instance : flex.instance(defaultInstance).orElse(null);
    if (where == null) {
      return;
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("instance_sid", where.sid().value());
    if (reason != null) {
      data.put("reason", reason);
    }
    RequestContext rc = RequestContext.current();
    // The actor is the user signing in (nobody known when refused), not an API credential.
    audit.submit(
        new NewEvent(
            where.accountSid().value(),
            reason == null ? user.sid().value() : null,
            reason == null ? "flex-user" : "anonymous",
            reason == null ? "token-server.sign-in.succeeded" : "token-server.sign-in.failed",
            user == null ? null : user.sid().value(),
            user == null ? null : "flex-user",
            "token-server",
            rc == null ? null : rc.sourceIpAddress(),
            rc == null ? null : rc.userAgent(),
            clock.instant(),
            reason == null
                ? "Flex user " + user.username() + " signed in to the token server"
                : "Token server sign-in refused: " + reason,
            data));
  }

  private SignIn bad() {
    badCredentials.increment();
    return BAD;
  }

  private Optional<FlexInstance> resolve(String instanceSid) {
    if (instanceSid == null) {
      return flex.instance(defaultInstance);
    }
    if (!Sids.isValid(FlexInstanceSid.PREFIX, instanceSid)) {
      return Optional.empty();
    }
    return flex.instance(FlexInstanceSid.of(instanceSid));
  }

  // One Argon2 verification in every case: against a dummy hash when there is no user or no
  // password, so that the time taken does not tell whether the user exists (ASVS 6.3.8).
  private boolean passwordMatches(FlexUser user, String password) {
    String hash = user == null ? null : user.passwordHash();
    if (hash == null) {
      return hasher.verifyNothing(password);
    }
    try {
      return hasher.verify(password, hash);
    } catch (IllegalArgumentException e) {
      // The message names what is wrong, never the stored value.
      LOG.warn(
          "Stored password hash of Flex user {} cannot be read: {}", user.sid(), e.getMessage());
      return false;
    }
  }

  private boolean isActive(FlexInstance instance) {
    return credentials.account(instance.accountSid()).map(credentials::isActive).orElse(false);
  }

  private SignIn.Issued issue(FlexInstance instance, FlexUser user) {
    Key key = signingKey(instance);
    AccessToken token =
        new AccessToken.Builder(instance.accountSid().value(), key.sid().value(), key.secret())
            .identity(user.username())
            .ttl(instance.tokenTtl())
            .grants(grants(instance, user))
            .clock(clock)
            .build();
    return new SignIn.Issued(token.toJwt(), user.username(), token.getExpiration().toInstant());
  }

  /**
   * The API key the instance's token server signs with: the recorded one while it exists, else a
   * new standard key, recorded only if no other sign-in recorded one meanwhile (the loser deletes
   * its own, so that one key signs for the instance).
   */
  Key signingKey(FlexInstance instance) {
    FlexInstance current = instance;
    for (int attempt = 0; attempt < KEY_ATTEMPTS; attempt++) {
      KeySid recorded = current.tokenServerKeySid();
      if (recorded != null) {
        Optional<Key> key =
            credentials
                .key(recorded)
                .filter(k -> k.accountSid().equals(instance.accountSid()))
                .filter(k -> k.type() != KeyType.RESTRICTED);
        if (key.isPresent()) {
          return key.get();
        }
      }
      Key created = keys.create(instance.accountSid(), KEY_NAME, KeyType.STANDARD, null);
      if (flex.replaceTokenServerKey(current, recorded, created.sid())) {
        return created;
      }
      keys.delete(instance.accountSid(), created.sid());
      current = flex.instance(instance.sid()).orElseThrow();
    }
    throw new ApiException(
        ApiError.ofStatus(409, "The token server's key changed concurrently; try again"));
  }

  /**
   * The grants of the user's roles: per kind, the first of its roles (in the user's order) that
   * grants that kind decides it.
   */
  private List<Grant> grants(FlexInstance instance, FlexUser user) {
    VideoGrant video = null;
    VoiceGrant voice = null;
    ChatGrant chat = null;
    SyncGrant sync = null;
    TaskRouterGrant taskRouter = null;
    for (String name : user.roles()) {
      Optional<FlexRole> role = flex.role(instance, name);
      if (role.isEmpty()) {
        continue; // deleted since: grants nothing
      }
      RoleGrants g = role.get().grants();
      if (video == null && g.videoRoom() != null) {
        video = new VideoGrant();
        if (!g.videoRoom().isEmpty()) {
          video.setRoom(g.videoRoom());
        }
      }
      if (voice == null && g.voice() != null) {
        voice = new VoiceGrant().setIncomingAllow(g.voice().incomingAllow());
        if (g.voice().outgoingApplicationSid() != null) {
          voice.setOutgoingApplicationSid(g.voice().outgoingApplicationSid());
        }
      }
      if (chat == null && g.chatServiceSid() != null) {
        chat = new ChatGrant().setServiceSid(g.chatServiceSid());
      }
      if (sync == null && g.syncServiceSid() != null) {
        sync = new SyncGrant().setServiceSid(g.syncServiceSid());
      }
      if (taskRouter == null && g.taskRouter() && user.workerSid() != null) {
        taskRouter =
            new TaskRouterGrant()
                .setWorkspaceSid(instance.workspaceSid().value())
                .setWorkerSid(user.workerSid().value())
                .setRole(name);
      }
    }
    List<Grant> out = new ArrayList<>(5);
    for (Grant g : new Grant[] {video, voice, chat, sync, taskRouter}) {
      if (g != null) {
        out.add(g);
      }
    }
    return out;
  }

  // ------------------------------------------------------------------------------- passwords

  /**
   * Sets the user's password (replacing any), as an Argon2id hash.
   *
   * @return false when {@code instance} has no such user
   * @throws ApiException 400/20001 naming {@code password} when it breaks a rule: {@value
   *     #MIN_PASSWORD} to {@value #MAX_PASSWORD} characters, not only spaces, well-formed Unicode
   */
  public boolean setPassword(FlexInstance instance, FlexUserSid user, String password) {
    checkPassword(password);
    return flex.setPasswordHash(instance, user, hasher.hash(password));
  }

  /**
   * Removes the user's password: it can no longer sign in here.
   *
   * @return false when {@code instance} has no such user
   */
  public boolean removePassword(FlexInstance instance, FlexUserSid user) {
    return flex.setPasswordHash(instance, user, null);
  }

  // ASVS 6.2.1/6.2.9/6.2.5: a length range and nothing else; no composition rules. The messages
  // never quote the password.
  private static void checkPassword(String password) {
    if (password == null || password.isEmpty()) {
      throw new ApiException(ApiError.missingParameter("password"));
    }
    if (!PasswordHasher.isWellFormed(password)) {
      throw new ApiException(ApiError.invalidParameter("password", "not well-formed Unicode"));
    }
    if (password.isBlank()) {
      throw new ApiException(ApiError.invalidParameter("password", "not only spaces"));
    }
    int length = password.codePointCount(0, password.length());
    if (length < MIN_PASSWORD) {
      throw new ApiException(
          ApiError.invalidParameter("password", "at least " + MIN_PASSWORD + " characters"));
    }
    if (length > MAX_PASSWORD) {
      throw new ApiException(
          ApiError.invalidParameter("password", "at most " + MAX_PASSWORD + " characters"));
    }
  }
}
