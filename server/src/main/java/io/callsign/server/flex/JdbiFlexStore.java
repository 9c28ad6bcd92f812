package io.callsign.server.flex;

import static io.callsign.server.store.StoreUnavailableException.guard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.http.Json;
import io.callsign.server.http.JsonBody;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.KeySid;
import io.callsign.tokens.sid.WorkerSid;
import io.callsign.tokens.sid.WorkspaceSid;
import java.security.SecureRandom;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/**
 * {@link FlexStore} on JDBI. An instance's token key is sealed by the {@link SecretBox} with the
 * instance SID as associated data.
 */
public final class JdbiFlexStore implements FlexStore {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final SecureRandom RANDOM = new SecureRandom();
  private static final String INSTANCE_COLUMNS =
      "sid, account_sid, workspace_sid, token_key_enc, token_ttl, token_server_key_sid,"
          + " date_created, date_updated";
  private static final String USER_COLUMNS =
      "u.sid, u.instance_sid, i.account_sid, u.username, u.email, u.full_name, u.locale, u.roles,"
          + " u.worker_sid, u.worker_attributes, u.password_hash, u.deactivated_date,"
          + " u.token_generation, u.version, u.date_created, u.date_updated";
  private static final String USERS =
      " FROM flex_users u JOIN flex_instances i ON i.sid = u.instance_sid";
  private static final String ROLE_COLUMNS =
      "name, permissions, grants, date_created, date_updated";

  private final Jdbi jdbi;
  private final SecretBox box;

  /** A store over {@code jdbi}, sealing token keys with {@code box}. */
  public JdbiFlexStore(Jdbi jdbi, SecretBox box) {
    this.jdbi = jdbi;
    this.box = box;
  }

  private <T> T db(HandleCallback<T, RuntimeException> call) {
    return guard(() -> jdbi.withHandle(call));
  }

  /**
   * Inserts a new instance for {@code account} through {@code h}: the account store calls this in
   * the transaction that creates the account, so that no account is ever without its instance. Does
   * nothing when the account already has one.
   */
  public void insertInstanceFor(Handle h, AccountSid account, Instant now) {
    FlexInstanceSid sid = FlexInstanceSid.random();
    byte[] key = new byte[32];
    RANDOM.nextBytes(key);
    h.createUpdate(
            "INSERT INTO flex_instances ("
                + INSTANCE_COLUMNS
                + ") VALUES (:sid, :account, :workspace, :key, :ttl, NULL, :now, :now)"
                + " ON CONFLICT (account_sid) DO NOTHING")
        .bind("sid", sid.value())
        .bind("account", account.value())
        .bind("workspace", WorkspaceSid.random().value())
        .bind("key", box.encrypt(Base64.getEncoder().encodeToString(key), sid.value()))
        .bind("ttl", FlexInstance.DEFAULT_TOKEN_TTL)
        .bind("now", now.toEpochMilli())
        .execute();
  }

