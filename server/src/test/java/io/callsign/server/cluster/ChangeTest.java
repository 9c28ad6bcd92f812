package io.callsign.server.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.NullSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The notification payload the change-log trigger writes (migration V10), read back. */
class ChangeTest {
  private static final String KEY = "SK" + "0123456789abcdef".repeat(2);

  @Test
  void payloadOfANodesChangeCarriesEveryField() {
    assertThat(Change.parse("42 key " + KEY + " 1732300000123 3fa2b0c1d2e3"))
        .contains(new Change(42, ChangeKind.KEY, KEY, 1_732_300_000_123L, "3fa2b0c1d2e3"));
  }

  @Test
  void payloadOfAChangeByHandHasNoOrigin() {
    // concat_ws leaves out a NULL origin altogether.
    assertThat(Change.parse("7 flex-token abc_-DEF 1 ").orElseThrow().origin()).isNull();
    assertThat(Change.parse("7 flex-token abc_-DEF 1"))
        .contains(new Change(7, ChangeKind.FLEX_TOKEN, "abc_-DEF", 1, null));
  }

  @Test
  void everyKindParsesByItsWireName() {
    for (ChangeKind kind : ChangeKind.values()) {
      assertThat(Change.parse("1 " + kind.wire() + " X 0")).map(Change::kind).contains(kind);
    }
  }

  @ParameterizedTest
  @NullSource
  @ValueSource(
      strings = {
        "",
        "drop everything please",
        "1 nosuchkind AC00 0",
        "x key SK00 0",
        "1 key SK00 yesterday",
        "1 key  0",
        "1 key SK00",
        "1 key SK00 0 node extra"
      })
  void anythingElseOnTheChannelIsNotAChange(String payload) {
    assertThat(Change.parse(payload)).isEqualTo(Optional.empty());
  }
}
