package io.callsign.server.sso;

import static io.callsign.server.store.StoreUnavailableException.guard;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.callsign.server.crypto.SecretBox;
import io.callsign.server.http.Json;
import io.callsign.tokens.sid.AccountSid;
import io.callsign.tokens.sid.FlexInstanceSid;
import io.callsign.tokens.sid.FlexUserSid;
import io.callsign.tokens.sid.SsoProfileSid;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.jdbi.v3.core.Handle;
import org.jdbi.v3.core.HandleCallback;
import org.jdbi.v3.core.Jdbi;

/**
 * {@link SsoStore} on JDBI. A profile's client secret is sealed by the {@link SecretBox} with the
 * profile SID as associated data; a pending sign-in's PKCE verifier with its state hash.
 */
public final class JdbiSsoStore implements SsoStore {
  private static final ObjectMapper MAPPER = new ObjectMapper();
  private static final TypeReference<List<String>> STRINGS = new TypeReference<>() {};
  private static final String PROFILE_COLUMNS =
      "sid, account_sid, instance_sid, friendly_name, issuer, client_id, client_secret_enc, scopes,"
          + " username_claim, email_claim, full_name_claim, roles_claim, default_role,"
          + " redirect_urls, active, app_type, version, date_created, date_updated";
  private static final String PENDING_COLUMNS =
      "state_hash, profile_sid, issuer, browser_hash, nonce, code_verifier_enc, callback_url,"
          + " sdk_redirect_url, sdk_state, sdk_nonce, sdk_code_challenge, expires_at, date_created";
  private static final String CODE_COLUMNS =
      "code_hash, profile_sid, flex_user_sid, sdk_redirect_url, sdk_nonce, sdk_code_challenge,"
          + " expires_at, used_at, family_id, date_created";
  private static final String FAMILY_COLUMNS =
      "family_id, profile_sid, instance_sid, flex_user_sid, expires_at, revoked_at, date_created";
  private static final String REFRESH_COLUMNS =
      "token_hash, family_id, access_token_id, access_expires_at, expires_at, used_at,"
          + " date_created";

  private final Jdbi jdbi;
  private final SecretBox box;

  /** A store over {@code jdbi}, sealing secrets with {@code box}. */
  public JdbiSsoStore(Jdbi jdbi, SecretBox box) {
    this.jdbi = jdbi;
    this.box = box;
  }

  private <T> T db(HandleCallback<T, RuntimeException> call) {
    return guard(() -> jdbi.withHandle(call));
  }

  // ------------------------------------------------------------------------------- profiles

  @Override
  public void insertProfile(SsoProfile p) {
    db(
        h ->
            h.createUpdate(
                    "INSERT INTO sso_profiles ("
                        + PROFILE_COLUMNS
                        + ") VALUES (:sid, :account, :instance, :name, :issuer, :clientId,"
                        + " :secret, :scopes, :usernameClaim, :emailClaim, :fullNameClaim,"
                        + " :rolesClaim, :defaultRole, :redirectUrls, :active, :appType,"
                        + " :version, :created, :updated)")
                .bind("sid", p.sid().value())
                .bind("account", p.accountSid().value())
                .bind("instance", p.instanceSid().value())
                .bind("created", p.dateCreated().toEpochMilli())
                .bindMap(profileFields(p))
                .execute());
  }

  private Map<String, Object> profileFields(SsoProfile p) {
    Map<String, Object> fields = new HashMap<>();
    fields.put("name", p.friendlyName());
    fields.put("issuer", p.issuer());
    fields.put("clientId", p.clientId());
    fields.put(
        "secret", p.clientSecret() == null ? null : box.encrypt(p.clientSecret(), p.sid().value()));
    fields.put("scopes", Json.write(p.scopes()));
    fields.put("usernameClaim", p.usernameClaim());
    fields.put("emailClaim", p.emailClaim());
    fields.put("fullNameClaim", p.fullNameClaim());
    fields.put("rolesClaim", p.rolesClaim());
    fields.put("defaultRole", p.defaultRole());
    fields.put("redirectUrls", Json.write(p.redirectUrls()));
    fields.put("active", p.active() ? 1 : 0);
    fields.put("appType", p.appType());
    fields.put("version", p.version());
    fields.put("updated", p.dateUpdated().toEpochMilli());
    return fields;
  }

