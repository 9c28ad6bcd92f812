package io.callsign.server.crypto;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Argon2id hashing of Flex users' passwords: the stored form, verification, refusals. */
class PasswordHasherTest {
  private static final PasswordHasher HASHER = PasswordHasher.standard();
  private static final String PASSWORD = "correct horse battery staple";

  // Made with the reference implementation (Debian's argon2 0~20171227):
  // echo -n "Tr0ub4dor&3 but longer" | argon2 0123456789abcdef -id -t 2 -k 19456 -p 1 -l 32 -e
  private static final String REFERENCE_ASVS =
      "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA";
  private static final String REFERENCE_ASVS_PASSWORD = "Tr0ub4dor&3 but longer";

  // echo -n "correct horse battery staple" | argon2 somesalt0123456 -id -t 3 -k 32768 -p 2 -l 32 -e
  private static final String REFERENCE_STRONGER =
      "$argon2id$v=19$m=32768,t=3,p=2$c29tZXNhbHQwMTIzNDU2$/fAuWuYTcVuzkGA5uvVJ5HtwyimMpnmEXtb/qUOjrSQ";

  @Test
  void hashIsAPhcStringWithTheAsvsParametersA16ByteSaltAndA32ByteHash() {
    String stored = HASHER.hash(PASSWORD);
    // 16 bytes are 22 base64 characters without padding, 32 bytes 43.
    assertThat(stored)
        .matches("\\$argon2id\\$v=19\\$m=19456,t=2,p=1\\$[A-Za-z0-9+/]{22}\\$[A-Za-z0-9+/]{43}")
        .doesNotContain(PASSWORD);
    assertThat(HASHER.params()).isEqualTo(new PasswordHasher.Params(2, 19_456, 1));
  }

  @Test
  void verifyAcceptsTheRightPasswordOnly() {
    String stored = HASHER.hash(PASSWORD);
    assertThat(HASHER.verify(PASSWORD, stored)).isTrue();
    assertThat(HASHER.verify("correct horse battery stapl", stored)).isFalse();
    assertThat(HASHER.verify("correct horse battery staplE", stored)).isFalse();
    assertThat(HASHER.verify(PASSWORD + " ", stored)).isFalse();
    assertThat(HASHER.verify("", stored)).isFalse();
  }

  @Test
  void everyHashHasItsOwnSalt() {
    String a = HASHER.hash(PASSWORD);
    String b = HASHER.hash(PASSWORD);
    assertThat(a).isNotEqualTo(b);
    assertThat(a.substring(0, a.lastIndexOf('$'))).isNotEqualTo(b.substring(0, b.lastIndexOf('$')));
    assertThat(HASHER.verify(PASSWORD, a)).isTrue();
    assertThat(HASHER.verify(PASSWORD, b)).isTrue();
  }

  @Test
  void longPasswordsAreNotTruncated() {
    String long1 = "x".repeat(1000) + "a";
    String stored = HASHER.hash(long1);
    assertThat(HASHER.verify("x".repeat(1000) + "b", stored)).isFalse();
    assertThat(HASHER.verify("x".repeat(72), stored)).isFalse();
    assertThat(HASHER.verify(long1, stored)).isTrue();
  }

  @Test
  void verifiesHashesOfTheReferenceImplementation() {
    assertThat(HASHER.verify(REFERENCE_ASVS_PASSWORD, REFERENCE_ASVS)).isTrue();
    assertThat(HASHER.verify(PASSWORD, REFERENCE_ASVS)).isFalse();
  }

  @Test
  void verificationTakesTheParametersFromTheStoredString() {
    // Stronger parameters than this hasher's: stored hashes keep working when the defaults rise.
    assertThat(HASHER.verify(PASSWORD, REFERENCE_STRONGER)).isTrue();
    PasswordHasher stronger = new PasswordHasher(new PasswordHasher.Params(3, 32_768, 2), 1);
    String stored = stronger.hash(PASSWORD);
    assertThat(stored).startsWith("$argon2id$v=19$m=32768,t=3,p=2$");
    assertThat(HASHER.verify(PASSWORD, stored)).isTrue();
    assertThat(HASHER.verify("not it at all", stored)).isFalse();
  }

