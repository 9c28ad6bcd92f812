package io.callsign.tokens;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * An Access Token whose signature, issuer, subject, lifetime and grants have been checked by an
 * {@link AccessTokenVerifier}. Only the verifier creates these.
 */
public final class VerifiedAccessToken {
  private final Map<String, Object> header;
  private final Map<String, Object> claims;
  private final Map<String, Object> grants;
  private final String keySid;
  private final String accountSid;

  VerifiedAccessToken(
      Map<String, Object> header,
      Map<String, Object> claims,
      Map<String, Object> grants,
      String keySid,
      String accountSid) {
    this.header = header;
    this.claims = claims;
    this.grants = grants;
    this.keySid = keySid;
    this.accountSid = accountSid;
  }

  /** The API key that signed the token ({@code iss}). */
  public String keySid() {
    return keySid;
  }

  /** The account the token is for ({@code sub}). */
  public String accountSid() {
    return accountSid;
  }

  /** The identity in {@code grants}, if any. */
  public Optional<String> identity() {
    return Optional.ofNullable((String) grants.get("identity"));
  }

  /** The token id ({@code jti}), if any. */
  public Optional<String> id() {
    return Optional.ofNullable((String) claims.get("jti"));
  }

  /** When the token expires ({@code exp}). */
  public Instant expiresAt() {
    return Instant.ofEpochSecond((Long) claims.get("exp"));
  }

  /** When the token becomes valid ({@code nbf}), if set. */
  public Optional<Instant> notBefore() {
    return Optional.ofNullable((Long) claims.get("nbf")).map(Instant::ofEpochSecond);
  }

  /** When the token was issued ({@code iat}, which twilio-node sets), if set. */
  public Optional<Instant> issuedAt() {
    return Optional.ofNullable((Long) claims.get("iat")).map(Instant::ofEpochSecond);
  }

  /** The region from the {@code twr} header, if set. */
  public Optional<String> region() {
    return Optional.ofNullable((String) header.get("twr"));
  }

  /** The {@code grants} claim, identity included, unmodifiable. */
  public Map<String, Object> grants() {
    return grants;
  }

  /** One grant's object, such as {@code grant("video")}, if present. */
  @SuppressWarnings("unchecked")
  public Optional<Map<String, Object>> grant(String key) {
    return key.equals("identity")
        ? Optional.empty()
        : Optional.ofNullable((Map<String, Object>) grants.get(key));
  }

  /** Every claim of the payload, unmodifiable. */
  public Map<String, Object> claims() {
    return claims;
  }

  /** The JOSE header, unmodifiable. */
  public Map<String, Object> header() {
    return header;
  }

  @Override
  public String toString() {
    return "VerifiedAccessToken[iss=" + keySid + ", sub=" + accountSid + ", " + identity() + "]";
  }
}
