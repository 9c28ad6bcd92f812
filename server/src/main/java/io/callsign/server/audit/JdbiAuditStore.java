package io.callsign.server.audit;

import static io.callsign.server.store.StoreUnavailableException.guard;

import io.callsign.server.http.Json;
import io.callsign.tokens.sid.EventSid;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.PreparedBatch;
import org.jdbi.v3.core.statement.Query;

/**
 * {@link AuditStore} on JDBI. An append joins the caller's transaction (JDBI hands a nested call on
 * the same thread the same handle), so a change and its event commit or roll back together.
 */
public final class JdbiAuditStore implements AuditStore {
  private static final String COLUMNS =
      "seq, sid, account_sid, actor_sid, actor_type, event_type, resource_sid, resource_type,"
          + " source, source_ip_address, user_agent, event_date, description, event_data,"
          + " prev_hash, hash";
  private static final int BATCH = 500;

  private final Jdbi jdbi;

  /** A store over {@code jdbi}. */
  public JdbiAuditStore(Jdbi jdbi) {
    this.jdbi = jdbi;
  }

  @Override
  public List<AuditEvent> append(List<NewEvent> events) {
    if (events.isEmpty()) {
      return List.of();
    }
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  // Writing the head row first takes its lock (a row lock in PostgreSQL, the write
                  // lock in SQLite), so concurrent appends chain one after the other.
                  h.createUpdate("UPDATE audit_chain SET head_seq = head_seq WHERE id = 1")
                      .execute();
                  ChainState chain = chain(h);
                  long seq = chain.headSeq();
                  String prev = chain.headHash();
                  List<AuditEvent> stored = new ArrayList<>(events.size());
                  PreparedBatch batch =
                      h.prepareBatch(
                          "INSERT INTO audit_events ("
                              + COLUMNS
                              + ") VALUES (:seq, :sid, :account, :actor, :actorType, :type,"
                              + " :resource, :resourceType, :source, :ip, :ua, :date,"
                              + " :description, :data, :prev, :hash)");
                  for (NewEvent n : events) {
                    AuditEvent e = chained(n, ++seq, prev);
                    prev = e.hash();
                    stored.add(e);
                    batch
                        .bind("seq", e.seq())
                        .bind("sid", e.sid())
                        .bind("account", e.accountSid())
                        .bind("actor", e.actorSid())
                        .bind("actorType", e.actorType())
                        .bind("type", e.eventType())
                        .bind("resource", e.resourceSid())
                        .bind("resourceType", e.resourceType())
                        .bind("source", e.source())
                        .bind("ip", e.sourceIpAddress())
                        .bind("ua", e.userAgent())
                        .bind("date", e.eventDate().toEpochMilli())
                        .bind("description", e.description())
                        .bind("data", e.eventData())
                        .bind("prev", e.prevHash())
                        .bind("hash", e.hash())
                        .add();
                  }
                  batch.execute();
                  h.createUpdate(
                          "UPDATE audit_chain SET head_seq = :seq, head_hash = :hash WHERE id = 1")
                      .bind("seq", seq)
                      .bind("hash", prev)
                      .execute();
                  return stored;
                }));
  }

  private static AuditEvent chained(NewEvent n, long seq, String prev) {
    AuditEvent unsealed =
        new AuditEvent(
            seq,
            EventSid.random().value(),
            n.accountSid(),
            n.actorSid(),
            n.actorType(),
            n.eventType(),
            n.resourceSid(),
            n.resourceType(),
            n.source(),
            n.sourceIpAddress(),
            n.userAgent(),
            Instant.ofEpochMilli(n.eventDate().toEpochMilli()),
            n.description(),
            Json.write(n.eventData()),
            prev,
            "");
    return new AuditEvent(
        unsealed.seq(),
        unsealed.sid(),
        unsealed.accountSid(),
        unsealed.actorSid(),
        unsealed.actorType(),
        unsealed.eventType(),
        unsealed.resourceSid(),
        unsealed.resourceType(),
        unsealed.source(),
        unsealed.sourceIpAddress(),
        unsealed.userAgent(),
        unsealed.eventDate(),
        unsealed.description(),
        unsealed.eventData(),
        prev,
        AuditChain.hash(unsealed));
  }

  @Override
  public <T> T inTransaction(java.util.function.Supplier<T> work) {
    return guard(() -> jdbi.inTransaction(h -> work.get()));
  }

  @Override
  public ChainState chain() {
    return guard(() -> jdbi.withHandle(JdbiAuditStore::chain));
  }

  private static ChainState chain(Handle h) {
    return h.createQuery(
            "SELECT head_seq, head_hash, anchor_seq, anchor_hash FROM audit_chain WHERE id = 1")
        .map(
            (rs, ctx) ->
                new ChainState(
                    rs.getLong("head_seq"),
                    rs.getString("head_hash"),
                    rs.getLong("anchor_seq"),
                    rs.getString("anchor_hash")))
        .one();
  }

  @Override
  public List<AuditEvent> page(Filter f, Long beforeSeq, Long afterSeq, int limit) {
    StringBuilder where = new StringBuilder(" WHERE account_sid = :account");
    if (f.actorSid() != null) {
      where.append(" AND actor_sid = :actor");
    }
    if (f.eventType() != null) {
      where.append(" AND event_type = :type");
    }
    if (f.resourceSid() != null) {
      where.append(" AND resource_sid = :resource");
    }
    if (f.sourceIpAddress() != null) {
      where.append(" AND source_ip_address = :ip");
    }
    if (f.start() != null) {
      where.append(" AND event_date >= :start");
    }
    if (f.end() != null) {
      where.append(" AND event_date < :end");
    }
    // Going back to newer events reads them oldest first, then turns the page around.
    boolean newer = beforeSeq == null && afterSeq != null;
    if (beforeSeq != null) {
      where.append(" AND seq < :cursor");
    } else if (afterSeq != null) {
      where.append(" AND seq > :cursor");
    }
    String sql =
        "SELECT "
            + COLUMNS
            + " FROM audit_events"
            + where
            + " ORDER BY seq "
            + (newer ? "ASC" : "DESC")
            + " LIMIT :limit";
    List<AuditEvent> rows =
        guard(
            () ->
                jdbi.withHandle(
                    h -> {
                      Query q = h.createQuery(sql).bind("account", f.accountSid());
                      if (f.actorSid() != null) {
                        q.bind("actor", f.actorSid());
                      }
                      if (f.eventType() != null) {
                        q.bind("type", f.eventType());
                      }
                      if (f.resourceSid() != null) {
                        q.bind("resource", f.resourceSid());
                      }
                      if (f.sourceIpAddress() != null) {
                        q.bind("ip", f.sourceIpAddress());
                      }
                      if (f.start() != null) {
                        q.bind("start", f.start().toEpochMilli());
                      }
                      if (f.end() != null) {
                        q.bind("end", f.end().toEpochMilli());
                      }
                      if (beforeSeq != null || afterSeq != null) {
                        q.bind("cursor", beforeSeq != null ? beforeSeq : afterSeq);
                      }
                      return q.bind("limit", limit).map((rs, ctx) -> read(rs)).list();
                    }));
    return newer ? new ArrayList<>(rows).reversed() : rows;
  }

  @Override
  public Optional<AuditEvent> find(String accountSid, String sid) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery(
                            "SELECT "
                                + COLUMNS
                                + " FROM audit_events WHERE account_sid = :account AND sid = :sid")
                        .bind("account", accountSid)
                        .bind("sid", sid)
                        .map((rs, ctx) -> read(rs))
                        .findOne()));
  }

  @Override
  public void forEach(long afterSeq, Predicate<AuditEvent> visitor) {
    long cursor = afterSeq;
    while (true) {
      long from = cursor;
      List<AuditEvent> batch =
          guard(
              () ->
                  jdbi.withHandle(
                      h ->
                          h.createQuery(
                                  "SELECT "
                                      + COLUMNS
                                      + " FROM audit_events WHERE seq > :from ORDER BY seq LIMIT "
                                      + BATCH)
                              .bind("from", from)
                              .map((rs, ctx) -> read(rs))
                              .list()));
      for (AuditEvent e : batch) {
        if (!visitor.test(e)) {
          return;
        }
        cursor = e.seq();
      }
      if (batch.size() < BATCH) {
        return;
      }
    }
  }

  @Override
  public int pruneBefore(Instant cutoff, int limit) {
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  h.createUpdate("UPDATE audit_chain SET head_seq = head_seq WHERE id = 1")
                      .execute();
                  // The chain is pruned from its start only: the last event to go is the newest
                  // one such that it and every event before it are older than the cutoff.
                  Optional<Long> keepFrom =
                      h.createQuery("SELECT MIN(seq) FROM audit_events WHERE event_date >= :cutoff")
                          .bind("cutoff", cutoff.toEpochMilli())
                          .mapTo(Long.class)
                          .findOne();
                  ChainState state = chain(h);
                  long due = keepFrom.isPresent() ? keepFrom.get() - 1 : state.headSeq();
                  long lastPruned = Math.min(due, state.anchorSeq() + limit);
                  // Events a configured sink has not delivered yet are kept, however old.
                  SinkState sink = sink(h);
                  if (sink.url() != null) {
                    lastPruned = Math.min(lastPruned, sink.deliveredSeq());
                  }
                  Optional<String> anchor =
                      h.createQuery("SELECT hash FROM audit_events WHERE seq = :seq")
                          .bind("seq", lastPruned)
                          .mapTo(String.class)
                          .findOne();
                  if (anchor.isEmpty()) {
                    return 0;
                  }
                  int deleted =
                      h.createUpdate("DELETE FROM audit_events WHERE seq <= :seq")
                          .bind("seq", lastPruned)
                          .execute();
                  h.createUpdate(
                          "UPDATE audit_chain SET anchor_seq = :seq, anchor_hash = :hash"
                              + " WHERE id = 1")
                      .bind("seq", lastPruned)
                      .bind("hash", anchor.get())
                      .execute();
                  return deleted;
                }));
  }

  private static AuditEvent read(ResultSet rs) throws SQLException {
    return new AuditEvent(
        rs.getLong("seq"),
        rs.getString("sid"),
        rs.getString("account_sid"),
        rs.getString("actor_sid"),
        rs.getString("actor_type"),
        rs.getString("event_type"),
        rs.getString("resource_sid"),
        rs.getString("resource_type"),
        rs.getString("source"),
        rs.getString("source_ip_address"),
        rs.getString("user_agent"),
        Instant.ofEpochMilli(rs.getLong("event_date")),
        rs.getString("description"),
        rs.getString("event_data"),
        rs.getString("prev_hash"),
        rs.getString("hash"));
  }

  @Override
  public SinkState sink() {
    return guard(() -> jdbi.withHandle(JdbiAuditStore::sink));
  }

  private static SinkState sink(Handle h) {
    return h.createQuery("SELECT url, delivered_seq FROM audit_sink WHERE id = 1")
        .map((rs, ctx) -> new SinkState(rs.getString("url"), rs.getLong("delivered_seq")))
        .one();
  }

  @Override
  public void configureSink(String url) {
    guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createUpdate("UPDATE audit_sink SET url = :url WHERE id = 1")
                        .bind("url", url)
                        .execute()));
  }

  @Override
  public boolean leaseSink(String node, Instant now, Instant until) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createUpdate(
                                "UPDATE audit_sink SET lease_owner = :node, lease_until = :until"
                                    + " WHERE id = 1 AND (lease_owner = :node OR lease_owner IS NULL"
                                    + " OR lease_until < :now)")
                            .bind("node", node)
                            .bind("until", until.toEpochMilli())
                            .bind("now", now.toEpochMilli())
                            .execute()
                        == 1));
  }

  @Override
  public boolean sinkDelivered(String node, long seq) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createUpdate(
                                "UPDATE audit_sink SET delivered_seq = :seq WHERE id = 1"
                                    + " AND lease_owner = :node AND delivered_seq < :seq")
                            .bind("node", node)
                            .bind("seq", seq)
                            .execute()
                        == 1));
  }

  @Override
  public void releaseSink(String node) {
    guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createUpdate(
                            "UPDATE audit_sink SET lease_owner = NULL, lease_until = 0"
                                + " WHERE id = 1 AND lease_owner = :node")
                        .bind("node", node)
                        .execute()));
  }
}
