package io.callsign.server.flex;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.EncryptionMethod;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWEAlgorithm;
import com.nimbusds.jose.JWEHeader;
import com.nimbusds.jose.JWEObject;
import com.nimbusds.jose.Payload;
import com.nimbusds.jose.crypto.DirectEncrypter;
import io.callsign.server.accounts.Account;
import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.server.http.ApiError;
import io.callsign.server.http.ApiException;
import io.callsign.server.http.CredentialCache;
import io.callsign.server.http.EnumCounts;
import io.callsign.server.http.FreshCache;
import io.callsign.server.http.Json;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.Sids;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * Flex tokens: minting, validation and revocation. No HTTP types.
 *
 * <p>A Flex token is a compact JWE ({@code alg: dir}, {@code enc: A256GCM}) under its instance's
 * AES-256 key, with the header {@code {"alg","enc","kid": instance SID,"typ": "twilio-flex+jwt"}}
 * and nothing else; its claims are opaque to clients (docs/design/0008-flex-tokens.md). Validation
 * checks the header against that allow-list before decrypting, then the claims against the
 * instance, the user (active, same token generation), the revocation list and the account (active,
 * as is its parent).
 *
 * <p>Validation does not touch the database when its caches are warm: instances (whose keys never
 * change), users and revocation answers are cached here, accounts in the shared {@link
 * CredentialCache}. A change made on this node takes effect at once ({@link #userChanged}, revoking
 * through {@link #revoke}); one made on another node within about a second, when the entry is
 * reloaded. Everything that invalidates a token is stored, so it holds after a restart.
 */
public final class FlexTokenService implements MeterBinder {
  /** The {@code typ} header of every Flex token, so that no other kind of token passes for one. */
  public static final String TYPE = "twilio-flex+jwt";

  /** Longest token accepted: checked before anything is decoded. Ours are about 700 characters. */
  public static final int MAX_TOKEN_LENGTH = 8192;

  /** The lifetime of a token when none is asked for: one hour. */
  public static final long DEFAULT_TTL = 3600;

  /** The longest lifetime that may be asked for: 24 hours, as for Access Tokens. */
  public static final long MAX_TTL = 86_400;

  /** How far clocks may disagree: a token is still valid this long after its {@code exp}. */
  public static final Duration CLOCK_SKEW = Duration.ofSeconds(60);

  private static final String ALG = JWEAlgorithm.DIR.getName();
  private static final String ENC = EncryptionMethod.A256GCM.getName();
  private static final JOSEObjectType JOSE_TYPE = new JOSEObjectType(TYPE);
  // Base64url lengths of a 96-bit IV and a 128-bit tag.
  private static final int IV_CHARS = 16;
  private static final int TAG_CHARS = 22;
  private static final int TAG_BITS = 128;
  private static final int KEY_BYTES = 32;
  private static final int JTI_BYTES = 16;
  private static final long MAX_ENTRIES = 10_000;
  private static final long MAX_REVOCATION_ENTRIES = 100_000;
  // Instances never change what validation uses (the SID, account and key): kept for long. An
  // unknown SID is remembered briefly, so that a flood of made-up ones costs one read each, and an
  // instance created on another node is found within the second.
  private static final Duration INSTANCE_LIFETIME = Duration.ofHours(1);
  private static final Duration SHORT = Duration.ofSeconds(1);
  private static final Duration REFRESH = Duration.ofMillis(500);
  private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final Base64.Encoder BASE64URL = Base64.getUrlEncoder().withoutPadding();
  private static final ObjectMapper MAPPER = Json.STRICT;

  // Claim names.
  private static final String JTI = "jti";
  private static final String IAT = "iat";
  private static final String EXP = "exp";
  private static final String ACCOUNT = "account_sid";
  private static final String INSTANCE = "flex_instance_sid";
  private static final String USER = "flex_user_sid";
  private static final String USERNAME = "username";
  private static final String IDENTITY = "identity";
  private static final String ROLES = "roles";
  private static final String PERMISSIONS = "permissions";
  private static final String WORKER = "worker_sid";
  private static final String GENERATION = "token_generation";

  private final FlexService flex;
  private final FlexStore store;
  private final CredentialCache credentials;
  private final LongAdder minted = new LongAdder();
  private final LongAdder valid = new LongAdder();
  private final EnumCounts<Rejection> invalid = new EnumCounts<>(Rejection.class);
  private final Clock clock;
  private final FreshCache<FlexInstanceSid, Optional<FlexInstance>> instances;
  private final FreshCache<FlexUserSid, Optional<CachedUser>> users;
  private final FreshCache<String, Boolean> revoked;
  private final Audit audit;
  private final AtomicLong lastPrune = new AtomicLong(Long.MIN_VALUE);

  /** A user with the permission codes its roles grant, computed once per load. */
  private record CachedUser(FlexUser user, List<String> permissions) {}

  /**
   * A service over {@code flex} (instances, users, roles) and {@code store} (revocations), checking
   * accounts through {@code credentials} and taking the time from {@code clock}.
   */
  public FlexTokenService(
      FlexService flex, FlexStore store, CredentialCache credentials, Clock clock) {
    this(flex, store, credentials, clock, Audit.NONE);
  }

  /** As above, recording issued and revoked tokens in {@code audit}. */
  public FlexTokenService(
      FlexService flex, FlexStore store, CredentialCache credentials, Clock clock, Audit audit) {
    this.audit = audit;
    this.flex = flex;
    this.store = store;
    this.credentials = credentials;
    this.clock = clock;
    this.instances =
        new FreshCache<>(
            sid -> flex.instance(sid).map(FlexTokenService::checkedKey),
            found -> found.isPresent() ? INSTANCE_LIFETIME : SHORT,
            null,
            MAX_ENTRIES);
    this.users =
        new FreshCache<>(
            sid -> flex.user(sid).map(this::withPermissions), found -> SHORT, REFRESH, MAX_ENTRIES);
    // A revocation is final: a "revoked" answer can be kept for long, a "not revoked" one only
    // briefly, so that a revocation on another node arrives within the second.
    this.revoked =
        new FreshCache<>(
            store::isTokenRevoked,
            yes -> yes ? INSTANCE_LIFETIME : SHORT,
            REFRESH,
            MAX_REVOCATION_ENTRIES);
  }

  // "dir" with A256GCM takes the key as it is: it must be 256 bits.
  private static FlexInstance checkedKey(FlexInstance instance) {
    if (instance.tokenKey().getEncoded().length != KEY_BYTES) {
      throw new IllegalStateException("the token key of " + instance.sid() + " is not AES-256");
    }
    return instance;
  }

  private CachedUser withPermissions(FlexUser user) {
    List<String> permissions =
        instances
            .get(user.instanceSid())
            .map(i -> flex.permissionCodes(i, user.roles()))
            .orElse(List.of());
    return new CachedUser(user, permissions);
  }

  /**
   * Forgets what is cached about {@code user}; call after changing it (deprovisioning raises its
   * token generation, which must stop its tokens at once).
   */
  public void userChanged(FlexUserSid user) {
    users.invalidate(user);
  }

  /**
   * Forgets every cached user: the permission codes cached with each user follow from the roles of
   * its instance, so a changed role (on this node or another) takes effect at once.
   */
  public void rolesChanged() {
    users.invalidateAll();
  }

  /**
   * Forgets the cached revocation answer of the token {@code tokenId}, after another node revoked
   * it: the next validation reads the revocation.
   */
  public void revocationChanged(String tokenId) {
    revoked.invalidate(tokenId);
  }

  /** Forgets everything cached (cluster invalidation, when changes may have been missed). */
  public void invalidateAll() {
    instances.invalidateAll();
    users.invalidateAll();
    revoked.invalidateAll();
  }

  // ------------------------------------------------------------------------------- minting

  /**
   * A minted token.
   *
   * @param token the compact JWE
   * @param info what it stands for, as minted
   */
  public record Minted(String token, FlexTokenInfo info) {
    // The token is a bearer credential: keep it out of any log line that shows this.
    @Override
    public String toString() {
      return "Minted[" + info.userSid() + ", expiresAt=" + info.expiresAt() + "]";
    }
  }

  /**
   * Mints a token for {@code user} of {@code instance} that lives {@code ttl} seconds.
   *
   * @throws ApiException 400/20001 naming {@code ttl} unless 1 to {@value #MAX_TTL}; 409/20409 when
   *     the user is deactivated; 401/20005 when the instance's account (or its parent) is not
   *     active
   * @throws IllegalArgumentException when {@code user} is not of {@code instance}
   */
  public Minted mint(FlexInstance instance, FlexUser user, long ttl) {
    if (!user.instanceSid().equals(instance.sid())) {
      throw new IllegalArgumentException(user + " is not a user of " + instance);
    }
    if (ttl < 1 || ttl > MAX_TTL) {
      throw new ApiException(ApiError.invalidParameter("ttl", "1 to " + MAX_TTL + " seconds"));
    }
    if (user.deactivated()) {
      throw new ApiException(
          ApiError.ofStatus(
              409,
              "The user "
                  + user.sid().value()
                  + " is deactivated: provision it again before minting tokens for it"));
    }
    // Such a token would never validate.
    if (!accountActive(instance.accountSid())) {
      throw new ApiException(ApiError.accountNotActive());
    }
    Instant now = clock.instant().truncatedTo(ChronoUnit.SECONDS);
    Instant exp = now.plusSeconds(ttl);
    byte[] id = new byte[JTI_BYTES];
    RANDOM.nextBytes(id);
    String jti = BASE64URL.encodeToString(id);
    List<String> permissions = flex.permissionCodes(instance, user.roles());
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put(JTI, jti);
    claims.put(IAT, now.getEpochSecond());
    claims.put(EXP, exp.getEpochSecond());
    claims.put(ACCOUNT, instance.accountSid().value());
    claims.put(INSTANCE, instance.sid().value());
    claims.put(USER, user.sid().value());
    claims.put(USERNAME, user.username());
    claims.put(IDENTITY, user.username());
    claims.put(ROLES, user.roles());
    claims.put(PERMISSIONS, permissions);
    claims.put(WORKER, user.workerSid() == null ? null : user.workerSid().value());
    claims.put(GENERATION, user.tokenGeneration());
    JWEHeader header =
        new JWEHeader.Builder(JWEAlgorithm.DIR, EncryptionMethod.A256GCM)
            .keyID(instance.sid().value())
            .type(JOSE_TYPE)
            .build();
    JWEObject jwe;
    try {
      jwe = new JWEObject(header, new Payload(MAPPER.writeValueAsBytes(claims)));
      jwe.encrypt(new DirectEncrypter(instance.tokenKey()));
    } catch (JOSEException | IOException e) {
      throw new IllegalStateException("cannot encrypt a Flex token", e);
    }
    this.minted.increment();
    Minted minted =
        new Minted(
            jwe.serialize(),
            new FlexTokenInfo(
                jti,
                instance.accountSid(),
                instance.sid(),
                user.sid(),
                user.username(),
                user.roles(),
                permissions,
                user.workerSid(),
                now,
                exp));
    // Recorded before the token is handed out: an issued token always has its event.
    return audit.atomically(
        () -> minted, m -> tokenEvent(m.info(), "flex-user.token-issued", "Flex token issued"));
  }

  // What an event says about a token: its id and lifetime, never the token.
  private NewEvent tokenEvent(FlexTokenInfo info, String type, String what) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("token_id", info.tokenId());
    data.put("instance_sid", info.instanceSid().value());
    data.put("expiration", info.expiresAt().toString());
    return NewEvent.byCaller(
        info.accountSid().value(),
        type,
        info.userSid().value(),
        "flex-user",
        what,
        data,
        clock.instant());
  }

  // ---------------------------------------------------------------------------- validation

  /** Why a token is not valid, with the Twilio code and message it is answered with. */
  public enum Rejection {
    /**
     * Malformed, tampered with, of another kind, of an unknown instance, or of an account other
     * than the one expected: one answer for all, so that nothing about other accounts shows.
     */
    INVALID(20101, "Invalid Access Token"),
    /** Revoked one by one (logout). */
    REVOKED(20101, "Invalid Access Token: the token was revoked"),
    /** Its user was deprovisioned since (even if provisioned again). */
    USER_DEACTIVATED(20101, "Invalid Access Token: the user was deprovisioned"),
    /** Its account, or that account's parent, is suspended or closed. */
    ACCOUNT_NOT_ACTIVE(20101, "Invalid Access Token: the account, or its parent, is not active"),
    /** Past its {@code exp} (and the allowed skew). */
    EXPIRED(20104, "Access Token expired or expiration date invalid");

    private final int code;
    private final String message;

    Rejection(int code, String message) {
      this.code = code;
      this.message = message;
    }

    /** The Twilio error code: 20101 or 20104. */
    public int code() {
      return code;
    }

    /** The message, the same for every token refused for this reason. */
    public String message() {
      return message;
    }
  }

  /** The outcome of validating a token. */
  public sealed interface Validation {
    /** The token is valid; {@code info} has the user's current roles and permissions. */
    record Valid(FlexTokenInfo info) implements Validation {}

    /** The token is not valid, for {@code reason}. */
    record Invalid(Rejection reason) implements Validation {}
  }

  private static final Validation.Invalid INVALID = new Validation.Invalid(Rejection.INVALID);

  /**
   * Validates {@code token}. With {@code expectedAccount}, a token of any other account is refused
   * exactly like a malformed one, before it is decrypted; {@code null} accepts any account.
   */
  public Validation validate(String token, AccountSid expectedAccount) {
    Validation validation = check(token, expectedAccount);
    if (validation instanceof Validation.Invalid(Rejection reason)) {
      invalid.increment(reason);
    } else {
      valid.increment();
    }
    return validation;
  }

  /**
   * Registers {@code callsign_flex_tokens_minted_total}, {@code
   * callsign_flex_tokens_validated_total} (by outcome and reason) and the hit rates of its caches.
   */
  @Override
  public void bindTo(MeterRegistry registry) {
    FunctionCounter.builder("callsign.flex_tokens.minted", minted, LongAdder::doubleValue)
        .description("Flex tokens minted")
        .register(registry);
    String validated = "callsign.flex_tokens.validated";
    String description = "Flex tokens validated, by outcome";
    FunctionCounter.builder(validated, valid, LongAdder::doubleValue)
        .description(description)
        .tags("outcome", "valid", "reason", "")
        .register(registry);
    invalid.register(
        registry,
        validated,
        description,
        r -> Tags.of("outcome", "invalid", "reason", r.name().toLowerCase(java.util.Locale.ROOT)));
    instances.bindTo(registry, "flex_instances");
    users.bindTo(registry, "flex_users");
    revoked.bindTo(registry, "flex_token_revocations");
  }

  private Validation check(String token, AccountSid expectedAccount) {
    if (token == null || token.length() > MAX_TOKEN_LENGTH) {
      return INVALID;
    }
    // Compact serialization: header.key.iv.ciphertext.tag, the key empty for "dir".
    int d1 = token.indexOf('.');
    int d2 = d1 < 0 ? -1 : token.indexOf('.', d1 + 1);
    int d3 = d2 < 0 ? -1 : token.indexOf('.', d2 + 1);
    int d4 = d3 < 0 ? -1 : token.indexOf('.', d3 + 1);
    if (d4 < 0
        || token.indexOf('.', d4 + 1) >= 0
        || d2 != d1 + 1
        || d3 - d2 - 1 != IV_CHARS
        || token.length() - d4 - 1 != TAG_CHARS
        || !isBase64Url(token, 0, d1)
        || !isBase64Url(token, d2 + 1, d3)
        || !isBase64Url(token, d3 + 1, d4)
        || !isBase64Url(token, d4 + 1, token.length())) {
      return INVALID;
    }
    FlexInstanceSid kid = checkedHeader(token.substring(0, d1));
    if (kid == null) {
      return INVALID;
    }
    FlexInstance instance = instances.get(kid).orElse(null);
    if (instance == null
        || (expectedAccount != null && !instance.accountSid().equals(expectedAccount))) {
      return INVALID;
    }
    JsonNode claims = decrypt(token, d1, d3, d4, instance.tokenKey());
    if (claims == null) {
      return INVALID;
    }
    return checkClaims(claims, instance);
  }

  /**
   * The instance a token's header names, if the header is exactly {@code alg: dir}, {@code enc:
   * A256GCM}, {@code typ} and a well-formed {@code kid}; else {@code null}. Anything more ({@code
   * zip}, {@code crit}, {@code jku}, ...) is refused, so nothing in it is ever acted on.
   */
  private static FlexInstanceSid checkedHeader(String segment) {
    JsonNode header;
    try {
      byte[] json = Base64.getUrlDecoder().decode(segment);
      // One object, in printable ASCII only: every allowed value is, no other encoding is guessed
      // at (J-08), and nothing surrounds it.
      if (json.length < 2 || json[0] != '{' || json[json.length - 1] != '}') {
        return null;
      }
      for (byte b : json) {
        if (b < 0x20 || b > 0x7e) {
          return null;
        }
      }
      header = MAPPER.readTree(json);
    } catch (IOException | IllegalArgumentException e) {
      return null;
    }
    if (header == null || !header.isObject() || header.size() != 4) {
      return null;
    }
    String kid = text(header, "kid");
    if (!ALG.equals(text(header, "alg"))
        || !ENC.equals(text(header, "enc"))
        || !TYPE.equals(text(header, "typ"))
        || !Sids.isValid(FlexInstanceSid.PREFIX, kid)) {
      return null;
    }
    return FlexInstanceSid.of(kid);
  }

  /**
   * The decrypted claims object, or {@code null} when decryption or parsing fails. AES-GCM with the
   * header segment as associated data (RFC 7516 section 5.2), done here rather than through Nimbus:
   * the header is already checked, and Nimbus would parse it again (docs/benchmarks.md).
   */
  private static JsonNode decrypt(String token, int d1, int d3, int d4, SecretKey key) {
    try {
      Base64.Decoder base64 = Base64.getUrlDecoder();
      byte[] iv = base64.decode(token.substring(d1 + 2, d3));
      byte[] ciphertext = base64.decode(token.substring(d3 + 1, d4));
      byte[] tag = base64.decode(token.substring(d4 + 1));
      // The JCA takes the tag at the end of the ciphertext.
      byte[] sealed = Arrays.copyOf(ciphertext, ciphertext.length + tag.length);
      System.arraycopy(tag, 0, sealed, ciphertext.length, tag.length);
      Cipher cipher = Cipher.getInstance("AES/GCM/NoPadding");
      cipher.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, iv));
      cipher.updateAAD(token.substring(0, d1).getBytes(StandardCharsets.US_ASCII));
      JsonNode claims = MAPPER.readTree(cipher.doFinal(sealed));
      return claims != null && claims.isObject() ? claims : null;
    } catch (GeneralSecurityException | IOException | IllegalArgumentException e) {
      // Whatever failed (a tag that does not match, above all), the answer is the same.
      return null;
    }
  }

  private Validation checkClaims(JsonNode claims, FlexInstance instance) {
    String jti = text(claims, JTI);
    String user = text(claims, USER);
    Long iat = number(claims, IAT);
    Long exp = number(claims, EXP);
    Long generation = number(claims, GENERATION);
    if (jti == null
        || jti.isEmpty()
        || iat == null
        || exp == null
        || generation == null
        || !instance.sid().value().equals(text(claims, INSTANCE))
        || !instance.accountSid().value().equals(text(claims, ACCOUNT))
        || !Sids.isValid(FlexUserSid.PREFIX, user)
        || exp <= iat
        || exp - iat > MAX_TTL) {
      return INVALID;
    }
    long now = Math.floorDiv(clock.millis(), 1000);
    long skew = CLOCK_SKEW.toSeconds();
    if (now >= exp + skew) {
      return new Validation.Invalid(Rejection.EXPIRED);
    }
    if (iat > now + skew) {
      return INVALID;
    }
    CachedUser cached = users.get(FlexUserSid.of(user)).orElse(null);
    if (cached == null || !cached.user().instanceSid().equals(instance.sid())) {
      return INVALID;
    }
    FlexUser u = cached.user();
    if (u.deactivated() || u.tokenGeneration() != generation) {
      return new Validation.Invalid(Rejection.USER_DEACTIVATED);
    }
    if (revoked.get(jti)) {
      return new Validation.Invalid(Rejection.REVOKED);
    }
    if (!accountActive(instance.accountSid())) {
      return new Validation.Invalid(Rejection.ACCOUNT_NOT_ACTIVE);
    }
    return new Validation.Valid(
        new FlexTokenInfo(
            jti,
            instance.accountSid(),
            instance.sid(),
            u.sid(),
            u.username(),
            u.roles(),
            cached.permissions(),
            u.workerSid(),
            Instant.ofEpochSecond(iat),
            Instant.ofEpochSecond(exp)));
  }

  private boolean accountActive(AccountSid sid) {
    Optional<Account> account = credentials.account(sid);
    return account.isPresent() && credentials.isActive(account.get());
  }

  // ---------------------------------------------------------------------------- revocation

  /**
   * Revokes {@code token} (logout): it stops validating at once on this node, within about a second
   * on others, and after restarts, until it would have expired anyway. Revoking a revoked token
   * again succeeds and changes nothing.
   *
   * @param expectedAccount as for {@link #validate}
   * @return the token's validation: {@link Validation.Valid} when it is now revoked, else why it
   *     could not be (an expired token, for one, needs no revoking)
   */
  public Validation revoke(String token, AccountSid expectedAccount) {
    Validation validation = check(token, expectedAccount);
    if (!(validation instanceof Validation.Valid ok)) {
      return validation;
    }
    FlexTokenInfo info = ok.info();
    Instant now = clock.instant();
    // Kept as long as validation would still accept it: its exp plus the skew.
    audit.atomically(
        () -> {
          store.revokeToken(info.tokenId(), info.instanceSid(), info.expiresAt().plus(CLOCK_SKEW));
          return info;
        },
        i -> tokenEvent(i, "flex-token.revoked", "Flex token revoked (logout)"));
    revoked.put(info.tokenId(), true);
    pruneNowAndThen(now);
    return validation;
  }

  /**
   * Revokes the token {@code tokenId} of {@code user} without the token in hand: single sign-on
   * revokes this way what it issued once the sign-in is found compromised (a replayed code, a
   * reused refresh token). Takes effect as {@link #revoke} does; revoking twice changes nothing.
   *
   * @param expiresAt the token's {@code exp}: the revocation is kept until then (plus the skew)
   */
  public void revokeIssued(
      String tokenId, FlexInstance instance, FlexUserSid user, Instant expiresAt) {
    Instant now = clock.instant();
    if (!now.isBefore(expiresAt.plus(CLOCK_SKEW))) {
      return; // expired anyway
    }
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("token_id", tokenId);
    data.put("instance_sid", instance.sid().value());
    data.put("expiration", expiresAt.toString());
    audit.atomically(
        () -> {
          store.revokeToken(tokenId, instance.sid(), expiresAt.plus(CLOCK_SKEW));
          return tokenId;
        },
        id ->
            NewEvent.byCaller(
                instance.accountSid().value(),
                "flex-token.revoked",
                user.value(),
                "flex-user",
                "Flex token revoked with its single sign-on",
                data,
                now));
    revoked.put(tokenId, true);
    pruneNowAndThen(now);
  }

  /** Whether {@code validation} refused a token only because it was already revoked. */
  public static boolean alreadyRevoked(Validation validation) {
    return validation instanceof Validation.Invalid(Rejection reason)
        && reason == Rejection.REVOKED;
  }

  // Forgets expired revocations at most once a minute, on the back of a revocation: the table
  // only grows through revocations, so that keeps it small without a scheduler.
  private void pruneNowAndThen(Instant now) {
    long last = lastPrune.get();
    long millis = now.toEpochMilli();
    if ((last == Long.MIN_VALUE || millis - last >= PRUNE_EVERY.toMillis())
        && lastPrune.compareAndSet(last, millis)) {
      store.pruneRevokedTokens(now);
    }
  }

  // ------------------------------------------------------------------------------- helpers

  private static String text(JsonNode object, String name) {
    JsonNode v = object.get(name);
    return v != null && v.isTextual() ? v.textValue() : null;
  }

  private static Long number(JsonNode object, String name) {
    JsonNode v = object.get(name);
    return v != null && v.isIntegralNumber() && v.canConvertToLong() ? v.longValue() : null;
  }

  /**
   * Whether {@code s[from, to)} is non-empty, unpadded, canonical base64url: only the URL-safe
   * alphabet, a length a whole number of bytes encodes to, and zero bits after the last byte (so
   * that one token has exactly one spelling).
   */
  private static boolean isBase64Url(String s, int from, int to) {
    int length = to - from;
    if (length <= 0 || length % 4 == 1) {
      return false;
    }
    int last = 0;
    for (int i = from; i < to; i++) {
      last = sextet(s.charAt(i));
      if (last < 0) {
        return false;
      }
    }
    return switch (length % 4) {
      case 2 -> (last & 0x0F) == 0;
      case 3 -> (last & 0x03) == 0;
      default -> true;
    };
  }

  private static int sextet(char c) {
    if (c >= 'A' && c <= 'Z') {
      return c - 'A';
    }
    if (c >= 'a' && c <= 'z') {
      return c - 'a' + 26;
    }
    if (c >= '0' && c <= '9') {
      return c - '0' + 52;
    }
    return c == '-' ? 62 : c == '_' ? 63 : -1;
  }
}
