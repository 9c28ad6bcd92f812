package io.callsign.tokens;

import io.callsign.tokens.internal.CompactJws;
import io.callsign.tokens.internal.Json;
import io.callsign.tokens.internal.JsonObject;
import io.callsign.tokens.internal.JsonWriter;
import io.callsign.tokens.internal.KeyedMac;
import io.callsign.tokens.internal.TimeClaims;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.Sids;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A Twilio Access Token: an HS256 JWT signed with an API key secret, carrying an identity and
 * grants for Voice, Video, Chat/Conversations, Sync, TaskRouter and Live.
 *
 * <p>Source-compatible with twilio-java's {@code com.twilio.jwt.accesstoken.AccessToken}: moving
 * over is an import change.
 *
 * <pre>{@code
 * String jwt = new AccessToken.Builder(accountSid, keySid, secret)
 *     .identity("alice")
 *     .ttl(3600)
 *     .grant(new VideoGrant().setRoom("standup"))
 *     .build()
 *     .toJwt();
 * }</pre>
 *
 * <p>The header is {@code {"alg":"HS256","typ":"JWT","cty":"twilio-fpa;v=1"}} plus {@code twr} when
 * a region is set; the payload is {@code jti, iss, sub, exp, nbf, grants}. Unlike twilio-java, the
 * builder refuses what no verifier would accept: malformed SIDs, secrets shorter than 32 bytes, and
 * lifetimes above 24 hours.
 */
public final class AccessToken {
  /** The {@code cty} header value that marks a Twilio Access Token. */
  public static final String CONTENT_TYPE = "twilio-fpa;v=1";

  /** Lifetime used when none is set: one hour. */
  public static final int DEFAULT_TTL_SECONDS = 3600;

  /** Longest lifetime allowed: 24 hours. */
  public static final int MAX_TTL_SECONDS = TimeClaims.MAX_LIFETIME_SECONDS;

  /** Shortest key secret accepted: 32 bytes, the HS256 key size (RFC 7518 section 3.2). */
  public static final int MIN_SECRET_BYTES = 32;

  private static final String HEADER_JSON =
      "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"" + CONTENT_TYPE + "\"}";
  private static final byte[] ENCODED_HEADER =
      CompactJws.encodeSegment(HEADER_JSON.getBytes(StandardCharsets.UTF_8));

  private final String keySid;
  private final String accountSid;
  private final KeyedMac key;
  private final String identity;
  private final String region;
  private final long issuedAt;
  private final long expiresAt;
  private final Long notBefore;
  private final List<Grant> grants;
  private String jwt;

  private AccessToken(Builder b, long now) {
    this.keySid = b.keySid;
    this.accountSid = b.accountSid;
    this.key = b.key;
    this.identity = b.identity;
    this.region = b.region;
    this.issuedAt = now;
    this.expiresAt = now + b.ttl;
    this.notBefore = b.nbf;
    this.grants = List.copyOf(b.grants);
  }

  /** The signed token in compact serialization. */
  public String toJwt() {
    // Signing is a pure function of this immutable token, so racing threads at worst both sign
    // and store equal strings (String is safely published through its final fields): no lock.
    String signed = jwt;
    if (signed == null) {
      byte[] encodedHeader =
          region == null
              ? ENCODED_HEADER
              : CompactJws.encodeSegment(
                  Json.toJson(getHeaders()).getBytes(StandardCharsets.UTF_8));
      JsonWriter payload = payloadJson();
      signed = CompactJws.sign(encodedHeader, payload.buffer(), payload.size(), key);
      jwt = signed;
    }
    return signed;
  }

  private JsonWriter payloadJson() {
    // SIDs were validated as two letters and hex digits: they are written without escaping.
    byte[] keySidBytes = keySid.getBytes(StandardCharsets.ISO_8859_1);
    JsonWriter out = new JsonWriter(384);
    out.raw(JTI).raw(keySidBytes).raw(DASH).number(issuedAt);
    out.raw(ISS).raw(keySidBytes).raw(SUB).raw(accountSid.getBytes(StandardCharsets.ISO_8859_1));
    out.raw(EXP).number(expiresAt);
    if (notBefore != null) {
      out.raw(NBF).number(notBefore);
    }
    out.raw(GRANTS);
    writeGrantsClaim(out);
    return out.ascii('}');
  }

