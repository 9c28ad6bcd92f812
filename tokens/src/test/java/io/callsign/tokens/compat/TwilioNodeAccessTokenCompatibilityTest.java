package io.callsign.tokens.compat;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.tokens.AccessTokenVerifier;
import io.callsign.tokens.InvalidTokenException;
import io.callsign.tokens.SigningKey;
import io.callsign.tokens.TokenError;
import io.callsign.tokens.VerifiedAccessToken;
import io.callsign.tokens.internal.Json;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tokens minted by the real twilio-node 6.0.2 (recorded in {@code compat/node-access-tokens.json}
 * with a generated test key) verify with the same grants. Node adds {@code iat}; verification uses
 * a clock fixed at each token's {@code iat}.
 */
class TwilioNodeAccessTokenCompatibilityTest {
  private static final Map<String, Object> FIXTURE = load();

  @SuppressWarnings("unchecked")
  static Stream<Map<String, Object>> nodeTokens() {
    return ((List<Map<String, Object>>) FIXTURE.get("tokens")).stream();
  }

  private static Map<String, Object> load() {
    try (InputStream in =
        TwilioNodeAccessTokenCompatibilityTest.class.getResourceAsStream(
            "/compat/node-access-tokens.json")) {
      return Json.parseObject(new String(in.readAllBytes(), StandardCharsets.UTF_8));
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static AccessTokenVerifier verifierAt(long epochSecond) {
    SigningKey key =
        SigningKey.of(
            (String) FIXTURE.get("keySid"),
            (String) FIXTURE.get("accountSid"),
            ((String) FIXTURE.get("secret")).getBytes(StandardCharsets.UTF_8));
    return AccessTokenVerifier.builder(sid -> sid.equals(key.keySid()) ? key : null)
        .clock(Clock.fixed(Instant.ofEpochSecond(epochSecond), ZoneOffset.UTC))
        .build();
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nodeTokens")
  void verifyWhenTwilioNodeMintedThenAcceptsWithTheSameGrants(Map<String, Object> fixture)
      throws Exception {
    long iat = (Long) fixture.get("iat");

    VerifiedAccessToken token = verifierAt(iat).verify((String) fixture.get("token"));

    assertThat(token.grants()).isEqualTo(fixture.get("expectedGrants"));
    assertThat(token.issuedAt()).contains(Instant.ofEpochSecond(iat));
    assertThat(token.accountSid()).isEqualTo(FIXTURE.get("accountSid"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("nodeTokens")
  void verifyWhenTwilioNodeTokenPastExpThenRefusedAsExpired(Map<String, Object> fixture) {
    long exp = (Long) fixture.get("exp");

    assertThatThrownBy(() -> verifierAt(exp + 61).verify((String) fixture.get("token")))
        .isInstanceOfSatisfying(
            InvalidTokenException.class, e -> assertThat(e.error()).isEqualTo(TokenError.EXPIRED));
  }
}
