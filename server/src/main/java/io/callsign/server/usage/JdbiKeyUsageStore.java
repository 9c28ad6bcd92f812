package io.callsign.server.usage;

import static io.callsign.server.store.StoreUnavailableException.guard;

import io.callsign.tokens.sid.KeySid;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.Supplier;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;

/**
 * {@link KeyUsageStore} on JDBI. Counts are added with upserts ({@code INSERT ... ON CONFLICT DO
 * UPDATE}, the same text on SQLite and PostgreSQL), guarded so that a key deleted meanwhile gets no
 * rows; calls inside {@link #inTransaction} join its transaction (JDBI hands a nested call on the
 * same thread the same handle).
 */
public final class JdbiKeyUsageStore implements KeyUsageStore {
  // Bounds the parameters of one IN list; SQLite allows 32766 per statement.
  private static final int IN_CHUNK = 500;
  private static final String KEY_EXISTS =
      " WHERE EXISTS (SELECT 1 FROM api_keys WHERE sid = :key)";

  private static final String ADD_DAY =
      "INSERT INTO key_usage_days (key_sid, day, requests) SELECT :key, :day, :requests"
          + KEY_EXISTS
          + " ON CONFLICT (key_sid, day) DO UPDATE"
          + " SET requests = key_usage_days.requests + excluded.requests";

  private static final String ADD_ADDRESS =
      "INSERT INTO key_usage_addresses (key_sid, ip_address, day, requests, first_seen, last_seen)"
          + " SELECT :key, :address, :day, :requests, :firstSeen, :lastSeen"
          + KEY_EXISTS
          + " ON CONFLICT (key_sid, ip_address, day) DO UPDATE"
          + " SET requests = key_usage_addresses.requests + excluded.requests,"
          + " first_seen = CASE WHEN excluded.first_seen < key_usage_addresses.first_seen"
          + " THEN excluded.first_seen ELSE key_usage_addresses.first_seen END,"
          + " last_seen = CASE WHEN excluded.last_seen > key_usage_addresses.last_seen"
          + " THEN excluded.last_seen ELSE key_usage_addresses.last_seen END";

  private static final String ADD_PERMISSION =
      "INSERT INTO key_usage_permissions (key_sid, permission, day, requests, last_used)"
          + " SELECT :key, :permission, :day, :requests, :lastUsed"
          + KEY_EXISTS
          + " ON CONFLICT (key_sid, permission, day) DO UPDATE"
          + " SET requests = key_usage_permissions.requests + excluded.requests,"
          + " last_used = CASE WHEN excluded.last_used > key_usage_permissions.last_used"
          + " THEN excluded.last_used ELSE key_usage_permissions.last_used END";

  private final Jdbi jdbi;

