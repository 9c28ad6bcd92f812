package io.callsign.server.usage;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.callsign.server.MutableClock;
import io.callsign.server.accounts.Account;
import io.callsign.server.accounts.AccountStatus;
import io.callsign.server.audit.Audit;
import io.callsign.server.config.KeyUsageConfig;
import io.callsign.server.http.CredentialKind;
import io.callsign.server.http.KeyUsageRecorder.PermissionCounter;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyType;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The hot path of key usage: counting is in memory only, writes are batched, and counting while
 * writing loses and doubles nothing. The store is an in-memory one that counts its calls.
 */
class KeyUsageLogTest {
  private static final Instant START = Instant.parse("2026-11-22T10:00:00Z");
  private static final AccountSid ACCOUNT = AccountSid.random();

  private final MutableClock clock = new MutableClock(START);
  private final MemoryUsageStore store = new MemoryUsageStore();
  private final KeyUsageLog log =
      new KeyUsageLog(store, Audit.NONE, KeyUsageConfig.DEFAULTS, clock, new SimpleMeterRegistry());
  private final Key key = key(START.minus(Duration.ofDays(30)));
  private final Account account =
      new Account(
          ACCOUNT,
          ACCOUNT,
          "a",
          AccountStatus.ACTIVE,
          Account.TYPE_FULL,
          "t".repeat(32),
          START,
          START);

  private static Key key(Instant created) {
    return new Key(
        KeySid.random(), ACCOUNT, "k", KeyType.STANDARD, null, "s".repeat(43), created, created);
  }

  // What the Authenticator does for a key's request, then one permission check as a route does.
  private void request(Key k, String address) {
    PermissionCounter counter = log.authenticated(k, address, clock.millis());
    new Principal(account, CredentialKind.STANDARD_KEY, k.sid(), null, counter)
        .require(Permission.ACCOUNTS_READ);
  }

  @Test
  void countingRequestsTouchesNoStoreAndOneFlushWritesThemAllInOneBatch() {
    for (int i = 0; i < 10_000; i++) {
      request(key, i % 2 == 0 ? "10.0.0.1" : "10.0.0.2");
    }
    assertThat(store.calls.get()).as("store calls while counting").isZero();

    log.flush();

    assertThat(store.adds.get()).isEqualTo(1);
    long today = UtcDays.of(START.toEpochMilli());
    assertThat(store.dayRequests(key.sid(), today)).isEqualTo(10_000);
    assertThat(store.addressRequests(key.sid(), "10.0.0.1", today)).isEqualTo(5_000);
    assertThat(store.addressRequests(key.sid(), "10.0.0.2", today)).isEqualTo(5_000);
    assertThat(store.permissionRequests(key.sid(), "/twilio/accounts/accounts/read", today))
        .isEqualTo(10_000);
  }

  @Test
  void closingWritesWhatWasCountedEvenWhenTheWriterNeverStarted() {
    request(key, "10.0.0.1");

    log.close();

    assertThat(store.dayRequests(key.sid(), UtcDays.of(START.toEpochMilli()))).isEqualTo(1);
  }

  @Test
  void aFlushWithNothingNewWritesNothing() {
    request(key, "10.0.0.1");
    log.flush();
    int adds = store.adds.get();
    log.flush();
    assertThat(store.adds.get()).isEqualTo(adds);
  }

  @Test
  void countingAWarmKeysRequestAllocatesNothing() {
    var threads = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().threadId();
    // Warm: the key's and the address's counters exist.
    for (int i = 0; i < 20_000; i++) {
      log.authenticated(key, "10.0.0.1", clock.millis()).used(Permission.ACCOUNTS_READ);
    }
    long before = threads.getThreadAllocatedBytes(id);
    for (int i = 0; i < 100_000; i++) {
      log.authenticated(key, "10.0.0.1", clock.millis()).used(Permission.ACCOUNTS_READ);
    }
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    // Well under one byte per request: map lookups and adder increments only.
    assertThat(allocated).as("bytes allocated by 100,000 counted requests").isLessThan(64_000);
  }

