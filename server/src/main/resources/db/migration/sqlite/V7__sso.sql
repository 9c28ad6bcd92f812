-- Single sign-on (docs/design/0011-sso.md): SSO profiles brokering Flex sign-in to a customer's
-- OpenID Connect provider, the links from a provider's (issuer, sub) to Flex users, and the
-- short-lived and single-use records of a sign-in. Codes and tokens are stored as SHA-256 hashes
-- only; single use is a conditional UPDATE or DELETE here, so it holds across nodes. Times are epoch
-- milliseconds (UTC). (V6 is taken by another change.)

-- client_secret_enc is AEAD-encrypted with the profile SID as associated data (NULL: a public
-- client). Lists are JSON arrays.
CREATE TABLE sso_profiles (
    sid                TEXT    NOT NULL PRIMARY KEY,
    account_sid        TEXT    NOT NULL REFERENCES accounts (sid),
    instance_sid       TEXT    NOT NULL REFERENCES flex_instances (sid),
    friendly_name      TEXT    NOT NULL,
    issuer             TEXT    NOT NULL,
    client_id          TEXT    NOT NULL,
    client_secret_enc  BLOB,
    scopes             TEXT    NOT NULL,
    username_claim     TEXT    NOT NULL,
    email_claim        TEXT    NOT NULL,
    full_name_claim    TEXT    NOT NULL,
    roles_claim        TEXT,
    default_role       TEXT    NOT NULL,
    redirect_urls      TEXT    NOT NULL,
    active             INTEGER NOT NULL,
    app_type           TEXT    NOT NULL,
    version            INTEGER NOT NULL,
    date_created       INTEGER NOT NULL,
    date_updated       INTEGER NOT NULL
);

CREATE INDEX sso_profiles_instance ON sso_profiles (instance_sid);

-- Who a provider's user is in an instance: one Flex user per (issuer, sub), never per email.
CREATE TABLE sso_user_links (
    instance_sid   TEXT    NOT NULL REFERENCES flex_instances (sid),
    issuer         TEXT    NOT NULL,
    subject        TEXT    NOT NULL,
    flex_user_sid  TEXT    NOT NULL UNIQUE REFERENCES flex_users (sid),
    profile_sid    TEXT    NOT NULL,
    date_created   INTEGER NOT NULL,
    date_updated   INTEGER NOT NULL,
    PRIMARY KEY (instance_sid, issuer, subject)
);

-- A sign-in sent to the provider and not back yet, keyed by the hash of Callsign's own state.
-- code_verifier_enc is Callsign's PKCE verifier toward the provider, sealed with state_hash as
-- associated data; browser_hash binds the sign-in to the browser that started it (a cookie).
CREATE TABLE sso_pending_logins (
    state_hash          TEXT    NOT NULL PRIMARY KEY,
    profile_sid         TEXT    NOT NULL REFERENCES sso_profiles (sid) ON DELETE CASCADE,
    issuer              TEXT    NOT NULL,
    browser_hash        TEXT    NOT NULL,
    nonce               TEXT    NOT NULL,
    code_verifier_enc   BLOB    NOT NULL,
    callback_url        TEXT    NOT NULL,
    sdk_redirect_url    TEXT    NOT NULL,
    sdk_state           TEXT    NOT NULL,
    sdk_nonce           TEXT    NOT NULL,
    sdk_code_challenge  TEXT    NOT NULL,
    expires_at          INTEGER NOT NULL,
    date_created        INTEGER NOT NULL
);

CREATE INDEX sso_pending_logins_expiry ON sso_pending_logins (expires_at);

-- Callsign's authorization codes, handed to the SDK's redirect URL and exchanged once. used_at is
-- set by the one exchange that wins; family_id is the refresh-token family it starts; replayed_at
-- marks a second attempt, which revokes that family.
CREATE TABLE sso_authorization_codes (
    code_hash           TEXT    NOT NULL PRIMARY KEY,
    profile_sid         TEXT    NOT NULL REFERENCES sso_profiles (sid) ON DELETE CASCADE,
    flex_user_sid       TEXT    NOT NULL REFERENCES flex_users (sid),
    sdk_redirect_url    TEXT    NOT NULL,
    sdk_nonce           TEXT    NOT NULL,
    sdk_code_challenge  TEXT    NOT NULL,
    expires_at          INTEGER NOT NULL,
    used_at             INTEGER,
    family_id           TEXT,
    exchanged_at        INTEGER,
    replayed_at         INTEGER,
    date_created        INTEGER NOT NULL
);

CREATE INDEX sso_authorization_codes_created ON sso_authorization_codes (date_created);

-- One family per sign-in: every refresh token rotated from the first. Revoking the family (reuse
-- of a rotated token, replay of its code) stops all of them; expires_at is the absolute limit.
CREATE TABLE sso_refresh_families (
    family_id      TEXT    NOT NULL PRIMARY KEY,
    profile_sid    TEXT    NOT NULL REFERENCES sso_profiles (sid) ON DELETE CASCADE,
    instance_sid   TEXT    NOT NULL REFERENCES flex_instances (sid),
    flex_user_sid  TEXT    NOT NULL REFERENCES flex_users (sid),
    expires_at     INTEGER NOT NULL,
    revoked_at     INTEGER,
    date_created   INTEGER NOT NULL
);

CREATE INDEX sso_refresh_families_expiry ON sso_refresh_families (expires_at);

-- access_token_id is the jti of the Flex token issued with it, so that revoking the family
-- revokes that token too. used_at is set when it is rotated (presenting it again is reuse).
CREATE TABLE sso_refresh_tokens (
    token_hash         TEXT    NOT NULL PRIMARY KEY,
    family_id          TEXT    NOT NULL REFERENCES sso_refresh_families (family_id) ON DELETE CASCADE,
    access_token_id    TEXT    NOT NULL,
    access_expires_at  INTEGER NOT NULL,
    expires_at         INTEGER NOT NULL,
    used_at            INTEGER,
    date_created       INTEGER NOT NULL
);

CREATE INDEX sso_refresh_tokens_family ON sso_refresh_tokens (family_id);
