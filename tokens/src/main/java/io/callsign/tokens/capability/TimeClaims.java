package io.callsign.tokens.capability;

import java.time.Instant;
import java.util.Optional;

/**
 * The checked time claims of a capability token, in epoch seconds; {@code iat}/{@code nbf} may be
 * null.
 */
record TimeClaims(long exp, Long iat, Long nbf) {
  Instant expiresAt() {
    return Instant.ofEpochSecond(exp);
  }

  Optional<Instant> issuedAt() {
    return Optional.ofNullable(iat).map(Instant::ofEpochSecond);
  }

  Optional<Instant> notBefore() {
    return Optional.ofNullable(nbf).map(Instant::ofEpochSecond);
  }
}
