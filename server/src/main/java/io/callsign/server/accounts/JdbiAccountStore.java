package io.callsign.server.accounts;

import io.callsign.server.crypto.SecretBox;
import io.callsign.server.store.StoreUnavailableException;
import io.callsign.tokens.sid.AccountSid;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Optional;
import java.util.function.Supplier;
import org.jdbi.v3.core.ConnectionException;
import org.jdbi.v3.core.Jdbi;

/** {@link AccountStore} on JDBI; the auth token is sealed by a {@link SecretBox}. */
public final class JdbiAccountStore implements AccountStore {
  private static final String COLUMNS =
      "sid, owner_account_sid, friendly_name, status, type, auth_token_enc, date_created,"
          + " date_updated";

  private final Jdbi jdbi;
  private final SecretBox box;

  /** A store over {@code jdbi}, sealing secrets with {@code box}. */
  public JdbiAccountStore(Jdbi jdbi, SecretBox box) {
    this.jdbi = jdbi;
    this.box = box;
  }

  @Override
  public void insert(Account a) {
    String sid = a.sid().value();
    byte[] sealed = box.encrypt(a.authToken(), sid);
    guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createUpdate(
                            "INSERT INTO accounts ("
                                + COLUMNS
                                + ") VALUES (:sid, :owner, :name, :status, :type, :token,"
                                + " :created, :updated)")
                        .bind("sid", sid)
                        .bind("owner", a.ownerAccountSid().value())
                        .bind("name", a.friendlyName())
                        .bind("status", a.status().wire())
                        .bind("type", a.type())
                        .bind("token", sealed)
                        .bind("created", a.dateCreated().toEpochMilli())
                        .bind("updated", a.dateUpdated().toEpochMilli())
                        .execute()));
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

  private Account read(ResultSet rs) throws SQLException {
    String sid = rs.getString("sid");
    return new Account(
        AccountSid.of(sid),
        AccountSid.of(rs.getString("owner_account_sid")),
        rs.getString("friendly_name"),
        AccountStatus.fromWire(rs.getString("status")),
        rs.getString("type"),
        box.decrypt(rs.getBytes("auth_token_enc"), sid),
        Instant.ofEpochMilli(rs.getLong("date_created")),
        Instant.ofEpochMilli(rs.getLong("date_updated")));
  }

  // A pool that cannot hand out a connection means "try again later", not "internal error".
  private static <T> T guard(Supplier<T> call) {
    try {
      return call.get();
    } catch (ConnectionException e) {
      throw new StoreUnavailableException(e);
    }
  }
}