  @Override
  public Optional<SsoProfile> findProfile(SsoProfileSid sid) {
    return db(
        h ->
            h.createQuery("SELECT " + PROFILE_COLUMNS + " FROM sso_profiles WHERE sid = :sid")
                .bind("sid", sid.value())
                .map((rs, ctx) -> readProfile(rs))
                .findOne());
  }

  @Override
  public List<SsoProfile> listProfiles(FlexInstanceSid instance) {
    return profilesWhere("instance_sid", instance.value());
  }

  @Override
  public List<SsoProfile> listProfilesOfAccount(AccountSid account) {
    return profilesWhere("account_sid", account.value());
  }

  // column is one of this class's constants, never input.
  private List<SsoProfile> profilesWhere(String column, String value) {
    return db(
        h ->
            h.createQuery(
                    "SELECT "
                        + PROFILE_COLUMNS
                        + " FROM sso_profiles WHERE "
                        + column
                        + " = :value ORDER BY date_created, sid")
                .bind("value", value)
                .map((rs, ctx) -> readProfile(rs))
                .list());
  }

  @Override
  public boolean updateProfile(SsoProfile p, long expectedVersion) {
    return db(
        h ->
            h.createUpdate(
                        "UPDATE sso_profiles SET friendly_name = :name, issuer = :issuer,"
                            + " client_id = :clientId, client_secret_enc = :secret, scopes ="
                            + " :scopes, username_claim = :usernameClaim, email_claim ="
                            + " :emailClaim, full_name_claim = :fullNameClaim, roles_claim ="
                            + " :rolesClaim, default_role = :defaultRole, redirect_urls ="
                            + " :redirectUrls, active = :active, app_type = :appType, version ="
                            + " :version, date_updated = :updated WHERE sid = :sid AND version ="
                            + " :expected")
                    .bind("sid", p.sid().value())
                    .bind("expected", expectedVersion)
                    .bindMap(profileFields(p))
                    .execute()
                > 0);
  }

  @Override
  public boolean deleteProfile(SsoProfileSid sid) {
    return db(
        h ->
            h.createUpdate("DELETE FROM sso_profiles WHERE sid = :sid")
                    .bind("sid", sid.value())
                    .execute()
                > 0);
  }

  private SsoProfile readProfile(ResultSet rs) throws SQLException {
    String sid = rs.getString("sid");
    byte[] secret = rs.getBytes("client_secret_enc");
    return new SsoProfile(
        SsoProfileSid.of(sid),
        AccountSid.of(rs.getString("account_sid")),
        FlexInstanceSid.of(rs.getString("instance_sid")),
        rs.getString("friendly_name"),
        rs.getString("issuer"),
        rs.getString("client_id"),
        secret == null ? null : box.decrypt(secret, sid),
        strings(rs.getString("scopes")),
        rs.getString("username_claim"),
        rs.getString("email_claim"),
        rs.getString("full_name_claim"),
        rs.getString("roles_claim"),
        rs.getString("default_role"),
        strings(rs.getString("redirect_urls")),
        rs.getLong("active") != 0,
        rs.getString("app_type"),
        rs.getLong("version"),
        Instant.ofEpochMilli(rs.getLong("date_created")),
        Instant.ofEpochMilli(rs.getLong("date_updated")));
  }

  private static List<String> strings(String json) {
    try {
      return MAPPER.readValue(json, STRINGS);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException("a stored list is not JSON", e);
    }
  }

  // ---------------------------------------------------------------------------------- links

  @Override
  public Optional<FlexUserSid> findLink(FlexInstanceSid instance, String issuer, String subject) {
    return db(
        h ->
            h.createQuery(
                    "SELECT flex_user_sid FROM sso_user_links WHERE instance_sid = :instance"
                        + " AND issuer = :issuer AND subject = :subject")
                .bind("instance", instance.value())
                .bind("issuer", issuer)
                .bind("subject", subject)
                .mapTo(String.class)
                .findOne()
                .map(FlexUserSid::of));
  }

