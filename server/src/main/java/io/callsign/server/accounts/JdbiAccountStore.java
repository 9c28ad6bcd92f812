package io.callsign.server.accounts;

import static io.callsign.server.store.StoreUnavailableException.guard;

import io.callsign.server.crypto.SecretBox;
import io.callsign.tokens.sid.AccountSid;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.Jdbi;
import org.jdbi.v3.core.statement.Query;

/**
 * {@link AccountStore} on JDBI; the auth tokens are sealed by a {@link SecretBox}, the primary with
 * the account SID as associated data, the secondary with {@code SID:secondary}, so that the two
 * ciphertexts cannot be swapped.
 */
public final class JdbiAccountStore implements AccountStore {
  private static final String COLUMNS =
      "sid, owner_account_sid, friendly_name, status, type, auth_token_enc, date_created,"
          + " date_updated, secondary_auth_token_enc, secondary_date_created";
  private static final String SECONDARY_AD = ":secondary";

  private final Jdbi jdbi;
  private final SecretBox box;
  private final Companion companion;

  /**
   * What another feature stores with every new account, in the transaction that inserts it (the
   * account's Flex instance), so that an account never exists without it.
   */
  @FunctionalInterface
  public interface Companion {
    /** Inserts what belongs to the new {@code account} through {@code h}. */
    void created(Handle h, Account account);
  }

  /** A store over {@code jdbi}, sealing secrets with {@code box}. */
  public JdbiAccountStore(Jdbi jdbi, SecretBox box) {
    this(jdbi, box, (h, a) -> {});
  }

  /** A store over {@code jdbi}, sealing secrets with {@code box}, creating {@code companion}. */
  public JdbiAccountStore(Jdbi jdbi, SecretBox box, Companion companion) {
    this.jdbi = jdbi;
    this.box = box;
    this.companion = companion;
  }