  @Test
  void countingWhileFlushingConcurrentlyLosesAndDoublesNothing() throws Exception {
    int threads = 4;
    int perThread = 50_000;
    // Like a database: each write takes a while, during which requests keep being counted.
    store.writeMillis = 1;
    AtomicBoolean done = new AtomicBoolean();
    Thread flusher =
        Thread.ofPlatform()
            .start(
                () -> {
                  while (!done.get()) {
                    log.flush();
                  }
                });
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      String address = "10.0.0." + (t % 2 + 1);
      workers.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int i = 0; i < perThread; i++) {
                      request(key, address);
                    }
                  }));
    }
    for (Thread w : workers) {
      w.join();
    }
    done.set(true);
    flusher.join();
    log.flush();

    long today = UtcDays.of(START.toEpochMilli());
    long total = (long) threads * perThread;
    assertThat(store.adds.get()).as("batches written").isGreaterThan(1);
    assertThat(store.dayRequests(key.sid(), today)).isEqualTo(total);
    assertThat(
            store.addressRequests(key.sid(), "10.0.0.1", today)
                + store.addressRequests(key.sid(), "10.0.0.2", today))
        .isEqualTo(total);
    assertThat(store.permissionRequests(key.sid(), "/twilio/accounts/accounts/read", today))
        .isEqualTo(total);
  }

  @Test
  void aPermissionCheckCountedAfterItsRequestWasWrittenIsWrittenNext() {
    PermissionCounter counter = log.authenticated(key, "10.0.0.1", clock.millis());
    log.flush();
    counter.used(Permission.EVENTS_READ);

    log.flush();

    assertThat(
            store.permissionRequests(
                key.sid(), "/twilio/monitor/events/read", UtcDays.of(START.toEpochMilli())))
        .isEqualTo(1);
  }

  @Test
  void aFailedWriteLeavesTheCountsForTheNextOne() {
    request(key, "10.0.0.1");
    store.failNextAdd = true;
    assertThatThrownBy(log::flush).isInstanceOf(IllegalStateException.class);
    request(key, "10.0.0.1");

    log.flush();

    assertThat(store.dayRequests(key.sid(), UtcDays.of(START.toEpochMilli()))).isEqualTo(2);
  }

  @Test
  void requestsAreCountedOnTheirUtcDayAndEarlierDaysAreForgottenOnceWritten() {
    clock.advance(Duration.ofHours(14).minusSeconds(1)); // 23:59:59Z
    long day = UtcDays.of(clock.millis());
    request(key, "10.0.0.1");
    request(key, "10.0.0.1");
    clock.advance(Duration.ofSeconds(2));
    request(key, "10.0.0.1");

    log.flush();

    assertThat(store.dayRequests(key.sid(), day)).isEqualTo(2);
    assertThat(store.dayRequests(key.sid(), day + 1)).isEqualTo(1);
    // The day before stays one more write, for a request thread that read it just before midnight.
    log.flush();
    assertThat(log.countedDays()).containsExactly(day + 1);
  }

  /** Usage kept in maps; every call counted. */
  static final class MemoryUsageStore implements KeyUsageStore {
    final AtomicInteger calls = new AtomicInteger();
    final AtomicInteger adds = new AtomicInteger();
    volatile boolean failNextAdd;
    volatile long writeMillis;
    private final Map<String, Long> days = new HashMap<>();
    private final Map<String, Long> addresses = new HashMap<>();
    private final Map<String, Long> permissions = new HashMap<>();
    private final Set<String> claimed = new HashSet<>();

    synchronized long dayRequests(KeySid key, long day) {
      return days.getOrDefault(key.value() + "/" + day, 0L);
    }

    synchronized long addressRequests(KeySid key, String address, long day) {
      return addresses.getOrDefault(key.value() + "/" + address + "/" + day, 0L);
    }

    synchronized long permissionRequests(KeySid key, String permission, long day) {
      return permissions.getOrDefault(key.value() + "/" + permission + "/" + day, 0L);
    }

    @Override
    public <T> T inTransaction(Supplier<T> work) {
      calls.incrementAndGet();
      synchronized (this) {
        return work.get();
      }
    }

    @Override
    public synchronized void add(UsageBatch batch) {
      calls.incrementAndGet();
      if (failNextAdd) {
        failNextAdd = false;
        throw new IllegalStateException("database away");
      }
      adds.incrementAndGet();
      if (writeMillis > 0) {
        try {
          Thread.sleep(writeMillis);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      batch
          .days()
          .forEach(d -> days.merge(d.key().value() + "/" + d.day(), d.requests(), Long::sum));
      batch
          .addresses()
          .forEach(
              a ->
                  addresses.merge(
                      a.key().value() + "/" + a.address() + "/" + a.day(),
                      a.requests(),
                      Long::sum));
      batch
          .permissions()
          .forEach(
              p ->
                  permissions.merge(
                      p.key().value() + "/" + p.permission() + "/" + p.day(),
                      p.requests(),
                      Long::sum));
    }

    @Override
    public synchronized Set<String> knownAddresses(KeySid key, Collection<String> candidates) {
      calls.incrementAndGet();
      Set<String> known = new HashSet<>();
      for (String a : candidates) {
        if (addresses.keySet().stream().anyMatch(k -> k.startsWith(key.value() + "/" + a + "/"))) {
          known.add(a);
        }
      }
      return known;
    }

    @Override
    public Optional<Instant> newestAddressFirstSeen(KeySid key) {
      calls.incrementAndGet();
      // Not kept here: the alert rules are covered against real databases (KeyUsageTest).
      return Optional.empty();
    }

    @Override
    public synchronized List<DayTotal> dayTotals(
        Collection<KeySid> keys, long fromDay, long toDay) {
      calls.incrementAndGet();
      List<DayTotal> out = new ArrayList<>();
      for (KeySid k : keys) {
        for (long d = fromDay; d <= toDay; d++) {
          Long n = days.get(k.value() + "/" + d);
          if (n != null) {
            out.add(new DayTotal(k, d, n, claimed.contains(k.value() + "/" + d + "/VOLUME")));
          }
        }
      }
      return out;
    }

    @Override
    public synchronized boolean claimAlert(KeySid key, long day, Alert alert) {
      calls.incrementAndGet();
      return claimed.add(key.value() + "/" + day + "/" + alert);
    }

    @Override
    public int pruneBefore(long day) {
      calls.incrementAndGet();
      return 0;
    }

    @Override
    public List<DaySummary> days(KeySid key, long fromDay) {
      throw new UnsupportedOperationException();
    }

    @Override
    public List<AddressSummary> addresses(KeySid key, long fromDay, int limit) {
      throw new UnsupportedOperationException();
    }

    @Override
    public long distinctAddresses(KeySid key, long fromDay) {
      throw new UnsupportedOperationException();
    }

    @Override
    public Optional<LastUse> lastUse(KeySid key) {
      calls.incrementAndGet();
      return Optional.empty();
    }

    @Override
    public List<PermissionSummary> permissions(KeySid key, long fromDay) {
      throw new UnsupportedOperationException();
    }
  }
}
