package io.callsign.server.throttle;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;

/**
 * The {@link LoginThrottle} of one node: counters in bounded Caffeine caches, time from an
 * injectable {@link Clock}.
 *
 * <p>Admission reads and updates up to three counters (pair, user, source), and must do so as one
 * step, or parallel attempts would both pass a limit that only one may. One lock covers it: the
 * critical section is a few map operations, while the attempt it admits spends tens of milliseconds
 * in Argon2, so the lock is never what limits sign-ins.
 */
public final class LocalLoginThrottle implements LoginThrottle {
  /**
   * A counter.
   *
   * @param failures counted failures since it was last forgotten
   * @param last when the last one was counted (the quiet time runs from here)
   * @param waitUntil until when attempts are refused, or {@code null}
   */
  private record Counter(int failures, Instant last, Instant waitUntil) {}

  /** One counter an attempt touches, with its rule. */
  private record Slot<K>(Cache<K, Counter> cache, K key, ThrottlePolicy.Rule rule) {}

  private final ThrottlePolicy policy;
  private final Clock clock;
  private final Cache<Attempt, Counter> pairs;
  private final Cache<String, Counter> users;
  private final Cache<String, Counter> sources;
  private final Cache<Attempt, Instant> trusted;
  private final ReentrantLock lock = new ReentrantLock();

  /** A throttle applying {@code policy}, with time from {@code clock}. */
  public LocalLoginThrottle(ThrottlePolicy policy, Clock clock) {
    this.policy = policy;
    this.clock = clock;
    // Entries expire on the same clock as the rules, so a test that moves the clock sees both move.
    Ticker ticker = () -> TimeUnit.MILLISECONDS.toNanos(clock.millis());
    this.pairs = cache(policy.perPair().resetAfter(), ticker);
    this.users = cache(policy.perUser().resetAfter(), ticker);
    this.sources = cache(policy.perSource().resetAfter(), ticker);
    this.trusted = cache(policy.trustFor(), ticker);
  }

  private <K, V> Cache<K, V> cache(Duration life, Ticker ticker) {
    return Caffeine.newBuilder()
        .maximumSize(policy.maxEntries())
        .expireAfterWrite(life)
        .ticker(ticker)
        // Maintenance (eviction) on the calling thread, which holds the lock anyway.
        .executor(Runnable::run)
        .build();
  }

  @Override
  public Admission admit(Attempt attempt) {
    lock.lock();
    try {
      Instant now = clock.instant();
      boolean trust = isTrusted(attempt, now);
      List<Slot<?>> slots = slots(attempt, trust);
      Instant until = null;
      for (Slot<?> slot : slots) {
        Counter c = live(slot, now);
        if (c != null && c.waitUntil() != null && now.isBefore(c.waitUntil())) {
          until = until == null || c.waitUntil().isAfter(until) ? c.waitUntil() : until;
        }
      }
      if (until != null) {
        return new Refused(retryAfter(now, until));
      }
      for (Slot<?> slot : slots) {
        count(slot, now);
      }
      return new Admitted(attempt, trust);
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void succeeded(Admitted admitted) {
    lock.lock();
    try {
      Instant now = clock.instant();
      Attempt a = admitted.attempt();
      pairs.invalidate(a);
      if (!admitted.trusted()) {
        forgive(new Slot<>(users, a.user(), policy.perUser()), now);
        forgive(new Slot<>(sources, a.source(), policy.perSource()), now);
      }
      if (!policy.trustFor().isZero()) {
        trusted.put(a, now.plus(policy.trustFor()));
      }
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void abandoned(Admitted admitted) {
    lock.lock();
    try {
      Instant now = clock.instant();
      for (Slot<?> slot : slots(admitted.attempt(), admitted.trusted())) {
        forgive(slot, now);
      }
    } finally {
      lock.unlock();
    }
  }

  /** How many entries the caches hold: bounded by four times {@code maxEntries}. */
  long entries() {
    lock.lock();
    try {
      pairs.cleanUp();
      users.cleanUp();
      sources.cleanUp();
      trusted.cleanUp();
      return pairs.estimatedSize()
          + users.estimatedSize()
          + sources.estimatedSize()
          + trusted.estimatedSize();
    } finally {
      lock.unlock();
    }
  }

  private boolean isTrusted(Attempt attempt, Instant now) {
    Instant until = trusted.getIfPresent(attempt);
    return until != null && now.isBefore(until);
  }

  private List<Slot<?>> slots(Attempt a, boolean trust) {
    List<Slot<?>> slots = new ArrayList<>(3);
    slots.add(new Slot<>(pairs, a, policy.perPair()));
    if (!trust) {
      slots.add(new Slot<>(users, a.user(), policy.perUser()));
      slots.add(new Slot<>(sources, a.source(), policy.perSource()));
    }
    return slots;
  }

  /** The counter, unless it is absent or has been quiet long enough to be forgotten. */
  private static <K> Counter live(Slot<K> slot, Instant now) {
    Counter c = slot.cache().getIfPresent(slot.key());
    if (c == null || !now.isBefore(c.last().plus(slot.rule().resetAfter()))) {
      return null;
    }
    return c;
  }

  private static <K> void count(Slot<K> slot, Instant now) {
    Counter c = live(slot, now);
    int n = c == null ? 1 : c.failures() + 1;
    Duration wait = slot.rule().waitAfter(n);
    slot.cache().put(slot.key(), new Counter(n, now, wait.isZero() ? null : now.plus(wait)));
  }

  // Takes one counted failure back, and shortens the wait to the one the remaining count sets from
  // the last counted failure: never longer than before, and never the forgiven attempt's own.
  private static <K> void forgive(Slot<K> slot, Instant now) {
    Counter c = live(slot, now);
    if (c != null && c.failures() > 0) {
      int n = c.failures() - 1;
      Duration wait = slot.rule().waitAfter(n);
      slot.cache()
          .put(slot.key(), new Counter(n, c.last(), wait.isZero() ? null : c.last().plus(wait)));
    }
  }

  private static Duration retryAfter(Instant now, Instant until) {
    long millis = Duration.between(now, until).toMillis();
    return Duration.ofSeconds(Math.max(1, (millis + 999) / 1000));
  }
}