  /**
   * The {@code grants} object, written member by member: the identity, then each grant's payload
   * under its key, leaving out null payloads.
   */
  private void writeGrantsClaim(JsonWriter out) {
    if (identity != null) {
      for (Grant grant : grants) {
        if (grant.getGrantKey().equals("identity")) {
          // A grant under "identity" replaces the identity in place, as JsonObject.with does.
          out.value(grantsClaim());
          return;
        }
      }
    }
    boolean first = true;
    out.ascii('{');
    if (identity != null) {
      out.raw(IDENTITY).string(identity);
      first = false;
    }
    for (Grant grant : grants) {
      Map<String, Object> payload = grant.getPayload();
      if (payload != null) {
        if (!first) {
          out.ascii(',');
        }
        out.string(grant.getGrantKey()).ascii(':').value(payload);
        first = false;
      }
    }
    out.ascii('}');
  }

  private static final byte[] JTI = ascii("{\"jti\":\"");
  private static final byte[] DASH = ascii("-");
  private static final byte[] ISS = ascii("\",\"iss\":\"");
  private static final byte[] SUB = ascii("\",\"sub\":\"");
  private static final byte[] EXP = ascii("\",\"exp\":");
  private static final byte[] NBF = ascii(",\"nbf\":");
  private static final byte[] GRANTS = ascii(",\"grants\":");
  private static final byte[] IDENTITY = ascii("\"identity\":");

  private static byte[] ascii(String s) {
    return s.getBytes(StandardCharsets.US_ASCII);
  }

  private Map<String, Object> grantsClaim() {
    JsonObject claim = JsonObject.withCapacity(1 + grants.size()).with("identity", identity);
    for (Grant grant : grants) {
      claim.with(grant.getGrantKey(), grant.getPayload());
    }
    return claim;
  }

  /** The token id, {@code jti}: the key SID and the issue time in epoch seconds. */
  public String getId() {
    return keySid + "-" + issuedAt;
  }

  /** The issuer, {@code iss}: the API key SID. */
  public String getIssuer() {
    return keySid;
  }

  /** The subject, {@code sub}: the account SID. */
  public String getSubject() {
    return accountSid;
  }

  /** The identity inside {@code grants}, or null. */
  public String getIdentity() {
    return identity;
  }

  /** When the token expires ({@code exp}). */
  public Date getExpiration() {
    return new Date(expiresAt * 1000);
  }

  /** When the token becomes valid ({@code nbf}), or null when it is valid at once. */
  public Date getNbf() {
    return notBefore == null ? null : new Date(notBefore * 1000);
  }

  /** The grants by key, in the order they were added. */
  public Map<String, Grant> getGrants() {
    Map<String, Grant> byKey = new LinkedHashMap<>();
    grants.forEach(grant -> byKey.put(grant.getGrantKey(), grant));
    return Collections.unmodifiableMap(byKey);
  }

  /** The JOSE header. */
  public Map<String, Object> getHeaders() {
    Map<String, Object> headers = new LinkedHashMap<>();
    headers.put("alg", "HS256");
    headers.put("typ", "JWT");
    headers.put("cty", CONTENT_TYPE);
    if (region != null) {
      headers.put("twr", region);
    }
    return Collections.unmodifiableMap(headers);
  }

  /** The payload claims, exactly as the token carries them. */
  public Map<String, Object> getClaims() {
    JsonWriter payload = payloadJson();
    return Json.parseObject(Arrays.copyOf(payload.buffer(), payload.size()));
  }

  @Override
  public String toString() {
    return "AccessToken[jti=" + getId() + ", sub=" + accountSid + ", identity=" + identity + "]";
  }

