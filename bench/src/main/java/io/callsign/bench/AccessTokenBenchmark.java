package io.callsign.bench;

import static io.callsign.bench.Fixtures.*;

import io.callsign.tokens.AccessToken;
import io.callsign.tokens.AccessTokenVerifier;
import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.VerifiedAccessToken;
import io.callsign.tokens.VideoGrant;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.concurrent.TimeUnit;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * Minting and verifying one Access Token (an identity and a video grant: a 379-byte signing input,
 * near the 351 bytes the project's reference figures were taken with), beside twilio-java 13 and
 * beside a bare HMAC-SHA256 over the same signing input (the floor: no JSON, no base64).
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class AccessTokenBenchmark {
  private AccessTokenVerifier verifier;
  private String token;
  private byte[] signingInput;
  private Mac rawMac;

  @Setup
  public void setUp() throws GeneralSecurityException {
    SigningKey key = SigningKey.of(KEY_SID, ACCOUNT_SID, SECRET);
    verifier = AccessTokenVerifier.builder(sid -> key).build();
    token = callsignMint();
    signingInput = token.substring(0, token.lastIndexOf('.')).getBytes(StandardCharsets.US_ASCII);
    rawMac = Mac.getInstance("HmacSHA256");
    rawMac.init(new SecretKeySpec(SECRET, "HmacSHA256"));
  }

  @Benchmark
  public String callsignMint() {
    return new AccessToken.Builder(ACCOUNT_SID, KEY_SID, SECRET)
        .identity(IDENTITY)
        .grant(new VideoGrant().setRoom(ROOM))
        .build()
        .toJwt();
  }

  @Benchmark
  public String twilioJavaMint() {
    return new com.twilio.jwt.accesstoken.AccessToken.Builder(ACCOUNT_SID, KEY_SID, SECRET)
        .identity(IDENTITY)
        .grant(new com.twilio.jwt.accesstoken.VideoGrant().setRoom(ROOM))
        .build()
        .toJwt();
  }

  @Benchmark
  public VerifiedAccessToken callsignVerify() throws InvalidTokenException {
    return verifier.verify(token);
  }

  @Benchmark
  public byte[] rawHmacSha256() {
    return rawMac.doFinal(signingInput);
  }
}
