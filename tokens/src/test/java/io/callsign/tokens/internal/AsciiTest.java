package io.callsign.tokens.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class AsciiTest {
  private static final byte[] DIGITS =
      "0123456789abcdefABCDEF0123456789".getBytes(StandardCharsets.US_ASCII);

  @Test
  void hexDigitsWhenEveryByteIsAHexDigitThenTrue() {
    assertThat(Ascii.hexDigits(DIGITS, 0, 32)).isTrue();
    assertThat(Ascii.hexDigits(DIGITS, 8, 24)).isTrue();
  }

  @Test
  void hexDigitsWhenAnyOneByteIsReplacedThenAgreesWithTheCharacterClassAtEveryPosition() {
    // Every byte value at every position of the word, so that no borrow or carry between
    // neighbouring bytes can turn a refusal into an acceptance.
    for (int position = 0; position < 32; position++) {
      for (int value = 0; value < 256; value++) {
        byte[] bytes = Arrays.copyOf(DIGITS, 32);
        bytes[position] = (byte) value;
        boolean expected =
            (value >= '0' && value <= '9')
                || (value >= 'a' && value <= 'f')
                || (value >= 'A' && value <= 'F');
        assertThat(Ascii.hexDigits(bytes, 0, 32))
            .as("byte 0x%02x at %d", value, position)
            .isEqualTo(expected);
      }
    }
  }

  @Test
  void hexDigitsWhenCountIsNotAMultipleOfEightOrOutsideTheArrayThenRefused() {
    assertThatThrownBy(() -> Ascii.hexDigits(DIGITS, 0, 31))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Ascii.hexDigits(DIGITS, 8, 32))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
