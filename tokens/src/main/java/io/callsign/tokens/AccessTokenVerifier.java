package io.callsign.tokens;

import io.callsign.tokens.internal.CompactJws;
import io.callsign.tokens.internal.Json;
import io.callsign.tokens.internal.TimeClaims;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;

/**
 * Verifies Twilio Access Tokens minted by this library, twilio-java, twilio-node or twilio-python.
 *
 * <pre>{@code
 * AccessTokenVerifier verifier = AccessTokenVerifier.builder(keys::find).build();
 * try {
 *   VerifiedAccessToken token = verifier.verify(jwt);
 *   token.identity();
 * } catch (InvalidTokenException e) {
 *   e.code(); // 20104 when expired, ...
 * }
 * }</pre>
 *
 * <h2>Security guarantees</h2>
 *
 * <ul>
 *   <li>Only HS256 is accepted; the header's {@code alg} never selects an algorithm, so {@code
 *       none} in any spelling, other HMACs and asymmetric algorithms are refused (20102).
 *   <li>{@code cty} must be {@code twilio-fpa;v=1}: capability tokens, Flex tokens and other JWTs
 *       are refused (20102). {@code crit}, {@code zip} and JWE headers are refused.
 *   <li>{@code iss} must be a well-formed key SID found by the {@link KeyLookup}, owned by the
 *       account in {@code sub} (20103); malformed issuers never reach the lookup.
 *   <li>The signature is checked in constant time (20107) before any other claim is trusted.
 *   <li>{@code exp} is required (20104); {@code nbf} and {@code iat} are honoured (20105); a
 *       lifetime above 24 hours is refused (20157). Clock skew is at most 60 seconds.
 *   <li>Tokens longer than {@link Builder#maxTokenLength(int)} are refused before decoding;
 *       duplicate JSON members, invalid UTF-8 and non-canonical base64url are refused (20101).
 * </ul>
 *
 * <p>Instances are thread-safe; their only mutable state is the last well-formed issuer seen, a
 * cache of a format check.
 */
public final class AccessTokenVerifier {
  /** Largest clock skew that may be configured. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(TimeClaims.MAX_SKEW_SECONDS);

  /** Default cap on the token length: 16 KiB, far above any real token. */
  public static final int DEFAULT_MAX_TOKEN_LENGTH = 16 * 1024;

  private final KeyLookup keys;
  private final Clock clock;
  private final long skewSeconds;
  private final int maxTokenLength;
  private final String requiredAccountSid;
  private String lastWellFormedIssuer;

  private AccessTokenVerifier(Builder b) {
    this.keys = b.keys;
    this.clock = b.clock;
    this.skewSeconds = b.clockSkew.toSeconds();
    this.maxTokenLength = b.maxTokenLength;
    this.requiredAccountSid = b.requiredAccountSid;
  }

  /** Starts a verifier that finds keys through {@code keys}. */
  public static Builder builder(KeyLookup keys) {
    return new Builder(keys);
  }

  /**
   * Verifies {@code token} and returns its claims.
   *
   * @throws InvalidTokenException carrying the Twilio code of the first check that failed
   */
  public VerifiedAccessToken verify(String token) throws InvalidTokenException {
    Object[] claim = new Object[CHECKED_CLAIMS.size()];
    CompactJws jws = CompactJws.parse(token, maxTokenLength, CHECKED_CLAIMS, claim);
    jws.requireHs256Header(AccessToken.CONTENT_TYPE);

    SigningKey key = signingKey(claim[ISS], claim[SUB]);
    if (!jws.signatureMatches(key.mac())) {
      throw new InvalidTokenException(TokenError.INVALID_SIGNATURE, "signature does not match");
    }

    TimeClaims.check(
        claim[EXP], claim[IAT], claim[NBF], Math.floorDiv(clock.millis(), 1000), skewSeconds);
    if (claim[JTI] != null && !(claim[JTI] instanceof String)) {
      throw new InvalidTokenException(TokenError.INVALID, "jti must be a string");
    }
    Map<String, Object> grants = grants(claim[GRANTS]);
    return new VerifiedAccessToken(
        jws.header(), jws.payload(), grants, key.keySid(), key.accountSid());
  }

  /** The claims the checks read, captured while the payload is parsed: no lookups afterwards. */
  private static final Json.Capture CHECKED_CLAIMS =
      Json.Capture.of("iss", "sub", "exp", "iat", "nbf", "jti", "grants");

  private static final int ISS = 0;
  private static final int SUB = 1;
  private static final int EXP = 2;
  private static final int IAT = 3;
  private static final int NBF = 4;
  private static final int JTI = 5;
  private static final int GRANTS = 6;

  private SigningKey signingKey(Object iss, Object sub) throws InvalidTokenException {
    if (!(iss instanceof String keySid) || !wellFormedIssuer(keySid)) {
      throw new InvalidTokenException(
          TokenError.INVALID_ISSUER_OR_SUBJECT, "iss must be an API key SID");
    }
    // The subject must equal a well-formed account SID below (the required one, and the key's),
    // so its own format is only checked to name the failure.
    if (!(sub instanceof String accountSid)) {
      throw badSubject(sub, null);
    }
    if (requiredAccountSid != null && !requiredAccountSid.equals(accountSid)) {
      throw badSubject(accountSid, "token is for another account");
    }
    SigningKey key = keys.find(keySid);
    if (key == null || !key.keySid().equals(keySid)) {
      throw badSubject(accountSid, "unknown API key");
    }
    if (!key.accountSid().equals(accountSid)) {
      throw badSubject(accountSid, "the API key does not belong to this account");
    }
    return key;
  }

