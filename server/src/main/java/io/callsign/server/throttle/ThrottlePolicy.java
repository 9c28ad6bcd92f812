package io.callsign.server.throttle;

import java.time.Duration;
import java.util.Objects;

/**
 * The sign-in throttle's rules (docs/design/0009-token-server.md).
 *
 * @param perPair the limit on one user from one source; it always applies
 * @param perUser the limit on one user across sources that are not trusted for that user
 * @param perSource the limit on one source across users for which it is not trusted
 * @param trustFor how long a successful sign-in makes its (user, source) pair trusted
 * @param maxEntries the most counters kept of each kind (and trusted pairs); beyond it the least
 *     useful are dropped, so memory stays bounded whatever an attacker sends
 */
public record ThrottlePolicy(
    Rule perPair, Rule perUser, Rule perSource, Duration trustFor, int maxEntries) {
  /**
   * Five free failures per user and source, ten per user from untrusted sources, twenty per source
   * across users; then waits doubling from one second up to fifteen minutes; forgotten after twelve
   * quiet hours (Keycloak's defaults for the wait cap and the reset); trust lasts thirty days.
   */
  public static final ThrottlePolicy DEFAULT =
      new ThrottlePolicy(
          Rule.doubling(5), Rule.doubling(10), Rule.doubling(20), Duration.ofDays(30), 100_000);

  /** Checks that nothing is missing and the bound is positive. */
  public ThrottlePolicy {
    Objects.requireNonNull(perPair, "perPair");
    Objects.requireNonNull(perUser, "perUser");
    Objects.requireNonNull(perSource, "perSource");
    if (trustFor == null || trustFor.isNegative()) {
      throw new IllegalArgumentException("trustFor must be zero or more");
    }
    if (maxEntries < 1) {
      throw new IllegalArgumentException("maxEntries must be positive");
    }
  }

  /**
   * One limit: failure number {@code n} (counting from one) sets no wait while {@code n <=
   * freeFailures}, else {@code firstWait * 2^(n - freeFailures - 1)}, at most {@code maxWait}. A
   * counter without a counted failure for {@code resetAfter} starts again from nothing.
   *
   * @param freeFailures failures that set no wait
   * @param firstWait the wait set by the first failure past them
   * @param maxWait the longest wait
   * @param resetAfter the quiet time after which the counter is forgotten; at least {@code maxWait}
   */
  public record Rule(int freeFailures, Duration firstWait, Duration maxWait, Duration resetAfter) {
    /** The default first wait. */
    public static final Duration FIRST_WAIT = Duration.ofSeconds(1);

    /** The default longest wait. */
    public static final Duration MAX_WAIT = Duration.ofMinutes(15);

    /** The default quiet time that resets a counter. */
    public static final Duration RESET_AFTER = Duration.ofHours(12);

    /** Checks the ranges. */
    public Rule {
      if (freeFailures < 0) {
        throw new IllegalArgumentException("freeFailures must be zero or more");
      }
      if (firstWait == null || firstWait.isNegative() || firstWait.isZero()) {
        throw new IllegalArgumentException("firstWait must be positive");
      }
      if (maxWait == null || maxWait.compareTo(firstWait) < 0) {
        throw new IllegalArgumentException("maxWait must be at least firstWait");
      }
      // Else a counter could be forgotten while its wait still runs.
      if (resetAfter == null || resetAfter.compareTo(maxWait) < 0) {
        throw new IllegalArgumentException("resetAfter must be at least maxWait");
      }
    }

    /** {@code freeFailures} free, then the default doubling waits and reset. */
    public static Rule doubling(int freeFailures) {
      return new Rule(freeFailures, FIRST_WAIT, MAX_WAIT, RESET_AFTER);
    }

    /** The wait that failure number {@code n} sets (zero for none). */
    public Duration waitAfter(int n) {
      if (n <= freeFailures) {
        return Duration.ZERO;
      }
      int doublings = n - freeFailures - 1;
      if (doublings >= 40) {
        return maxWait;
      }
      Duration wait = firstWait.multipliedBy(1L << doublings);
      return wait.compareTo(maxWait) > 0 ? maxWait : wait;
    }
  }
}
