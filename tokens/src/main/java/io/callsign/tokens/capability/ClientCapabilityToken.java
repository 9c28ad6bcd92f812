package io.callsign.tokens.capability;

import io.callsign.tokens.internal.KeyedMac;
import io.callsign.tokens.internal.TimeClaims;
import io.callsign.tokens.sid.AccountSid;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A legacy Twilio Client capability token: an HS256 JWT signed with the account's auth token,
 * granting the scopes it lists.
 *
 * <p>The builder has the shape of twilio-java's {@code com.twilio.jwt.client.ClientCapability}:
 *
 * <pre>{@code
 * String jwt = new ClientCapabilityToken.Builder(accountSid, authToken)
 *     .ttl(3600)
 *     .scopes(List.of(
 *         new IncomingClientScope("alice"),
 *         new OutgoingClientScope.Builder(applicationSid).clientName("alice").build()))
 *     .build()
 *     .toJwt();
 * }</pre>
 *
 * <p>The header is {@code {"alg":"HS256","typ":"JWT"}} (no {@code cty}: that marks Access Tokens);
 * the payload is {@code {"iss":<AC>,"iat":..,"exp":..,"scope":<URIs joined by single spaces>}}.
 * Scope URIs are written in one encoding, described at {@link Scope#getPayload()}; {@code iat} is
 * written, as twilio-node does, so that a verifier can bound the lifetime exactly.
 *
 * <p>Unlike twilio-java, the builder refuses what no verifier would accept: a malformed account
 * SID, an auth token shorter than 32 bytes, and lifetimes above 24 hours. Instances are immutable
 * and thread-safe.
 */
public final class ClientCapabilityToken {
  /** Lifetime used when none is set: one hour. */
  public static final int DEFAULT_TTL_SECONDS = CapabilityJwt.DEFAULT_TTL_SECONDS;

  /** Longest lifetime allowed: 24 hours. */
  public static final int MAX_TTL_SECONDS = CapabilityJwt.MAX_TTL_SECONDS;

  private final String accountSid;
  private final long issuedAt;
  private final long expiresAt;
  private final List<Scope> scopes;
  private final String jwt;

  private ClientCapabilityToken(Builder b, long now) {
    this.accountSid = b.accountSid;
    this.issuedAt = now;
    this.expiresAt = now + b.ttl;
    this.scopes = List.copyOf(b.scopes);
    this.jwt = CapabilityJwt.sign(getClaims(), b.key);
  }

  /** The signed token in compact serialization. */
  public String toJwt() {
    return jwt;
  }

  /** The issuer, {@code iss}: the account SID. */
  public String getIssuer() {
    return accountSid;
  }

  /** When the token was issued ({@code iat}). */
  public Instant getIssuedAt() {
    return Instant.ofEpochSecond(issuedAt);
  }

  /** When the token expires ({@code exp}). */
  public Instant getExpiration() {
    return Instant.ofEpochSecond(expiresAt);
  }

  /** The scopes, in the order they were added. */
  public List<Scope> getScopes() {
    return scopes;
  }

  /** The {@code scope} claim: the scope URIs joined by single spaces. */
  public String getScope() {
    List<String> uris = new ArrayList<>(scopes.size());
    for (Scope scope : scopes) {
      uris.add(scope.getPayload());
    }
    return String.join(" ", uris);
  }

  /** The JOSE header. */
  public Map<String, Object> getHeaders() {
    return Map.of("alg", "HS256", "typ", "JWT");
  }

  /** The payload claims, in the order they are written. */
  public Map<String, Object> getClaims() {
    Map<String, Object> claims = new LinkedHashMap<>();
    claims.put("iss", accountSid);
    claims.put("iat", issuedAt);
    claims.put("exp", expiresAt);
    claims.put("scope", getScope());
    return Collections.unmodifiableMap(claims);
  }

  @Override
  public String toString() {
    return "ClientCapabilityToken[iss=" + accountSid + ", exp=" + expiresAt + ", " + scopes + "]";
  }

  /** Builds a {@link ClientCapabilityToken}; the names are twilio-java's. */
  public static final class Builder {
    private final String accountSid;
    private final KeyedMac key;
    private int ttl = DEFAULT_TTL_SECONDS;
    private Clock clock = Clock.systemUTC();
    private final List<Scope> scopes = new ArrayList<>();

    /**
     * Starts a token for an account, signed with its auth token.
     *
     * @param accountSid the account (AC...), written as {@code iss}
     * @param authToken the account's auth token, at least 32 bytes
     * @throws IllegalArgumentException if the SID is malformed or the auth token too short
     */
    public Builder(String accountSid, byte[] authToken) {
      this.accountSid = AccountSid.of(accountSid).value();
      this.key = CapabilityJwt.signingKey(authToken);
    }

    /** As {@link #Builder(String, byte[])}, with the auth token as UTF-8 text. */
    public Builder(String accountSid, String authToken) {
      this(accountSid, CapabilityJwt.utf8(authToken));
    }

    /**
     * The lifetime in seconds, from 1 to {@value ClientCapabilityToken#MAX_TTL_SECONDS}; default
     * {@value ClientCapabilityToken#DEFAULT_TTL_SECONDS}.
     *
     * @throws IllegalArgumentException if out of range
     */
    public Builder ttl(int ttl) {
      this.ttl = TimeClaims.checkTtl(ttl);
      return this;
    }

    /** Adds scopes after any added before, as twilio-java does. */
    public Builder scopes(Collection<? extends Scope> scopes) {
      scopes.forEach(this::scope);
      return this;
    }

    /** Adds one scope. */
    public Builder scope(Scope scope) {
      scopes.add(Objects.requireNonNull(scope, "scope"));
      return this;
    }

    /** The clock that gives the issue time; the system clock by default. */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /** Builds and signs the token; the issue time is taken now. */
    public ClientCapabilityToken build() {
      return new ClientCapabilityToken(this, clock.instant().getEpochSecond());
    }
  }
}
