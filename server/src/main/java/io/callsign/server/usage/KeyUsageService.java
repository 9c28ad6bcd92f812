package io.callsign.server.usage;

import io.callsign.server.http.CredentialKind;
import io.callsign.server.http.Permission;
import io.callsign.server.http.Principal;
import io.callsign.server.keys.Key;
import io.callsign.server.keys.KeyType;
import io.callsign.server.keys.Policy;
import java.time.Clock;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads API-key usage: the usage report and the least-privilege suggestion. Windows are whole UTC
 * days ending today. No HTTP types; callers check permissions and that the key is the caller's.
 */
public final class KeyUsageService {
  /** The window when none is asked for. */
  public static final int DEFAULT_DAYS = 30;

  /** The longest window. */
  public static final int MAX_DAYS = 90;

  /** The most addresses a report lists (it counts them all). */
  public static final int MAX_ADDRESSES_LISTED = 100;

  private final KeyUsageStore store;
  private final Clock clock;

  /** A service reading {@code store}, taking today from {@code clock}. */
  public KeyUsageService(KeyUsageStore store, Clock clock) {
    this.store = store;
    this.clock = clock;
  }

  /** What {@code key} did in the last {@code days} days (1 to {@link #MAX_DAYS}). */
  public KeyUsageReport usage(Key key, int days) {
    long today = UtcDays.of(clock.millis());
    long from = firstDay(today, days);
    Map<Long, KeyUsageStore.DaySummary> stored = new HashMap<>();
    for (KeyUsageStore.DaySummary d : store.days(key.sid(), from)) {
      stored.put(d.day(), d);
    }
    List<KeyUsageReport.Day> window = new ArrayList<>(days);
    long requests = 0;
    for (long day = from; day <= today; day++) {
      KeyUsageStore.DaySummary d = stored.get(day);
      long n = d == null ? 0 : d.requests();
      requests += n;
      window.add(
          new KeyUsageReport.Day(UtcDays.date(day), n, d == null ? 0 : d.distinctAddresses()));
    }
    List<KeyUsageReport.Address> addresses =
        store.addresses(key.sid(), from, MAX_ADDRESSES_LISTED).stream()
            .map(
                a ->
                    new KeyUsageReport.Address(
                        a.address(), a.firstSeen(), a.lastSeen(), a.requests()))
            .toList();
    Optional<KeyUsageStore.LastUse> last = store.lastUse(key.sid());
    return new KeyUsageReport(
        key.accountSid(),
        key.sid(),
        days,
        UtcDays.date(from),
        UtcDays.date(today),
        last.map(KeyUsageStore.LastUse::at).orElse(null),
        last.map(KeyUsageStore.LastUse::address).orElse(null),
        requests,
        store.distinctAddresses(key.sid(), from),
        addresses,
        window);
  }

  /**
   * The least privilege {@code key} needed in the last {@code days} days (1 to {@link #MAX_DAYS}):
   * the permissions it used, the least key type and restricted policy that would have done.
   */
  public PolicySuggestion suggestPolicy(Key key, int days) {
    long today = UtcDays.of(clock.millis());
    List<KeyUsageStore.PermissionSummary> stored =
        store.permissions(key.sid(), firstDay(today, days));
    Set<Permission> used = EnumSet.noneOf(Permission.class);
    List<PolicySuggestion.Use> uses = new ArrayList<>();
    for (KeyUsageStore.PermissionSummary s : stored) {
      Optional<Permission> p = Permission.ofWireName(s.permission());
      p.ifPresent(used::add);
      boolean grantable = p.map(x -> x.policyName() != null).orElse(false);
      uses.add(new PolicySuggestion.Use(s.permission(), grantable, s.requests(), s.lastUsed()));
    }
    KeyType least = leastKeyType(used);
    List<String> grantable =
        used.stream().map(Permission::policyName).filter(n -> n != null).sorted().toList();
    Policy suggested = grantable.isEmpty() ? null : new Policy(grantable);
    Policy current = key.policy();
    List<String> unused = new ArrayList<>();
    List<String> unobserved = new ArrayList<>();
    if (current != null) {
      for (String name : current.allow()) {
        Optional<Permission> p = Permission.ofWireName(name).filter(x -> x.policyName() != null);
        if (p.isEmpty()) {
          unobserved.add(name);
        } else if (!used.contains(p.get())) {
          unused.add(name);
        }
      }
    } else {
      CredentialKind kind = CredentialKind.of(key.type());
      for (Permission p : Permission.values()) {
        if (Principal.holds(kind, null, p) && !used.contains(p)) {
          unused.add(p.wireName());
        }
      }
    }
    return new PolicySuggestion(
        key.accountSid(),
        key.sid(),
        key.type(),
        days,
        uses,
        least,
        suggested,
        current,
        unused,
        unobserved,
        explain(key.type(), days, used, least, unused, unobserved));
  }

  private static long firstDay(long today, int days) {
    if (days < 1 || days > MAX_DAYS) {
      throw new IllegalArgumentException("days must be between 1 and " + MAX_DAYS);
    }
    return today - days + 1;
  }

  // Restricted when a policy can grant all of it; else standard when a standard key holds it all.
  private static KeyType leastKeyType(Set<Permission> used) {
    if (used.isEmpty()) {
      return null;
    }
    if (used.stream().allMatch(p -> p.policyName() != null)) {
      return KeyType.RESTRICTED;
    }
    return used.stream().allMatch(Permission::standardKeysHold) ? KeyType.STANDARD : KeyType.MAIN;
  }

  private static String explain(
      KeyType type,
      int days,
      Set<Permission> used,
      KeyType least,
      List<String> unused,
      List<String> unobserved) {
    StringBuilder why = new StringBuilder();
    if (least == null) {
      why.append("The key was not used in the last ")
          .append(days)
          .append(days == 1 ? " day" : " days")
          .append(": if nothing needs it, delete it.");
    } else {
      List<String> ungrantable =
          used.stream().filter(p -> p.policyName() == null).map(Permission::wireName).toList();
      switch (least) {
        case MAIN ->
            why.append(
                "The key managed credentials (keys, accounts or auth tokens), which only a main key"
                    + " or the auth token may: it needs to stay a main key.");
        case STANDARD -> {
          why.append("The key used ")
              .append(String.join(", ", ungrantable))
              .append(", which no restricted key may hold: ");
          why.append(
              type == KeyType.MAIN
                  ? "a standard key would have been enough."
                  : "it needs to stay a standard key.");
        }
        case RESTRICTED -> {
          if (type != KeyType.RESTRICTED) {
            why.append(
                "A restricted key with the suggested policy would have been enough: create one"
                    + " (POST /v1/Keys with KeyType=restricted and that Policy), move the client"
                    + " to it, then delete this key.");
          } else if (unused.isEmpty()) {
            why.append("Its policy allows no more than the key used.");
          } else {
            why.append("Its policy allows ")
                .append(unused.size())
                .append(unused.size() == 1 ? " permission" : " permissions")
                .append(" the key did not use: the suggested policy leaves them out.");
          }
        }
      }
    }
    if (!unobserved.isEmpty()) {
      why.append(
          " Its policy also names permissions of products Callsign does not serve"
              + " (unobserved_permissions): their use cannot be seen here, so add back those the"
              + " key needs elsewhere.");
    }
    return why.toString();
  }
}
