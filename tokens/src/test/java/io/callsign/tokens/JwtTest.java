package io.callsign.tokens;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;
import org.junit.jupiter.api.Test;

class JwtTest {
  private final byte[] secret = TestKeys.randomSecret();
  private final long now = TestKeys.NOW.getEpochSecond();

  @Test
  void decodeWhenEncodedWithSameSecretThenReturnsHeaderAndClaims() throws Exception {
    String jwt =
        Jwt.encode(Map.of("kid", "k1", "alg", "none"), Map.of("sub", "x", "exp", now + 60), secret);

    Jwt.Decoded decoded = Jwt.decode(jwt, secret, TestKeys.CLOCK);

    assertThat(decoded.header())
        .containsEntry("alg", "HS256")
        .containsEntry("typ", "JWT")
        .containsEntry("kid", "k1");
    assertThat(decoded.claims()).containsEntry("sub", "x").containsEntry("exp", now + 60);
  }

  @Test
  void decodeWhenOtherSecretThenRefusedNamingTheSignature() {
    String jwt = Jwt.encode(Map.of("sub", "x"), secret);

    assertThatThrownBy(() -> Jwt.decode(jwt, TestKeys.randomSecret(), TestKeys.CLOCK))
        .isInstanceOf(JwtDecodeException.class)
        .hasMessageContaining("signature");
  }

  @Test
  void decodeWhenExpiredOrNotYetValidThenRefused() {
    String expired = Jwt.encode(Map.of("exp", now - 61), secret);
    String early = Jwt.encode(Map.of("nbf", now + 61), secret);

    assertThatThrownBy(() -> Jwt.decode(expired, secret, TestKeys.CLOCK))
        .hasMessageContaining("expired");
    assertThatThrownBy(() -> Jwt.decode(early, secret, TestKeys.CLOCK))
        .hasMessageContaining("not yet valid");
  }

  @Test
  void decodeWhenAlgIsNotHs256ThenRefused() {
    String jwt = TestKeys.sign("{\"alg\":\"HS512\"}", "{}", secret);

    assertThatThrownBy(() -> Jwt.decode(jwt, secret, Clock.fixed(TestKeys.NOW, ZoneOffset.UTC)))
        .isInstanceOf(JwtDecodeException.class)
        .hasMessageContaining("HS256");
  }

  @Test
  void decodeWhenGarbageThenRefusedWithReason() {
    assertThatThrownBy(() -> Jwt.decode("not-a-jwt", secret))
        .isInstanceOf(JwtDecodeException.class)
        .hasMessageContaining("three segments");
  }

  @Test
  void decodeUnverifiedWhenSignatureWrongThenStillShowsClaims() throws Exception {
    String jwt = Jwt.encode(Map.of("sub", "x"), secret);

    assertThat(Jwt.decodeUnverified(jwt.substring(0, jwt.length() - 2) + "AA").claims())
        .containsEntry("sub", "x");
  }

  @Test
  void encodeWhenSecretTooShortThenRefused() {
    assertThatThrownBy(() -> Jwt.encode(Map.of(), new byte[16]))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
