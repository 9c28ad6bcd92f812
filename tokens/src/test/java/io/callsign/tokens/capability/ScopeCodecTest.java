package io.callsign.tokens.capability;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class ScopeCodecTest {

  @Test
  void encodeWhenUnreservedCharactersThenKeptAsTheyAre() {
    String unreserved = "ABCXYZabcxyz0189-._~";

    assertThat(ScopeCodec.encode(unreserved)).isEqualTo(unreserved);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "a b|a%20b",
        "a+b|a%2Bb",
        "&=%?#/|%26%3D%25%3F%23%2F",
        "!'()*|%21%27%28%29%2A",
        "é|%C3%A9",
        "😀|%F0%9F%98%80"
      })
  void encodeWhenReservedOrNonAsciiThenPercentEncodesUtf8UpperCase(String raw, String encoded) {
    assertThat(ScopeCodec.encode(raw)).isEqualTo(encoded);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "a+b|a b",
        "a%20b|a b",
        "a%2Bb|a+b",
        "%c3%a9|é",
        "%C3%A9|é",
        "plain|plain",
        "~*!'()|~*!'()",
        "%F0%9F%98%80|😀"
      })
  void decodeWhenFormEncodedThenDecodes(String encoded, String raw) {
    assertThat(ScopeCodec.decode(encoded)).isEqualTo(raw);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {"%", "%2", "%G0", "%0G", "a%", "%C3", "%C3%28", "%FF", "%ED%A0%80", "%C0%AF"})
  void decodeWhenEscapeMalformedOrNotUtf8ThenRefused(String encoded) {
    assertThatThrownBy(() -> ScopeCodec.decode(encoded))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void encodeWhenUnpairedSurrogateThenRefused() {
    assertThatThrownBy(() -> ScopeCodec.encode("a\ud800b"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void decodeWhenRandomTextEncodedByUsOrTheJdkThenRoundTrips() {
    // A seeded property check: random code points, including the reserved ASCII set.
    Random random = new Random(20_157);
    for (int i = 0; i < 2_000; i++) {
      StringBuilder text = new StringBuilder();
      int length = random.nextInt(12);
      for (int j = 0; j < length; j++) {
        int cp =
            switch (random.nextInt(3)) {
              case 0 -> 0x20 + random.nextInt(0x5F);
              case 1 -> 0xA0 + random.nextInt(0x2000);
              default -> 0x1F600 + random.nextInt(0x50);
            };
        text.appendCodePoint(cp);
      }
      String s = text.toString();
      String ours = ScopeCodec.encode(s);
      String jdk = java.net.URLEncoder.encode(s, StandardCharsets.UTF_8);

      assertThat(ScopeCodec.decode(ours)).as("ours %s", ours).isEqualTo(s);
      assertThat(ScopeCodec.decode(jdk)).as("jdk %s", jdk).isEqualTo(s);
      assertThat(URLDecoder.decode(ours, StandardCharsets.UTF_8)).isEqualTo(s);
      assertThat(ours).doesNotContain(" ", "+");
    }
  }
}
