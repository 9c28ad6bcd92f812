package io.callsign.server.cluster;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/**
 * Reads the change log ({@code cluster_changes}, migration V10) by snapshot.
 *
 * <p>Ids are drawn when a row is written, not when it commits: a change with a smaller id may
 * commit after one with a larger id was read, so "ids above the last one read" can skip a change
 * for good. Instead each read remembers the database's snapshot at that moment and the next one
 * asks for exactly the changes that snapshot did not see ({@code pg_visible_in_snapshot}), found
 * through the index on the writing transaction's id: every committed change is read once, whatever
 * the order of commits.
 */
final class ChangeLog {
  private final Jdbi jdbi;

  /**
   * What one read found.
   *
   * @param snapshot the snapshot the read saw: the starting point of the next read
   * @param changes the changes committed since the previous snapshot, oldest id first
   * @param overflow whether there were more than asked for ({@code changes} is then incomplete)
   */
  record Read(String snapshot, List<Change> changes, boolean overflow) {}

  ChangeLog(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  /** The database's current snapshot, to read changes since. */
  String snapshot() {
    return jdbi.withHandle(
        h -> h.createQuery("SELECT pg_current_snapshot()::text").mapTo(String.class).one());
  }

  /**
   * The changes committed since {@code snapshot}, at most {@code max} of them, with the snapshot
   * they were read in. One statement, so that the rows and the new snapshot agree.
   */
  Read since(String snapshot, int max) {
    return jdbi.withHandle(
        h -> {
          List<String> snapshots = new ArrayList<>(1);
          List<Change> changes = new ArrayList<>();
          h.createQuery(
                  "SELECT s.now::text AS snapshot, c.id, c.kind, c.sid, c.changed_at, c.origin"
                      + " FROM (SELECT pg_current_snapshot() AS now) s"
                      + " LEFT JOIN LATERAL (SELECT id, kind, sid, changed_at, origin"
                      + "   FROM cluster_changes"
                      + "   WHERE tx >= pg_snapshot_xmin(CAST(:since AS pg_snapshot))"
                      + "     AND NOT pg_visible_in_snapshot(tx, CAST(:since AS pg_snapshot))"
                      + "   ORDER BY id LIMIT :limit) c ON true")
              .bind("since", snapshot)
              .bind("limit", max + 1)
              .map(
                  (rs, ctx) -> {
                    if (snapshots.isEmpty()) {
                      snapshots.add(rs.getString("snapshot"));
                    }
                    long id = rs.getLong("id");
                    if (rs.wasNull()) {
                      return Optional.<Change>empty();
                    }
                    String entry = rs.getString("sid");
                    long changedAt = rs.getLong("changed_at");
                    String origin = rs.getString("origin");
                    return ChangeKind.ofWire(rs.getString("kind"))
                        .map(k -> new Change(id, k, entry, changedAt, origin));
                  })
              .forEach(c -> c.ifPresent(changes::add));
          boolean overflow = changes.size() > max;
          return new Read(
              snapshots.getFirst(), overflow ? changes.subList(0, max) : changes, overflow);
        });
  }

  /** Deletes the changes logged more than {@code keep} ago (on the database's clock). */
  int prune(Duration keep) {
    return jdbi.withHandle(
        h ->
            h.createUpdate(
                    "DELETE FROM cluster_changes WHERE changed_at"
                        + " < (extract(epoch FROM now()) * 1000)::BIGINT - :keep")
                .bind("keep", keep.toMillis())
                .execute());
  }

  /**
   * The {@code xmin} of a snapshot's text ({@code xmin:xmax:xip,...}): every transaction below it
   * had ended when the snapshot was taken, so it never decreases while the database keeps its
   * history.
   */
  static long xmin(String snapshot) {
    int colon = snapshot.indexOf(':');
    return Long.parseUnsignedLong(colon < 0 ? snapshot : snapshot.substring(0, colon));
  }
}
