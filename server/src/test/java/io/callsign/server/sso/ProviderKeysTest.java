package io.callsign.server.sso;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKMatcher;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A provider's keys: cached, refetched once for an unknown {@code kid}, at most once per interval,
 * and kept when the provider is away. The "provider" is a JWKS document the test swaps.
 */
class ProviderKeysTest {
  private static RSAKey first;
  private static RSAKey second;

  private final MovableClock clock = new MovableClock();
  private final AtomicReference<JWKSet> published = new AtomicReference<>();
  private final AtomicInteger fetches = new AtomicInteger();
  private volatile boolean away;
  private final ProviderKeys keys =
      new ProviderKeys(
          URI.create("https://idp.example.com/jwks"),
          uri -> {
            if (away) {
              throw new KeySourceException("unreachable");
            }
            fetches.incrementAndGet();
            return published.get();
          },
          clock);

  @BeforeAll
  static void generate() throws JOSEException {
    first = new RSAKeyGenerator(2048).keyID("first").generate();
    second = new RSAKeyGenerator(2048).keyID("second").generate();
  }

  private static JWKSelector kid(String kid) {
    return new JWKSelector(
        new JWKMatcher.Builder().keyID(kid).algorithms(JWSAlgorithm.RS256, null).build());
  }

  @Test
  void getReturnsPublicKeysOnlyAndCachesThemForAnHour() throws Exception {
    published.set(new JWKSet(first));
    List<JWK> found = keys.get(kid("first"), null);
    assertThat(found).hasSize(1);
    assertThat(found.getFirst().isPrivate()).isFalse();
    keys.get(kid("first"), null);
    assertThat(fetches).hasValue(1);
    clock.advance(ProviderKeys.LIFETIME);
    keys.get(kid("first"), null);
    assertThat(fetches).hasValue(2);
  }

  @Test
  void getWhenKidIsUnknownThenRefetchesOncePerInterval() throws Exception {
    published.set(new JWKSet(first));
    keys.get(kid("first"), null);
    published.set(new JWKSet(List.of(first, second)));
    assertThat(keys.get(kid("second"), null)).hasSize(1);
    assertThat(fetches).hasValue(2);
    for (int i = 0; i < 1000; i++) {
      assertThat(keys.get(kid("made-up-" + i), null)).isEmpty();
    }
    // The first unknown kid after the rotation's refetch waits for the interval.
    assertThat(fetches).hasValue(2);
    clock.advance(ProviderKeys.REFETCH_INTERVAL);
    assertThat(keys.get(kid("made-up"), null)).isEmpty();
    assertThat(keys.get(kid("made-up-too"), null)).isEmpty();
    assertThat(fetches).hasValue(3);
  }

  @Test
  void getWhenProviderIsAwayThenKeepsTheKeysItHasAndFailsWithoutAny() throws Exception {
    away = true;
    assertThatThrownBy(() -> keys.get(kid("first"), null)).isInstanceOf(KeySourceException.class);
    away = false;
    published.set(new JWKSet(first));
    keys.get(kid("first"), null);
    away = true;
    clock.advance(ProviderKeys.LIFETIME.plus(Duration.ofMinutes(5)));
    assertThat(keys.get(kid("first"), null)).hasSize(1);
    assertThat(keys.get(kid("second"), null)).isEmpty();
  }

  /** A clock the test moves. */
  private static final class MovableClock extends Clock {
    private volatile Instant now = Instant.parse("2026-11-22T10:00:00Z");

    void advance(Duration d) {
      now = now.plus(d);
    }

    @Override
    public Instant instant() {
      return now;
    }

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      throw new UnsupportedOperationException();
    }
  }
}
