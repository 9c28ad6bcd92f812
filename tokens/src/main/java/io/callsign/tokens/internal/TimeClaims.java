package io.callsign.tokens.internal;

import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.TokenError;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * The checked time claims of a token, and the one place that checks them for every HS256 token
 * kind: {@code exp} required (20104), a lifetime of at most 24 hours (20157), {@code nbf} and
 * {@code iat} not in the future (20105), each within the given clock skew.
 *
 * <p>The lifetime is {@code exp - iat} when {@code iat} is present (twilio-node), and {@code exp -
 * now} otherwise (twilio-java, twilio-python). {@code nbf} is not used for it: official-library
 * users set old {@code nbf} values.
 */
public record TimeClaims(long exp, Long iat, Long nbf) {
  /** Longest lifetime a token may have: 24 hours. */
  public static final int MAX_LIFETIME_SECONDS = 86_400;

  /** Largest clock skew a verifier may allow, in seconds. */
  public static final int MAX_SKEW_SECONDS = 60;

  /**
   * Checks a lifetime to mint with.
   *
   * @return {@code ttl}
   * @throws IllegalArgumentException if not between 1 and 86 400 seconds
   */
  public static int checkTtl(int ttl) {
    if (ttl <= 0 || ttl > MAX_LIFETIME_SECONDS) {
      throw new IllegalArgumentException(
          "ttl must be between 1 and "
              + MAX_LIFETIME_SECONDS
              + " seconds (24 hours), got "
              + ttl
              + " (Twilio error 20157)");
    }
    return ttl;
  }

  /**
   * Checks a verifier's clock skew.
   *
   * @return the skew in whole seconds
   * @throws IllegalArgumentException if negative or above 60 seconds
   */
  public static long checkSkew(Duration skew) {
    if (skew.isNegative() || skew.toSeconds() > MAX_SKEW_SECONDS) {
      throw new IllegalArgumentException("clock skew must be between 0 and 60 seconds");
    }
    return skew.toSeconds();
  }

  /**
   * Checks the time claims of {@code claims} at {@code now}.
   *
   * @throws InvalidTokenException with the code of the first check that failed
   */
  public static TimeClaims check(Map<String, Object> claims, long now, long skew)
      throws InvalidTokenException {
    return check(claims.get("exp"), claims.get("iat"), claims.get("nbf"), now, skew);
  }

  /**
   * Checks the values of the claims {@code exp}, {@code iat} and {@code nbf} (each null when
   * absent) at {@code now}.
   *
   * @throws InvalidTokenException with the code of the first check that failed
   */
  public static TimeClaims check(
      Object expClaim, Object iatClaim, Object nbfClaim, long now, long skew)
      throws InvalidTokenException {
    Long exp = seconds(expClaim, "exp", TokenError.EXPIRED);
    if (exp == null) {
      throw new InvalidTokenException(TokenError.EXPIRED, "exp is required");
    }
    if (now >= exp + skew) {
      throw new InvalidTokenException(TokenError.EXPIRED, "token expired at " + exp);
    }
    Long iat = seconds(iatClaim, "iat", TokenError.INVALID);
    long lifetime = exp - (iat == null ? now : iat);
    if (lifetime > MAX_LIFETIME_SECONDS + (iat == null ? skew : 0)) {
      throw new InvalidTokenException(
          TokenError.TTL_TOO_LONG, "token lifetime exceeds " + MAX_LIFETIME_SECONDS + " s");
    }
    Long nbf = seconds(nbfClaim, "nbf", TokenError.NOT_YET_VALID);
    if (nbf != null && now < nbf - skew) {
      throw new InvalidTokenException(TokenError.NOT_YET_VALID, "token not valid before " + nbf);
    }
    if (iat != null && now < iat - skew) {
      throw new InvalidTokenException(TokenError.NOT_YET_VALID, "token issued in the future");
    }
    return new TimeClaims(exp, iat, nbf);
  }

  private static Long seconds(Object value, String name, TokenError error)
      throws InvalidTokenException {
    if (value == null) {
      return null;
    }
    if (value instanceof Long seconds && seconds >= 0) {
      return seconds;
    }
    throw new InvalidTokenException(error, name + " must be a whole number of seconds");
  }

  /** {@code exp} as an instant. */
  public Instant expiresAt() {
    return Instant.ofEpochSecond(exp);
  }

  /** {@code iat} as an instant, if present. */
  public Optional<Instant> issuedAt() {
    return Optional.ofNullable(iat).map(Instant::ofEpochSecond);
  }

  /** {@code nbf} as an instant, if present. */
  public Optional<Instant> notBefore() {
    return Optional.ofNullable(nbf).map(Instant::ofEpochSecond);
  }
}