  @Override
  public boolean insertLink(
      FlexInstanceSid instance,
      String issuer,
      String subject,
      FlexUserSid user,
      SsoProfileSid profile,
      Instant now) {
    return db(
        h ->
            h.createUpdate(
                        "INSERT INTO sso_user_links (instance_sid, issuer, subject, flex_user_sid,"
                            + " profile_sid, date_created, date_updated) VALUES (:instance,"
                            + " :issuer, :subject, :user, :profile, :now, :now)"
                            + " ON CONFLICT (instance_sid, issuer, subject) DO NOTHING")
                    .bind("instance", instance.value())
                    .bind("issuer", issuer)
                    .bind("subject", subject)
                    .bind("user", user.value())
                    .bind("profile", profile.value())
                    .bind("now", now.toEpochMilli())
                    .execute()
                == 1);
  }

  @Override
  public void touchLink(FlexInstanceSid instance, String issuer, String subject, Instant now) {
    db(
        h ->
            h.createUpdate(
                    "UPDATE sso_user_links SET date_updated = :now WHERE instance_sid = :instance"
                        + " AND issuer = :issuer AND subject = :subject")
                .bind("instance", instance.value())
                .bind("issuer", issuer)
                .bind("subject", subject)
                .bind("now", now.toEpochMilli())
                .execute());
  }

  // --------------------------------------------------------------------------- pending logins

  @Override
  public void insertPendingLogin(PendingLogin p) {
    db(
        h ->
            h.createUpdate(
                    "INSERT INTO sso_pending_logins ("
                        + PENDING_COLUMNS
                        + ") VALUES (:state, :profile, :issuer, :browser, :nonce, :verifier,"
                        + " :callback, :redirect, :sdkState, :sdkNonce, :challenge, :expires,"
                        + " :created)")
                .bind("state", p.stateHash())
                .bind("profile", p.profileSid().value())
                .bind("issuer", p.issuer())
                .bind("browser", p.browserHash())
                .bind("nonce", p.nonce())
                .bind("verifier", box.encrypt(p.codeVerifier(), p.stateHash()))
                .bind("callback", p.callbackUrl())
                .bind("redirect", p.sdkRedirectUrl())
                .bind("sdkState", p.sdkState())
                .bind("sdkNonce", p.sdkNonce())
                .bind("challenge", p.sdkCodeChallenge())
                .bind("expires", p.expiresAt().toEpochMilli())
                .bind("created", p.dateCreated().toEpochMilli())
                .execute());
  }

