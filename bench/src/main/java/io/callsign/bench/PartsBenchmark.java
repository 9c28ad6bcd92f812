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

  String sid = new String(KEY_SID.toCharArray());

  @Benchmark
  public boolean sidCurrent() {
    return io.callsign.tokens.sid.Sids.isValid("SK", sid);
  }

  @Benchmark
  public boolean sidChars() {
    String value = sid;
    if (value.length() != 34 || !value.startsWith("SK")) {
      return false;
    }
    int acc = 0;
    for (int i = 2; i < 34; i++) {
      int c = value.charAt(i);
      int d = c - '0';
      int l = (c | 0x20) - 'a';
      acc |= (d | (9 - d)) & (l | (5 - l));
    }
    return acc >= 0;
  }
}
