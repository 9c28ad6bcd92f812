package io.callsign.tokens.webhook;

import static io.callsign.tokens.webhook.RequestValidatorTest.BODY;
import static io.callsign.tokens.webhook.RequestValidatorTest.BODY_HASH;
import static io.callsign.tokens.webhook.RequestValidatorTest.BODY_SIGNATURE;
import static io.callsign.tokens.webhook.RequestValidatorTest.BODY_URL;
import static io.callsign.tokens.webhook.RequestValidatorTest.PARAMS;
import static io.callsign.tokens.webhook.RequestValidatorTest.SIGNATURE;
import static io.callsign.tokens.webhook.RequestValidatorTest.SIGNATURE_443;
import static io.callsign.tokens.webhook.RequestValidatorTest.TOKEN;
import static io.callsign.tokens.webhook.RequestValidatorTest.URL;
import static io.callsign.tokens.webhook.RequestValidatorTest.URL_443;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class RequestSignerTest {
  private final RequestSigner signer = new RequestSigner(TOKEN);

  @Test
  void signWhenSpecVectorThenMatches() {
    assertThat(signer.sign(URL, PARAMS)).isEqualTo(SIGNATURE);
    assertThat(signer.sign(URL_443, PARAMS)).isEqualTo(SIGNATURE_443);
  }

  @Test
  void signJsonWhenSpecVectorThenMatches() {
    assertThat(signer.signJson(URL, BODY)).isEqualTo(new SignedUrl(BODY_URL, BODY_SIGNATURE));
  }

  @ParameterizedTest
  @CsvSource({
    "https://h.test/hook, https://h.test/hook?bodySHA256=",
    "https://h.test/hook?, https://h.test/hook?bodySHA256=",
    "https://h.test/hook?a=1, https://h.test/hook?a=1&bodySHA256=",
    "https://h.test/hook?a=1&, https://h.test/hook?a=1&bodySHA256=",
    "https://h.test/hook?a=?, https://h.test/hook?a=?&bodySHA256=",
    "https://h.test/hook#frag, https://h.test/hook?bodySHA256=#frag",
    "https://h.test/hook?a=1#x?y, https://h.test/hook?a=1&bodySHA256=#x?y"
  })
  void signJsonWhenUrlShapeVariesThenAppendsOneParameter(String url, String expectedPrefix) {
    SignedUrl signed = signer.signJson(url, BODY);
    assertThat(signed.url())
        .isEqualTo(expectedPrefix.replace("bodySHA256=", "bodySHA256=" + BODY_HASH));
    assertThat(new RequestValidator(TOKEN).validate(signed.url(), BODY, signed.signature()))
        .isTrue();
  }

  @Test
  void signJsonWhenUrlAlreadyHasBodySha256ThenThrows() {
    assertThatThrownBy(() -> signer.signJson(BODY_URL, BODY))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void signWhenNullUrlOrBodyThenThrows() {
    assertThatThrownBy(() -> signer.sign(null, PARAMS)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> signer.signParams(null, Map.of()))
        .isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> signer.signJson(URL, null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> signer.signJson(null, BODY)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void signWhenNullNameThenThrows() {
    Map<String, String> params = new HashMap<>();
    params.put(null, "x");
    assertThatThrownBy(() -> signer.sign(URL, params)).isInstanceOf(NullPointerException.class);
  }

  @Test
  void signParamsWhenNullValueThenThrows() {
    Map<String, List<String>> params = Map.of("a", Arrays.asList("x", null));
    assertThatThrownBy(() -> signer.signParams(URL, params))
        .isInstanceOf(NullPointerException.class);
  }

  @Test
  void signWhenLoneSurrogateThenThrows() {
    assertThatThrownBy(() -> signer.sign(URL, Map.of("Body", "\ud83d")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> signer.sign(URL + "\udc00", Map.of()))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> signer.signJson(URL, "\ud83d"))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void signParamsWhenSingletonListsThenSameAsSign() {
    Map<String, List<String>> multi = new HashMap<>();
    PARAMS.forEach((name, value) -> multi.put(name, List.of(value)));
    assertThat(signer.signParams(URL, multi)).isEqualTo(SIGNATURE);
  }

  @Test
  void signParamsWhenValuesRepeatThenEachDistinctValueSignedOnce() {
    assertThat(signer.signParams(URL, Map.of("a", List.of("2", "1", "2"))))
        .isEqualTo(signer.signParams(URL, Map.of("a", List.of("1", "2"))))
        .isNotEqualTo(signer.signParams(URL, Map.of("a", List.of("1"))));
  }

  @Test
  void multiParamsWhenMultiValuedThenNamesThenValuesInUtf16Order() {
    Map<String, List<String>> params =
        Map.of(
            "b", List.of("2", "1"),
            "a", List.of("z"),
            "\uffff", List.of("x"),
            "\ud83d\ude00", List.of("y"));
    // U+1F600 is the surrogate pair D83D DE00, so it sorts before U+FFFF as twilio-java and
    // twilio-node sort, though after it in code point order.
    assertThat(WebhookMac.multiParams(params))
        .isEqualTo("az" + "b1b2" + "\ud83d\ude00y" + "\uffffx");
  }
}
