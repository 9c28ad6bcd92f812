package io.callsign.tokens.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class KeyedMacTest {
  @ParameterizedTest
  @ValueSource(strings = {KeyedMac.HMAC_SHA256, KeyedMac.HMAC_SHA1})
  void computeWhenAnyKeyAndMessageThenEqualsJdkMac(String algorithm) throws Exception {
    Random random = new Random(42);
    for (int round = 0; round < 500; round++) {
      // Key lengths around the 64-byte block, where the key is hashed first.
      byte[] key = new byte[1 + random.nextInt(130)];
      byte[] message = new byte[random.nextInt(700)];
      random.nextBytes(key);
      random.nextBytes(message);
      Mac jdk = Mac.getInstance(algorithm);
      jdk.init(new SecretKeySpec(key, algorithm));
      KeyedMac ours = KeyedMac.of(algorithm, key);
      int split = message.length == 0 ? 0 : random.nextInt(message.length);

      byte[] whole = ours.compute(message, 0, message.length);
      byte[] parts =
          ours.start()
              .update(message, 0, split)
              .update(message, split, message.length - split)
              .finish();

      assertThat(whole).isEqualTo(jdk.doFinal(message)).isEqualTo(parts);
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {KeyedMac.HMAC_SHA256, KeyedMac.HMAC_SHA1})
  void startWithWhenPrefixesRepeatAndAlternateThenEveryMacEqualsJdkMac(String algorithm)
      throws Exception {
    // Prefixes below, at and above the block size, each used again (the kept state is cloned),
    // interleaved with others (the kept state is replaced), and a prefix changed in place after
    // use.
    Random random = new Random(7);
    byte[] key = new byte[32];
    random.nextBytes(key);
    Mac jdk = Mac.getInstance(algorithm);
    jdk.init(new SecretKeySpec(key, algorithm));
    KeyedMac ours = KeyedMac.of(algorithm, key);
    byte[][] prefixes = new byte[6][];
    int[] lengths = {0, 63, 64, 65, 100, 200};
    for (int i = 0; i < prefixes.length; i++) {
      prefixes[i] = new byte[lengths[i]];
      random.nextBytes(prefixes[i]);
    }
    for (int round = 0; round < 600; round++) {
      byte[] prefix = prefixes[round % 3 == 0 ? random.nextInt(6) : round / 50 % 6];
      if (round % 97 == 0 && prefix.length > 0) {
        prefix[random.nextInt(prefix.length)] ^= 1;
      }
      byte[] rest = new byte[random.nextInt(300)];
      random.nextBytes(rest);
      byte[] whole = new byte[prefix.length + rest.length];
      System.arraycopy(prefix, 0, whole, 0, prefix.length);
      System.arraycopy(rest, 0, whole, prefix.length, rest.length);

      byte[] mac = ours.startWith(whole, prefix.length).update(rest).finish();

      assertThat(mac).as("round %d", round).isEqualTo(jdk.doFinal(whole));
    }
  }

  @ParameterizedTest
  @CsvSource({
    // RFC 4231 test case 2 (HMAC-SHA-256) and RFC 2202 test case 2 (HMAC-SHA-1)
    "HmacSHA256, 5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    "HmacSHA1, effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"
  })
  void computeWhenRfcVectorThenMatches(String algorithm, String expectedHex) {
    byte[] data = "what do ya want for nothing?".getBytes(StandardCharsets.US_ASCII);

    byte[] mac =
        KeyedMac.of(algorithm, "Jefe".getBytes(StandardCharsets.US_ASCII))
            .compute(data, 0, data.length);

    assertThat(HexFormat.of().formatHex(mac)).isEqualTo(expectedHex);
  }

  @ParameterizedTest
  @ValueSource(strings = {"HmacMD5", "HmacSHA512", ""})
  void ofWhenUnsupportedAlgorithmThenRefused(String algorithm) {
    assertThatThrownBy(() -> KeyedMac.of(algorithm, new byte[32]))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @ParameterizedTest
  @ValueSource(strings = {KeyedMac.HMAC_SHA256})
  void toStringWhenPrintedThenHidesTheKey(String algorithm) {
    assertThat(KeyedMac.of(algorithm, "secret-secret-secret".getBytes(StandardCharsets.US_ASCII)))
        .hasToString("KeyedMac[HmacSHA256, key redacted]");
  }
}
