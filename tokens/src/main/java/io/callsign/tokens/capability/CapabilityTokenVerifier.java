package io.callsign.tokens.capability;

import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.TokenError;
import io.callsign.tokens.internal.CompactJws;
import io.callsign.tokens.internal.KeyedMac;
import io.callsign.tokens.internal.TimeClaims;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.Sids;
import io.callsign.tokens.sid.WorkspaceSid;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Function;

/**
 * Verifies legacy capability tokens, Client and TaskRouter, minted by this library, twilio-java,
 * twilio-node or twilio-python.
 *
 * <pre>{@code
 * CapabilityTokenVerifier verifier = CapabilityTokenVerifier.builder(accountSid, authToken).build();
 * try {
 *   VerifiedClientCapability token = verifier.verifyClientCapability(jwt);
 *   token.scopes(IncomingClientScope.class);
 * } catch (InvalidTokenException e) {
 *   e.code(); // 20104 when expired, ...
 * }
 * }</pre>
 *
 * <h2>Accepted encodings</h2>
 *
 * <p>Scope URIs in every library's encoding (twilio-wire.md section 6): raw spaces in twilio-java's
 * incoming {@code clientName}, {@code +} or {@code %20} for a space, parameters in any order
 * (twilio-python sorts them), {@code params} for {@code appParams} in stream scopes
 * (twilio-python), {@code path} escaped or not, and {@code appParams} escaped twice (decoded once,
 * then read as a query string). TaskRouter payloads with or without {@code iat} or {@code nbf},
 * with {@code query_filter}/{@code post_filter} written as {@code {}} or left out, with claims and
 * members in any order.
 *
 * <h2>Security guarantees</h2>
 *
 * <ul>
 *   <li>Only HS256 is accepted; the header's {@code alg} never selects an algorithm, so {@code
 *       none} in any spelling, other HMACs and asymmetric algorithms are refused (20102).
 *   <li>A {@code cty} header is refused (20102): Access Tokens are not capability tokens. Each
 *       method accepts one kind only: a Client token needs {@code scope} and has no {@code
 *       policies}; a TaskRouter token needs {@code policies} and has no {@code scope}; neither may
 *       carry Access Token {@code grants} (20101).
 *   <li>{@code iss} must be a well-formed account SID known to the {@link AuthTokenLookup} (20103);
 *       malformed issuers never reach the lookup. In TaskRouter tokens {@code account_sid} must
 *       equal {@code iss} (20103).
 *   <li>The signature is checked in constant time (20107) before any other claim is trusted.
 *   <li>{@code exp} is required (20104); {@code nbf} and {@code iat} are honoured (20105); a
 *       lifetime above 24 hours is refused (20157). Clock skew is at most 60 seconds.
 *   <li>Unknown scope kinds, unknown or repeated scope parameters, malformed percent-escapes,
 *       control characters, channels that disagree with {@code worker_sid}/{@code taskqueue_sid} or
 *       the workspace, and malformed or unknown policy members are refused (20101), so a token has
 *       one reading only.
 *   <li>Tokens longer than {@link Builder#maxTokenLength(int)} are refused before decoding;
 *       duplicate JSON members, invalid UTF-8 and non-canonical base64url are refused (20101).
 * </ul>
 *
 * <p>Instances are immutable and thread-safe.
 */
public final class CapabilityTokenVerifier {
  /** Largest clock skew that may be configured. */
  public static final Duration MAX_CLOCK_SKEW = Duration.ofSeconds(TimeClaims.MAX_SKEW_SECONDS);

  /** Default cap on the token length: 16 KiB, far above any real token. */
  public static final int DEFAULT_MAX_TOKEN_LENGTH = 16 * 1024;

  private final Function<String, List<KeyedMac>> keys;
  private final Clock clock;
  private final long skewSeconds;
  private final int maxTokenLength;

  private CapabilityTokenVerifier(Builder b) {
    this.keys = b.keys;
    this.clock = b.clock;
    this.skewSeconds = b.clockSkew.toSeconds();
    this.maxTokenLength = b.maxTokenLength;
  }

  /**
   * Starts a verifier for the tokens of one account, signed with {@code authToken}.
   *
   * @throws IllegalArgumentException if the SID is malformed or the auth token shorter than 32
   *     bytes
   */
  public static Builder builder(String accountSid, byte[] authToken) {
    String account = AccountSid.of(accountSid).value();
    List<KeyedMac> key = List.of(CapabilityJwt.signingKey(authToken));
    return new Builder(sid -> sid.equals(account) ? key : List.of());
  }

  /** As {@link #builder(String, byte[])}, with the auth token as UTF-8 text. */
  public static Builder builder(String accountSid, String authToken) {
    return builder(accountSid, CapabilityJwt.utf8(authToken));
  }

  /**
   * Starts a verifier that finds each account's auth tokens through {@code lookup}. An auth token
   * shorter than 32 bytes from the lookup is a configuration fault: verifying then throws {@link
   * IllegalStateException}.
   */
  public static Builder builder(AuthTokenLookup lookup) {
    Objects.requireNonNull(lookup, "lookup");
    return new Builder(
        sid -> {
          List<byte[]> tokens = lookup.find(sid);
          List<KeyedMac> macs = new ArrayList<>(tokens == null ? 0 : tokens.size());
          if (tokens != null) {
            for (byte[] token : tokens) {
              macs.add(KeyedMac.cached(KeyedMac.HMAC_SHA256, checkedLength(token)));
            }
          }
          return macs;
        });
  }

