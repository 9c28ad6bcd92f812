package io.callsign.server.usage;

import io.callsign.server.http.KeyUsageRecorder;
import io.callsign.server.http.Permission;
import io.callsign.server.keys.Key;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.LongAdder;

/**
 * The in-memory side of key usage: counters per UTC day and key that request threads increment
 * (lock-free: a map lookup and {@link LongAdder} increments) and the writer reads.
 *
 * <p>Counters only grow. The writer remembers what it has written of each and writes the
 * difference, so that a request counted while it reads is never lost nor counted twice, and a
 * failed write is simply retried with more.
 */
final class UsageCounters {
  /**
   * The most source addresses tracked per key and day: a stolen key used from very many addresses
   * cannot exhaust memory. Requests beyond still count towards the key's total.
   */
  static final int MAX_ADDRESSES_PER_KEY_DAY = 1_000;

  private static final Permission[] PERMISSIONS = Permission.values();

  private final Object rotation = new Object();
  private volatile DayCounters current;
  // Earlier days still being written out, guarded by rotation.
  private final List<DayCounters> earlier = new ArrayList<>();
  private final LongAdder untrackedAddresses = new LongAdder();

  UsageCounters(long today) {
    this.current = new DayCounters(today);
  }

  /** Counts a request by {@code key} from {@code address} (may be {@code null}) at that time. */
  KeyCounters count(Key key, String address, long epochMillis) {
    long day = UtcDays.of(epochMillis);
    DayCounters d = current;
    if (d.day != day) {
      d = dayCounters(day);
    }
    KeyCounters k = d.keys.get(key.sid());
    if (k == null) {
      k = d.keys.computeIfAbsent(key.sid(), sid -> new KeyCounters(key, day));
    }
    k.requests.increment();
    if (epochMillis > k.lastRequest) {
      k.lastRequest = epochMillis;
    }
    if (address != null) {
      countAddress(k, address, epochMillis);
    }
    return k;
  }

  private void countAddress(KeyCounters k, String address, long epochMillis) {
    AddressCounters a = k.addresses.get(address);
    if (a == null) {
      if (k.addresses.size() >= MAX_ADDRESSES_PER_KEY_DAY) {
        untrackedAddresses.increment();
        return;
      }
      a = k.addresses.computeIfAbsent(address, ip -> new AddressCounters(ip, epochMillis));
    }
    a.requests.increment();
    if (epochMillis > a.lastSeen) {
      a.lastSeen = epochMillis;
    }
  }

  // Rare: the first request of a new day (or one of a day already left behind).
  private DayCounters dayCounters(long day) {
    synchronized (rotation) {
      DayCounters now = current;
      if (now.day == day) {
        return now;
      }
      for (DayCounters e : earlier) {
        if (e.day == day) {
          return e;
        }
      }
      DayCounters fresh = new DayCounters(day);
      if (day > now.day) {
        earlier.add(now);
        current = fresh;
      } else {
        earlier.add(fresh);
      }
      return fresh;
    }
  }

  /** Every day with counters, oldest first. */
  List<DayCounters> days() {
    synchronized (rotation) {
      List<DayCounters> all = new ArrayList<>(earlier);
      all.add(current);
      return all;
    }
  }

  /**
   * Forgets the earlier days in {@code written}: the writer has written all of them, and they were
   * already earlier days during a previous write, so no request thread is still about to count into
   * them.
   */
  void forget(List<DayCounters> written) {
    synchronized (rotation) {
      for (DayCounters d : written) {
        if (d != current && d.seenEarlier) {
          earlier.remove(d);
        } else if (d != current) {
          d.seenEarlier = true;
        }
      }
    }
  }

  /** How many requests came from an address beyond {@link #MAX_ADDRESSES_PER_KEY_DAY}. */
  long untrackedAddresses() {
    return untrackedAddresses.sum();
  }

  /** One UTC day's counters. */
  static final class DayCounters {
    final long day;
    final ConcurrentHashMap<KeySid, KeyCounters> keys = new ConcurrentHashMap<>();
    // The writer's: whether a previous write already found this day left behind.
    boolean seenEarlier;

    DayCounters(long day) {
      this.day = day;
    }
  }

  /** One key's counters on one day; its request's permission checks count here too. */
  static final class KeyCounters implements KeyUsageRecorder.PermissionCounter {
    final KeySid sid;
    final AccountSid account;
    final long createdMillis;
    final long day;
    final LongAdder requests = new LongAdder();
    volatile long lastRequest;
    final ConcurrentHashMap<String, AddressCounters> addresses = new ConcurrentHashMap<>(4);
    final LongAdder[] permissions = new LongAdder[PERMISSIONS.length];
    final AtomicLongArray permissionLastUsed = new AtomicLongArray(PERMISSIONS.length);

    // The writer's: what it has written so far, and which alerts this day has raised.
    long writtenRequests;
    final long[] writtenPermissions = new long[PERMISSIONS.length];
    boolean newAddressAlerted;
    boolean volumeAlerted;

    KeyCounters(Key key, long day) {
      this.sid = key.sid();
      this.account = key.accountSid();
      this.createdMillis = key.dateCreated().toEpochMilli();
      this.day = day;
      for (int i = 0; i < permissions.length; i++) {
        permissions[i] = new LongAdder();
      }
    }

    @Override
    public void used(Permission permission) {
      int i = permission.ordinal();
      permissions[i].increment();
      // The time of the key's latest request: close enough, and no clock read on this path.
      long at = lastRequest;
      if (permissionLastUsed.get(i) < at) {
        permissionLastUsed.set(i, at);
      }
    }

    static Permission permission(int ordinal) {
      return PERMISSIONS[ordinal];
    }
  }

  /** One key's requests from one address on one day. */
  static final class AddressCounters {
    final String address;
    final long firstSeen;
    final LongAdder requests = new LongAdder();
    volatile long lastSeen;

    // The writer's: requests written so far.
    long written;

    AddressCounters(String address, long firstSeen) {
      this.address = address;
      this.firstSeen = firstSeen;
      this.lastSeen = firstSeen;
    }
  }
}
