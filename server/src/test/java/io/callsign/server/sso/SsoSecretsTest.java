package io.callsign.server.sso;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The random values and hashes of a sign-in. */
class SsoSecretsTest {
  @Test
  void s256MatchesTheExampleOfRfc7636AppendixB() {
    assertThat(SsoSecrets.s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"))
        .isEqualTo("E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM");
  }

  @Test
  void randomValuesCarry256BitsAsVerifiersOfTheMinimumLength() {
    Set<String> seen = new HashSet<>();
    for (int i = 0; i < 1000; i++) {
      String v = SsoSecrets.random();
      // RFC 7636 4.1: 43 to 128 unreserved characters; 32 bytes of entropy (section 7.1).
      assertThat(v).matches("[A-Za-z0-9_-]{43}");
      assertThat(Base64.getUrlDecoder().decode(v)).hasSize(32);
      seen.add(v);
    }
    assertThat(seen).hasSize(1000);
  }

  @Test
  void hashIsSha256HexAndSameComparesExactly() {
    assertThat(SsoSecrets.hash("abc"))
        .isEqualTo("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
    assertThat(SsoSecrets.same("a", "a")).isTrue();
    assertThat(SsoSecrets.same("a", "b")).isFalse();
    assertThat(SsoSecrets.same("a", "a ")).isFalse();
    assertThat(SsoSecrets.same(null, "a")).isFalse();
    assertThat(SsoSecrets.same("a", null)).isFalse();
  }
}
