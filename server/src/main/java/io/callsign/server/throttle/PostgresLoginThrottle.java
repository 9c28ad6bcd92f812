package io.callsign.server.throttle;

import io.callsign.server.crypto.SecretBox;
import io.callsign.server.store.StoreUnavailableException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.JdbiException;
import org.jdbi.v3.core.statement.Update;
import org.jdbi.v3.core.transaction.TransactionIsolationLevel;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@link LoginThrottle} of a cluster: the same counters and rules as {@link
 * LocalLoginThrottle}, kept in PostgreSQL (migration V11) so that every node sharing the database
 * counts against one budget (docs/design/0017-shared-login-throttle.md).
 *
 * <p>Each operation is one short transaction that first takes transaction-scoped advisory locks on
 * the counters it touches (pair, user, source; always in the same order, so two attempts never wait
 * for each other in a cycle), then reads them and writes them back. The lock is what makes "check
 * every limit, then count" one step across nodes, as {@link LocalLoginThrottle}'s lock does within
 * one: two attempts on two nodes cannot both pass a limit only one may.
 *
 * <p>It fails closed: when the database cannot be reached or does not answer in time, {@link
 * #admit} throws {@link StoreUnavailableException} (the request answers 503); it never admits an
 * attempt it could not count.
 */
public final class PostgresLoginThrottle implements LoginThrottle {
  private static final Logger LOG = LoggerFactory.getLogger(PostgresLoginThrottle.class);

  // The first key of every advisory lock this class takes ("CSLT"): the two-int form of the
  // advisory locks, a space of their own, apart from Flyway's one-bigint migration lock.
  private static final int LOCK_CLASS = 0x43534c54;

  // Admission holds its locks for a few statements: a wait longer than this means the database is
  // in trouble, and the attempt gets 503 rather than a hung request.
  private static final String LOCK_TIMEOUT = "2s";
  private static final String STATEMENT_TIMEOUT = "5s";

  // lock_not_available, query_canceled (statement_timeout), deadlock_detected,
  // serialization_failure: the database is there but could not decide in time; try again later.
  private static final Set<String> CONTENDED = Set.of("55P03", "57014", "40P01", "40001");

  // deadlock_detected, serialization_failure: rolled back, and worth one more try at once.
  private static final Set<String> RETRIED = Set.of("40P01", "40001");

  // Forgotten counters are deleted at most this often per node, and the kinds held to their bound.
  private static final Duration PRUNE_EVERY = Duration.ofMinutes(1);

  // The associated data that binds the sealed HMAC key to its row.
  private static final String KEY_AD = "login-throttle-key";

  /** The three counters, with their codes in the {@code kind} column. */
  private enum Kind {
    PAIR(1),
    USER(2),
    SOURCE(3);

    final int code;

    Kind(int code) {
      this.code = code;
    }
  }

  /** One counter an attempt touches: its subject (an HMAC) and its rule. */
  private record Slot(Kind kind, byte[] subject, ThrottlePolicy.Rule rule) {}

  /**
   * A counter as stored.
   *
   * @param failures counted failures
   * @param last epoch ms of the last counted failure
   * @param waitUntil epoch ms until which attempts wait, or {@code null}
   */
  private record Counter(int failures, long last, Long waitUntil) {}

  /** The subjects of one attempt. */
  private record Subjects(byte[] pair, byte[] user, byte[] source) {}

  /** A counter to write: {@code slot}'s new state. */
  private record Write(Slot slot, int failures, long last, Long waitUntil) {}

  private final Jdbi jdbi;
  private final ThrottlePolicy policy;
  private final Clock clock;
  private final SecretKeySpec hmacKey;
  private final ReentrantLock pruning = new ReentrantLock();
  private final AtomicLong admitsSincePrune = new AtomicLong();
  private final AtomicLong lastPrune = new AtomicLong(Long.MIN_VALUE);
  private final long pruneAfterAdmits;
  private volatile boolean pruneInBackground = true;

  /**
   * A throttle applying {@code policy} to the counters in {@code jdbi}'s database, with time from
   * {@code clock}. Reads (or, on the first start of the first node, creates) the HMAC key, sealed
   * by {@code box}.
   *
   * @throws IllegalStateException when {@code box} is not the keyset the key was sealed with
   */
  public PostgresLoginThrottle(Jdbi jdbi, SecretBox box, ThrottlePolicy policy, Clock clock) {
    this.jdbi = jdbi;
    this.policy = policy;
    this.clock = clock;
    this.hmacKey = new SecretKeySpec(loadKey(jdbi, box), "HmacSHA256");
    // Between two prunes each admission adds at most one row of each kind: pruning after a quarter
    // of the bound keeps each kind within 1.25 times it (plus what other nodes add meanwhile), even
    // when attempts come faster than a prune a minute would keep up with.
    this.pruneAfterAdmits = Math.max(1, policy.maxEntries() / 4);
  }

  private static byte[] loadKey(Jdbi jdbi, SecretBox box) {
    byte[] fresh = new byte[32];
    new SecureRandom().nextBytes(fresh);
    byte[] sealed = box.encrypt(Base64.getEncoder().encodeToString(fresh), KEY_AD);
    // Concurrent first starts: one insert wins, every node then reads the winner's.
    byte[] stored =
        StoreUnavailableException.guard(
            () ->
                jdbi.withHandle(
                    h -> {
                      h.createUpdate(
                              "INSERT INTO login_throttle_key (id, key_enc) VALUES (1, :k)"
                                  + " ON CONFLICT (id) DO NOTHING")
                          .bind("k", sealed)
                          .execute();
                      return h.createQuery("SELECT key_enc FROM login_throttle_key WHERE id = 1")
                          .mapTo(byte[].class)
                          .one();
                    }));
    return Base64.getDecoder().decode(box.decrypt(stored, KEY_AD));
  }

  @Override
  public Admission admit(Attempt attempt) {
    Subjects s = subjects(attempt);
    Admission decided =
        tx(
            h -> {
              lock(h, s);
              // Read once the locks are held, as the local throttle reads it under its lock.
              long now = clock.millis();
              boolean trust = isTrusted(h, s.pair(), now);
              List<Slot> slots = slots(s, trust);
              Map<Kind, Counter> counters = read(h, slots, now);
              long until = Long.MIN_VALUE;
              for (Counter c : counters.values()) {
                if (c.waitUntil() != null && now < c.waitUntil()) {
                  until = Math.max(until, c.waitUntil());
                }
              }
              if (until != Long.MIN_VALUE) {
                return new Refused(retryAfter(now, until));
              }
              List<Write> writes = new ArrayList<>(slots.size());
              for (Slot slot : slots) {
                Counter c = counters.get(slot.kind());
                int n = c == null ? 1 : c.failures() + 1;
                Duration wait = slot.rule().waitAfter(n);
                writes.add(new Write(slot, n, now, wait.isZero() ? null : now + wait.toMillis()));
              }
              upsert(h, writes);
              return new Admitted(attempt, trust);
            });
    if (decided instanceof Admitted) {
      maybePrune(clock.millis());
    }
    return decided;
  }

  @Override
  public void succeeded(Admitted admitted) {
    Subjects s = subjects(admitted.attempt());
    tx(
        h -> {
          lock(h, s);
          long now = clock.millis();
          h.createUpdate("DELETE FROM login_throttle_counters WHERE subject = :s")
              .bind("s", s.pair())
              .execute();
          if (!admitted.trusted()) {
            forgive(h, new Slot(Kind.USER, s.user(), policy.perUser()), now);
            forgive(h, new Slot(Kind.SOURCE, s.source(), policy.perSource()), now);
          }
          if (!policy.trustFor().isZero()) {
            h.createUpdate(
                    "INSERT INTO login_throttle_trust (pair, trusted_until) VALUES (:p, :u)"
                        + " ON CONFLICT (pair) DO UPDATE SET trusted_until = EXCLUDED.trusted_until")
                .bind("p", s.pair())
                .bind("u", now + policy.trustFor().toMillis())
                .execute();
          }
          return null;
        });
  }

  /**
   * Takes back what the attempt counted. Best effort: when the database fails here the attempt
   * stays counted (the safe side), and the failure that ended the attempt, not this one, is what
   * its caller reports.
   */
  @Override
  public void abandoned(Admitted admitted) {
    Subjects s = subjects(admitted.attempt());
    try {
      tx(
          h -> {
            lock(h, s);
            long now = clock.millis();
            for (Slot slot : slots(s, admitted.trusted())) {
              forgive(h, slot, now);
            }
            return null;
          });
    } catch (RuntimeException e) {
      LOG.warn(
          "Sign-in throttle: an abandoned attempt stays counted, the database failed: {}",
          e.getMessage());
    }
  }

  /**
   * Deletes forgotten counters and expired trust, and holds each kind to {@code maxEntries} (the
   * newest kept), then counts what is left: bounded by four times {@code maxEntries}.
   */
  long entries() {
    pruning.lock();
    try {
      prune(clock.millis());
      return tx(
          h ->
              h.createQuery(
                      "SELECT (SELECT count(*) FROM login_throttle_counters)"
                          + " + (SELECT count(*) FROM login_throttle_trust)")
                  .mapTo(Long.class)
                  .one());
    } finally {
      pruning.unlock();
    }
  }

  /**
   * Starts no more background prunes and waits for a running one: for tests, whose clocks jump by
   * days, so that a prune left over from one test cannot delete the next one's counters.
   */
  void stopPruning() {
    pruneInBackground = false;
    pruning.lock();
    pruning.unlock();
  }

  // ------------------------------------------------------------------------------ internals

  private <T> T tx(HandleCallback<T, RuntimeException> work) {
    for (int attempt = 1; ; attempt++) {
      try {
        return jdbi.inTransaction(
            TransactionIsolationLevel.READ_COMMITTED,
            h -> {
              // Transaction-local: the pooled connection goes back with its settings unchanged.
              h.createQuery(
                      "SELECT concat(set_config('lock_timeout', :lock, true),"
                          + " set_config('statement_timeout', :statement, true))")
                  .bind("lock", LOCK_TIMEOUT)
                  .bind("statement", STATEMENT_TIMEOUT)
                  .mapTo(String.class)
                  .one();
              return work.withHandle(h);
            });
      } catch (JdbiException e) {
        String state = sqlState(e);
        // A deadlock with a prune (which deletes rows in an order of its own) rolled everything
        // back: once more is safe, and almost always enough.
        if (attempt == 1 && RETRIED.contains(state)) {
          continue;
        }
        if (CONTENDED.contains(state)) {
          throw new StoreUnavailableException(e);
        }
        // Connection failures become StoreUnavailableException; anything else passes unchanged.
        return StoreUnavailableException.guard(
            () -> {
              throw e;
            });
      }
    }
  }

  private static String sqlState(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof SQLException s && s.getSQLState() != null) {
        return s.getSQLState();
      }
    }
    return "";
  }

  // The locks of the attempt's three counters (which also guard the pair's trust), smallest first.
  // Read committed: every statement after the locks sees what the previous holders committed.
  private static void lock(Handle h, Subjects s) {
    int[] keys = {lockKey(s.pair()), lockKey(s.user()), lockKey(s.source())};
    Arrays.sort(keys);
    // Taken row by row in the array's order: the function scan feeds the aggregate in order, with
    // no sort in between.
    h.createQuery("SELECT count(pg_advisory_xact_lock(:c, k)) FROM unnest(:keys) AS k")
        .bind("c", LOCK_CLASS)
        .bindArray("keys", Integer.class, keys[0], keys[1], keys[2])
        .mapTo(Long.class)
        .one();
  }

  // Two subjects sharing a lock key only wait for each other a moment longer.
  private static int lockKey(byte[] subject) {
    return ByteBuffer.wrap(subject, 0, 4).getInt();
  }

  private static boolean isTrusted(Handle h, byte[] pair, long now) {
    return h.createQuery("SELECT trusted_until FROM login_throttle_trust WHERE pair = :p")
        .bind("p", pair)
        .mapTo(Long.class)
        .findOne()
        .map(until -> now < until)
        .orElse(false);
  }

  private List<Slot> slots(Subjects s, boolean trust) {
    List<Slot> slots = new ArrayList<>(3);
    slots.add(new Slot(Kind.PAIR, s.pair(), policy.perPair()));
    if (!trust) {
      slots.add(new Slot(Kind.USER, s.user(), policy.perUser()));
      slots.add(new Slot(Kind.SOURCE, s.source(), policy.perSource()));
    }
    return slots;
  }

  /** The live counters of {@code slots}: absent ones, and those quiet long enough, are left out. */
  private static Map<Kind, Counter> read(Handle h, List<Slot> slots, long now) {
    StringBuilder in = new StringBuilder();
    for (int i = 0; i < slots.size(); i++) {
      in.append(i == 0 ? ":s0" : ", :s" + i);
    }
    var query =
        h.createQuery(
            "SELECT kind, failures, last_failure_at, wait_until FROM login_throttle_counters"
                + " WHERE subject IN ("
                + in
                + ")");
    for (int i = 0; i < slots.size(); i++) {
      query.bind("s" + i, slots.get(i).subject());
    }
    Map<Kind, Counter> out = new HashMap<>();
    Map<Integer, Slot> byCode = new HashMap<>();
    slots.forEach(s -> byCode.put(s.kind().code, s));
    query
        .map(
            (rs, ctx) -> {
              Slot slot = byCode.get(rs.getInt("kind"));
              long wait = rs.getLong("wait_until");
              Long waitUntil = rs.wasNull() ? null : wait;
              Counter c =
                  new Counter(rs.getInt("failures"), rs.getLong("last_failure_at"), waitUntil);
              if (slot != null && now < c.last() + slot.rule().resetAfter().toMillis()) {
                out.put(slot.kind(), c);
              }
              return c;
            })
        .list();
    return out;
  }

  private static void upsert(Handle h, List<Write> rows) {
    StringBuilder values = new StringBuilder();
    for (int i = 0; i < rows.size(); i++) {
      values
          .append(i == 0 ? "" : ", ")
          .append("(:s%1$d, :k%1$d, :f%1$d, :l%1$d, :w%1$d)".formatted(i));
    }
    Update update =
        h.createUpdate(
            "INSERT INTO login_throttle_counters (subject, kind, failures, last_failure_at,"
                + " wait_until) VALUES "
                + values
                + " ON CONFLICT (subject) DO UPDATE SET kind = EXCLUDED.kind,"
                + " failures = EXCLUDED.failures, last_failure_at = EXCLUDED.last_failure_at,"
                + " wait_until = EXCLUDED.wait_until");
    for (int i = 0; i < rows.size(); i++) {
      Write w = rows.get(i);
      update
          .bind("s" + i, w.slot().subject())
          .bind("k" + i, (short) w.slot().kind().code)
          .bind("f" + i, w.failures())
          .bind("l" + i, w.last())
          .bind("w" + i, w.waitUntil());
    }
    update.execute();
  }

  // Takes one counted failure back, and shortens the wait to the one the remaining count sets from
  // the last counted failure: never longer than before, and never the forgiven attempt's own.
  private static void forgive(Handle h, Slot slot, long now) {
    Map<Kind, Counter> found = read(h, List.of(slot), now);
    Counter c = found.get(slot.kind());
    if (c != null && c.failures() > 0) {
      int n = c.failures() - 1;
      Duration wait = slot.rule().waitAfter(n);
      h.createUpdate(
              "UPDATE login_throttle_counters SET failures = :f, wait_until = :w"
                  + " WHERE subject = :s")
          .bind("f", n)
          .bind("w", wait.isZero() ? null : (Long) (c.last() + wait.toMillis()))
          .bind("s", slot.subject())
          .execute();
    }
  }

  private static Duration retryAfter(long now, long until) {
    long millis = until - now;
    return Duration.ofSeconds(Math.max(1, (millis + 999) / 1000));
  }

  // ---------------------------------------------------------------------------------- subjects

  private Subjects subjects(Attempt a) {
    return new Subjects(
        hmac(Kind.PAIR, a.user(), a.source()),
        hmac(Kind.USER, a.user()),
        hmac(Kind.SOURCE, a.source()));
  }

  // Each part length-prefixed, after the kind: no two different (kind, parts) give the same input.
  private byte[] hmac(Kind kind, String... parts) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(hmacKey);
      mac.update((byte) kind.code);
      for (String part : parts) {
        byte[] b = part.getBytes(StandardCharsets.UTF_8);
        mac.update(ByteBuffer.allocate(4).putInt(b.length).array());
        mac.update(b);
      }
      return mac.doFinal();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("HMAC-SHA-256 is unavailable", e);
    }
  }

  // ----------------------------------------------------------------------------------- pruning

  // Prunes in the background once a minute, or sooner when many attempts came since: never on the
  // request's own time, and never more than one at a time on this node.
  private void maybePrune(long now) {
    long last = lastPrune.get();
    boolean due =
        admitsSincePrune.incrementAndGet() >= pruneAfterAdmits
            || last == Long.MIN_VALUE
            || now - last >= PRUNE_EVERY.toMillis();
    if (!due || !lastPrune.compareAndSet(last, now)) {
      return;
    }
    admitsSincePrune.set(0);
    Thread.ofVirtual()
        .name("callsign-throttle-prune")
        .start(
            () -> {
              if (!pruning.tryLock()) {
                return;
              }
              try {
                if (!pruneInBackground) {
                  return;
                }
                prune(clock.millis());
              } catch (RuntimeException e) {
                // The next one catches up; a sign-in never fails for it.
                LOG.debug("Sign-in throttle: pruning failed: {}", e.getMessage());
              } finally {
                pruning.unlock();
              }
            });
  }

  // Each statement commits by itself, so that no row stays locked longer than its own delete.
  private void prune(long now) {
    StoreUnavailableException.guard(
        () ->
            jdbi.withHandle(
                h -> {
                  for (Kind kind : Kind.values()) {
                    ThrottlePolicy.Rule rule =
                        switch (kind) {
                          case PAIR -> policy.perPair();
                          case USER -> policy.perUser();
                          case SOURCE -> policy.perSource();
                        };
                    h.createUpdate(
                            "DELETE FROM login_throttle_counters WHERE kind = :k AND last_failure_at <= :t")
                        .bind("k", (short) kind.code)
                        .bind("t", now - rule.resetAfter().toMillis())
                        .execute();
                    // Beyond the bound, the counters quiet the longest go first: the ones that
                    // attempts are still hitting keep their counts.
                    h.createUpdate(
                            "DELETE FROM login_throttle_counters WHERE subject IN (SELECT subject FROM"
                                + " login_throttle_counters WHERE kind = :k"
                                + " ORDER BY last_failure_at DESC OFFSET :max)")
                        .bind("k", (short) kind.code)
                        .bind("max", policy.maxEntries())
                        .execute();
                  }
                  h.createUpdate("DELETE FROM login_throttle_trust WHERE trusted_until <= :t")
                      .bind("t", now)
                      .execute();
                  h.createUpdate(
                          "DELETE FROM login_throttle_trust WHERE pair IN (SELECT pair FROM"
                              + " login_throttle_trust ORDER BY trusted_until DESC OFFSET :max)")
                      .bind("max", policy.maxEntries())
                      .execute();
                  return null;
                }));
  }
}