  /** Builds an {@link AccessToken}; the setter names are twilio-java's. */
  public static final class Builder {
    private final String accountSid;
    private final String keySid;
    private final KeyedMac key;
    private String identity;
    private String region;
    private int ttl = DEFAULT_TTL_SECONDS;
    private Long nbf;
    private Clock clock = Clock.systemUTC();
    private final List<Grant> grants = new ArrayList<>(4);

    /**
     * Starts a token for an account, signed with an API key.
     *
     * @param accountSid the account (AC...), written as {@code sub}
     * @param keySid the API key (SK...), written as {@code iss}
     * @param secret the API key's secret, at least 32 bytes
     * @throws IllegalArgumentException if a SID is malformed or the secret is too short
     */
    public Builder(String accountSid, String keySid, byte[] secret) {
      checkSids(accountSid, keySid);
      this.accountSid = accountSid;
      this.keySid = keySid;
      Objects.requireNonNull(secret, "secret");
      if (secret.length < MIN_SECRET_BYTES) {
        throw new IllegalArgumentException(
            "the key secret must be at least "
                + MIN_SECRET_BYTES
                + " bytes for HS256, got "
                + secret.length);
      }
      this.key = KeyedMac.cached(KeyedMac.HMAC_SHA256, secret);
    }

    /**
     * Checks the SIDs unless they are the very strings checked last: callers mint with the same
     * account and key over and over, and strings are immutable. A racy read of an immutable pair.
     */
    private static void checkSids(String accountSid, String keySid) {
      CheckedSids last = lastChecked;
      if (last != null && last.accountSid == accountSid && last.keySid == keySid) {
        return;
      }
      Sids.check(AccountSid.PREFIX, accountSid);
      Sids.check(KeySid.PREFIX, keySid);
      lastChecked = new CheckedSids(accountSid, keySid);
    }

    private record CheckedSids(String accountSid, String keySid) {}

    private static CheckedSids lastChecked;

    /** As {@link #Builder(String, String, byte[])}, with the secret as UTF-8 text. */
    public Builder(String accountSid, String keySid, String secret) {
      this(
          accountSid,
          keySid,
          Objects.requireNonNull(secret, "secret").getBytes(StandardCharsets.UTF_8));
    }

    /** The identity of the user the token is for (written inside {@code grants}). */
    public Builder identity(String identity) {
      this.identity = identity;
      return this;
    }

    /** The Twilio region that should handle the token, written as the {@code twr} header. */
    public Builder region(String region) {
      this.region = region == null || region.isEmpty() ? null : region;
      return this;
    }

    /**
     * The lifetime in seconds, from 1 to {@value AccessToken#MAX_TTL_SECONDS}; default {@value
     * AccessToken#DEFAULT_TTL_SECONDS}.
     *
     * @throws IllegalArgumentException if out of range
     */
    public Builder ttl(int ttl) {
      this.ttl = TimeClaims.checkTtl(ttl);
      return this;
    }

    /** The time before which the token is not valid ({@code nbf}). */
    public Builder nbf(Date nbf) {
      this.nbf = nbf == null ? null : Math.floorDiv(nbf.getTime(), 1000);
      return this;
    }

    /** The time before which the token is not valid ({@code nbf}). */
    public Builder nbf(Instant nbf) {
      this.nbf = nbf == null ? null : nbf.getEpochSecond();
      return this;
    }

    /** The clock that gives the issue time; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Adds a grant; a later grant with the same key replaces an earlier one. */
    public Builder grant(Grant grant) {
      Objects.requireNonNull(grant, "grant");
      grants.removeIf(existing -> existing.getGrantKey().equals(grant.getGrantKey()));
      grants.add(grant);
      return this;
    }

    /** Adds grants; see {@link #grant(Grant)}. */
    public Builder grants(Collection<? extends Grant> grants) {
      grants.forEach(this::grant);
      return this;
    }

    /** Builds the token; the issue time is taken now. */
    public AccessToken build() {
      return new AccessToken(this, Math.floorDiv(clock.millis(), 1000));
    }
  }
}
