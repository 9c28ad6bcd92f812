package io.callsign.server.console;

import static io.callsign.server.store.StoreUnavailableException.guard;

import io.callsign.server.crypto.SecretBox;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.ConsoleUserSid;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.Base64;
import java.util.List;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/**
 * {@link ConsoleStore} on JDBI. TOTP seeds are sealed by the {@link SecretBox} with the user SID as
 * associated data, so a seed copied to another user's row does not open.
 */
public final class JdbiConsoleStore implements ConsoleStore {
  private static final String USER_COLUMNS =
      "sid, account_sid, email, password_hash, totp_secret_enc, totp_pending_enc, totp_last_step,"
          + " date_created, date_updated";
  private static final String SESSION_COLUMNS =
      "id_hash, user_sid, stage, csrf_token, created_at, last_seen_at, expires_at";

  private final Jdbi jdbi;
  private final SecretBox box;

  /** A store over {@code jdbi}, sealing TOTP seeds with {@code box}. */
  public JdbiConsoleStore(Jdbi jdbi, SecretBox box) {
    this.jdbi = jdbi;
    this.box = box;
  }

  private <T> T db(HandleCallback<T, RuntimeException> call) {
    return guard(() -> jdbi.withHandle(call));
  }

  private <T> T tx(HandleCallback<T, RuntimeException> call) {
    return guard(() -> jdbi.inTransaction(call));
  }

  @Override
  public boolean insertUser(ConsoleUser user, String emailKey, String passwordHash) {
    return db(
            h ->
                h.createUpdate(
                        "INSERT INTO console_users ("
                            + USER_COLUMNS
                            + ", email_key) VALUES (:sid, :account, :email, :hash, NULL, NULL, 0,"
                            + " :created, :created, :key) ON CONFLICT (email_key) DO NOTHING")
                    .bind("sid", user.sid().value())
                    .bind("account", user.accountSid().value())
                    .bind("email", user.email())
                    .bind("hash", passwordHash)
                    .bind("created", user.dateCreated().toEpochMilli())
                    .bind("key", emailKey)
                    .execute())
        == 1;
  }

  @Override
  public Optional<StoredUser> findUser(ConsoleUserSid sid) {
    return userWhere("sid", sid.value());
  }

  @Override
  public List<AccountSid> mainAccounts() {
    return db(
        h ->
            h.createQuery(
                    "SELECT sid FROM accounts WHERE sid = owner_account_sid"
                        + " ORDER BY date_created, sid")
                .mapTo(String.class)
                .map(AccountSid::of)
                .list());
  }

  @Override
  public boolean accountExists(AccountSid account) {
    return db(
        h ->
            h.createQuery("SELECT COUNT(*) FROM accounts WHERE sid = :sid")
                    .bind("sid", account.value())
                    .mapTo(Integer.class)
                    .one()
                > 0);
  }

  @Override
  public boolean accountOpen(AccountSid account) {
    return db(
        h ->
            h.createQuery("SELECT COUNT(*) FROM accounts WHERE sid = :sid AND status <> 'closed'")
                    .bind("sid", account.value())
                    .mapTo(Integer.class)
                    .one()
                > 0);
  }

  @Override
  public Optional<StoredUser> findUserByEmailKey(String emailKey) {
    return userWhere("email_key", emailKey);
  }

  private Optional<StoredUser> userWhere(String column, String value) {
    return db(
        h ->
            h.createQuery(
                    "SELECT " + USER_COLUMNS + " FROM console_users WHERE " + column + " = :v")
                .bind("v", value)
                .map((rs, ctx) -> readUser(rs))
                .findOne());
  }

  @Override
  public List<ConsoleUser> listUsers(AccountSid account) {
    return db(
        h ->
            h.createQuery(
                    "SELECT "
                        + USER_COLUMNS
                        + " FROM console_users WHERE account_sid = :a ORDER BY date_created, sid")
                .bind("a", account.value())
                .map((rs, ctx) -> readUser(rs).user())
                .list());
  }

  @Override
  public long countUsers() {
    return db(h -> h.createQuery("SELECT COUNT(*) FROM console_users").mapTo(Long.class).one());
  }