  @Override
  public void insert(Account a) {
    String sid = a.sid().value();
    byte[] sealed = box.encrypt(a.authToken(), sid);
    byte[] secondary =
        a.secondaryAuthToken() == null
            ? null
            : box.encrypt(a.secondaryAuthToken(), sid + SECONDARY_AD);
    guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  h.createUpdate(
                          "INSERT INTO accounts ("
                              + COLUMNS
                              + ") VALUES (:sid, :owner, :name, :status, :type, :token,"
                              + " :created, :updated, :secondary, :secondaryCreated)")
                      .bind("sid", sid)
                      .bind("owner", a.ownerAccountSid().value())
                      .bind("name", a.friendlyName())
                      .bind("status", a.status().wire())
                      .bind("type", a.type())
                      .bind("token", sealed)
                      .bind("created", a.dateCreated().toEpochMilli())
                      .bind("updated", a.dateUpdated().toEpochMilli())
                      .bind("secondary", secondary)
                      .bind(
                          "secondaryCreated",
                          a.secondaryDateCreated() == null
                              ? null
                              : a.secondaryDateCreated().toEpochMilli())
                      .execute();
                  companion.created(h, a);
                  return null;
                }));
  }

  @Override
  public Optional<Account> find(AccountSid sid) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery("SELECT " + COLUMNS + " FROM accounts WHERE sid = :sid")
                        .bind("sid", sid.value())
                        .map((rs, ctx) -> read(rs))
                        .findOne()));
  }

  @Override
  public Optional<Account> findRoot() {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery(
                            "SELECT "
                                + COLUMNS
                                + " FROM accounts WHERE sid = owner_account_sid"
                                + " ORDER BY date_created, sid LIMIT 1")
                        .map((rs, ctx) -> read(rs))
                        .findFirst()));
  }

  @Override
  public List<Account> listFamily(AccountSid owner, String friendlyName, AccountStatus status) {
    StringBuilder sql =
        new StringBuilder("SELECT ")
            .append(COLUMNS)
            .append(" FROM accounts WHERE (sid = :owner OR owner_account_sid = :owner)");
    if (friendlyName != null) {
      sql.append(" AND friendly_name = :name");
    }
    if (status != null) {
      sql.append(" AND status = :status");
    }
    sql.append(" ORDER BY date_created, sid");
    return guard(
        () ->
            jdbi.withHandle(
                h -> {
                  Query q = h.createQuery(sql.toString()).bind("owner", owner.value());
                  if (friendlyName != null) {
                    q.bind("name", friendlyName);
                  }
                  if (status != null) {
                    q.bind("status", status.wire());
                  }
                  return q.map((rs, ctx) -> read(rs)).list();
                }));
  }

  @Override
  public boolean update(AccountSid sid, String friendlyName, AccountStatus status, Instant now) {
    return guard(
        () ->
            jdbi.withHandle(
                    h ->
                        h.createUpdate(
                                "UPDATE accounts SET friendly_name = :name, status = :status,"
                                    + " date_updated = :now WHERE sid = :sid"
                                    + " AND status <> 'closed'")
                            .bind("name", friendlyName)
                            .bind("status", status.wire())
                            .bind("now", now.toEpochMilli())
                            .bind("sid", sid.value())
                            .execute())
                > 0);
  }

  @Override
  public boolean setSecondaryAuthToken(AccountSid sid, String token, Instant now) {
    byte[] sealed = box.encrypt(token, sid.value() + SECONDARY_AD);
    return guard(
        () ->
            jdbi.withHandle(
                    h ->
                        h.createUpdate(
                                "UPDATE accounts SET secondary_auth_token_enc = :secondary,"
                                    + " secondary_date_created = :now, date_updated = :now"
                                    + " WHERE sid = :sid")
                            .bind("secondary", sealed)
                            .bind("now", now.toEpochMilli())
                            .bind("sid", sid.value())
                            .execute())
                > 0);
  }

  @Override
  public boolean clearSecondaryAuthToken(AccountSid sid, Instant now) {
    return guard(
        () ->
            jdbi.withHandle(
                    h ->
                        h.createUpdate(
                                "UPDATE accounts SET secondary_auth_token_enc = NULL,"
                                    + " secondary_date_created = NULL, date_updated = :now"
                                    + " WHERE sid = :sid AND secondary_auth_token_enc IS NOT NULL")
                            .bind("now", now.toEpochMilli())
                            .bind("sid", sid.value())
                            .execute())
                > 0);
  }

  @Override
  public boolean promoteSecondaryAuthToken(AccountSid sid, Instant now) {
    String s = sid.value();
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  Optional<byte[]> old =
                      h.createQuery(
                              "SELECT secondary_auth_token_enc FROM accounts WHERE sid = :sid"
                                  + " AND secondary_auth_token_enc IS NOT NULL")
                          .bind("sid", s)
                          .mapTo(byte[].class)
                          .findOne();
                  if (old.isEmpty()) {
                    return false;
                  }
                  // Re-sealed under the primary's associated data: the same token, a new slot.
                  byte[] primary = box.encrypt(box.decrypt(old.get(), s + SECONDARY_AD), s);
                  // Only if the secondary is still the one read: a concurrent create or delete
                  // wins rather than being silently overwritten.
                  return h.createUpdate(
                              "UPDATE accounts SET auth_token_enc = :primary,"
                                  + " secondary_auth_token_enc = NULL,"
                                  + " secondary_date_created = NULL, date_updated = :now"
                                  + " WHERE sid = :sid AND secondary_auth_token_enc = :old")
                          .bind("primary", primary)
                          .bind("now", now.toEpochMilli())
                          .bind("sid", s)
                          .bind("old", old.get())
                          .execute()
                      > 0;
                }));
  }

  private Account read(ResultSet rs) throws SQLException {
    String sid = rs.getString("sid");
    byte[] secondary = rs.getBytes("secondary_auth_token_enc");
    long secondaryCreated = rs.getLong("secondary_date_created");
    return new Account(
        AccountSid.of(sid),
        AccountSid.of(rs.getString("owner_account_sid")),
        rs.getString("friendly_name"),
        AccountStatus.fromWire(rs.getString("status")),
        rs.getString("type"),
        box.decrypt(rs.getBytes("auth_token_enc"), sid),
        Instant.ofEpochMilli(rs.getLong("date_created")),
        Instant.ofEpochMilli(rs.getLong("date_updated")),
        secondary == null ? null : box.decrypt(secondary, sid + SECONDARY_AD),
        secondary == null ? null : Instant.ofEpochMilli(secondaryCreated));
  }
}
