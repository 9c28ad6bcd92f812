package io.callsign.tokens;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import io.callsign.tokens.internal.Json;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Base64;

/**
 * The token parser and verifier under Jazzer. In a normal build this runs the seeds in {@code
 * AccessTokenVerifierFuzzTestInputs/} (regression mode); {@code JAZZER_FUZZ=1} fuzzes. The only
 * outcomes allowed are a verified token or an {@link InvalidTokenException}.
 */
class AccessTokenVerifierFuzzTest {
  private static final TestKeys KEYS = new TestKeys();
  private static final AccessTokenVerifier VERIFIER =
      AccessTokenVerifier.builder(KEYS.lookup())
          .clock(Clock.fixed(TestKeys.NOW, ZoneOffset.UTC))
          .build();
  private static final Base64.Encoder B64 = Base64.getUrlEncoder().withoutPadding();

  @FuzzTest(maxDuration = "30s")
  void verifyWhenArbitraryTokenThenOnlyVerifiesOrRefuses(FuzzedDataProvider data) {
    String token =
        switch (data.consumeInt(0, 2)) {
          case 0 -> data.consumeRemainingAsString();
          case 1 -> {
            // Well-formed structure with fuzzed JSON, correctly signed: reaches the claim checks.
            String header = data.consumeString(200);
            String payload = data.consumeRemainingAsString();
            yield TestKeys.sign(header, payload, KEYS.secret);
          }
          default -> {
            byte[] header = data.consumeBytes(100);
            byte[] payload = data.consumeRemainingAsBytes();
            yield B64.encodeToString(header) + "." + B64.encodeToString(payload) + ".sig";
          }
        };
    try {
      VERIFIER.verify(token);
    } catch (InvalidTokenException expected) {
      // the documented refusal
    }
  }

  @FuzzTest(maxDuration = "30s")
  void parseObjectWhenArbitraryBytesThenParsesOrRefuses(byte[] input) {
    try {
      Json.parseObject(input);
      // Whatever parses must also write back to JSON that parses again.
      Json.parseObject(Json.toJson(Json.parseObject(input)).getBytes(StandardCharsets.UTF_8));
    } catch (IllegalArgumentException expected) {
      // the documented refusal
    }
  }
}