  @Override
  public void setPassword(ConsoleUserSid sid, String passwordHash, Instant now) {
    db(
        h ->
            h.createUpdate(
                    "UPDATE console_users SET password_hash = :hash, date_updated = :now"
                        + " WHERE sid = :sid")
                .bind("hash", passwordHash)
                .bind("now", now.toEpochMilli())
                .bind("sid", sid.value())
                .execute());
  }

  @Override
  public void setPendingTotp(ConsoleUserSid sid, byte[] secret) {
    db(
        h ->
            h.createUpdate("UPDATE console_users SET totp_pending_enc = :p WHERE sid = :sid")
                .bind("p", seal(secret, sid))
                .bind("sid", sid.value())
                .execute());
  }

  @Override
  public boolean confirmTotp(ConsoleUserSid sid, long step, Instant now) {
    return db(
            h ->
                h.createUpdate(
                        "UPDATE console_users SET totp_secret_enc = totp_pending_enc,"
                            + " totp_pending_enc = NULL, totp_last_step = :step,"
                            + " date_updated = :now WHERE sid = :sid"
                            + " AND totp_pending_enc IS NOT NULL AND totp_last_step < :step")
                    .bind("step", step)
                    .bind("now", now.toEpochMilli())
                    .bind("sid", sid.value())
                    .execute())
        == 1;
  }

  @Override
  public boolean acceptTotpStep(ConsoleUserSid sid, long step) {
    return db(
            h ->
                h.createUpdate(
                        "UPDATE console_users SET totp_last_step = :step"
                            + " WHERE sid = :sid AND totp_last_step < :step")
                    .bind("step", step)
                    .bind("sid", sid.value())
                    .execute())
        == 1;
  }

  @Override
  public void replaceRecoveryCodes(ConsoleUserSid sid, List<String> codeHashes) {
    tx(
        h -> {
          h.createUpdate("DELETE FROM console_recovery_codes WHERE user_sid = :sid")
              .bind("sid", sid.value())
              .execute();
          var batch =
              h.prepareBatch(
                  "INSERT INTO console_recovery_codes (user_sid, code_hash) VALUES (:sid, :hash)");
          for (String hash : codeHashes) {
            batch.bind("sid", sid.value()).bind("hash", hash).add();
          }
          return batch.execute();
        });
  }

  @Override
  public boolean useRecoveryCode(ConsoleUserSid sid, String codeHash) {
    return db(
            h ->
                h.createUpdate(
                        "DELETE FROM console_recovery_codes WHERE user_sid = :sid"
                            + " AND code_hash = :hash")
                    .bind("sid", sid.value())
                    .bind("hash", codeHash)
                    .execute())
        == 1;
  }

  @Override
  public int countRecoveryCodes(ConsoleUserSid sid) {
    return db(
        h ->
            h.createQuery("SELECT COUNT(*) FROM console_recovery_codes WHERE user_sid = :sid")
                .bind("sid", sid.value())
                .mapTo(Integer.class)
                .one());
  }

  @Override
  public void insertSession(ConsoleSession s) {
    db(
        h ->
            h.createUpdate(
                    "INSERT INTO console_sessions ("
                        + SESSION_COLUMNS
                        + ") VALUES (:id, :user, :stage, :csrf, :created, :seen, :expires)")
                .bind("id", s.idHash())
                .bind("user", s.userSid().value())
                .bind("stage", s.stage().column)
                .bind("csrf", s.csrfToken())
                .bind("created", s.createdAt().toEpochMilli())
                .bind("seen", s.lastSeenAt().toEpochMilli())
                .bind("expires", s.expiresAt().toEpochMilli())
                .execute());
  }

  @Override
  public Optional<ConsoleSession> findSession(String idHash) {
    return db(
        h ->
            h.createQuery(
                    "SELECT " + SESSION_COLUMNS + " FROM console_sessions WHERE id_hash = :id")
                .bind("id", idHash)
                .map((rs, ctx) -> readSession(rs))
                .findOne());
  }

  @Override
  public void touchSession(String idHash, Instant now) {
    db(
        h ->
            h.createUpdate("UPDATE console_sessions SET last_seen_at = :now WHERE id_hash = :id")
                .bind("now", now.toEpochMilli())
                .bind("id", idHash)
                .execute());
  }

  @Override
  public boolean deleteSession(String idHash) {
    return db(
            h ->
                h.createUpdate("DELETE FROM console_sessions WHERE id_hash = :id")
                    .bind("id", idHash)
                    .execute())
        == 1;
  }

