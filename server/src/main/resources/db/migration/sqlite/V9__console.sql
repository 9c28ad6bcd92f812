-- The web console (docs/design/0015-console.md): its users, their second factor, their sessions and
-- their one-time sign-up links. Secrets that only need checking (session ids, sign-up links,
-- recovery codes: all of at least 120 random bits) are stored as SHA-256 hashes; the TOTP seed,
-- which must be read back to compute codes, is AEAD-encrypted with the user SID as associated
-- data. Passwords are Argon2id PHC strings. Times are epoch milliseconds (UTC).

-- email_key is the normalised address (NFKC, case-folded): one user per address in the whole
-- installation, so that signing in needs nothing but the address. password_hash is NULL until the
-- sign-up link is used; totp_secret_enc is NULL until enrolment is confirmed, and totp_pending_enc
-- holds the seed shown during enrolment. totp_last_step is the last time step accepted, so that a
-- code is accepted once only (RFC 6238 5.2).
CREATE TABLE console_users (
    sid               TEXT    NOT NULL PRIMARY KEY,
    account_sid       TEXT    NOT NULL REFERENCES accounts (sid),
    email             TEXT    NOT NULL,
    email_key         TEXT    NOT NULL UNIQUE,
    password_hash     TEXT,
    totp_secret_enc   BLOB,
    totp_pending_enc  BLOB,
    totp_last_step    INTEGER NOT NULL,
    date_created      INTEGER NOT NULL,
    date_updated      INTEGER NOT NULL
);

CREATE INDEX console_users_account ON console_users (account_sid);

CREATE TABLE console_recovery_codes (
    user_sid   TEXT NOT NULL REFERENCES console_users (sid) ON DELETE CASCADE,
    code_hash  TEXT NOT NULL,
    PRIMARY KEY (user_sid, code_hash)
);

-- stage: 'password' (password checked, second factor not yet: only the MFA pages) or 'signed-in'.
-- expires_at is the absolute limit; last_seen_at drives the idle limit.
CREATE TABLE console_sessions (
    id_hash       TEXT    NOT NULL PRIMARY KEY,
    user_sid      TEXT    NOT NULL REFERENCES console_users (sid) ON DELETE CASCADE,
    stage         TEXT    NOT NULL,
    csrf_token    TEXT    NOT NULL,
    created_at    INTEGER NOT NULL,
    last_seen_at  INTEGER NOT NULL,
    expires_at    INTEGER NOT NULL
);

CREATE INDEX console_sessions_user ON console_sessions (user_sid);

CREATE TABLE console_sign_up_links (
    token_hash    TEXT    NOT NULL PRIMARY KEY,
    user_sid      TEXT    NOT NULL REFERENCES console_users (sid) ON DELETE CASCADE,
    expires_at    INTEGER NOT NULL,
    date_created  INTEGER NOT NULL
);
