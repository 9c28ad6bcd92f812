package io.callsign.server.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import io.callsign.server.MutableClock;
import io.callsign.server.throttle.LoginThrottle.Admission;
import io.callsign.server.throttle.LoginThrottle.Admitted;
import io.callsign.server.throttle.LoginThrottle.Attempt;
import io.callsign.server.throttle.LoginThrottle.Refused;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.Parameter;
import org.junit.jupiter.params.ParameterizedClass;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * The sign-in throttle's rules, with an injected clock: progressive waits, no counting while
 * waiting, decay, trusted sources, per-source limits, exact counting under concurrency, bounded
 * storage. Every rule runs against each implementation: one node's memory and the PostgreSQL tables
 * that a cluster's nodes share.
 */
@ParameterizedClass
@EnumSource(ThrottleImplementation.class)
class LoginThrottleTest {
  private static final String ALICE = "GO00000000000000000000000000000001/alice";
  private static final String OWNER = "198.51.100.10";
  private static final String ATTACKER = "203.0.113.66";

  @Parameter ThrottleImplementation implementation;

  private final MutableClock clock = new MutableClock(Instant.parse("2026-03-01T08:00:00Z"));
  private LoginThrottle throttle;

  @BeforeEach
  void create() {
    throttle = implementation.create(ThrottlePolicy.DEFAULT, clock);
  }

  private static Attempt attempt(String user, String source) {
    return new Attempt(user, source);
  }

  private Admitted admitted(Attempt a) {
    Admission x = throttle.admit(a);
    assertThat(x).as("admission of " + a).isInstanceOf(Admitted.class);
    return (Admitted) x;
  }

  /** An admitted attempt that fails (it stays counted). */
  private void fail(Attempt a) {
    admitted(a);
  }

  private void fail(Attempt a, int times) {
    for (int i = 0; i < times; i++) {
      fail(a);
    }
  }

  private Duration refused(Attempt a) {
    Admission x = throttle.admit(a);
    assertThat(x).as("admission of " + a).isInstanceOf(Refused.class);
    return ((Refused) x).retryAfter();
  }

  private void signIn(Attempt a) {
    throttle.succeeded(admitted(a));
  }

  @Test
  void waitsDoubleFromOneSecondAfterFiveFreeFailuresUpToFifteenMinutes() {
    Attempt a = attempt(ALICE, ATTACKER);
    fail(a, 5);
    // The sixth is still admitted, and starts the first wait.
    fail(a);
    assertThat(refused(a)).isEqualTo(Duration.ofSeconds(1));
    long[] expected = {2, 4, 8, 16, 32, 64, 128, 256, 512, 900, 900, 900};
    Duration wait = Duration.ofSeconds(1);
    for (long seconds : expected) {
      clock.advance(wait);
      fail(a);
      wait = refused(a);
      assertThat(wait).isEqualTo(Duration.ofSeconds(seconds));
    }
  }

  @Test
  void retryAfterIsRoundedUpToWholeSeconds() {
    Attempt a = attempt(ALICE, ATTACKER);
    fail(a, 6);
    clock.advance(Duration.ofMillis(300));
    assertThat(refused(a)).isEqualTo(Duration.ofSeconds(1));
    clock.advance(Duration.ofMillis(700));
    fail(a);
  }

  @Test
  void refusedAttemptsDoNotCount() {
    Attempt a = attempt(ALICE, ATTACKER);
    fail(a, 6);
    for (int i = 0; i < 100; i++) {
      assertThat(refused(a)).isEqualTo(Duration.ofSeconds(1));
    }
    clock.advance(Duration.ofSeconds(1));
    fail(a);
    // The seventh counted failure: two seconds, not the fifteen minutes 106 would give.
    assertThat(refused(a)).isEqualTo(Duration.ofSeconds(2));
  }

