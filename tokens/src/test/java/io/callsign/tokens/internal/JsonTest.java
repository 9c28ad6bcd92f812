package io.callsign.tokens.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JsonTest {
  @Test
  void parseObjectWhenValidThenKeepsTypesAndOrder() {
    Map<String, Object> parsed =
        Json.parseObject(
            " {\"b\":1,\"a\":[true,false,null],\"c\":{\"d\":\"\\u00e9\\n\\\"\"},\"e\":-1.5e3,"
                + "\"f\":12345678901234567890, \"g\":\"\\ud83d\\ude80\"} ");

    assertThat(parsed.keySet()).containsExactly("b", "a", "c", "e", "f", "g");
    assertThat(parsed.get("b")).isEqualTo(1L);
    assertThat(parsed.get("a")).isEqualTo(Arrays.asList(true, false, null));
    assertThat(parsed.get("c")).isEqualTo(Map.of("d", "é\n\""));
    assertThat(parsed.get("e")).isEqualTo(new BigDecimal("-1.5e3"));
    assertThat(parsed.get("f")).isEqualTo(new BigDecimal("12345678901234567890"));
    assertThat(parsed.get("g")).isEqualTo("🚀");
  }

  @Test
  void parseObjectWhenRawUtf8ThenDecodes() {
    assertThat(Json.parseObject("{\"k\":\"zoë 🚀\"}".getBytes(StandardCharsets.UTF_8)))
        .containsEntry("k", "zoë 🚀");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "[]",
        "1",
        "\"s\"",
        "{",
        "{\"a\"}",
        "{\"a\":}",
        "{\"a\":1,}",
        "{\"a\":1 \"b\":2}",
        "{\"a\":1}{}",
        "{a:1}",
        "{'a':1}",
        "{\"a\":01}",
        "{\"a\":+1}",
        "{\"a\":1.}",
        "{\"a\":.5}",
        "{\"a\":1e}",
        "{\"a\":-}",
        "{\"a\":tru}",
        "{\"a\":nul}",
        "{\"a\":NaN}",
        "{\"a\":\"\\x\"}",
        "{\"a\":\"\\u12\"}",
        "{\"a\":\"\\ud800\"}",
        "{\"a\":\"\\udc00\"}",
        "{\"a\":\"\\ud800\\u0041\"}",
        "{\"a\":\"tab\there\"}",
        "{\"a\":1,\"a\":2}",
        "{\"a\":[1,]}",
        "{\"a\":\"unterminated}"
      })
  void parseObjectWhenNotStrictJsonObjectThenRefused(String text) {
    assertThatThrownBy(() -> Json.parseObject(text)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parseObjectWhenInvalidUtf8ThenRefused() {
    byte[][] inputs = {
      {'{', '"', 'a', '"', ':', '"', (byte) 0xC0, (byte) 0xAF, '"', '}'}, // overlong '/'
      {'{', '"', 'a', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'}, // surrogate
      {'{', '"', 'a', '"', ':', '"', (byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80, '"', '}'},
      {'{', '"', 'a', '"', ':', '"', (byte) 0xE2, (byte) 0x82, '"', '}'}, // truncated
      {'{', '"', 'a', '"', ':', '"', (byte) 0x80, '"', '}'}, // lone continuation
      {(byte) 0xEF, (byte) 0xBB, (byte) 0xBF, '{', '}'}, // BOM
    };
    for (byte[] input : inputs) {
      assertThatThrownBy(() -> Json.parseObject(input))
          .isInstanceOf(IllegalArgumentException.class);
    }
  }

  @Test
  void parseObjectWhenNestedBeyondLimitThenRefused() {
    String ok = "{\"a\":" + "[".repeat(Json.MAX_DEPTH - 1) + "]".repeat(Json.MAX_DEPTH - 1) + "}";
    String deep = "{\"a\":" + "[".repeat(Json.MAX_DEPTH + 1) + "]".repeat(Json.MAX_DEPTH + 1) + "}";

    assertThat(Json.parseObject(ok)).containsKey("a");
    assertThatThrownBy(() -> Json.parseObject(deep)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parseObjectWhenResultModifiedThenRefused() {
    Map<String, Object> parsed = Json.parseObject("{\"a\":[1]}");

    assertThatThrownBy(() -> parsed.put("b", 1)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> ((List<?>) parsed.get("a")).clear())
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  void toJsonWhenWrittenThenParsesBackEqual() {
    Map<String, Object> value = new LinkedHashMap<>();
    value.put("s", "quote \" backslash \\ control \u0001 unicode é 🚀 slash / question ?");
    value.put("q", "https://example.com/a?b=c&d=?");
    value.put("n", 42L);
    value.put("d", new BigDecimal("1.25"));
    value.put("b", true);
    value.put("l", List.of(1L, "x", Map.of("k", false)));
    value.put("skipped", null);

    String json = Json.toJson(value);

    assertThat(json).doesNotContain("skipped");
    value.remove("skipped");
    assertThat(Json.parseObject(json)).isEqualTo(value);
  }

  @Test
  void toJsonWhenUnpairedSurrogateOrNanThenRefused() {
    assertThatThrownBy(() -> Json.toJson(Map.of("k", "\uDC00")))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Json.toJson(Map.of("k", Double.NaN)))
        .isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> Json.toJson(Map.of("k", new Object())))
        .isInstanceOf(IllegalArgumentException.class);
  }
}
