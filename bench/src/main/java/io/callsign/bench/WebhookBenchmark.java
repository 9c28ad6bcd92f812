package io.callsign.bench;

import static io.callsign.bench.Fixtures.*;

import io.callsign.tokens.webhook.RequestSigner;
import io.callsign.tokens.webhook.RequestValidator;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.TreeMap;
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
 * Validating one X-Twilio-Signature (the published five-parameter request), beside twilio-java 13
 * and beside a bare HMAC-SHA1 over the same string-to-sign.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
public class WebhookBenchmark {
  private RequestValidator callsign;
  private com.twilio.security.RequestValidator twilioJava;
  private String signature;
  private byte[] stringToSign;
  private Mac rawMac;

  @Setup
  public void setUp() throws GeneralSecurityException {
    callsign = new RequestValidator(AUTH_TOKEN);
    twilioJava = new com.twilio.security.RequestValidator(AUTH_TOKEN);
    signature = new RequestSigner(AUTH_TOKEN).sign(WEBHOOK_URL, WEBHOOK_PARAMS);
    StringBuilder data = new StringBuilder(WEBHOOK_URL);
    new TreeMap<>(WEBHOOK_PARAMS).forEach((name, value) -> data.append(name).append(value));
    stringToSign = data.toString().getBytes(StandardCharsets.UTF_8);
    rawMac = Mac.getInstance("HmacSHA1");
    rawMac.init(new SecretKeySpec(AUTH_TOKEN.getBytes(StandardCharsets.UTF_8), "HmacSHA1"));
    if (!callsign.validate(WEBHOOK_URL, WEBHOOK_PARAMS, signature)
        || !twilioJava.validate(WEBHOOK_URL, WEBHOOK_PARAMS, signature)) {
      throw new IllegalStateException("fixture signature does not validate");
    }
  }

  @Benchmark
  public boolean callsignValidate() {
    return callsign.validate(WEBHOOK_URL, WEBHOOK_PARAMS, signature);
  }

  @Benchmark
  public boolean twilioJavaValidate() {
    return twilioJava.validate(WEBHOOK_URL, WEBHOOK_PARAMS, signature);
  }

  @Benchmark
  public byte[] rawHmacSha1() {
    return rawMac.doFinal(stringToSign);
  }
}
