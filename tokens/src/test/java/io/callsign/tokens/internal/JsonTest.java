package io.callsign.tokens.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
        "{\"a\":\"unterminated}",
        "{\"iss\":1,\"iss\":2}",
        "{\"iss\":1,\"i\\u0073s\":2}",
        "{\"i\\u0073s\":1,\"iss\":2}",
        "{\"identity\":1,\"identity\":2}",
        "{\"application_sid\":1,\"application_sid\":2}",
        "{\"alg\u0000\":1}",
        "{\"identity\u0001\":1}",
        "{\"grants\":{\"video\":{},\"video\":{}}}"
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

  @Test
  void parseObjectWhenKnownNameIsEscapedThenSameNameAndCaptured() {
    Json.Capture names = Json.Capture.of("iss", "sub");
    Object[] values = new Object[2];

    Map<String, Object> parsed =
        Json.parseObject(
            "{\"i\\u0073s\":\"x\",\"other\":1}".getBytes(StandardCharsets.UTF_8), names, values);

    assertThat(parsed).containsOnlyKeys("iss", "other");
    assertThat(values).containsExactly("x", null);
  }

  @Test
  void parseObjectWhenManyGeneratedObjectsThenAgreesWithJacksonOnAcceptanceAndMembers()
      throws Exception {
    // Names are drawn from the known-name table, escaped spellings of them, their prefixes and
    // extensions, and unknown names, so that every way a name can be read and every duplicate
    // check is exercised; Jackson with strict duplicate detection is the reference.
    ObjectMapper jackson = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
    String[] known = {
      "iss",
      "sub",
      "exp",
      "grants",
      "identity",
      "video",
      "room",
      "voice",
      "application_sid",
      "push_credential_sid",
      "policies",
      "url",
      "a",
      "scope"
    };
    Random random = new Random(20261122);
    for (int run = 0; run < 20_000; run++) {
      StringBuilder json = new StringBuilder("{");
      int members = random.nextInt(24);
      for (int m = 0; m < members; m++) {
        if (m > 0) {
          json.append(random.nextInt(8) == 0 ? " , " : ",");
        }
        String name = known[random.nextInt(known.length)];
        String spelled =
            switch (random.nextInt(6)) {
              case 0 -> "\\u" + String.format("%04x", (int) name.charAt(0)) + name.substring(1);
              case 1 -> name.substring(0, Math.max(1, name.length() - 1));
              case 2 -> name + (char) ('a' + random.nextInt(26));
              case 3 -> "n" + random.nextInt(40);
              default -> name;
            };
        json.append('"').append(spelled).append('"').append(random.nextBoolean() ? ":" : " : ");
        json.append(random.nextBoolean() ? String.valueOf(random.nextInt(1000)) : "\"v\"");
      }
      String text = json.append('}').toString();
      Map<?, ?> expected;
      try {
        expected = jackson.readValue(text, LinkedHashMap.class);
      } catch (JsonProcessingException e) {
        expected = null;
      }
      Map<String, Object> actual;
      try {
        actual = Json.parseObject(text);
      } catch (IllegalArgumentException e) {
        actual = null;
      }
      if (expected == null) {
        assertThat(actual).as(text).isNull();
      } else {
        assertThat(actual).as(text).isNotNull();
        assertThat(List.copyOf(actual.keySet())).as(text).isEqualTo(List.copyOf(expected.keySet()));
      }
    }
  }

  @Test
  void numberWhenWrittenThenSameDigitsAsLongToStringAcrossEveryPowerOfTen() {
    List<Long> values = new ArrayList<>(List.of(0L, -1L, Long.MIN_VALUE, Long.MAX_VALUE));
    for (long power = 1; power > 0 && power <= Long.MAX_VALUE / 10; power *= 10) {
      values.addAll(List.of(power - 1, power, power + 1, -power, 2 * power - 1));
    }
    values.addAll(List.of((long) Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, 1_700_000_000L));
    for (long value : values) {
      byte[] written = new JsonWriter(4).number(value).toByteArray();
      assertThat(new String(written, StandardCharsets.US_ASCII))
          .as("%d", value)
          .isEqualTo(Long.toString(value));
    }
  }
}
