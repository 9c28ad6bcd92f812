package io.callsign.server.console;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class TotpTest {
  // RFC 6238 appendix B's SHA-1 seed.
  private static final byte[] SEED = "12345678901234567890".getBytes(StandardCharsets.US_ASCII);

  // RFC 6238 appendix B, SHA-1 column, as six digits (the last six of the eight listed).
  @ParameterizedTest
  @CsvSource({
    "59, 287082",
    "1111111109, 081804",
    "1111111111, 050471",
    "1234567890, 005924",
    "2000000000, 279037",
    "20000000000, 353130"
  })
  void codeWhenRfc6238VectorThenMatches(long seconds, String expected) {
    assertThat(Totp.code(SEED, Totp.step(Instant.ofEpochSecond(seconds)))).isEqualTo(expected);
  }

  @Test
  void matchWhenCodeOfTheStepBeforeOrAfterThenAcceptedButNotTwoStepsAway() {
    Instant now = Instant.ofEpochSecond(1_234_567_890);
    long step = Totp.step(now);

    assertThat(Totp.match(SEED, Totp.code(SEED, step - 1), now, 0)).hasValue(step - 1);
    assertThat(Totp.match(SEED, Totp.code(SEED, step + 1), now, 0)).hasValue(step + 1);
    assertThat(Totp.match(SEED, Totp.code(SEED, step - 2), now, 0)).isEmpty();
    assertThat(Totp.match(SEED, Totp.code(SEED, step + 2), now, 0)).isEmpty();
  }

  @Test
  void matchWhenStepAlreadyAcceptedThenRefused() {
    Instant now = Instant.ofEpochSecond(1_234_567_890);
    long step = Totp.step(now);
    String code = Totp.code(SEED, step);

    assertThat(Totp.match(SEED, code, now, step - 1)).isEqualTo(OptionalLong.of(step));
    assertThat(Totp.match(SEED, code, now, step)).isEmpty();
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "12345", "1234567", "12345a", "١٢٣٤٥٦", "      "})
  void matchWhenNotSixAsciiDigitsThenRefused(String code) {
    assertThat(Totp.match(SEED, code, Instant.ofEpochSecond(59), 0)).isEmpty();
  }

  @Test
  void matchWhenNullThenRefused() {
    assertThat(Totp.match(SEED, null, Instant.ofEpochSecond(59), 0)).isEmpty();
  }

  @Test
  void base32WhenRfc4648VectorsThenMatchesWithoutPadding() {
    assertThat(Totp.base32("foobar".getBytes(StandardCharsets.US_ASCII))).isEqualTo("MZXW6YTBOI");
    assertThat(Totp.base32("f".getBytes(StandardCharsets.US_ASCII))).isEqualTo("MY");
    assertThat(Totp.base32(new byte[20])).hasSize(32);
  }
}
