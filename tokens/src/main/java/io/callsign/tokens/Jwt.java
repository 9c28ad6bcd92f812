package io.callsign.tokens;

import io.callsign.tokens.internal.CompactJws;
import io.callsign.tokens.internal.Json;
import io.callsign.tokens.internal.KeyedMac;
import java.time.Clock;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;

/**
 * Encodes and decodes arbitrary HS256 JWTs: the generic JWT helper of the Twilio helper libraries
 * (twilio-python's {@code Jwt.to_jwt} / {@code Jwt.from_jwt}), for tokens of your own.
 *
 * <p>Decoding checks the signature first, with HS256 only, then {@code exp} and {@code nbf} when
 * present, with 60 seconds of leeway. Use {@link AccessTokenVerifier} for Access Tokens: it also
 * checks issuer, subject, content type and grants.
 */
public final class Jwt {
  private static final Duration LEEWAY = Duration.ofSeconds(60);
  private static final int MAX_LENGTH = 64 * 1024;

  private Jwt() {}

  /** A decoded token: its header and claims, both unmodifiable. */
  public record Decoded(Map<String, Object> header, Map<String, Object> claims) {}

  /**
   * Signs {@code claims} with HS256 under {@code secret}; the header is {@code
   * {"alg":"HS256","typ":"JWT"}}.
   *
   * @throws IllegalArgumentException if the secret is shorter than 32 bytes or a claim cannot be
   *     written as JSON
   */
  public static String encode(Map<String, ?> claims, byte[] secret) {
    return encode(Map.of(), claims, secret);
  }

  /**
   * Signs {@code claims} with HS256 under {@code secret}, adding {@code extraHeaders} to the
   * header. {@code alg} and {@code typ} are always {@code HS256} and {@code JWT}.
   */
  public static String encode(Map<String, ?> extraHeaders, Map<String, ?> claims, byte[] secret) {
    Objects.requireNonNull(claims, "claims");
    Map<String, Object> header = new LinkedHashMap<>();
    header.put("alg", "HS256");
    header.put("typ", "JWT");
    extraHeaders.forEach(
        (name, value) -> {
          if (!name.equals("alg") && !name.equals("typ")) {
            header.put(name, value);
          }
        });
    return CompactJws.sign(
        CompactJws.encodeSegment(Json.toUtf8(header)), Json.toUtf8(claims), key(secret));
  }

  /** Decodes and verifies {@code token} against the system clock. */
  public static Decoded decode(String token, byte[] secret) throws JwtDecodeException {
    return decode(token, secret, Clock.systemUTC());
  }

  /**
   * Decodes {@code token}, checking its HS256 signature under {@code secret}, then {@code exp} and
   * {@code nbf} against {@code clock} when present.
   *
   * @throws JwtDecodeException if any check fails
   */
  public static Decoded decode(String token, byte[] secret, Clock clock) throws JwtDecodeException {
    CompactJws jws = split(token);
    if (!"HS256".equals(jws.header().get("alg"))) {
      throw new JwtDecodeException(
          "alg must be HS256, not " + CompactJws.describe(jws.header().get("alg")));
    }
    if (jws.header().containsKey("crit")) {
      throw new JwtDecodeException("header parameter crit is not supported");
    }
    if (!jws.signatureMatches(key(secret))) {
      throw new JwtDecodeException("signature does not match");
    }
    long now = clock.instant().getEpochSecond();
    long leeway = LEEWAY.toSeconds();
    Object exp = jws.payload().get("exp");
    if (exp != null && (!(exp instanceof Long e) || now >= e + leeway)) {
      throw new JwtDecodeException(exp instanceof Long ? "token expired" : "exp is not a number");
    }
    Object nbf = jws.payload().get("nbf");
    if (nbf != null && (!(nbf instanceof Long n) || now < n - leeway)) {
      throw new JwtDecodeException(
          nbf instanceof Long ? "token not yet valid" : "nbf is not a number");
    }
    return new Decoded(jws.header(), jws.payload());
  }

  /**
   * Decodes {@code token} <em>without checking its signature or times</em>: for display and
   * debugging only, never for decisions.
   */
  public static Decoded decodeUnverified(String token) throws JwtDecodeException {
    CompactJws jws = split(token);
    return new Decoded(jws.header(), jws.payload());
  }

  private static CompactJws split(String token) throws JwtDecodeException {
    try {
      return CompactJws.parse(token, MAX_LENGTH);
    } catch (InvalidTokenException e) {
      throw new JwtDecodeException(e.getMessage());
    }
  }

  private static KeyedMac key(byte[] secret) {
    Objects.requireNonNull(secret, "secret");
    if (secret.length < AccessToken.MIN_SECRET_BYTES) {
      throw new IllegalArgumentException(
          "an HS256 secret must be at least " + AccessToken.MIN_SECRET_BYTES + " bytes");
    }
    return KeyedMac.cached(KeyedMac.HMAC_SHA256, secret);
  }
}
