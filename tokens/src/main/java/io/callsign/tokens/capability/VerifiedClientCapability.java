package io.callsign.tokens.capability;

import io.callsign.tokens.internal.TimeClaims;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * A Client capability token whose signature, issuer, lifetime and scopes have been checked by a
 * {@link CapabilityTokenVerifier}. Only the verifier creates these.
 */
public final class VerifiedClientCapability {
  private final String accountSid;
  private final List<Scope> scopes;
  private final TimeClaims times;
  private final Map<String, Object> claims;

  VerifiedClientCapability(
      String accountSid, List<Scope> scopes, TimeClaims times, Map<String, Object> claims) {
    this.accountSid = accountSid;
    this.scopes = scopes;
    this.times = times;
    this.claims = claims;
  }

  /** The account whose auth token signed the token ({@code iss}). */
  public String accountSid() {
    return accountSid;
  }

  /** The scopes, in the order of the {@code scope} claim, decoded. */
  public List<Scope> scopes() {
    return scopes;
  }

  /** The scopes of one kind, for example {@code scopes(IncomingClientScope.class)}. */
  public <T extends Scope> List<T> scopes(Class<T> kind) {
    return scopes.stream().filter(kind::isInstance).map(kind::cast).toList();
  }

  /** When the token expires ({@code exp}). */
  public Instant expiresAt() {
    return times.expiresAt();
  }

  /** When the token was issued ({@code iat}, which twilio-node and Callsign write), if set. */
  public Optional<Instant> issuedAt() {
    return times.issuedAt();
  }

  /** When the token becomes valid ({@code nbf}, which twilio-python writes), if set. */
  public Optional<Instant> notBefore() {
    return times.notBefore();
  }

  /** All payload claims as decoded, unmodifiable. */
  public Map<String, Object> claims() {
    return claims;
  }

  @Override
  public String toString() {
    return "VerifiedClientCapability[iss=" + accountSid + ", " + scopes + "]";
  }
}
