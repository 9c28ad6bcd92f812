package io.callsign.tokens.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.DictionaryEntries;
import com.code_intelligence.jazzer.junit.FuzzTest;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Fuzzes the validator with arbitrary URLs, parameters, bodies and signatures: it must only ever
 * answer true or false, and must accept what the signer produced.
 *
 * <p>Under {@code mvn verify} Jazzer runs in regression mode: the empty input plus the seeds in
 * {@code src/test/resources/io/callsign/tokens/webhook/RequestValidatorFuzzTestInputs/<method>/}.
 * Fuzz one method for real (30 s each) with {@code JAZZER_FUZZ=1 mvn -pl tokens test
 * -Dtest='RequestValidatorFuzzTest#validateFormNeverThrows'}; Jazzer keeps its corpus in {@code
 * tokens/.cifuzz-corpus/} and writes crashing inputs next to the seeds.
 *
 * <p>Input layout, so seeds are readable text: the last byte picks the decoding (even: UTF-8, odd:
 * UTF-16LE, which can produce lone surrogates); the rest is decoded and split on newlines into the
 * URL, the signature, then parameter names and values (or the body).
 */
class RequestValidatorFuzzTest {
  private static final String TOKEN = "12345";
  private static final RequestValidator VALIDATOR = new RequestValidator(TOKEN);
  private static final RequestSigner SIGNER = new RequestSigner(TOKEN);

  @FuzzTest(maxDuration = "30s")
  // Entries go verbatim into a libFuzzer dictionary, which takes \xNN escapes (here a newline).
  @DictionaryEntries({"https://", ":443", "?", "&", "=", "#", "@", "[::1]", "%", "\\x0A"})
  void validateFormNeverThrows(FuzzedDataProvider data) {
    List<String> fields = fields(data);
    String url = fields.get(0);
    String signature = fields.get(1);
    Map<String, String> params = new HashMap<>();
    Map<String, List<String>> multi = new HashMap<>();
    for (int i = 2; i + 1 < fields.size(); i += 2) {
      params.put(fields.get(i), fields.get(i + 1));
      multi.computeIfAbsent(fields.get(i), k -> new ArrayList<>()).add(fields.get(i + 1));
    }
    // Any exception escaping here fails the fuzz test.
    VALIDATOR.validate(url, params, signature);
    VALIDATOR.validateParams(url, multi, signature);

    String signed;
    try {
      signed = SIGNER.signParams(url, multi);
    } catch (IllegalArgumentException e) {
      return; // lone surrogates: refused by the signer and the validator alike
    }
    assertThat(VALIDATOR.validateParams(url, multi, signed)).isTrue();
    assertThat(VALIDATOR.validate(url, params, SIGNER.sign(url, params))).isTrue();
  }

  @FuzzTest(maxDuration = "30s")
  @DictionaryEntries({"https://", ":443", "?", "&", "#", "bodySHA256=", "%", "\\x0A"})
  void validateJsonNeverThrows(FuzzedDataProvider data) {
    List<String> fields = fields(data);
    String url = fields.get(0);
    String signature = fields.get(1);
    String body = String.join("\n", fields.subList(2, fields.size()));
    VALIDATOR.validate(url, body, signature);
    VALIDATOR.validateBody(body, signature);

    SignedUrl signed;
    try {
      signed = SIGNER.signJson(url, body);
    } catch (IllegalArgumentException e) {
      return; // lone surrogates, or the URL already has a bodySHA256
    }
    assertThat(VALIDATOR.validate(signed.url(), body, signed.signature())).isTrue();
    assertThat(VALIDATOR.validate(signed.url(), body + "x", signed.signature())).isFalse();
  }

  /** At least two fields: the URL and the signature. */
  private static List<String> fields(FuzzedDataProvider data) {
    boolean utf16 = data.consumeBoolean(); // from the end of the input
    byte[] bytes = data.consumeRemainingAsBytes();
    String text;
    if (utf16) {
      // Built char by char: a CharsetDecoder would replace lone surrogates.
      char[] chars = new char[bytes.length / 2];
      for (int i = 0; i < chars.length; i++) {
        chars[i] = (char) ((bytes[2 * i] & 0xff) | (bytes[2 * i + 1] & 0xff) << 8);
      }
      text = new String(chars);
    } else {
      text = new String(bytes, StandardCharsets.UTF_8);
    }
    List<String> fields = new ArrayList<>(List.of(text.split("\n", -1)));
    while (fields.size() < 2) {
      fields.add("");
    }
    return fields;
  }
}
