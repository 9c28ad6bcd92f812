package io.callsign.tokens.sid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SidTest {
  @Test
  void randomWhenGeneratedThenIsPrefixAnd32LowercaseHexDigits() {
    assertThat(AccountSid.random().value()).matches("AC[0-9a-f]{32}");
    assertThat(KeySid.random().value()).matches("SK[0-9a-f]{32}");
    assertThat(FlexUserSid.random()).isNotEqualTo(FlexUserSid.random());
  }

  @Test
  void ofWhenUppercaseHexThenAccepted() {
    assertThat(AccountSid.of("AC" + "ABCDEF0123456789".repeat(2)).prefix()).isEqualTo("AC");
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "AC",
        "AC123",
        "SK0123456789abcdef0123456789abcdef",
        "ac0123456789abcdef0123456789abcdef",
        "AC0123456789abcdef0123456789abcdeg",
        "AC0123456789abcdef0123456789abcdef0",
        "AC0123456789abcdef0123456789abcde",
        "AC0123456789abcdef0123456789abcd\u00e9f"
      })
  void ofWhenMalformedThenRefusedNamingTheFormat(String value) {
    assertThatThrownBy(() -> AccountSid.of(value))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("AC followed by 32 hex digits");
  }

  @Test
  void ofWhenNullThenRefused() {
    assertThatThrownBy(() -> KeySid.of(null)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void parseWhenKnownPrefixThenReturnsTypedSid() {
    String value = WorkerSid.random().value();

    assertThat(Sid.parse(value)).isEqualTo(WorkerSid.of(value)).isInstanceOf(WorkerSid.class);
  }

  @Test
  void parseWhenConsoleUserPrefixThenReturnsConsoleUserSid() {
    String value = ConsoleUserSid.random().value();

    assertThat(Sid.parse(value)).isEqualTo(ConsoleUserSid.of(value));
    assertThat(value).startsWith("US");
  }

  @Test
  void parseWhenUnknownPrefixThenRefused() {
    assertThatThrownBy(() -> Sid.parse("ZZ0123456789abcdef0123456789abcdef"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("unknown SID prefix");
    assertThatThrownBy(() -> Sid.parse("A")).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void toStringWhenPrintedThenIsTheValue() {
    String value = SsoProfileSid.random().value();

    assertThat(SsoProfileSid.of(value)).hasToString(value);
  }
}
