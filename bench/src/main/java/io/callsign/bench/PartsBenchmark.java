package io.callsign.bench;

import static io.callsign.bench.Fixtures.*;

import io.callsign.tokens.AccessToken;
import io.callsign.tokens.VideoGrant;
import io.callsign.tokens.internal.Base64Url;
import io.callsign.tokens.internal.Json;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.*;

@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
public class PartsBenchmark {
  byte[] payload;
  byte[] tokenBytes;
  int first, second;
  String token;
  static final Json.Capture NAMES =
      Json.Capture.of("iss", "sub", "exp", "iat", "nbf", "jti", "grants");

  @Setup
  public void setUp() {
    token =
        new AccessToken.Builder(ACCOUNT_SID, KEY_SID, SECRET)
            .identity(IDENTITY)
            .grant(new VideoGrant().setRoom(ROOM))
            .build()
            .toJwt();
    first = token.indexOf('.');
    second = token.indexOf('.', first + 1);
    tokenBytes = token.getBytes(StandardCharsets.ISO_8859_1);
    payload = Base64Url.decode(tokenBytes, first + 1, second);
    System.out.println(new String(payload, StandardCharsets.UTF_8));
  }

  @Benchmark
  public Map<String, Object> parse() {
    return Json.parseObject(payload, NAMES, new Object[7]);
  }

  @Benchmark
  public byte[] decode() {
    return Base64Url.decode(tokenBytes, first + 1, second);
  }

  @Benchmark
  public byte[] bytesAndDots() {
    int a = token.indexOf('.');
    int b = token.indexOf('.', a + 1);
    int c = token.indexOf('.', b + 1);
    byte[] x = token.getBytes(StandardCharsets.ISO_8859_1);
    x[0] = (byte) (a + b + c);
    return x;
  }

  long time = 1763832000L;

  @Benchmark
  public byte[] writeNumbers() {
    return new io.callsign.tokens.internal.JsonWriter(64).number(time).number(time + 3600).buffer();
  }

  @Benchmark
  public byte[] writeStrings() {
    return new io.callsign.tokens.internal.JsonWriter(64)
        .string("room")
        .string(ROOM)
        .string(IDENTITY)
        .buffer();
  }

  @Benchmark
  public byte[] writerOnly() {
    return new io.callsign.tokens.internal.JsonWriter(64).buffer();
  }
}
