package io.callsign.server.usage;

import io.callsign.server.audit.Audit;
import io.callsign.server.audit.NewEvent;
import io.callsign.server.config.KeyUsageConfig;
import io.callsign.server.http.KeyUsageRecorder;
import io.callsign.server.keys.Key;
import io.callsign.server.usage.UsageCounters.AddressCounters;
import io.callsign.server.usage.UsageCounters.DayCounters;
import io.callsign.server.usage.UsageCounters.KeyCounters;
import io.callsign.tokens.sid.KeySid;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records what API keys do: request threads count in memory ({@link #authenticated}); one
 * background thread writes the counts every {@link KeyUsageConfig#flushInterval()} and once more on
 * {@link #close}, and raises the usage alerts (docs/design/0012-key-usage.md):
 *
 * <ul>
 *   <li>{@code api-key.new-address}: the key is used from an address it was never used from, and it
 *       had gained no new address (nor been first used) for {@link KeyUsageConfig#quietDays()};
 *   <li>{@code api-key.volume-spike}: the key's requests on a day exceed both {@link
 *       KeyUsageConfig#spikeFactor()} times its daily average over the {@link
 *       KeyUsageConfig#baselineDays()} before and {@link KeyUsageConfig#spikeFloor()}.
 * </ul>
 *
 * Each is raised at most once per key and UTC day, recorded in the audit trail in the transaction
 * that writes the counts that raised it.
 */
public final class KeyUsageLog implements KeyUsageRecorder, AutoCloseable {
  /** The event type of the new-address alert. */
  public static final String NEW_ADDRESS_EVENT = "api-key.new-address";

  /** The event type of the volume alert. */
  public static final String VOLUME_EVENT = "api-key.volume-spike";

  private static final Logger LOG = LoggerFactory.getLogger(KeyUsageLog.class);
  private static final String RESOURCE = "api-key";

  private final KeyUsageStore store;
  private final Audit audit;
  private final KeyUsageConfig config;
  private final Clock clock;
  private final UsageCounters counters;
  private final Thread writer;
  private final CountDownLatch closing = new CountDownLatch(1);
  private final Counter writeFailures;
  private final Counter newAddressAlerts;
  private final Counter volumeAlerts;
  private long prunedDay = Long.MIN_VALUE;
  private long untrackedReported;

  /**
   * A log writing to {@code store} and raising alerts through {@code audit}, with the thresholds of
   * {@code config}, taking days from {@code clock}, counting its failed writes, alerts and
   * unitemized requests in {@code metrics} (counts only: no SID, no address).
   */
  public KeyUsageLog(
      KeyUsageStore store, Audit audit, KeyUsageConfig config, Clock clock, MeterRegistry metrics) {
    this.store = store;
    this.audit = audit;
    this.config = config;
    this.clock = clock;
    this.counters = new UsageCounters(UtcDays.of(clock.millis()));
    this.writer = Thread.ofPlatform().daemon().name("key-usage-writer").unstarted(this::writeLoop);
    this.writeFailures =
        Counter.builder("callsign.key_usage.write_failures")
            .description("Writes of API-key usage that failed and will be retried")
            .register(metrics);
    this.newAddressAlerts = alerts(metrics, "new_address");
    this.volumeAlerts = alerts(metrics, "volume_spike");
    FunctionCounter.builder(
            "callsign.key_usage.unitemized_requests", counters, UsageCounters::untrackedAddresses)
        .description(
            "Key requests from addresses beyond the per-key daily limit, counted but not itemized")
        .register(metrics);
  }

  private static Counter alerts(MeterRegistry metrics, String type) {
    return Counter.builder("callsign.key_usage.alerts")
        .description("API-key usage alerts raised")
        .tag("type", type)
        .register(metrics);
  }

  /** Starts the background writer. */
  public void start() {
    writer.start();
  }

  @Override
  public PermissionCounter authenticated(Key key, String address, long epochMillis) {
    return counters.count(key, address, epochMillis);
  }

  /** The days whose counters are held in memory, oldest first. */
  List<Long> countedDays() {
    return counters.days().stream().map(d -> d.day).toList();
  }

  private void writeLoop() {
    long interval = config.flushInterval().toMillis();
    while (true) {
      try {
        if (closing.await(interval, TimeUnit.MILLISECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        return;
      }
      try {
        flush();
        prune();
      } catch (RuntimeException e) {
        writeFailures.increment();
        // The database is away: the counters keep growing and the next write takes it all.
        LOG.warn("Cannot write API-key usage yet: {}", e.getMessage());
      }
    }
  }

  /** Stops the writer, then writes what is left. */
  @Override
  public void close() {
    closing.countDown();
    try {
      // join(long), unlike join(Duration), also returns for a writer never started.
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      flush();
    } catch (RuntimeException e) {
      LOG.warn("Could not write the last API-key usage on shutdown: {}", e.getMessage());
    }
  }

  /** Writes every count not written yet, and raises the alerts they call for. */
  public synchronized void flush() {
    List<DayCounters> days = counters.days();
    Snapshot s = snapshot(days);
    if (!s.batch().isEmpty()) {
      // What this node learns about raised alerts, believed only once the write commits.
      List<Runnable> onCommit = new ArrayList<>();
      store.inTransaction(
          () -> {
            List<NewAddress> newAddresses = newAddresses(s);
            store.add(s.batch());
            List<NewEvent> alerts = new ArrayList<>();
            for (NewAddress n : newAddresses) {
              if (store.claimAlert(n.key().sid, n.key().day, KeyUsageStore.Alert.NEW_ADDRESS)) {
                alerts.add(newAddressEvent(n));
                onCommit.add(newAddressAlerts::increment);
              }
              onCommit.add(() -> n.key().newAddressAlerted = true);
            }
            alerts.addAll(volumeAlerts(s, onCommit));
            // In this transaction: the counts, the claimed alerts and their events commit
            // together, so an alert is recorded once and never lost.
            for (NewEvent e : alerts) {
              audit.atomically(() -> e, x -> x);
            }
            return null;
          });
      s.markWritten();
      onCommit.forEach(Runnable::run);
    }
    counters.forget(days);
    long untracked = counters.untrackedAddresses();
    if (untracked > untrackedReported) {
      LOG.warn(
          "{} requests came from addresses beyond {} per key and day and were not itemized",
          untracked,
          UsageCounters.MAX_ADDRESSES_PER_KEY_DAY);
      untrackedReported = untracked;
    }
  }

  // By the writer, once a day (and soon after each start): usage older than the retention goes.
  private void prune() {
    long today = UtcDays.of(clock.millis());
    if (today != prunedDay) {
      int n = store.pruneBefore(today - config.retentionDays());
      if (n > 0) {
        LOG.info("Deleted {} rows of API-key usage older than {} days", n, config.retentionDays());
      }
      prunedDay = today;
    }
  }

  /** What the counters hold beyond what was written, and how to mark it written afterwards. */
  private record Snapshot(
      UsageBatch batch,
      List<KeyCounters> keys,
      List<Long> requests,
      Map<KeyCounters, long[]> permissions,
      Map<KeyCounters, List<AddressCounters>> fresh,
      List<AddressCounters> addresses,
      List<Long> addressRequests) {

    void markWritten() {
      for (int i = 0; i < keys.size(); i++) {
        keys.get(i).writtenRequests = requests.get(i);
      }
      permissions.forEach(
          (k, seen) -> System.arraycopy(seen, 0, k.writtenPermissions, 0, seen.length));
      for (int i = 0; i < addresses.size(); i++) {
        addresses.get(i).written = addressRequests.get(i);
      }
    }
  }

  private static Snapshot snapshot(List<DayCounters> days) {
    List<UsageBatch.DayCount> dayCounts = new ArrayList<>();
    List<UsageBatch.AddressCount> addressCounts = new ArrayList<>();
    List<UsageBatch.PermissionCount> permissionCounts = new ArrayList<>();
    List<KeyCounters> keys = new ArrayList<>();
    List<Long> requests = new ArrayList<>();
    Map<KeyCounters, long[]> permissions = new HashMap<>();
    Map<KeyCounters, List<AddressCounters>> fresh = new LinkedHashMap<>();
    List<AddressCounters> addresses = new ArrayList<>();
    List<Long> addressRequests = new ArrayList<>();
    for (DayCounters d : days) {
      for (KeyCounters k : d.keys.values()) {
        // Each counter on its own: a request is counted in several steps (requests, address,
        // permission), and a write may fall between them.
        long total = k.requests.sum();
        if (total != k.writtenRequests) {
          keys.add(k);
          requests.add(total);
          dayCounts.add(new UsageBatch.DayCount(k.sid, k.day, total - k.writtenRequests));
        }
        for (AddressCounters a : k.addresses.values()) {
          long n = a.requests.sum();
          if (n == a.written) {
            continue;
          }
          addresses.add(a);
          addressRequests.add(n);
          addressCounts.add(
              new UsageBatch.AddressCount(
                  k.sid, a.address, k.day, n - a.written, a.firstSeen, a.lastSeen));
          if (a.written == 0) {
            // New to this node today: whether it is new to the key is asked before writing.
            fresh.computeIfAbsent(k, x -> new ArrayList<>()).add(a);
          }
        }
        long[] seen = new long[k.permissions.length];
        boolean used = false;
        for (int i = 0; i < seen.length; i++) {
          seen[i] = k.permissions[i].sum();
          if (seen[i] != k.writtenPermissions[i]) {
            used = true;
            permissionCounts.add(
                new UsageBatch.PermissionCount(
                    k.sid,
                    KeyCounters.permission(i).wireName(),
                    k.day,
                    seen[i] - k.writtenPermissions[i],
                    k.permissionLastUsed.get(i)));
          }
        }
        if (used) {
          permissions.put(k, seen);
        }
      }
    }
    // Rows in one order on every node, so that concurrent writers lock them in the same order.
    dayCounts.sort(
        Comparator.comparing((UsageBatch.DayCount c) -> c.key().value())
            .thenComparingLong(UsageBatch.DayCount::day));
    addressCounts.sort(
        Comparator.comparing((UsageBatch.AddressCount c) -> c.key().value())
            .thenComparingLong(UsageBatch.AddressCount::day)
            .thenComparing(UsageBatch.AddressCount::address));
    permissionCounts.sort(
        Comparator.comparing((UsageBatch.PermissionCount c) -> c.key().value())
            .thenComparingLong(UsageBatch.PermissionCount::day)
            .thenComparing(UsageBatch.PermissionCount::permission));
    return new Snapshot(
        new UsageBatch(dayCounts, addressCounts, permissionCounts),
        keys,
        requests,
        permissions,
        fresh,
        addresses,
        addressRequests);
  }

  /** Addresses new to a key that had been quiet, as found before the batch is written. */
  private record NewAddress(
      KeyCounters key,
      List<AddressCounters> unseen,
      Instant newest,
      Optional<KeyUsageStore.LastUse> previous,
      long quietMillis) {}

  // Judged against the stored usage before this batch is added to it.
  private List<NewAddress> newAddresses(Snapshot s) {
    List<NewAddress> found = new ArrayList<>();
    long quietMillis = Duration.ofDays(config.quietDays()).toMillis();
    for (Map.Entry<KeyCounters, List<AddressCounters>> e : s.fresh().entrySet()) {
      KeyCounters k = e.getKey();
      if (k.newAddressAlerted) {
        continue;
      }
      List<AddressCounters> candidates = e.getValue();
      Set<String> known =
          store.knownAddresses(k.sid, candidates.stream().map(a -> a.address).toList());
      List<AddressCounters> unseen =
          candidates.stream()
              .filter(a -> !known.contains(a.address))
              .sorted(
                  Comparator.comparingLong((AddressCounters a) -> a.firstSeen)
                      .thenComparing(a -> a.address))
              .toList();
      if (unseen.isEmpty()) {
        continue;
      }
      // A key's first use has nothing to compare with.
      Optional<Instant> newest = store.newestAddressFirstSeen(k.sid);
      if (newest.isEmpty()) {
        continue;
      }
      long quietFor = unseen.getFirst().firstSeen - newest.get().toEpochMilli();
      if (quietFor >= quietMillis) {
        found.add(new NewAddress(k, unseen, newest.get(), store.lastUse(k.sid), quietFor));
      }
    }
    return found;
  }

  private NewEvent newAddressEvent(NewAddress n) {
    long quietDays = n.quietMillis() / UtcDays.MILLIS_PER_DAY;
    AddressCounters first = n.unseen().getFirst();
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("ip_addresses", n.unseen().stream().map(a -> a.address).toList());
    data.put("first_seen_date", iso(Instant.ofEpochMilli(first.firstSeen)));
    data.put("previous_new_address_date", iso(n.newest()));
    data.put("previous_last_used_date", n.previous().map(p -> iso(p.at())).orElse(null));
    data.put(
        "previous_last_used_ip_address",
        n.previous().map(KeyUsageStore.LastUse::address).orElse(null));
    data.put("days_without_new_address", quietDays);
    data.put("quiet_days", config.quietDays());
    return alert(
        n.key(),
        NEW_ADDRESS_EVENT,
        first.address,
        Instant.ofEpochMilli(first.firstSeen),
        "API key used from a new address after " + quietDays + " days without one",
        data);
  }

  // Judged against the stored usage once this batch is added to it, so that every node's counts
  // of the day are in.
  private List<NewEvent> volumeAlerts(Snapshot s, List<Runnable> onCommit) {
    List<KeyCounters> candidates =
        s.keys().stream().filter(k -> !k.volumeAlerted && baselineDays(k) > 0).toList();
    if (candidates.isEmpty()) {
      return List.of();
    }
    long from =
        candidates.stream().mapToLong(k -> k.day).min().orElseThrow() - config.baselineDays();
    long to = candidates.stream().mapToLong(k -> k.day).max().orElseThrow();
    Map<KeySid, Map<Long, KeyUsageStore.DayTotal>> totals = new HashMap<>();
    for (KeyUsageStore.DayTotal t :
        store.dayTotals(candidates.stream().map(k -> k.sid).toList(), from, to)) {
      totals.computeIfAbsent(t.key(), x -> new HashMap<>()).put(t.day(), t);
    }
    List<NewEvent> events = new ArrayList<>();
    for (KeyCounters k : candidates) {
      Map<Long, KeyUsageStore.DayTotal> byDay = totals.getOrDefault(k.sid, Map.of());
      KeyUsageStore.DayTotal today = byDay.get(k.day);
      if (today == null || today.requests() <= config.spikeFloor()) {
        continue;
      }
      if (today.volumeAlerted()) {
        onCommit.add(() -> k.volumeAlerted = true);
        continue;
      }
      int baseline = baselineDays(k);
      long sum = 0;
      for (long d = k.day - baseline; d < k.day; d++) {
        KeyUsageStore.DayTotal t = byDay.get(d);
        sum += t == null ? 0 : t.requests();
      }
      double average = (double) sum / baseline;
      double threshold = Math.max(config.spikeFactor() * average, config.spikeFloor());
      if (today.requests() > threshold) {
        if (store.claimAlert(k.sid, k.day, KeyUsageStore.Alert.VOLUME)) {
          events.add(volumeEvent(k, today.requests(), average, baseline, threshold));
          onCommit.add(volumeAlerts::increment);
        }
        onCommit.add(() -> k.volumeAlerted = true);
      }
    }
    return events;
  }

  // The days of usual level a key has on its day: none on the day it was created.
  private int baselineDays(KeyCounters k) {
    long age = k.day - UtcDays.of(k.createdMillis);
    return (int) Math.max(0, Math.min(config.baselineDays(), age));
  }

  private NewEvent volumeEvent(
      KeyCounters k, long requests, double average, int baseline, double threshold) {
    Map<String, Object> data = new LinkedHashMap<>();
    data.put("date", UtcDays.date(k.day).toString());
    data.put("requests", requests);
    data.put("baseline_daily_average", Math.round(average * 100) / 100.0);
    data.put("baseline_days", baseline);
    data.put("threshold", Math.round(threshold * 100) / 100.0);
    data.put("spike_factor", config.spikeFactor());
    data.put("spike_floor", config.spikeFloor());
    return alert(
        k,
        VOLUME_EVENT,
        null,
        clock.instant(),
        "API key made "
            + requests
            + " requests on "
            + UtcDays.date(k.day)
            + ", above "
            + config.spikeFactor()
            + "x its "
            + baseline
            + "-day average of "
            + Math.round(average * 100) / 100.0,
        data);
  }

  private static NewEvent alert(
      KeyCounters k,
      String type,
      String address,
      Instant when,
      String description,
      Map<String, Object> data) {
    return new NewEvent(
        k.account.value(),
        k.sid.value(),
        RESOURCE,
        type,
        k.sid.value(),
        RESOURCE,
        "system",
        address,
        null,
        when,
        description,
        data);
  }

  private static String iso(Instant t) {
    return DateTimeFormatter.ISO_INSTANT.format(t.truncatedTo(ChronoUnit.SECONDS));
  }
}