  @Test
  void countersAreForgottenAfterTwelveQuietHours() {
    Attempt a = attempt(ALICE, ATTACKER);
    fail(a, 6);
    clock.advance(Duration.ofSeconds(1));
    fail(a);
    clock.advance(Duration.ofSeconds(2));
    fail(a);
    assertThat(refused(a)).isEqualTo(Duration.ofSeconds(4));

    clock.advance(Duration.ofHours(12).minusSeconds(1));
    // Not yet quiet long enough: the ninth failure doubles the wait again.
    fail(a);
    assertThat(refused(a)).isEqualTo(Duration.ofSeconds(8));

    clock.advance(Duration.ofHours(12));
    fail(a, 6);
    assertThat(refused(a)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aSuccessResetsItsPairAndTrustsIt() {
    Attempt a = attempt(ALICE, OWNER);
    fail(a, 4);
    Admitted ok = admitted(a);
    assertThat(ok.trusted()).isFalse();
    throttle.succeeded(ok);
    assertThat(admitted(a).trusted()).isTrue();
    // That attempt failed: with the earlier four forgotten it is the first of five free ones.
    fail(a, 4);
    fail(a);
    assertThat(refused(a)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void theOwnerAtATrustedSourceIsNotLockedOutByFailuresFromElsewhere() {
    Attempt owner = attempt(ALICE, OWNER);
    signIn(owner);
    // Twenty failures from twenty sources, each waiting out the user's waits: the user's counter
    // is far past its ten free failures.
    for (int i = 1; i <= 20; i++) {
      Attempt attacker = attempt(ALICE, "203.0.113." + i);
      if (throttle.admit(attacker) instanceof Refused r) {
        clock.advance(r.retryAfter());
        fail(attacker);
      }
    }
    Duration wait = refused(attempt(ALICE, "203.0.113.99"));
    assertThat(wait).isGreaterThanOrEqualTo(Duration.ofSeconds(500));
    // The owner's known source is not delayed at all.
    Admitted a = admitted(owner);
    assertThat(a.trusted()).isTrue();
    throttle.succeeded(a);
    assertThat(refused(attempt(ALICE, "203.0.113.99"))).isEqualTo(wait);
  }

  @Test
  void anAttackersOwnSourceIsThrottledWhileTheOwnerIsTrustedElsewhere() {
    signIn(attempt(ALICE, OWNER));
    Attempt attacker = attempt(ALICE, ATTACKER);
    fail(attacker, 6);
    assertThat(refused(attacker)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void aTrustedSourceStillMeetsThePairLimit() {
    Attempt owner = attempt(ALICE, OWNER);
    signIn(owner);
    fail(owner, 6);
    assertThat(refused(owner)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void oneSourceIsLimitedAcrossManyUsers() {
    String sprayer = "192.0.2.50";
    signIn(attempt("GO1/mallory", sprayer));
    for (int i = 0; i < 20; i++) {
      fail(attempt("GO1/user" + i, sprayer));
    }
    // The 21st failure is admitted and starts the source's wait.
    fail(attempt("GO1/user20", sprayer));
    assertThat(refused(attempt("GO1/user21", sprayer))).isEqualTo(Duration.ofSeconds(1));
    // Other sources are not affected, nor the pair this source is trusted for.
    fail(attempt("GO1/user21", "192.0.2.51"));
    assertThat(admitted(attempt("GO1/mallory", sprayer)).trusted()).isTrue();
  }

  @Test
  void aSuccessTakesBackItsOwnCountAndTheWaitItStarted() {
    // Ten failures from elsewhere: the user's counter is at its last free one.
    for (int i = 1; i <= 2; i++) {
      fail(attempt(ALICE, "203.0.113." + i), 5);
    }
    // The owner from a new source: counted as the eleventh (a one-second wait) until it succeeds.
    signIn(attempt(ALICE, OWNER));
    Admitted next = admitted(attempt(ALICE, "198.51.100.11"));
    assertThat(next.trusted()).isFalse();
  }

  @Test
  void abandonedAttemptsAreTakenBack() {
    Attempt a = attempt(ALICE, ATTACKER);
    for (int i = 0; i < 20; i++) {
      throttle.abandoned(admitted(a));
    }
    fail(a, 6);
    assertThat(refused(a)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void trustLastsThirtyDaysFromTheLastSuccess() {
    Attempt owner = attempt(ALICE, OWNER);
    signIn(owner);
    clock.advance(Duration.ofDays(29));
    signIn(owner);
    clock.advance(Duration.ofDays(29));
    assertThat(admitted(owner).trusted()).isTrue();
    clock.advance(Duration.ofDays(2));
    assertThat(admitted(owner).trusted()).isFalse();
  }

  @Test
  void parallelAttemptsCannotPassAWaitTogether() throws Exception {
    List<Admission> outcomes = runInParallel(1000, attempt(ALICE, ATTACKER));
    // Exactly the five free failures and the one that starts the wait.
    assertThat(outcomes.stream().filter(Admitted.class::isInstance)).hasSize(6);
    assertThat(outcomes.stream().filter(Refused.class::isInstance)).hasSize(994);
  }

  @Test
  void aThousandParallelFailuresCountExactly() throws Exception {
    ThrottlePolicy.Rule rule = ThrottlePolicy.Rule.doubling(1000);
    throttle =
        implementation.create(
            new ThrottlePolicy(rule, rule, rule, Duration.ofDays(30), 10_000), clock);
    Attempt a = attempt(ALICE, ATTACKER);
    List<Admission> outcomes = runInParallel(1000, a);
    assertThat(outcomes).allMatch(Admitted.class::isInstance);
    // Exactly 1000 counted: the next is the first past the free ones, and the one after waits. One
    // lost update would leave the next free, and the one after admitted.
    fail(a);
    assertThat(refused(a)).isEqualTo(Duration.ofSeconds(1));
  }

  @Test
  void memoryStaysBoundedWhateverTheAttemptsAre() {
    throttle =
        implementation.create(
            new ThrottlePolicy(
                ThrottlePolicy.Rule.doubling(5),
                ThrottlePolicy.Rule.doubling(10),
                ThrottlePolicy.Rule.doubling(20),
                Duration.ofDays(30),
                100),
            clock);
    for (int i = 0; i < 10_000; i++) {
      throttle.admit(attempt("GO1/user" + i, "10.0." + (i / 256) + "." + (i % 256)));
    }
    assertThat(implementation.entries(throttle)).isLessThanOrEqualTo(400);
  }

  @Test
  void forgottenCountersAndExpiredTrustAreDropped() {
    fail(attempt(ALICE, ATTACKER), 3);
    signIn(attempt(ALICE, OWNER));
    assertThat(implementation.entries(throttle)).isPositive();

    clock.advance(Duration.ofHours(12).plusMinutes(1));
    // Only the owner's trusted pair is left.
    assertThat(implementation.entries(throttle)).isEqualTo(1);
    clock.advance(Duration.ofDays(30));
    assertThat(implementation.entries(throttle)).isZero();
  }

  @Test
  void sourcesAreIpv4AddressesAndIpv6Slash64Prefixes() {
    assertThat(LoginThrottle.sourceOf("203.0.113.9")).isEqualTo("203.0.113.9");
    assertThat(LoginThrottle.sourceOf("::ffff:203.0.113.9")).isEqualTo("203.0.113.9");
    String prefix = "2001:0db8:0001:0002::/64";
    assertThat(LoginThrottle.sourceOf("2001:db8:1:2:3:4:5:6")).isEqualTo(prefix);
    assertThat(LoginThrottle.sourceOf("2001:db8:1:2:ffff::1")).isEqualTo(prefix);
    assertThat(LoginThrottle.sourceOf("[2001:db8:1:2::7]")).isEqualTo(prefix);
    assertThat(LoginThrottle.sourceOf("fe80::1%eth0")).isEqualTo("fe80:0000:0000:0000::/64");
    assertThat(LoginThrottle.sourceOf("2001:db8:1:3::1")).isNotEqualTo(prefix);
    // Never a name lookup.
    assertThat(LoginThrottle.sourceOf("localhost")).isEqualTo("localhost");
  }

  private List<Admission> runInParallel(int n, Attempt a) throws Exception {
    CountDownLatch start = new CountDownLatch(1);
    List<Future<Admission>> futures = new ArrayList<>(n);
    // Platform threads: the OS preempts them anywhere, so they interleave where virtual threads
    // (which yield only when blocking) would not.
    try (ExecutorService pool = Executors.newFixedThreadPool(64)) {
      for (int i = 0; i < n; i++) {
        futures.add(
            pool.submit(
                () -> {
                  start.await();
                  return throttle.admit(a);
                }));
      }
      start.countDown();
      List<Admission> out = new ArrayList<>(n);
      for (Future<Admission> f : futures) {
        out.add(f.get());
      }
      return out;
    }
  }
}