  /** Tokens come signed by a few keys: an issuer equal to the last well-formed one is one too. */
  private boolean wellFormedIssuer(String keySid) {
    if (keySid.equals(lastWellFormedIssuer)) {
      return true;
    }
    if (!Sids.isValid(KeySid.PREFIX, keySid)) {
      return false;
    }
    lastWellFormedIssuer = keySid; // racy on purpose: a lost update costs one format check
    return true;
  }

  private static InvalidTokenException badSubject(Object sub, String otherwise) {
    boolean wellFormed = sub instanceof String s && Sids.isValid(AccountSid.PREFIX, s);
    return new InvalidTokenException(
        TokenError.INVALID_ISSUER_OR_SUBJECT,
        wellFormed ? otherwise : "sub must be an account SID");
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> grants(Object claim) throws InvalidTokenException {
    if (!(claim instanceof Map<?, ?> grants)) {
      throw new InvalidTokenException(TokenError.INVALID_GRANTS, "grants must be an object");
    }
    for (Map.Entry<?, ?> grant : grants.entrySet()) {
      String name = (String) grant.getKey();
      Object body = grant.getValue();
      if (name.equals("identity")) {
        if (!(body instanceof String)) {
          throw new InvalidTokenException(TokenError.INVALID_GRANTS, "identity must be a string");
        }
        continue;
      }
      if (!(body instanceof Map<?, ?> fields)) {
        throw new InvalidTokenException(
            TokenError.INVALID_GRANTS, "grant " + CompactJws.describe(name) + " must be an object");
      }
      switch (name) {
        case "video" -> requireStrings(name, fields, "room");
        case "chat", "ip_messaging" ->
            requireStrings(
                name,
                fields,
                "service_sid",
                "endpoint_id",
                "deployment_role_sid",
                "push_credential_sid");
        case "data_sync" -> requireStrings(name, fields, "service_sid", "endpoint_id");
        case "task_router" -> requireStrings(name, fields, "workspace_sid", "worker_sid", "role");
        case "voice" -> {
          requireStrings(name, fields, "push_credential_sid", "endpoint_id");
          checkVoice(fields);
        }
        case "rtc" -> requireStrings(name, fields, "configuration_profile_sid");
        default -> {
          // player and unknown grants are passed through as objects
        }
      }
    }
    return (Map<String, Object>) grants;
  }

  /** Known grant fields are strings when present. */
  private static void requireStrings(String grant, Map<?, ?> fields, String... names)
      throws InvalidTokenException {
    for (String field : names) {
      Object value = fields.get(field);
      if (value != null && !(value instanceof String)) {
        throw new InvalidTokenException(
            TokenError.INVALID_GRANTS, grant + "." + field + " must be a string");
      }
    }
  }

  private static void checkVoice(Map<?, ?> voice) throws InvalidTokenException {
    Object incoming = voice.get("incoming");
    if (incoming != null
        && !(incoming instanceof Map<?, ?> in
            && (in.get("allow") == null || in.get("allow") instanceof Boolean))) {
      throw new InvalidTokenException(
          TokenError.INVALID_GRANTS, "voice.incoming must be {\"allow\": boolean}");
    }
    Object outgoing = voice.get("outgoing");
    if (outgoing != null
        && !(outgoing instanceof Map<?, ?> out
            && out.get("application_sid") instanceof String
            && (out.get("params") == null || out.get("params") instanceof Map))) {
      throw new InvalidTokenException(
          TokenError.INVALID_GRANTS,
          "voice.outgoing must have an application_sid string and optional params object");
    }
  }

  /** Configures an {@link AccessTokenVerifier}. */
  public static final class Builder {
    private final KeyLookup keys;
    private Clock clock = Clock.systemUTC();
    private Duration clockSkew = MAX_CLOCK_SKEW;
    private int maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH;
    private String requiredAccountSid;

    private Builder(KeyLookup keys) {
      this.keys = Objects.requireNonNull(keys, "keys");
    }

    /** The clock to check {@code exp}, {@code nbf} and {@code iat} against. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Leeway for clocks that disagree, from 0 to 60 seconds; default 60.
     *
     * @throws IllegalArgumentException if negative or above 60 seconds
     */
    public Builder clockSkew(Duration skew) {
      TimeClaims.checkSkew(skew);
      this.clockSkew = skew;
      return this;
    }

    /** Longest token accepted, in characters; default 16 KiB. */
    public Builder maxTokenLength(int maxTokenLength) {
      this.maxTokenLength = CompactJws.checkMaxLength(maxTokenLength);
      return this;
    }

    /** Accepts only tokens whose {@code sub} is this account. */
    public Builder requireAccount(String accountSid) {
      this.requiredAccountSid = AccountSid.of(accountSid).value();
      return this;
    }

    /** Builds the verifier. */
    public AccessTokenVerifier build() {
      return new AccessTokenVerifier(this);
    }
  }
}
