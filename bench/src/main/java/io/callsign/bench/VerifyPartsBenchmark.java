package io.callsign.bench;

import static io.callsign.bench.Fixtures.*;

import io.callsign.tokens.AccessToken;
import io.callsign.tokens.VideoGrant;
import io.callsign.tokens.internal.Base64Url;
import io.callsign.tokens.internal.Json;
import io.callsign.tokens.internal.KeyedMac;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The steps of verifying the benchmark's Access Token, each on its own (average time per call), to
 * show where {@code AccessTokenBenchmark.callsignVerify}'s time goes: the token's bytes and dots,
 * the payload's base64url decoding, its JSON parsing, and the HMAC of the signing input (whole, and
 * from the state kept after the header, as the verifier computes it).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class VerifyPartsBenchmark {
  private static final Json.Capture CLAIMS =
      Json.Capture.of("iss", "sub", "exp", "iat", "nbf", "jti", "grants");

  private String token;
  private byte[] tokenBytes;
  private int firstDot;
  private int secondDot;
  private byte[] payload;
  private KeyedMac mac;

  @Setup
  public void setUp() {
    token =
        new AccessToken.Builder(ACCOUNT_SID, KEY_SID, SECRET)
            .identity(IDENTITY)
            .grant(new VideoGrant().setRoom(ROOM))
            .build()
            .toJwt();
    firstDot = token.indexOf('.');
    secondDot = token.indexOf('.', firstDot + 1);
    tokenBytes = token.getBytes(StandardCharsets.ISO_8859_1);
    payload = Base64Url.decode(tokenBytes, firstDot + 1, secondDot);
    mac = KeyedMac.of(KeyedMac.HMAC_SHA256, SECRET);
  }

  /**
   * The token's bytes and the offsets of its three dots, as {@code CompactJws.parse} finds them.
   */
  @Benchmark
  public byte[] split() {
    int first = token.indexOf('.');
    int second = token.indexOf('.', first + 1);
    int third = token.indexOf('.', second + 1);
    byte[] bytes = token.getBytes(StandardCharsets.ISO_8859_1);
    bytes[0] ^= (byte) (first + second + third);
    return bytes;
  }

  /** The payload segment decoded from strict base64url. */
  @Benchmark
  public byte[] decodePayload() {
    return Base64Url.decode(tokenBytes, firstDot + 1, secondDot);
  }

  /** The payload's JSON parsed, with the claims the verifier checks captured. */
  @Benchmark
  public Map<String, Object> parsePayload() {
    return Json.parseObject(payload, CLAIMS, new Object[CLAIMS.size()]);
  }

  /** HMAC-SHA256 of the whole signing input, with the key's pads hashed in advance. */
  @Benchmark
  public byte[] hmac() {
    return mac.compute(tokenBytes, 0, secondDot);
  }

  /** The same HMAC as the verifier computes it: from the kept state after the header segment. */
  @Benchmark
  public byte[] hmacAfterHeader() {
    return mac.startWith(tokenBytes, firstDot)
        .update(tokenBytes, firstDot, secondDot - firstDot)
        .finish();
  }
}