  /** A store over {@code jdbi}. */
  public JdbiKeyUsageStore(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public <T> T inTransaction(Supplier<T> work) {
    return guard(() -> jdbi.inTransaction(h -> work.get()));
  }

  @Override
  public void add(UsageBatch batch) {
    if (batch.isEmpty()) {
      return;
    }
    guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  addDays(h, batch.days());
                  addAddresses(h, batch.addresses());
                  addPermissions(h, batch.permissions());
                  return null;
                }));
  }

  private static void addDays(Handle h, List<UsageBatch.DayCount> days) {
    if (days.isEmpty()) {
      return;
    }
    PreparedBatch b = h.prepareBatch(ADD_DAY);
    for (UsageBatch.DayCount d : days) {
      b.bind("key", d.key().value()).bind("day", d.day()).bind("requests", d.requests()).add();
    }
    b.execute();
  }

  private static void addAddresses(Handle h, List<UsageBatch.AddressCount> addresses) {
    if (addresses.isEmpty()) {
      return;
    }
    PreparedBatch b = h.prepareBatch(ADD_ADDRESS);
    for (UsageBatch.AddressCount a : addresses) {
      b.bind("key", a.key().value())
          .bind("address", a.address())
          .bind("day", a.day())
          .bind("requests", a.requests())
          .bind("firstSeen", a.firstSeen())
          .bind("lastSeen", a.lastSeen())
          .add();
    }
    b.execute();
  }

  private static void addPermissions(Handle h, List<UsageBatch.PermissionCount> permissions) {
    if (permissions.isEmpty()) {
      return;
    }
    PreparedBatch b = h.prepareBatch(ADD_PERMISSION);
    for (UsageBatch.PermissionCount p : permissions) {
      b.bind("key", p.key().value())
          .bind("permission", p.permission())
          .bind("day", p.day())
          .bind("requests", p.requests())
          .bind("lastUsed", p.lastUsed())
          .add();
    }
    b.execute();
  }

  @Override
  public Set<String> knownAddresses(KeySid key, Collection<String> addresses) {
    Set<String> known = new HashSet<>();
    for (List<String> chunk : chunks(new ArrayList<>(addresses))) {
      known.addAll(
          guard(
              () ->
                  jdbi.withHandle(
                      h ->
                          h.createQuery(
                                  "SELECT DISTINCT ip_address FROM key_usage_addresses"
                                      + " WHERE key_sid = :key AND ip_address IN (<addresses>)")
                              .bind("key", key.value())
                              .bindList("addresses", chunk)
                              .mapTo(String.class)
                              .list())));
    }
    return known;
  }

  @Override
  public Optional<Instant> newestAddressFirstSeen(KeySid key) {
    List<Long> newest =
        guard(
            () ->
                jdbi.withHandle(
                    h ->
                        h.createQuery(
                                "SELECT MAX(first_at) FROM (SELECT MIN(first_seen) AS first_at"
                                    + " FROM key_usage_addresses WHERE key_sid = :key"
                                    + " GROUP BY ip_address) firsts")
                            .bind("key", key.value())
                            .map(
                                (rs, ctx) -> {
                                  long v = rs.getLong(1);
                                  return rs.wasNull() ? null : v;
                                })
                            .list()));
    // One row, NULL when the key has no addresses.
    return newest.isEmpty() || newest.getFirst() == null
        ? Optional.empty()
        : Optional.of(Instant.ofEpochMilli(newest.getFirst()));
  }

  @Override
  public List<DayTotal> dayTotals(Collection<KeySid> keys, long fromDay, long toDay) {
    List<DayTotal> out = new ArrayList<>();
    List<String> sids = keys.stream().map(KeySid::value).distinct().toList();
    for (List<String> chunk : chunks(sids)) {
      out.addAll(
          guard(
              () ->
                  jdbi.withHandle(
                      h ->
                          h.createQuery(
                                  "SELECT key_sid, day, requests, volume_alert FROM key_usage_days"
                                      + " WHERE key_sid IN (<keys>) AND day BETWEEN :from AND :to")
                              .bindList("keys", chunk)
                              .bind("from", fromDay)
                              .bind("to", toDay)
                              .map(
                                  (rs, ctx) ->
                                      new DayTotal(
                                          KeySid.of(rs.getString("key_sid")),
                                          rs.getLong("day"),
                                          rs.getLong("requests"),
                                          rs.getInt("volume_alert") != 0))
                              .list())));
    }
    return out;
  }

  @Override
  public boolean claimAlert(KeySid key, long day, Alert alert) {
    // Column names from the enum, never from input.
    String column =
        switch (alert) {
          case NEW_ADDRESS -> "new_address_alert";
          case VOLUME -> "volume_alert";
        };
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createUpdate(
                                "UPDATE key_usage_days SET "
                                    + column
                                    + " = 1 WHERE key_sid = :key AND day = :day AND "
                                    + column
                                    + " = 0")
                            .bind("key", key.value())
                            .bind("day", day)
                            .execute()
                        == 1));
  }

  @Override
  public int pruneBefore(long day) {
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  int n = 0;
                  for (String table :
                      List.of("key_usage_days", "key_usage_addresses", "key_usage_permissions")) {
                    n +=
                        h.createUpdate("DELETE FROM " + table + " WHERE day < :day")
                            .bind("day", day)
                            .execute();
                  }
                  return n;
                }));
  }

  @Override
  public List<DaySummary> days(KeySid key, long fromDay) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery(
                            "SELECT d.day, d.requests, (SELECT COUNT(*) FROM key_usage_addresses a"
                                + " WHERE a.key_sid = d.key_sid AND a.day = d.day) AS addresses"
                                + " FROM key_usage_days d WHERE d.key_sid = :key AND d.day >= :from"
                                + " ORDER BY d.day")
                        .bind("key", key.value())
                        .bind("from", fromDay)
                        .map(
                            (rs, ctx) ->
                                new DaySummary(
                                    rs.getLong("day"),
                                    rs.getLong("requests"),
                                    rs.getLong("addresses")))
                        .list()));
  }

  @Override
  public List<AddressSummary> addresses(KeySid key, long fromDay, int limit) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery(
                            "SELECT ip_address, MIN(first_seen) AS first_seen,"
                                + " MAX(last_seen) AS last_seen, SUM(requests) AS requests"
                                + " FROM key_usage_addresses WHERE key_sid = :key AND day >= :from"
                                + " GROUP BY ip_address ORDER BY MAX(last_seen) DESC, ip_address"
                                + " LIMIT :limit")
                        .bind("key", key.value())
                        .bind("from", fromDay)
                        .bind("limit", limit)
                        .map(
                            (rs, ctx) ->
                                new AddressSummary(
                                    rs.getString("ip_address"),
                                    Instant.ofEpochMilli(rs.getLong("first_seen")),
                                    Instant.ofEpochMilli(rs.getLong("last_seen")),
                                    rs.getLong("requests")))
                        .list()));
  }

  @Override
  public long distinctAddresses(KeySid key, long fromDay) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery(
                            "SELECT COUNT(DISTINCT ip_address) FROM key_usage_addresses"
                                + " WHERE key_sid = :key AND day >= :from")
                        .bind("key", key.value())
                        .bind("from", fromDay)
                        .mapTo(Long.class)
                        .one()));
  }

  @Override
  public Optional<LastUse> lastUse(KeySid key) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery(
                            "SELECT ip_address, last_seen FROM key_usage_addresses"
                                + " WHERE key_sid = :key ORDER BY last_seen DESC, ip_address"
                                + " LIMIT 1")
                        .bind("key", key.value())
                        .map(
                            (rs, ctx) ->
                                new LastUse(
                                    Instant.ofEpochMilli(rs.getLong("last_seen")),
                                    rs.getString("ip_address")))
                        .findFirst()));
  }

  @Override
  public List<PermissionSummary> permissions(KeySid key, long fromDay) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery(
                            "SELECT permission, SUM(requests) AS requests,"
                                + " MAX(last_used) AS last_used FROM key_usage_permissions"
                                + " WHERE key_sid = :key AND day >= :from"
                                + " GROUP BY permission ORDER BY permission")
                        .bind("key", key.value())
                        .bind("from", fromDay)
                        .map(
                            (rs, ctx) ->
                                new PermissionSummary(
                                    rs.getString("permission"),
                                    rs.getLong("requests"),
                                    Instant.ofEpochMilli(rs.getLong("last_used"))))
                        .list()));
  }

  private static <T> List<List<T>> chunks(List<T> all) {
    List<List<T>> out = new ArrayList<>();
    for (int i = 0; i < all.size(); i += IN_CHUNK) {
      out.add(all.subList(i, Math.min(all.size(), i + IN_CHUNK)));
    }
    return out;
  }
}