  @Override
  public Optional<PendingLogin> takePendingLogin(String stateHash) {
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  Optional<PendingLogin> found =
                      h.createQuery(
                              "SELECT "
                                  + PENDING_COLUMNS
                                  + " FROM sso_pending_logins WHERE state_hash = :state")
                          .bind("state", stateHash)
                          .map((rs, ctx) -> readPending(rs))
                          .findOne();
                  // Whoever deletes the row has it; a concurrent taker deletes nothing.
                  int deleted =
                      h.createUpdate("DELETE FROM sso_pending_logins WHERE state_hash = :state")
                          .bind("state", stateHash)
                          .execute();
                  return deleted == 1 ? found : Optional.empty();
                }));
  }

  private PendingLogin readPending(ResultSet rs) throws SQLException {
    String stateHash = rs.getString("state_hash");
    return new PendingLogin(
        stateHash,
        SsoProfileSid.of(rs.getString("profile_sid")),
        rs.getString("issuer"),
        rs.getString("browser_hash"),
        rs.getString("nonce"),
        box.decrypt(rs.getBytes("code_verifier_enc"), stateHash),
        rs.getString("callback_url"),
        rs.getString("sdk_redirect_url"),
        rs.getString("sdk_state"),
        rs.getString("sdk_nonce"),
        rs.getString("sdk_code_challenge"),
        Instant.ofEpochMilli(rs.getLong("expires_at")),
        Instant.ofEpochMilli(rs.getLong("date_created")));
  }

  // ---------------------------------------------------------------------------------- codes

  @Override
  public void insertCode(IssuedCode c) {
    db(
        h ->
            h.createUpdate(
                    "INSERT INTO sso_authorization_codes ("
                        + CODE_COLUMNS
                        + ") VALUES (:hash, :profile, :user, :redirect, :nonce, :challenge,"
                        + " :expires, NULL, NULL, :created)")
                .bind("hash", c.codeHash())
                .bind("profile", c.profileSid().value())
                .bind("user", c.userSid().value())
                .bind("redirect", c.sdkRedirectUrl())
                .bind("nonce", c.sdkNonce())
                .bind("challenge", c.sdkCodeChallenge())
                .bind("expires", c.expiresAt().toEpochMilli())
                .bind("created", c.dateCreated().toEpochMilli())
                .execute());
  }

  @Override
  public Optional<IssuedCode> claimCode(String codeHash, String familyId, Instant now) {
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  int claimed =
                      h.createUpdate(
                              "UPDATE sso_authorization_codes SET used_at = :now, family_id ="
                                  + " :family WHERE code_hash = :hash AND used_at IS NULL")
                          .bind("now", now.toEpochMilli())
                          .bind("family", familyId)
                          .bind("hash", codeHash)
                          .execute();
                  return claimed == 1 ? findCode(h, codeHash) : Optional.<IssuedCode>empty();
                }));
  }

  @Override
  public Optional<IssuedCode> markCodeReplayed(String codeHash, Instant now) {
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  int marked =
                      h.createUpdate(
                              "UPDATE sso_authorization_codes SET replayed_at = :now"
                                  + " WHERE code_hash = :hash AND used_at IS NOT NULL")
                          .bind("now", now.toEpochMilli())
                          .bind("hash", codeHash)
                          .execute();
                  return marked == 1 ? findCode(h, codeHash) : Optional.<IssuedCode>empty();
                }));
  }

  @Override
  public boolean markCodeExchanged(String codeHash, Instant now) {
    return db(
        h ->
            h.createUpdate(
                        "UPDATE sso_authorization_codes SET exchanged_at = :now"
                            + " WHERE code_hash = :hash AND replayed_at IS NULL")
                    .bind("now", now.toEpochMilli())
                    .bind("hash", codeHash)
                    .execute()
                == 1);
  }

  private static Optional<IssuedCode> findCode(Handle h, String codeHash) {
    return h.createQuery(
            "SELECT " + CODE_COLUMNS + " FROM sso_authorization_codes WHERE code_hash = :hash")
        .bind("hash", codeHash)
        .map(
            (rs, ctx) ->
                new IssuedCode(
                    rs.getString("code_hash"),
                    SsoProfileSid.of(rs.getString("profile_sid")),
                    FlexUserSid.of(rs.getString("flex_user_sid")),
                    rs.getString("sdk_redirect_url"),
                    rs.getString("sdk_nonce"),
                    rs.getString("sdk_code_challenge"),
                    Instant.ofEpochMilli(rs.getLong("expires_at")),
                    instant(rs, "used_at"),
                    rs.getString("family_id"),
                    Instant.ofEpochMilli(rs.getLong("date_created"))))
        .findOne();
  }

  // ------------------------------------------------------------------------- refresh tokens

  @Override
  public void insertFamily(RefreshFamily f) {
    db(
        h ->
            h.createUpdate(
                    "INSERT INTO sso_refresh_families ("
                        + FAMILY_COLUMNS
                        + ") VALUES (:family, :profile, :instance, :user, :expires, NULL,"
                        + " :created)")
                .bind("family", f.familyId())
                .bind("profile", f.profileSid().value())
                .bind("instance", f.instanceSid().value())
                .bind("user", f.userSid().value())
                .bind("expires", f.expiresAt().toEpochMilli())
                .bind("created", f.dateCreated().toEpochMilli())
                .execute());
  }

  @Override
  public Optional<RefreshFamily> findFamily(String familyId) {
    return db(
        h ->
            h.createQuery(
                    "SELECT "
                        + FAMILY_COLUMNS
                        + " FROM sso_refresh_families WHERE family_id = :family")
                .bind("family", familyId)
                .map(
                    (rs, ctx) ->
                        new RefreshFamily(
                            rs.getString("family_id"),
                            SsoProfileSid.of(rs.getString("profile_sid")),
                            FlexInstanceSid.of(rs.getString("instance_sid")),
                            FlexUserSid.of(rs.getString("flex_user_sid")),
                            Instant.ofEpochMilli(rs.getLong("expires_at")),
                            instant(rs, "revoked_at"),
                            Instant.ofEpochMilli(rs.getLong("date_created"))))
                .findOne());
  }

  @Override
  public boolean holdFamily(String familyId) {
    // A write that changes nothing, for its row lock (the write lock in SQLite).
    return db(
        h ->
            h.createUpdate(
                        "UPDATE sso_refresh_families SET family_id = family_id"
                            + " WHERE family_id = :family AND revoked_at IS NULL")
                    .bind("family", familyId)
                    .execute()
                == 1);
  }

  @Override
  public void insertRefreshToken(RefreshToken t) {
    db(
        h ->
            h.createUpdate(
                    "INSERT INTO sso_refresh_tokens ("
                        + REFRESH_COLUMNS
                        + ") VALUES (:hash, :family, :access, :accessExpires, :expires, NULL,"
                        + " :created)")
                .bind("hash", t.tokenHash())
                .bind("family", t.familyId())
                .bind("access", t.accessTokenId())
                .bind("accessExpires", t.accessExpiresAt().toEpochMilli())
                .bind("expires", t.expiresAt().toEpochMilli())
                .bind("created", t.dateCreated().toEpochMilli())
                .execute());
  }

  @Override
  public Optional<RefreshToken> findRefreshToken(String tokenHash) {
    return db(h -> findRefreshToken(h, tokenHash));
  }

  private static Optional<RefreshToken> findRefreshToken(Handle h, String tokenHash) {
    return h.createQuery(
            "SELECT " + REFRESH_COLUMNS + " FROM sso_refresh_tokens WHERE token_hash = :hash")
        .bind("hash", tokenHash)
        .map(
            (rs, ctx) ->
                new RefreshToken(
                    rs.getString("token_hash"),
                    rs.getString("family_id"),
                    rs.getString("access_token_id"),
                    Instant.ofEpochMilli(rs.getLong("access_expires_at")),
                    Instant.ofEpochMilli(rs.getLong("expires_at")),
                    instant(rs, "used_at"),
                    Instant.ofEpochMilli(rs.getLong("date_created"))))
        .findOne();
  }

  @Override
  public Optional<RefreshToken> claimRefreshToken(String tokenHash, Instant now) {
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  int claimed =
                      h.createUpdate(
                              "UPDATE sso_refresh_tokens SET used_at = :now"
                                  + " WHERE token_hash = :hash AND used_at IS NULL")
                          .bind("now", now.toEpochMilli())
                          .bind("hash", tokenHash)
                          .execute();
                  return claimed == 1
                      ? findRefreshToken(h, tokenHash)
                      : Optional.<RefreshToken>empty();
                }));
  }

  @Override
  public List<IssuedAccess> revokeFamily(String familyId, Instant now) {
    return guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  h.createUpdate(
                          "UPDATE sso_refresh_families SET revoked_at = :now"
                              + " WHERE family_id = :family AND revoked_at IS NULL")
                      .bind("now", now.toEpochMilli())
                      .bind("family", familyId)
                      .execute();
                  return h.createQuery(
                          "SELECT access_token_id, access_expires_at FROM sso_refresh_tokens"
                              + " WHERE family_id = :family")
                      .bind("family", familyId)
                      .map(
                          (rs, ctx) ->
                              new IssuedAccess(
                                  rs.getString("access_token_id"),
                                  Instant.ofEpochMilli(rs.getLong("access_expires_at"))))
                      .list();
                }));
  }

  @Override
  public void prune(Instant now, Instant codesBefore) {
    guard(
        () ->
            jdbi.inTransaction(
                h -> {
                  h.createUpdate("DELETE FROM sso_pending_logins WHERE expires_at < :now")
                      .bind("now", now.toEpochMilli())
                      .execute();
                  h.createUpdate("DELETE FROM sso_authorization_codes WHERE date_created < :before")
                      .bind("before", codesBefore.toEpochMilli())
                      .execute();
                  // Their refresh tokens go with them (ON DELETE CASCADE).
                  return h.createUpdate("DELETE FROM sso_refresh_families WHERE expires_at < :now")
                      .bind("now", now.toEpochMilli())
                      .execute();
                }));
  }

  private static Instant instant(ResultSet rs, String column) throws SQLException {
    long millis = rs.getLong(column);
    return rs.wasNull() ? null : Instant.ofEpochMilli(millis);
  }
}