  @Override
  public int createMissingInstances(Instant now) {
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  List<String> missing =
                      h.createQuery(
                              "SELECT a.sid FROM accounts a WHERE NOT EXISTS"
                                  + " (SELECT 1 FROM flex_instances i WHERE i.account_sid = a.sid)")
                          .mapTo(String.class)
                          .list();
                  for (String account : missing) {
                    insertInstanceFor(h, AccountSid.of(account), now);
                  }
                  return missing.size();
                }));
  }

  @Override
  public Optional<FlexInstance> findInstance(FlexInstanceSid sid) {
    return db(
        h ->
            h.createQuery("SELECT " + INSTANCE_COLUMNS + " FROM flex_instances WHERE sid = :sid")
                .bind("sid", sid.value())
                .map((rs, ctx) -> readInstance(rs))
                .findOne());
  }

  @Override
  public Optional<FlexInstance> findInstanceOf(AccountSid account) {
    return db(
        h ->
            h.createQuery(
                    "SELECT " + INSTANCE_COLUMNS + " FROM flex_instances WHERE account_sid = :a")
                .bind("a", account.value())
                .map((rs, ctx) -> readInstance(rs))
                .findOne());
  }

  @Override
  public boolean updateTokenTtl(FlexInstanceSid sid, int ttl, Instant now) {
    return db(
        h ->
            h.createUpdate(
                        "UPDATE flex_instances SET token_ttl = :ttl, date_updated = :now"
                            + " WHERE sid = :sid")
                    .bind("ttl", ttl)
                    .bind("now", now.toEpochMilli())
                    .bind("sid", sid.value())
                    .execute()
                > 0);
  }

  @Override
  public boolean replaceTokenServerKey(
      FlexInstanceSid sid, KeySid expected, KeySid key, Instant now) {
    String condition =
        expected == null ? "token_server_key_sid IS NULL" : "token_server_key_sid = :expected";
    return db(
        h ->
            h.createUpdate(
                        "UPDATE flex_instances SET token_server_key_sid = :key, date_updated ="
                            + " :now WHERE sid = :sid AND "
                            + condition)
                    .bind("key", key.value())
                    .bindMap(expected == null ? Map.of() : Map.of("expected", expected.value()))
                    .bind("now", now.toEpochMilli())
                    .bind("sid", sid.value())
                    .execute()
                > 0);
  }

  @Override
  public boolean insertUser(FlexUser u, String usernameKey) {
    return db(
        h ->
            h.createUpdate(
                        "INSERT INTO flex_users (sid, instance_sid, username, username_key, email,"
                            + " full_name, locale, roles, worker_sid, worker_attributes,"
                            + " password_hash, deactivated_date, token_generation, version,"
                            + " date_created, date_updated) VALUES (:sid, :instance, :username,"
                            + " :key, :email, :fullName, :locale, :roles, :worker, :attributes,"
                            + " :hash, :deactivated, :generation, :version, :created, :updated)"
                            + " ON CONFLICT (instance_sid, username_key) DO NOTHING")
                    .bind("sid", u.sid().value())
                    .bind("instance", u.instanceSid().value())
                    .bind("username", u.username())
                    .bind("key", usernameKey)
                    .bind("email", u.email())
                    .bind("fullName", u.fullName())
                    .bind("locale", u.locale())
                    .bind("roles", Json.write(u.roles()))
                    .bind("worker", u.workerSid() == null ? null : u.workerSid().value())
                    .bind("attributes", u.workerAttributes())
                    .bind("hash", u.passwordHash())
                    .bind("deactivated", millis(u.deactivatedDate()))
                    .bind("generation", u.tokenGeneration())
                    .bind("version", u.version())
                    .bind("created", u.dateCreated().toEpochMilli())
                    .bind("updated", u.dateUpdated().toEpochMilli())
                    .execute()
                == 1);
  }

  @Override
  public Optional<FlexUser> findUser(FlexUserSid sid) {
    return db(
        h ->
            h.createQuery("SELECT " + USER_COLUMNS + USERS + " WHERE u.sid = :sid")
                .bind("sid", sid.value())
                .map((rs, ctx) -> readUser(rs))
                .findOne());
  }

  @Override
  public Optional<FlexUser> findUserByUsernameKey(FlexInstanceSid instance, String usernameKey) {
    return db(
        h ->
            h.createQuery(
                    "SELECT "
                        + USER_COLUMNS
                        + USERS
                        + " WHERE u.instance_sid = :instance AND u.username_key = :key")
                .bind("instance", instance.value())
                .bind("key", usernameKey)
                .map((rs, ctx) -> readUser(rs))
                .findOne());
  }

  @Override
  public List<FlexUser> pageUsers(
      FlexInstanceSid instance, String after, String before, int limit) {
    String where;
    String order;
    if (after != null) {
      where = " AND u.username_key > :cursor";
      order = " ORDER BY u.username_key ASC";
    } else if (before != null) {
      where = " AND u.username_key < :cursor";
      order = " ORDER BY u.username_key DESC";
    } else {
      where = "";
      order = " ORDER BY u.username_key ASC";
    }
    List<FlexUser> users =
        db(
            h ->
                h.createQuery(
                        "SELECT "
                            + USER_COLUMNS
                            + USERS
                            + " WHERE u.instance_sid = :instance"
                            + where
                            + order
                            + " LIMIT :limit")
                    .bind("instance", instance.value())
                    .bindMap(
                        after == null && before == null
                            ? Map.of()
                            : Map.of("cursor", after != null ? after : before))
                    .bind("limit", limit)
                    .map((rs, ctx) -> readUser(rs))
                    .list());
    if (after == null && before != null) {
      users = new ArrayList<>(users).reversed();
    }
    return users;
  }

  @Override
  public boolean updateUser(FlexUser u, long expectedVersion) {
    return db(
        h ->
            h.createUpdate(
                        "UPDATE flex_users SET email = :email, full_name = :fullName, locale ="
                            + " :locale, roles = :roles, worker_sid = :worker, worker_attributes"
                            + " = :attributes, deactivated_date = :deactivated, token_generation"
                            + " = :generation, version = :version, date_updated = :updated"
                            + " WHERE sid = :sid AND version = :expected")
                    .bind("email", u.email())
                    .bind("fullName", u.fullName())
                    .bind("locale", u.locale())
                    .bind("roles", Json.write(u.roles()))
                    .bind("worker", u.workerSid() == null ? null : u.workerSid().value())
                    .bind("attributes", u.workerAttributes())
                    .bind("deactivated", millis(u.deactivatedDate()))
                    .bind("generation", u.tokenGeneration())
                    .bind("version", u.version())
                    .bind("updated", u.dateUpdated().toEpochMilli())
                    .bind("sid", u.sid().value())
                    .bind("expected", expectedVersion)
                    .execute()
                > 0);
  }

  @Override
  public boolean setPasswordHash(FlexUserSid sid, String hash, Instant now) {
    return db(
        h ->
            h.createUpdate(
                        "UPDATE flex_users SET password_hash = :hash, date_updated = :now"
                            + " WHERE sid = :sid")
                    .bind("hash", hash)
                    .bind("now", now.toEpochMilli())
                    .bind("sid", sid.value())
                    .execute()
                > 0);
  }

  @Override
  public List<FlexRole> listRoles(FlexInstanceSid instance) {
    return db(
        h ->
            h.createQuery(
                    "SELECT "
                        + ROLE_COLUMNS
                        + " FROM flex_roles WHERE instance_sid = :instance ORDER BY name")
                .bind("instance", instance.value())
                .map((rs, ctx) -> readRole(rs))
                .list());
  }

  @Override
  public Optional<FlexRole> findRole(FlexInstanceSid instance, String name) {
    return db(
        h ->
            h.createQuery(
                    "SELECT "
                        + ROLE_COLUMNS
                        + " FROM flex_roles WHERE instance_sid = :instance AND name = :name")
                .bind("instance", instance.value())
                .bind("name", name)
                .map((rs, ctx) -> readRole(rs))
                .findOne());
  }

  @Override
  public void saveRole(FlexInstanceSid instance, FlexRole role) {
    db(
        h ->
            h.createUpdate(
                    "INSERT INTO flex_roles (instance_sid, "
                        + ROLE_COLUMNS
                        + ") VALUES (:instance, :name, :permissions, :grants, :created, :updated)"
                        + " ON CONFLICT (instance_sid, name) DO UPDATE SET permissions ="
                        + " excluded.permissions, grants = excluded.grants, date_updated ="
                        + " excluded.date_updated")
                .bind("instance", instance.value())
                .bind("name", role.name())
                .bind("permissions", Json.write(role.permissionCodes()))
                .bind("grants", Json.write(role.grants().toJson()))
                .bind("created", role.dateCreated().toEpochMilli())
                .bind("updated", role.dateUpdated().toEpochMilli())
                .execute());
  }

  @Override
  public boolean deleteRole(FlexInstanceSid instance, String name) {
    return db(
        h ->
            h.createUpdate("DELETE FROM flex_roles WHERE instance_sid = :instance AND name = :name")
                    .bind("instance", instance.value())
                    .bind("name", name)
                    .execute()
                > 0);
  }

  @Override
  public int countActiveUsersWithRole(FlexInstanceSid instance, String name) {
    // Role names are [a-z0-9_-]: the quoted name matches exactly one element of the JSON list.
    return db(
        h ->
            h.createQuery(
                    "SELECT COUNT(*) FROM flex_users WHERE instance_sid = :instance"
                        + " AND deactivated_date IS NULL AND roles LIKE :pattern")
                .bind("instance", instance.value())
                .bind("pattern", "%\"" + name + "\"%")
                .mapTo(Integer.class)
                .one());
  }

  @Override
  public void revokeToken(String tokenId, FlexInstanceSid instance, Instant expiresAt) {
    db(
        h ->
            h.createUpdate(
                    "INSERT INTO flex_revoked_tokens (token_id, instance_sid, expires_at)"
                        + " VALUES (:id, :instance, :expires) ON CONFLICT (token_id) DO NOTHING")
                .bind("id", tokenId)
                .bind("instance", instance.value())
                .bind("expires", expiresAt.toEpochMilli())
                .execute());
  }

  @Override
  public boolean isTokenRevoked(String tokenId) {
    return db(
        h ->
            h.createQuery("SELECT COUNT(*) FROM flex_revoked_tokens WHERE token_id = :id")
                    .bind("id", tokenId)
                    .mapTo(Integer.class)
                    .one()
                > 0);
  }

  @Override
  public int pruneRevokedTokens(Instant now) {
    return db(
        h ->
            h.createUpdate("DELETE FROM flex_revoked_tokens WHERE expires_at < :now")
                .bind("now", now.toEpochMilli())
                .execute());
  }

  private FlexInstance readInstance(ResultSet rs) throws SQLException {
    String sid = rs.getString("sid");
    byte[] key = Base64.getDecoder().decode(box.decrypt(rs.getBytes("token_key_enc"), sid));
    String serverKey = rs.getString("token_server_key_sid");
    return new FlexInstance(
        FlexInstanceSid.of(sid),
        AccountSid.of(rs.getString("account_sid")),
        WorkspaceSid.of(rs.getString("workspace_sid")),
        aesKey(key),
        rs.getInt("token_ttl"),
        serverKey == null ? null : KeySid.of(serverKey),
        Instant.ofEpochMilli(rs.getLong("date_created")),
        Instant.ofEpochMilli(rs.getLong("date_updated")));
  }

  private static SecretKey aesKey(byte[] key) {
    return new SecretKeySpec(key, "AES");
  }

  private static FlexUser readUser(ResultSet rs) throws SQLException {
    String worker = rs.getString("worker_sid");
    long deactivated = rs.getLong("deactivated_date");
    boolean active = rs.wasNull();
    return new FlexUser(
        FlexUserSid.of(rs.getString("sid")),
        FlexInstanceSid.of(rs.getString("instance_sid")),
        AccountSid.of(rs.getString("account_sid")),
        rs.getString("username"),
        rs.getString("email"),
        rs.getString("full_name"),
        rs.getString("locale"),
        strings(rs.getString("roles")),
        worker == null ? null : WorkerSid.of(worker),
        rs.getString("worker_attributes"),
        rs.getString("password_hash"),
        active ? null : Instant.ofEpochMilli(deactivated),
        rs.getLong("token_generation"),
        rs.getLong("version"),
        Instant.ofEpochMilli(rs.getLong("date_created")),
        Instant.ofEpochMilli(rs.getLong("date_updated")));
  }

  private static FlexRole readRole(ResultSet rs) throws SQLException {
    String name = rs.getString("name");
    List<FlexPermission> permissions =
        strings(rs.getString("permissions")).stream()
            .map(c -> FlexPermission.ofCode(c).orElseThrow())
            .toList();
    RoleGrants grants =
        RoleGrants.parse(
            JsonBody.parse("{\"grants\":" + rs.getString("grants") + "}", Set.of("grants")),
            "grants");
    return new FlexRole(
        name,
        permissions,
        grants,
        FlexRole.builtIn(name).isPresent(),
        Instant.ofEpochMilli(rs.getLong("date_created")),
        Instant.ofEpochMilli(rs.getLong("date_updated")));
  }

  private static List<String> strings(String json) {
    try {
      return MAPPER.readValue(json, STRINGS);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a stored list is not a JSON list of strings", e);
    }
  }

  private static Long millis(Instant t) {
    return t == null ? null : t.toEpochMilli();
  }
}