  @Test
  void unicodeIsComparedInNormalFormKc() {
    // U+00E9 composed, and e + U+0301 combining: what different keyboards send for one character.
    String stored = HASHER.hash("caf\u00e9 au lait");
    assertThat(HASHER.verify("cafe\u0301 au lait", stored)).isTrue();
    assertThat(HASHER.verify("cafe au lait", stored)).isFalse();
  }

  @Test
  void unpairedSurrogatesAreNotWellFormedAndNeverMatch() {
    assertThat(PasswordHasher.isWellFormed("abc\ud800defgh")).isFalse();
    assertThat(PasswordHasher.isWellFormed("emoji \ud83d\ude00 ok")).isTrue();
    assertThatThrownBy(() -> HASHER.hash("abc\ud800defgh"))
        .isInstanceOf(IllegalArgumentException.class);
    // A lenient UTF-8 encoder would turn the lone surrogate into '?', matching this one.
    String stored = HASHER.hash("abc?defgh");
    assertThat(HASHER.verify("abc\ud800defgh", stored)).isFalse();
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "plain text",
        "$argon2i$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA",
        "$argon2id$v=16$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA",
        "$argon2id$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA",
        "$argon2id$v=19$t=2,m=19456,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA",
        "$argon2id$v=19$m=19456,t=0,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA",
        "$argon2id$v=19$m=99999999,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA",
        "$argon2id$v=19$m=4,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA",
        "$argon2id$v=19$m=19456,t=2,p=1$MDEy$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA",
        "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6u",
        "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA=",
        "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZ$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA",
        "$argon2id$v=19$m=19456,t=2,p=1$MDEyMzQ1Njc4OWFiY2RlZg$rw/JeJ0I6utasIaq+bLw9OYmZbkXdvOecrFTO+P9EeA$",
      })
  void malformedStoredStringsAreRefusedWithoutQuotingThem(String stored) {
    assertThatThrownBy(() -> HASHER.verify(PASSWORD, stored))
        .isInstanceOf(IllegalArgumentException.class)
        .satisfies(
            e -> {
              if (stored.length() > 12) {
                assertThat(e.getMessage()).doesNotContain(stored.substring(stored.length() - 12));
              }
            });
  }

  @Test
  void nullStoredStringIsRefused() {
    assertThatThrownBy(() -> HASHER.verify(PASSWORD, null))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void verifyNothingRunsAHashAndNeverMatches() throws Exception {
    Semaphore permits = new Semaphore(1, true);
    PasswordHasher hasher = new PasswordHasher(PasswordHasher.Params.ASVS, permits);
    permits.acquire();
    CompletableFuture<Boolean> result =
        CompletableFuture.supplyAsync(() -> hasher.verifyNothing(PASSWORD));
    // It waits for a hashing permit: it really hashes, as a real verification does.
    awaitQueued(permits);
    permits.release();
    assertThat(result.get(10, TimeUnit.SECONDS)).isFalse();
  }

  @Test
  void atMostTheGivenNumberOfHashesRunAtOnce() throws Exception {
    Semaphore permits = new Semaphore(1, true);
    PasswordHasher hasher = new PasswordHasher(PasswordHasher.Params.ASVS, permits);
    String stored = hasher.hash(PASSWORD);
    permits.acquire();
    CompletableFuture<Boolean> waiting =
        CompletableFuture.supplyAsync(() -> hasher.verify(PASSWORD, stored));
    awaitQueued(permits);
    assertThat(waiting).isNotDone();
    permits.release();
    assertThat(waiting.get(10, TimeUnit.SECONDS)).isTrue();
    assertThat(permits.availablePermits()).isEqualTo(1);
  }

  private static void awaitQueued(Semaphore permits) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (!permits.hasQueuedThreads() && System.nanoTime() < deadline) {
      Thread.sleep(5);
    }
    assertThat(permits.hasQueuedThreads()).as("a caller waits for a hashing permit").isTrue();
  }
}
