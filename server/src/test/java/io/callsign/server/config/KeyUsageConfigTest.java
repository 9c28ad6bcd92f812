package io.callsign.server.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The key-usage thresholds: defaults, the environment, and refused values. */
class KeyUsageConfigTest {
  @Test
  void withoutTheEnvironmentTheDefaultsApply() {
    assertThat(ServerConfig.defaults(Map.of()).keyUsage()).isEqualTo(KeyUsageConfig.DEFAULTS);
    assertThat(KeyUsageConfig.DEFAULTS.flushInterval()).isEqualTo(Duration.ofSeconds(5));
    assertThat(KeyUsageConfig.DEFAULTS.quietDays()).isEqualTo(7);
    assertThat(KeyUsageConfig.DEFAULTS.spikeFactor()).isEqualTo(10.0);
    assertThat(KeyUsageConfig.DEFAULTS.spikeFloor()).isEqualTo(1_000);
  }

  @Test
  void theEnvironmentOverridesEachThreshold() {
    KeyUsageConfig c =
        KeyUsageConfig.fromEnv(
            Map.of(
                "CALLSIGN_KEY_USAGE_FLUSH_SECONDS", "0.5",
                "CALLSIGN_KEY_USAGE_QUIET_DAYS", "14",
                "CALLSIGN_KEY_USAGE_SPIKE_FACTOR", "4.5",
                "CALLSIGN_KEY_USAGE_SPIKE_FLOOR", "200",
                "CALLSIGN_KEY_USAGE_BASELINE_DAYS", "28",
                "CALLSIGN_KEY_USAGE_RETENTION_DAYS", "120"));

    assertThat(c).isEqualTo(new KeyUsageConfig(Duration.ofMillis(500), 14, 4.5, 200, 28, 120));
  }

  @Test
  void badValuesAreRefusedNamingTheVariable() {
    assertThatThrownBy(
            () -> KeyUsageConfig.fromEnv(Map.of("CALLSIGN_KEY_USAGE_QUIET_DAYS", "a week")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CALLSIGN_KEY_USAGE_QUIET_DAYS");
    assertThatThrownBy(() -> KeyUsageConfig.fromEnv(Map.of("CALLSIGN_KEY_USAGE_QUIET_DAYS", "7.5")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CALLSIGN_KEY_USAGE_QUIET_DAYS");
    assertThatThrownBy(
            () -> KeyUsageConfig.fromEnv(Map.of("CALLSIGN_KEY_USAGE_SPIKE_FACTOR", "NaN")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("CALLSIGN_KEY_USAGE_SPIKE_FACTOR");
    assertThatThrownBy(
            () -> KeyUsageConfig.fromEnv(Map.of("CALLSIGN_KEY_USAGE_SPIKE_FACTOR", "0.5")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("spike factor");
    assertThatThrownBy(
            () -> KeyUsageConfig.fromEnv(Map.of("CALLSIGN_KEY_USAGE_RETENTION_DAYS", "30")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("retention");
    assertThatThrownBy(
            () -> KeyUsageConfig.fromEnv(Map.of("CALLSIGN_KEY_USAGE_FLUSH_SECONDS", "0")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("flush interval");
  }
}