  private static byte[] checkedLength(byte[] authToken) {
    Objects.requireNonNull(authToken, "authToken");
    if (authToken.length < CapabilityJwt.MIN_AUTH_TOKEN_BYTES) {
      // A configuration fault, not a bad token: say so loudly.
      throw new IllegalStateException(
          "an auth token must be at least " + CapabilityJwt.MIN_AUTH_TOKEN_BYTES + " bytes");
    }
    return authToken;
  }

  /**
   * Verifies a Client capability token and decodes its scopes.
   *
   * @throws InvalidTokenException carrying the Twilio code of the first check that failed
   */
  public VerifiedClientCapability verifyClientCapability(String token)
      throws InvalidTokenException {
    Signed signed = verifySignature(token);
    Map<String, Object> claims = signed.claims();
    if (!claims.containsKey("scope") || claims.containsKey("policies")) {
      throw invalid("not a Client capability token: it needs scope and has no policies");
    }
    TimeClaims times = checkTimes(claims);
    if (!(claims.get("scope") instanceof String scope)) {
      throw invalid("scope must be a string");
    }
    return new VerifiedClientCapability(
        signed.accountSid(), ScopeCodec.parseClaim(scope), times, claims);
  }

  /**
   * Verifies a TaskRouter capability token and decodes its channel and policies.
   *
   * @throws InvalidTokenException carrying the Twilio code of the first check that failed
   */
  public VerifiedTaskRouterCapability verifyTaskRouterCapability(String token)
      throws InvalidTokenException {
    Signed signed = verifySignature(token);
    Map<String, Object> claims = signed.claims();
    if (!claims.containsKey("policies") || claims.containsKey("scope")) {
      throw invalid("not a TaskRouter capability token: it needs policies and has no scope");
    }
    TimeClaims times = checkTimes(claims);
    if (!TaskRouterCapabilityToken.VERSION.equals(claims.get("version"))) {
      throw invalid("version must be " + TaskRouterCapabilityToken.VERSION);
    }
    if (!signed.accountSid().equals(claims.get("account_sid"))) {
      throw new InvalidTokenException(
          TokenError.INVALID_ISSUER_OR_SUBJECT, "account_sid must equal iss");
    }
    if (!(claims.get("workspace_sid") instanceof String workspaceSid)
        || !Sids.isValid(WorkspaceSid.PREFIX, workspaceSid)) {
      throw invalid("workspace_sid must be a workspace SID");
    }
    if (!(claims.get("channel") instanceof String channel)) {
      throw invalid("channel must be a string");
    }
    String problem = TaskRouterCapabilityToken.channelProblem(workspaceSid, channel);
    if (problem != null) {
      throw invalid(problem);
    }
    String ownSidClaim = TaskRouterCapabilityToken.channelSidClaim(channel);
    for (String sidClaim : List.of("worker_sid", "taskqueue_sid")) {
      Object value = claims.get(sidClaim);
      if (sidClaim.equals(ownSidClaim) ? !channel.equals(value) : claims.containsKey(sidClaim)) {
        throw invalid(sidClaim + " does not match the channel");
      }
    }
    Object friendlyName = claims.get("friendly_name");
    if (claims.containsKey("friendly_name")
        && !(friendlyName instanceof String name && CapabilityJwt.textProblem(name) == null)) {
      throw invalid("friendly_name must be a string without control characters");
    }
    if (!(claims.get("policies") instanceof List<?> list)) {
      throw invalid("policies must be an array");
    }
    List<Policy> policies = new ArrayList<>(list.size());
    for (Object policy : list) {
      policies.add(Policy.fromClaim(policy));
    }
    return new VerifiedTaskRouterCapability(
        signed.accountSid(),
        workspaceSid,
        channel,
        (String) friendlyName,
        List.copyOf(policies),
        times,
        claims);
  }

  private record Signed(String accountSid, Map<String, Object> claims) {}

  /** Structure, header, issuer and signature: everything before a claim may be trusted. */
  private Signed verifySignature(String token) throws InvalidTokenException {
    CompactJws jws = CompactJws.parse(token, maxTokenLength);
    jws.requireHs256Header(null);
    Map<String, Object> claims = jws.payload();
    if (!(claims.get("iss") instanceof String accountSid)
        || !Sids.isValid(AccountSid.PREFIX, accountSid)) {
      throw new InvalidTokenException(
          TokenError.INVALID_ISSUER_OR_SUBJECT, "iss must be an account SID");
    }
    List<KeyedMac> candidates = keys.apply(accountSid);
    if (candidates.isEmpty()) {
      throw new InvalidTokenException(TokenError.INVALID_ISSUER_OR_SUBJECT, "unknown account");
    }
    for (KeyedMac key : candidates) {
      if (jws.signatureMatches(key)) {
        if (claims.containsKey("grants")) {
          throw invalid("Access Token grants are not allowed in a capability token");
        }
        return new Signed(accountSid, claims);
      }
    }
    throw new InvalidTokenException(TokenError.INVALID_SIGNATURE, "signature does not match");
  }

  private TimeClaims checkTimes(Map<String, Object> claims) throws InvalidTokenException {
    return TimeClaims.check(claims, Math.floorDiv(clock.millis(), 1000), skewSeconds);
  }

  private static InvalidTokenException invalid(String message) {
    return new InvalidTokenException(TokenError.INVALID, message);
  }

  /** Configures a {@link CapabilityTokenVerifier}. */
  public static final class Builder {
    private final Function<String, List<KeyedMac>> keys;
    private Clock clock = Clock.systemUTC();
    private Duration clockSkew = MAX_CLOCK_SKEW;
    private int maxTokenLength = DEFAULT_MAX_TOKEN_LENGTH;

    private Builder(Function<String, List<KeyedMac>> keys) {
      this.keys = keys;
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

    /** Builds the verifier. */
    public CapabilityTokenVerifier build() {
      return new CapabilityTokenVerifier(this);
    }
  }
}