  @Override
  public int deleteSessionsOf(ConsoleUserSid sid, String keepIdHash) {
    return db(
        h ->
            h.createUpdate(
                    "DELETE FROM console_sessions WHERE user_sid = :sid AND id_hash <> :keep")
                .bind("sid", sid.value())
                // No session id hashes to the empty string: it keeps none.
                .bind("keep", keepIdHash == null ? "" : keepIdHash)
                .execute());
  }

  @Override
  public int deleteExpiredSessions(Instant now, Instant idleBefore) {
    return db(
        h ->
            h.createUpdate(
                    "DELETE FROM console_sessions WHERE expires_at <= :now"
                        + " OR last_seen_at < :idle")
                .bind("now", now.toEpochMilli())
                .bind("idle", idleBefore.toEpochMilli())
                .execute());
  }

  @Override
  public void insertSignUpLink(
      String tokenHash, ConsoleUserSid sid, Instant expiresAt, Instant now) {
    db(
        h ->
            h.createUpdate(
                    "INSERT INTO console_sign_up_links (token_hash, user_sid, expires_at,"
                        + " date_created) VALUES (:hash, :sid, :expires, :now)")
                .bind("hash", tokenHash)
                .bind("sid", sid.value())
                .bind("expires", expiresAt.toEpochMilli())
                .bind("now", now.toEpochMilli())
                .execute());
  }

  @Override
  public Optional<ConsoleUserSid> useSignUpLink(String tokenHash, Instant now) {
    return tx(
        h -> {
          Optional<ConsoleUserSid> user = linkUser(h, tokenHash, now);
          // Whoever deletes the row used the link; a racing second use deletes nothing.
          if (user.isPresent()
              && h.createUpdate("DELETE FROM console_sign_up_links WHERE token_hash = :hash")
                      .bind("hash", tokenHash)
                      .execute()
                  == 1) {
            return user;
          }
          return Optional.empty();
        });
  }

  @Override
  public Optional<ConsoleUserSid> peekSignUpLink(String tokenHash, Instant now) {
    return db(h -> linkUser(h, tokenHash, now));
  }

  private static Optional<ConsoleUserSid> linkUser(Handle h, String tokenHash, Instant now) {
    return h.createQuery(
            "SELECT user_sid FROM console_sign_up_links WHERE token_hash = :hash"
                + " AND expires_at > :now")
        .bind("hash", tokenHash)
        .bind("now", now.toEpochMilli())
        .mapTo(String.class)
        .findOne()
        .map(ConsoleUserSid::of);
  }

  private byte[] seal(byte[] secret, ConsoleUserSid sid) {
    return box.encrypt(Base64.getEncoder().encodeToString(secret), sid.value());
  }

  private byte[] open(byte[] sealed, String sid) {
    return sealed == null ? null : Base64.getDecoder().decode(box.decrypt(sealed, sid));
  }

  private StoredUser readUser(ResultSet rs) throws SQLException {
    String sid = rs.getString("sid");
    byte[] secret = open(rs.getBytes("totp_secret_enc"), sid);
    String hash = rs.getString("password_hash");
    ConsoleUser user =
        new ConsoleUser(
            ConsoleUserSid.of(sid),
            AccountSid.of(rs.getString("account_sid")),
            rs.getString("email"),
            hash != null,
            secret != null,
            Instant.ofEpochMilli(rs.getLong("date_created")),
            Instant.ofEpochMilli(rs.getLong("date_updated")));
    return new StoredUser(
        user,
        hash,
        secret,
        open(rs.getBytes("totp_pending_enc"), sid),
        rs.getLong("totp_last_step"));
  }

  private static ConsoleSession readSession(ResultSet rs) throws SQLException {
    return new ConsoleSession(
        rs.getString("id_hash"),
        ConsoleUserSid.of(rs.getString("user_sid")),
        ConsoleSession.Stage.of(rs.getString("stage")),
        rs.getString("csrf_token"),
        Instant.ofEpochMilli(rs.getLong("created_at")),
        Instant.ofEpochMilli(rs.getLong("last_seen_at")),
        Instant.ofEpochMilli(rs.getLong("expires_at")));
  }
}
