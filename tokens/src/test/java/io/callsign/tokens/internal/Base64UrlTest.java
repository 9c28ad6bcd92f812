package io.callsign.tokens.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Base64;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Base64UrlTest {
  @Test
  void decodeWhenEncodedByJdkThenRoundTripsForEveryLength() {
    Random random = new Random(7);
    for (int n = 1; n < 200; n++) {
      byte[] bytes = new byte[n];
      random.nextBytes(bytes);
      String encoded = Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);

      assertThat(Base64Url.encode(bytes)).isEqualTo(encoded);
      assertThat(Base64Url.decode(encoded)).isEqualTo(bytes);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"", "A", "QQ==", "QQ=", "QR", "QUJ", "a+b/", "a b", "ab\n", "é"})
  void decodeWhenPaddedNonCanonicalOrForeignAlphabetThenRefused(String text) {
    assertThatThrownBy(() -> Base64Url.decode(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void decodeWhenCanonicalShortFormsThenAccepted() {
    assertThat(Base64Url.decode("QQ")).containsExactly('A');
    assertThat(Base64Url.decode("QUI")).containsExactly('A', 'B');
  }
}
