package io.callsign.tokens;

import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Base64;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/** An account with one API key, generated fresh per test, plus a counting key lookup. */
final class TestKeys {
  static final Instant NOW = Instant.parse("2026-11-22T12:00:00Z");
  static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

  final String accountSid = AccountSid.random().value();
  final String keySid = KeySid.random().value();
  final byte[] secret = randomSecret();
  final Map<String, SigningKey> keys = new ConcurrentHashMap<>();
  final AtomicInteger lookups = new AtomicInteger();

  TestKeys() {
    keys.put(keySid, SigningKey.of(keySid, accountSid, secret));
  }

  static byte[] randomSecret() {
    byte[] raw = new byte[24];
    new SecureRandom().nextBytes(raw);
    // Twilio secrets are 32 printable characters; their UTF-8 bytes are the HMAC key.
    return Base64.getEncoder().encodeToString(raw).getBytes(StandardCharsets.UTF_8);
  }

  KeyLookup lookup() {
    return sid -> {
      lookups.incrementAndGet();
      return keys.get(sid);
    };
  }

  AccessToken.Builder token() {
    return new AccessToken.Builder(accountSid, keySid, secret).identity("alice").clock(CLOCK);
  }

  AccessTokenVerifier verifier() {
    return verifierAt(NOW);
  }

  AccessTokenVerifier verifierAt(Instant now) {
    return AccessTokenVerifier.builder(lookup()).clock(Clock.fixed(now, ZoneOffset.UTC)).build();
  }

  /**
   * Signs an arbitrary header and payload with this key: for tokens the builder refuses to make.
   */
  String sign(String headerJson, String payloadJson) {
    return sign(headerJson, payloadJson, secret);
  }

  static String sign(String headerJson, String payloadJson, byte[] secret) {
    return io.callsign.tokens.internal.CompactJws.sign(
        headerJson,
        payloadJson,
        io.callsign.tokens.internal.KeyedMac.of(
            io.callsign.tokens.internal.KeyedMac.HMAC_SHA256, secret));
  }

  String header() {
    return "{\"alg\":\"HS256\",\"typ\":\"JWT\",\"cty\":\"twilio-fpa;v=1\"}";
  }

  String payload(long exp) {
    return "{\"jti\":\""
        + keySid
        + "-1\",\"iss\":\""
        + keySid
        + "\",\"sub\":\""
        + accountSid
        + "\",\"exp\":"
        + exp
        + ",\"grants\":{\"identity\":\"alice\"}}";
  }
}
