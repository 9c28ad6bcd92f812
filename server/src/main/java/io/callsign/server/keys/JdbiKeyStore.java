package io.callsign.server.keys;

import static io.callsign.server.store.StoreUnavailableException.guard;

import io.callsign.server.crypto.SecretBox;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.KeySid;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Jdbi;

/** {@link KeyStore} on JDBI; the secret is sealed by a {@link SecretBox} with the key SID. */
public final class JdbiKeyStore implements KeyStore {
  private static final String COLUMNS =
      "sid, account_sid, friendly_name, type, policy, secret_enc, date_created, date_updated";
  private static final String ORDER = " ORDER BY date_created, sid LIMIT :limit";

  private final Jdbi jdbi;
  private final SecretBox box;

  /** A store over {@code jdbi}, sealing secrets with {@code box}. */
  public JdbiKeyStore(Jdbi jdbi, SecretBox box) {
    this.jdbi = jdbi;
    this.box = box;
  }

  @Override
  public void insert(Key k) {
    String sid = k.sid().value();
    byte[] sealed = box.encrypt(k.secret(), sid);
    guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createUpdate(
                            "INSERT INTO api_keys ("
                                + COLUMNS
                                + ") VALUES (:sid, :account, :name, :type, :policy, :secret,"
                                + " :created, :updated)")
                        .bind("sid", sid)
                        .bind("account", k.accountSid().value())
                        .bind("name", k.friendlyName())
                        .bind("type", k.type().wire())
                        .bind("policy", k.policy() == null ? null : k.policy().json())
                        .bind("secret", sealed)
                        .bind("created", k.dateCreated().toEpochMilli())
                        .bind("updated", k.dateUpdated().toEpochMilli())
                        .execute()));
  }

  @Override
  public Optional<Key> find(KeySid sid) {
    return guard(
        () ->
            jdbi.withHandle(
                h ->
                    h.createQuery("SELECT " + COLUMNS + " FROM api_keys WHERE sid = :sid")
                        .bind("sid", sid.value())
                        .map((rs, ctx) -> read(rs))
                        .findOne()));
  }

  @Override
  public List<Key> list(AccountSid account, Key after, long offset, int limit) {
    return guard(
        () ->
            jdbi.withHandle(
                h -> {
                  // Keyset paging after a known key is stable under concurrent inserts and
                  // deletes; the offset is the fallback for Page without a usable PageToken.
                  var q =
                      after == null
                          ? h.createQuery(
                                  "SELECT "
                                      + COLUMNS
                                      + " FROM api_keys WHERE account_sid = :account"
                                      + ORDER
                                      + " OFFSET :offset")
                              .bind("offset", offset)
                          : h.createQuery(
                                  "SELECT "
                                      + COLUMNS
                                      + " FROM api_keys WHERE account_sid = :account AND"
                                      + " (date_created > :created OR (date_created = :created"
                                      + " AND sid > :sid))"
                                      + ORDER)
                              .bind("created", after.dateCreated().toEpochMilli())
                              .bind("sid", after.sid().value());
                  return q.bind("account", account.value())
                      .bind("limit", limit)
                      .map((rs, ctx) -> read(rs))
                      .list();
                }));
  }

  @Override
  public boolean update(
      AccountSid account, KeySid sid, String friendlyName, Policy policy, Instant now) {
    return guard(
        () ->
            jdbi.withHandle(
                    h ->
                        h.createUpdate(
                                "UPDATE api_keys SET friendly_name = COALESCE(:name,"
                                    + " friendly_name), policy = COALESCE(:policy, policy),"
                                    + " date_updated = :now"
                                    + " WHERE sid = :sid AND account_sid = :account")
                            .bind("name", friendlyName)
                            .bind("policy", policy == null ? null : policy.json())
                            .bind("now", now.toEpochMilli())
                            .bind("sid", sid.value())
                            .bind("account", account.value())
                            .execute())
                > 0);
  }

  @Override
  public boolean delete(AccountSid account, KeySid sid) {
    return guard(
        () ->
            jdbi.withHandle(
                    h ->
                        h.createUpdate(
                                "DELETE FROM api_keys WHERE sid = :sid AND account_sid = :account")
                            .bind("sid", sid.value())
                            .bind("account", account.value())
                            .execute())
                > 0);
  }

  private Key read(ResultSet rs) throws SQLException {
    String sid = rs.getString("sid");
    return new Key(
        KeySid.of(sid),
        AccountSid.of(rs.getString("account_sid")),
        rs.getString("friendly_name"),
        KeyType.fromWire(rs.getString("type")),
        policy(rs.getString("policy")),
        box.decrypt(rs.getBytes("secret_enc"), sid),
        Instant.ofEpochMilli(rs.getLong("date_created")),
        Instant.ofEpochMilli(rs.getLong("date_updated")));
  }

  private static Policy policy(String json) {
    return json == null ? null : Policy.parse(json);
  }
}
