package io.callsign.tokens.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class WebhookUrlTest {
  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "https://h.test/p?a=%41       | https://h.test:443/p?a=%41",
        "HTTPS://h.test/p             | HTTPS://h.test:443/p",
        "http://h.test                | http://h.test:80",
        "wss://h.test/p               | wss://h.test:80/p",
        "https://h.test?q=1           | https://h.test:443?q=1",
        "https://h.test#f             | https://h.test:443#f",
        "https://u:p@h.test/p         | https://u:p@h.test:443/p",
        "https://[::1]/p              | https://[::1]:443/p",
        "https://h.test:443/p         | https://h.test/p",
        "https://h.test:8443/p:1      | https://h.test/p:1",
        "https://u:p@[2001:db8::7]:1/ | https://u:p@[2001:db8::7]/",
        "https://h.test:/p            | https://h.test/p"
      })
  void portVariantsWhenAuthorityParsesThenRewritesOnlyThePort(String url, String variant) {
    assertThat(WebhookUrl.portVariants(url)).containsExactly(url, variant);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "h.test/p",
        "//h.test/p",
        "1https://h.test/",
        "https:h.test/p",
        "https:///p",
        "https://h.test:44a/p",
        "https://h.test:443:443/p",
        "https://[::1/p",
        "https://[::1]x/p",
        "mailto:a@b.test"
      })
  void portVariantsWhenNoAuthorityOrBadPortThenOnlyUrlAsGiven(String url) {
    assertThat(WebhookUrl.portVariants(url)).containsExactly(url);
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      nullValues = "NULL",
      value = {
        "https://h/p?bodySHA256=ab             | ab",
        "https://h/p?a=1&bodySHA256=ab&bodySHA256=cd | ab",
        "https://h/p?bodySHA256                | ''",
        "https://h/p?bodySHA256=               | ''",
        "https://h/p?xbodySHA256=ab            | NULL",
        "https://h/p#?bodySHA256=ab            | NULL",
        "https://h/p?a=1#&bodySHA256=ab        | NULL",
        "https://h/p/bodySHA256=ab             | NULL"
      })
  void firstQueryValueWhenUrlVariesThenFindsOnlyTheFirstQueryParameter(String url, String value) {
    assertThat(WebhookUrl.firstQueryValue(url, "bodySHA256")).isEqualTo(value);
  }
}
